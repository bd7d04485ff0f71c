"""Z-buffered orthographic rendering of per-vertex attributes, vertex visibility, compositing.

Vertices are in image space: x right, y down in pixels (pixel ``(row, col)`` is the point
``x = col, y = row``), z toward the camera in pixels (larger = nearer), as
:func:`lprnet.geometry.transform.pose_to_image` and :func:`lprnet.geometry.crop.to_crop` give.
"""

from __future__ import annotations

import cv2
import numpy as np

from lprnet.geometry.raster import rasterize_depth


def _check_vertices(vertices: np.ndarray) -> np.ndarray:
    v = np.asarray(vertices, np.float64)
    if v.ndim != 2 or v.shape[1] != 3:
        raise ValueError(f"vertices: expected shape (N, 3), got {v.shape}")
    return v


def interpolate(
    tri_index: np.ndarray,
    weights: np.ndarray,
    triangles: np.ndarray,
    attributes: np.ndarray,
    height: int,
    width: int,
) -> np.ndarray:
    """Barycentric interpolation of per-vertex attributes over a rasterised table.

    Parameters
    ----------
    tri_index : (height * width,) int array
        Triangle per flat pixel, -1 where empty (from :func:`rasterize_depth`).
    weights : (height * width, 3) float array
        Barycentric weights per pixel.
    triangles : (T, 3) int array
    attributes : (N, C) float array
        Per-vertex values (colours, positions, ...), any units.
    height, width : int

    Returns
    -------
    (height, width, C) float32
        Interpolated attributes; 0 where ``tri_index`` is -1.
    """
    attr = np.asarray(attributes)
    if attr.ndim != 2:
        raise ValueError(f"attributes: expected shape (N, C), got {attr.shape}")
    attr = attr.astype(np.float64, copy=False)
    pix = np.flatnonzero(tri_index >= 0)
    corners = np.asarray(triangles)[tri_index[pix]]
    w = weights[pix]
    vals = (
        w[:, 0:1] * attr[corners[:, 0]]
        + w[:, 1:2] * attr[corners[:, 1]]
        + w[:, 2:3] * attr[corners[:, 2]]
    )
    image = np.zeros((height * width, attr.shape[1]), np.float32)
    image[pix] = vals
    return image.reshape(height, width, -1)


