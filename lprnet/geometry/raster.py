"""Rasterise a triangle mesh laid out in a 2D plane (UV space) into a per-pixel lookup table."""

from __future__ import annotations

import numpy as np


def rasterize_table(
    points: np.ndarray, triangles: np.ndarray, height: int, width: int, eps: float = 1e-9
) -> tuple[np.ndarray, np.ndarray]:
    """Which triangle covers each pixel centre, and the barycentric weights there.

    Pixel ``(row, col)`` is the point ``x = col, y = row`` (face3d's convention). Where several
    triangles cover a pixel, the first one in ``triangles`` wins (face3d's z-buffer with equal
    depths does the same).

    Parameters
    ----------
    points : (N, 2) array
        Vertex positions in pixels (x, y).
    triangles : (T, 3) int array
        Vertex indices.
    height, width : int
        Raster size in pixels.
    eps : float
        Tolerance on barycentric weights, so pixels on a shared edge are covered.

    Returns
    -------
    tri_index : (height * width,) int64
        Covering triangle per flat pixel index, -1 where none.
    weights : (height * width, 3) float64
        Barycentric weights of the triangle's three vertices (0 where none).
    """
    pts = np.asarray(points, np.float64)
    tris = np.asarray(triangles, np.int64).reshape(-1, 3)
    tri_index = np.full(height * width, -1, np.int64)
    weights = np.zeros((height * width, 3), np.float64)
    if len(tris) == 0:
        return tri_index, weights
    p0, p1, p2 = pts[tris[:, 0]], pts[tris[:, 1]], pts[tris[:, 2]]
    lo = np.ceil(np.minimum(np.minimum(p0, p1), p2) - eps).astype(np.int64)
    hi = np.floor(np.maximum(np.maximum(p0, p1), p2) + eps).astype(np.int64)
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, [width - 1, height - 1])
    extent = hi - lo + 1
    valid = (extent > 0).all(1)
    box = int(max(extent[valid].max(initial=1), 1))
    oy, ox = np.mgrid[0:box, 0:box]
    # triangle-major candidate order: the first covering triangle has the lowest index
    chunk = max(1, 4_000_000 // (box * box))
    ids_all, pix_all, w_all = [], [], []
    for start in range(0, len(tris), chunk):
        sl = slice(start, start + chunk)
        t_ids = np.flatnonzero(valid[sl]) + start
        cx = lo[t_ids, 0, None] + ox.reshape(1, -1)
        cy = lo[t_ids, 1, None] + oy.reshape(1, -1)
        inside_box = (cx <= hi[t_ids, 0, None]) & (cy <= hi[t_ids, 1, None])
        a, b, c = p0[t_ids, None], p1[t_ids, None], p2[t_ids, None]
        v0, v1 = b - a, c - a
        denom = v0[..., 0] * v1[..., 1] - v1[..., 0] * v0[..., 1]
        px = cx - a[..., 0]
        py = cy - a[..., 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            w1 = (px * v1[..., 1] - v1[..., 0] * py) / denom
            w2 = (v0[..., 0] * py - px * v0[..., 1]) / denom
        w0 = 1.0 - w1 - w2
        ok = inside_box & (np.abs(denom) > 1e-12) & (w0 >= -eps) & (w1 >= -eps) & (w2 >= -eps)
        rows, cols = np.nonzero(ok)
        ids_all.append(t_ids[rows])
        pix_all.append(cy[rows, cols] * width + cx[rows, cols])
        w_all.append(np.stack([w0[rows, cols], w1[rows, cols], w2[rows, cols]], 1))
    ids = np.concatenate(ids_all)
    pix = np.concatenate(pix_all)
    w = np.concatenate(w_all)
    order = np.lexsort((ids, pix))  # by pixel, then lowest triangle first
    pix, ids, w = pix[order], ids[order], w[order]
    first = np.ones(len(pix), bool)
    first[1:] = pix[1:] != pix[:-1]
    tri_index[pix[first]] = ids[first]
    weights[pix[first]] = np.clip(w[first], 0.0, 1.0)
    weights[pix[first]] /= weights[pix[first]].sum(1, keepdims=True)
    return tri_index, weights
