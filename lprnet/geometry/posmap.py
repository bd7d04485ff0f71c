"""UV position maps: vertices -> posmap, and posmap -> points, landmarks, mesh, pose, colours.

A position map ``P`` of shape (n, n, 3) stores at each UV pixel the (x, y, z) position, in image
pixels (x right, y down, z toward the camera), of the face surface point that maps there.
"""

from __future__ import annotations

import numpy as np

from lprnet.geometry.transform import FLIP_Y, matrix_to_angles, similarity_fit
from lprnet.geometry.uv import UVLayout


def _check_posmap(posmap: np.ndarray, layout: UVLayout) -> np.ndarray:
    pos = np.asarray(posmap)
    n = layout.resolution
    if pos.shape != (n, n, 3):
        raise ValueError(f"posmap: expected shape ({n}, {n}, 3), got {pos.shape}")
    return pos


def render_posmap(vertices: np.ndarray, layout: UVLayout) -> np.ndarray:
    """Render mesh vertices into the UV position map (a sparse matrix product).

    Parameters
    ----------
    vertices : (N, 3) array
        Positions of the model's vertices, any units (usually image pixels).
    layout : UVLayout

    Returns
    -------
    (n, n, 3) float32
        Barycentric interpolation of ``vertices`` at every UV pixel; 0 where no triangle maps.
    """
    v = np.asarray(vertices, np.float64)
    if v.shape != (layout.model.n_vertices, 3):
        raise ValueError(f"vertices: expected shape ({layout.model.n_vertices}, 3), got {v.shape}")
    n = layout.resolution
    return (layout.render_matrix @ v).reshape(n, n, 3).astype(np.float32)


def landmarks(posmap: np.ndarray, layout: UVLayout) -> np.ndarray:
    """The 68 landmarks read at PRNet's keypoint pixels.

    Returns
    -------
    (68, 3) float
        Same units as the posmap.
    """
    pos = _check_posmap(posmap, layout)
    kx, ky = layout.keypoint_pixels
    return pos[ky, kx, :].astype(np.float64)


def face_points(posmap: np.ndarray, layout: UVLayout) -> np.ndarray:
    """Dense face points: the posmap at the face-mask pixels, in flat-index order.

    Returns
    -------
    (M, 3) float
    """
    pos = _check_posmap(posmap, layout)
    return pos.reshape(-1, 3)[layout.face_indices].astype(np.float64)


def face_mesh(posmap: np.ndarray, layout: UVLayout) -> tuple[np.ndarray, np.ndarray]:
    """Mesh of the face points with two triangles per 2x2 pixel block.

    Returns
    -------
    points : (M, 3) float64
        As :func:`face_points`.
    triangles : (T, 3) int64
        Indices into ``points``.
    """
    points = face_points(posmap, layout)
    remap = np.full(layout.resolution**2, -1, np.int64)
    remap[layout.face_indices] = np.arange(len(layout.face_indices))
    return points, remap[layout.grid_triangles]


def sample_bilinear(image: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Bilinear sample of an (H, W, C) array at (K, 2) pixel positions ``(x, y)`` (clamped).

    Returns
    -------
    (K, C) float64
    """
    img = np.asarray(image, np.float64)
    h, w = img.shape[:2]
    x = np.clip(xy[:, 0], 0, w - 1)
    y = np.clip(xy[:, 1], 0, h - 1)
    x0 = np.minimum(np.floor(x).astype(np.int64), w - 2 if w > 1 else 0)
    y0 = np.minimum(np.floor(y).astype(np.int64), h - 2 if h > 1 else 0)
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    top = img[y0, x0] * (1 - fx) + img[y0, x1] * fx
    bottom = img[y1, x0] * (1 - fx) + img[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


def model_vertices(posmap: np.ndarray, layout: UVLayout) -> np.ndarray:
    """All model vertices read back from the posmap (bilinear at each vertex's UV pixel).

    Returns
    -------
    (N, 3) float64
        Use with ``layout.model.triangles`` for the full BFM topology.
    """
    pos = _check_posmap(posmap, layout)
    return sample_bilinear(pos, layout.vertex_pixels)


def vertex_colors(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Colours of the image at the points' (x, y), bilinear.

    Parameters
    ----------
    image : (H, W, 3) uint8 or float array
    points : (K, 2+) array, pixels

    Returns
    -------
    (K, 3) float32 in the image's value range
    """
    return sample_bilinear(image, np.asarray(points)[:, :2]).astype(np.float32)


def head_pose(posmap: np.ndarray, layout: UVLayout) -> np.ndarray:
    """Head pose from a similarity fit of the face points to the canonical face.

    Returns
    -------
    (3,) float64
        ``[pitch, yaw, roll]`` in degrees, in the 300W-LP / 3DDFA convention (``Pose_Para``).
    """
    _, rot, _ = similarity_fit(layout.canonical_points, face_points(posmap, layout))
    return np.degrees(matrix_to_angles(FLIP_Y @ rot @ FLIP_Y))


def mirror_posmap(posmap: np.ndarray, width: float) -> np.ndarray:
    """The posmap of the horizontally mirrored crop, from the posmap of the crop.

    UV columns reversed (the UV layout is mirror-symmetric: column ``u`` of the left half of
    the face is column ``n - 1 - u`` of the right half) and ``x -> width - x``; y and z stay.
    The same map as the training augmentation's mirror (:func:`lprnet.data.augment.mirror`).

    Parameters
    ----------
    posmap : (..., n, n, 3) array
        UV position maps, x of a crop whose pixel centres run ``0 .. width`` (crop pixels:
        ``width = n - 1``; a network's normalised output: ``(n - 1) / (n * 1.1)``).
    width : float
        The mirror axis is ``x = width / 2``.

    Returns
    -------
    (..., n, n, 3) array, the dtype of ``posmap``
    """
    out = np.array(posmap[..., ::-1, :], copy=True)
    out[..., 0] = width - out[..., 0]
    return out