def render(
    vertices: np.ndarray,
    triangles: np.ndarray,
    attributes: np.ndarray,
    height: int,
    width: int,
    *,
    cull_backfaces: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Render per-vertex attributes at the visible surface (orthographic, z-buffered).

    Parameters
    ----------
    vertices : (N, 3) array
        Image pixels: x right, y down, z toward the camera (larger = nearer).
    triangles : (T, 3) int array
        Vertex indices (for BFM faces: ``FaceModel.triangles``).
    attributes : (N, C) float array
        Per-vertex values to interpolate, e.g. shaded colours in [0, 1].
    height, width : int
        Image size in pixels.
    cull_backfaces : bool
        Skip triangles that run counter-clockwise on screen (back-facing for BFM triangles; see
        :mod:`lprnet.geometry.raster`). Same picture for a closed surface, a little faster.

    Returns
    -------
    image : (height, width, C) float32
        Attributes interpolated (barycentric, no perspective) at each covered pixel centre
        from the nearest triangle there; 0 elsewhere.
    mask : (height, width) bool
        Covered pixels.
    zbuf : (height, width) float64
        Depth of the visible surface, -inf where empty.
    """
    v = _check_vertices(vertices)
    attr = np.asarray(attributes)
    if attr.ndim != 2 or len(attr) != len(v):
        raise ValueError(f"attributes: expected shape ({len(v)}, C), got {attr.shape}")
    tri_index, weights, zbuf = rasterize_depth(
        v[:, :2], v[:, 2], triangles, height, width, cull_backfaces=cull_backfaces
    )
    image = interpolate(tri_index, weights, triangles, attr, height, width)
    return image, (tri_index >= 0).reshape(height, width), zbuf


def visible_vertices(
    vertices: np.ndarray,
    triangles: np.ndarray,
    height: int,
    width: int,
    tol: float = 1.0,
    *,
    cull_backfaces: bool = False,
    raster: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Which vertices the camera sees: inside the image and not behind the z-buffer.

    A vertex at ``(x, y, z)`` reads the nearest pixel ``(round(y), round(x))``. It is visible
    when that pixel lies in the image, is covered, and ``z >= s - tol`` where ``s`` is the
    depth of the visible surface there: the lower of the z-buffer at the pixel centre and the
    visible triangle's plane evaluated at ``(x, y)`` itself (the plane removes the error of the
    half-pixel offset on slanted surfaces; taking the lower one keeps vertices on an edge-on
    triangle visible). A vertex nearer than the surface is visible (nothing occludes it).

    Parameters
    ----------
    vertices : (N, 3) array
        Image pixels: x right, y down, z toward the camera (larger = nearer).
    triangles : (T, 3) int array
    height, width : int
        Image size in pixels.
    tol : float
        Depth tolerance, in the units of z (pixels).
    cull_backfaces : bool
        As in :func:`render`.
    raster : (tri_index, weights, zbuf), optional
        The output of :func:`lprnet.geometry.raster.rasterize_depth` for these vertices and
        size, to skip rasterising again.

    Returns
    -------
    (N,) bool
    """
    v = _check_vertices(vertices)
    tris = np.asarray(triangles, np.int64)
    if raster is None:
        raster = rasterize_depth(
            v[:, :2], v[:, 2], tris, height, width, cull_backfaces=cull_backfaces
        )
    tri_index, _, zbuf = raster
    col = np.floor(v[:, 0] + 0.5)
    row = np.floor(v[:, 1] + 0.5)
    inside = (col >= 0) & (col < width) & (row >= 0) & (row < height)
    idx = np.flatnonzero(inside)
    pix = row[idx].astype(np.int64) * width + col[idx].astype(np.int64)
    tri = tri_index[pix]
    covered = tri >= 0
    idx, pix, tri = idx[covered], pix[covered], tri[covered]
    # the visible triangle's plane z = z0 + w1 (z1 - z0) + w2 (z2 - z0) at the vertex's own xy
    corners = tris.T.take(tri, axis=1)  # (3, K)
    (ax, bx, cx), (ay, by, cy), (az, bz, cz) = (
        [coord.take(corners[k]) for k in range(3)] for coord in np.ascontiguousarray(v.T)
    )
    e1x, e1y, e2x, e2y = bx - ax, by - ay, cx - ax, cy - ay
    dx, dy = v[idx, 0] - ax, v[idx, 1] - ay
    den = e1x * e2y - e2x * e1y
    with np.errstate(divide="ignore", invalid="ignore"):
        w1 = (dx * e2y - e2x * dy) / den
        w2 = (e1x * dy - dx * e1y) / den
    plane = az + w1 * (bz - az) + w2 * (cz - az)
    surface = np.fmin(zbuf.reshape(-1)[pix], plane)  # fmin: a NaN plane falls back to zbuf
    visible = np.zeros(len(v), bool)
    visible[idx] = v[idx, 2] >= surface - tol
    return visible


def composite(
    foreground: np.ndarray,
    mask: np.ndarray,
    background: np.ndarray,
    feather_px: float = 0,
) -> np.ndarray:
    """Paste a rendering over a background image, with an optional soft edge.

    Parameters
    ----------
    foreground : (H, W, C) or (H, W) array
        Rendered image (e.g. :func:`render`'s), same value range as ``background``.
    mask : (H, W) bool
        Where the foreground is defined.
    background : (H, W, C) or (H, W) array
        Any dtype; converted to float32.
    feather_px : float
        Width in pixels of the soft edge, inside the mask: alpha is
        ``min(1, d / (feather_px + 1))`` with ``d`` the Euclidean distance (pixels) from a
        masked pixel to the nearest unmasked one, so only rendered pixels are blended and the
        black outside of the rendering never bleeds in. 0 gives a hard edge.

    Returns
    -------
    (H, W, C) or (H, W) float32
        ``alpha * foreground + (1 - alpha) * background``.
    """
    fg = np.asarray(foreground, np.float32)
    bg = np.asarray(background, np.float32)
    m = np.asarray(mask, bool)
    if fg.shape != bg.shape or fg.shape[:2] != m.shape:
        raise ValueError(
            f"composite: foreground {fg.shape}, background {bg.shape} and mask {m.shape} "
            "must share (H, W[, C])"
        )
    if feather_px < 0:
        raise ValueError(f"feather_px must be >= 0, got {feather_px}")
    if feather_px == 0:
        alpha = m.astype(np.float32)
    else:
        # distance to the nearest unmasked pixel; the image border is not an edge
        dist = cv2.distanceTransform(m.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        alpha = np.minimum(dist / np.float32(feather_px + 1), 1.0).astype(np.float32)
    if fg.ndim == 3:
        alpha = alpha[..., None]
    return alpha * fg + (1.0 - alpha) * bg
