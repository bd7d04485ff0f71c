"""PRNet's face crop: a square box around the face, a similarity warp, and its inverse.

A crop is a 3x3 matrix ``M`` mapping image pixels to crop pixels (``[x', y', 1] = M @ [x, y, 1]``);
depth is scaled by the same factor ``M[0, 0]``.
"""

from __future__ import annotations

import cv2
import numpy as np

#: PRNet's api.py: box side = 1.6 x the mean landmark extent when cropping from landmarks.
LANDMARK_SCALE = 1.6
#: PRNet's api.py for a detector box: side 1.58 x, centre moved down by 0.14 x the box size.
DETECTOR_SCALE = 1.58
DETECTOR_SHIFT = 0.14


def box_from_landmarks(
    points: np.ndarray, scale: float = LANDMARK_SCALE
) -> tuple[np.ndarray, float]:
    """Square crop box from landmarks, as PRNet does.

    Parameters
    ----------
    points : (K, 2+) array
        Landmarks in image pixels (only x, y are used).
    scale : float
        Box side relative to the mean of the landmarks' width and height.

    Returns
    -------
    center : (2,) float64, pixels
    size : float, pixels
    """
    pts = np.asarray(points, np.float64)
    if pts.ndim != 2 or pts.shape[1] < 2 or len(pts) < 2:
        raise ValueError(f"points: expected shape (K>=2, 2 or 3), got {pts.shape}")
    lo, hi = pts[:, :2].min(0), pts[:, :2].max(0)
    center = (lo + hi) / 2.0
    old_size = float((hi - lo).sum() / 2.0)
    if old_size <= 0:
        raise ValueError("points: landmarks span a zero-size box")
    return center, old_size * scale


def box_from_detection(
    left: float,
    top: float,
    right: float,
    bottom: float,
    scale: float = DETECTOR_SCALE,
    shift: float = DETECTOR_SHIFT,
) -> tuple[np.ndarray, float]:
    """Square crop box from a face detector's box (PRNet's rule for dlib boxes).

    Returns
    -------
    center : (2,) float64, pixels
    size : float, pixels
    """
    old_size = ((right - left) + (bottom - top)) / 2.0
    if old_size <= 0:
        raise ValueError(f"detector box has no area: {(left, top, right, bottom)}")
    center = np.array([(left + right) / 2.0, (top + bottom) / 2.0 + old_size * shift])
    return center, old_size * scale


def crop_matrix(center: np.ndarray, size: float, out_size: int) -> np.ndarray:
    """Similarity (3, 3) mapping the box ``center +- size / 2`` onto ``[0, out_size - 1]``."""
    s = (out_size - 1) / float(size)
    cx, cy = np.asarray(center, np.float64)
    return np.array(
        [[s, 0.0, -s * (cx - size / 2.0)], [0.0, s, -s * (cy - size / 2.0)], [0.0, 0.0, 1.0]]
    )


def warp_image(image: np.ndarray, matrix: np.ndarray, out_size: int) -> np.ndarray:
    """Warp an (H, W, C) image into the (out_size, out_size, C) crop (bilinear, black border)."""
    return cv2.warpAffine(
        image,
        matrix[:2],
        (out_size, out_size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )


def to_crop(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Image points (K, 3) -> crop points: x, y through ``matrix``, z scaled by ``matrix[0, 0]``."""
    pts = np.asarray(points, np.float64)
    out = pts.copy()
    out[:, :2] = pts[:, :2] @ matrix[:2, :2].T + matrix[:2, 2]
    out[:, 2] = pts[:, 2] * matrix[0, 0]
    return out


def from_crop(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_crop`: crop points (..., 3) -> image points."""
    pts = np.asarray(points, np.float64)
    shape = pts.shape
    flat = pts.reshape(-1, 3)
    inv = np.linalg.inv(matrix)
    out = flat.copy()
    out[:, :2] = flat[:, :2] @ inv[:2, :2].T + inv[:2, 2]
    out[:, 2] = flat[:, 2] / matrix[0, 0]
    return out.reshape(shape)
