"""Rasterise a triangle mesh laid out in a 2D plane into a per-pixel lookup table.

Used for the UV layout (first triangle wins) and, with a per-vertex depth, as the z-buffer of the
software renderer (:mod:`lprnet.render`; the nearest triangle wins).

Conventions
-----------
Pixel ``(row, col)`` is the point ``x = col, y = row``: pixel centres are integer coordinates.
Image space is x right, y down, z (depth) toward the camera, larger = nearer.

**Winding.** A triangle ``(p0, p1, p2)`` is *front-facing* when the z component of
``(p1 - p0) x (p2 - p0)``, computed in these image coordinates, is positive: its vertices run
**clockwise on screen**. This is the winding of the BFM triangles (``FaceModel.triangles``) seen
from outside the face, once posed with :func:`lprnet.geometry.transform.pose_to_image`: for the
mean face at yaw 0, 80% of the triangles are front-facing; the rest face away (mostly the sides
of the head toward the ears, a few inside the nostrils and the mouth), and 99.9% of the pixels
show a front-facing triangle. The image frame is left-handed (the model frame with y flipped),
so in the right-handed model frame (y up) the same cross product points *into* the head.
PRNet-style grid triangles (``UVLayout.grid_triangles``) run the other way: reverse their
columns (``tris[:, ::-1]``) before culling with them.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import numpy as np

#: Candidate (triangle, pixel) pairs tested per chunk; bounds the temporary memory (~100 B each).
_CHUNK_CANDIDATES = 1 << 20
#: Triangles whose doubled signed area is at most this (pixels^2) are skipped as degenerate.
_MIN_DENOM = 1e-12


def _candidates(
    points: np.ndarray,
    triangles: np.ndarray,
    height: int,
    width: int,
    eps: float,
    depth: np.ndarray | None = None,
    cull_backfaces: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]]:
    """Every (triangle, pixel) pair whose pixel centre lies in the triangle, chunk by chunk.

    Each triangle is tested on exactly the pixel centres of its clipped bounding box (no square
    padding), so small and large triangles cost what they cover. Chunks hold whole triangles, in
    increasing triangle order, about ``_CHUNK_CANDIDATES`` candidates each (a single triangle
    larger than that is a chunk of its own).

    Yields
    ------
    ids : (K,) int64
        Triangle index of each pair, non-decreasing within and across chunks.
    pix : (K,) int64
        Flat pixel index ``row * width + col``.
    w : (K, 3) float64
        Barycentric weights (unclipped; each >= -eps).
    z : (K,) float64 or None
        Depth interpolated at the pixel centre with ``w``; None without ``depth``.
    """
    pts = np.asarray(points, np.float64)
    tris = np.asarray(triangles, np.int64).reshape(-1, 3)
    if len(tris) == 0:
        return
    xs, ys = np.ascontiguousarray(pts[:, 0]), np.ascontiguousarray(pts[:, 1])
    i0, i1, i2 = np.ascontiguousarray(tris.T)  # contiguous gathers: faster than pts[tris]
    ax, bx, cx = xs.take(i0), xs.take(i1), xs.take(i2)
    ay, by, cy = ys.take(i0), ys.take(i1), ys.take(i2)
    lo_x = np.ceil(np.minimum(np.minimum(ax, bx), cx) - eps).astype(np.int64)
    hi_x = np.floor(np.maximum(np.maximum(ax, bx), cx) + eps).astype(np.int64)
    lo_y = np.ceil(np.minimum(np.minimum(ay, by), cy) - eps).astype(np.int64)
    hi_y = np.floor(np.maximum(np.maximum(ay, by), cy) + eps).astype(np.int64)
    np.maximum(lo_x, 0, out=lo_x)
    np.maximum(lo_y, 0, out=lo_y)
    np.minimum(hi_x, width - 1, out=hi_x)
    np.minimum(hi_y, height - 1, out=hi_y)
    nx = hi_x - lo_x + 1
    ny = hi_y - lo_y + 1
    v0x, v0y = bx - ax, by - ay
    v1x, v1y = cx - ax, cy - ay
    denom = v0x * v1y - v1x * v0y  # z of (p1 - p0) x (p2 - p0): > 0 = front-facing
    keep = (nx > 0) & (ny > 0)
    keep &= denom > _MIN_DENOM if cull_backfaces else np.abs(denom) > _MIN_DENOM
    ids = np.flatnonzero(keep)
    if len(ids) == 0:
        return
    # compact the per-triangle quantities to the kept triangles
    nx, lo_x, lo_y, ax, ay, v0x, v0y, v1x, v1y, denom = (
        a.take(ids) for a in (nx, lo_x, lo_y, ax, ay, v0x, v0y, v1x, v1y, denom)
    )
    count = nx * ny.take(ids)
    if depth is not None:
        zs = np.asarray(depth, np.float64)
        z0, z1, z2 = zs.take(i0.take(ids)), zs.take(i1.take(ids)), zs.take(i2.take(ids))
    ends = np.cumsum(count)
    starts = ends - count
    # chunk boundaries (in kept-triangle positions) after every ~_CHUNK_CANDIDATES candidates
    cuts = np.searchsorted(ends, np.arange(_CHUNK_CANDIDATES, ends[-1], _CHUNK_CANDIDATES)) + 1
    bounds = np.unique(np.concatenate([[0], cuts, [len(ids)]]).clip(0, len(ids)))
    for start, stop in pairwise(bounds.tolist()):
        t = np.repeat(np.arange(start, stop), count[start:stop])  # kept triangle per candidate
        local = np.arange(starts[start], ends[stop - 1]) - starts.take(t)
        dy, dx = np.divmod(local, nx.take(t))
        px_i = lo_x.take(t) + dx
        py_i = lo_y.take(t) + dy
        # same arithmetic as a per-triangle (T, box) evaluation, term by term
        px = px_i - ax.take(t)
        py = py_i - ay.take(t)
        tv1x, tv1y, tv0x, tv0y, tden = (a.take(t) for a in (v1x, v1y, v0x, v0y, denom))
        w1 = (px * tv1y - tv1x * py) / tden
        w2 = (tv0x * py - px * tv0y) / tden
        w0 = 1.0 - w1 - w2
        ok = np.flatnonzero((w0 >= -eps) & (w1 >= -eps) & (w2 >= -eps))
        t = t[ok]
        w = np.stack([w0[ok], w1[ok], w2[ok]], 1)
        z = None
        if depth is not None:
            z = w[:, 0] * z0.take(t) + w[:, 1] * z1.take(t) + w[:, 2] * z2.take(t)
        yield ids[t], py_i[ok] * width + px_i[ok], w, z


def _normalised(w: np.ndarray) -> np.ndarray:
    """Barycentric weights clipped to [0, 1] and renormalised to sum 1."""
    w = np.clip(w, 0.0, 1.0)
    w /= (w[:, 0] + w[:, 1] + w[:, 2])[:, None]  # = w.sum(1) for 3 terms, without its overhead
    return w


def _resolve(
    points: np.ndarray,
    triangles: np.ndarray,
    height: int,
    width: int,
    eps: float,
    depth: np.ndarray | None,
    cull_backfaces: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Pick one triangle per pixel: the nearest with ``depth``, else the first in the list."""
    n_pix = height * width
    tri_index = np.full(n_pix, -1, np.int64)
    weights = np.zeros((n_pix, 3), np.float64)
    zbuf = None if depth is None else np.full(n_pix, -np.inf)
    if depth is not None:
        n_vert = len(np.asarray(points))
        if np.shape(depth) != (n_vert,):
            raise ValueError(f"depth: expected shape ({n_vert},), got {np.shape(depth)}")
    parts = list(_candidates(points, triangles, height, width, eps, depth, cull_backfaces))
    if not parts:
        return tri_index, weights, zbuf
    ids = np.concatenate([p[0] for p in parts])
    pix = np.concatenate([p[1] for p in parts])
    w = np.concatenate([p[2] for p in parts])
    if depth is not None:
        z = np.concatenate([p[3] for p in parts])
        np.maximum.at(zbuf, pix, z)
        nearest = np.flatnonzero(z == zbuf[pix])  # ties: the first triangle wins, below
        ids, pix, w = ids[nearest], pix[nearest], w[nearest]
    best = np.full(n_pix, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(best, pix, ids)
    sel = np.flatnonzero(ids == best[pix])  # one pair per covered pixel
    pix_sel = pix[sel]
    tri_index[pix_sel] = ids[sel]
    weights[pix_sel] = _normalised(w[sel])
    return tri_index, weights, zbuf


def rasterize_table(
    points: np.ndarray,
    triangles: np.ndarray,
    height: int,
    width: int,
    eps: float = 1e-9,
    *,
    depth: np.ndarray | None = None,
    cull_backfaces: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Which triangle covers each pixel centre, and the barycentric weights there.

    Pixel ``(row, col)`` is the point ``x = col, y = row`` (face3d's convention). Where several
    triangles cover a pixel, the first one in ``triangles`` wins (face3d's z-buffer with equal
    depths does the same); with ``depth``, the nearest one wins (ties: the first).

    Parameters
    ----------
    points : (N, 2) array
        Vertex positions in pixels (x, y); extra columns are ignored.
    triangles : (T, 3) int array
        Vertex indices.
    height, width : int
        Raster size in pixels.
    eps : float
        Tolerance on barycentric weights, so pixels on a shared edge are covered.
    depth : (N,) array, optional
        Per-vertex depth, larger = nearer the camera. The triangle with the largest depth
        interpolated at the pixel centre wins. :func:`rasterize_depth` also returns the z-buffer.
    cull_backfaces : bool
        Skip back-facing triangles (counter-clockwise on screen; see the module docstring).

    Returns
    -------
    tri_index : (height * width,) int64
        Covering triangle per flat pixel index, -1 where none.
    weights : (height * width, 3) float64
        Barycentric weights of the triangle's three vertices (0 where none).
    """
    tri_index, weights, _ = _resolve(points, triangles, height, width, eps, depth, cull_backfaces)
    return tri_index, weights


def rasterize_depth(
    points_xy: np.ndarray,
    depth: np.ndarray,
    triangles: np.ndarray,
    height: int,
    width: int,
    eps: float = 1e-9,
    cull_backfaces: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Z-buffered rasterisation: the nearest triangle at each pixel centre (orthographic).

    Parameters
    ----------
    points_xy : (N, 2) array
        Vertex positions in pixels (x right, y down); extra columns are ignored.
    depth : (N,) array
        Per-vertex depth in any unit (pixels for posed faces), larger = nearer the camera.
    triangles : (T, 3) int array
        Vertex indices.
    height, width : int
        Raster size in pixels.
    eps : float
        Tolerance on barycentric weights, so pixels on a shared edge are covered.
    cull_backfaces : bool
        Skip back-facing triangles (counter-clockwise on screen; see the module docstring).

    Returns
    -------
    tri_index : (height * width,) int64
        Visible triangle per flat pixel index, -1 where none. Among the triangles covering a
        pixel the one with the largest interpolated depth wins; on exact ties, the first.
    weights : (height * width, 3) float64
        Barycentric weights of the visible triangle's vertices, clipped to [0, 1] and summing
        to 1 (0 where none).
    zbuf : (height, width) float64
        Interpolated depth of the visible surface (unclipped weights), -inf where empty.
    """
    tri_index, weights, zbuf = _resolve(
        points_xy, triangles, height, width, eps, depth, cull_backfaces
    )
    return tri_index, weights, zbuf.reshape(height, width)
