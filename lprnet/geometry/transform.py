"""Rotations, the 3DDFA / 300W-LP pose convention, and similarity fits.

300W-LP and AFLW2000-3D store ``Pose_Para = [pitch, yaw, roll, tx, ty, tz, s]`` (angles in
radians). Following 3DDFA and face3d, model vertices ``V`` (micrometres, y up) map to the image as
``s * V @ R.T + t`` with ``R = Rx(pitch) @ Ry(yaw) @ Rz(roll)``, then ``y -> height - y``
(y down). This reproduces AFLW2000-3D's ``pt3d_68`` (see tests).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.spatial.transform import Rotation

#: Flip of the y axis between the model frame (y up) and the image frame (y down).
FLIP_Y = np.diag([1.0, -1.0, 1.0])


def angles_to_matrix(pitch: float, yaw: float, roll: float) -> np.ndarray:
    """Rotation matrix of the 3DDFA convention.

    Parameters
    ----------
    pitch, yaw, roll : float
        Angles in radians (x, y, z axes).

    Returns
    -------
    (3, 3) float64
        3DDFA's ``Rx(pitch) @ Ry(yaw) @ Rz(roll)``, whose elementary rotations turn the other
        way than the right-handed ones: the transpose of scipy's extrinsic ``xyz`` Euler
        rotation ``Rz(roll) @ Ry(yaw) @ Rx(pitch)``.
    """
    return Rotation.from_euler("xyz", [pitch, yaw, roll]).as_matrix().T


def matrix_to_angles(rot: np.ndarray) -> np.ndarray:
    """Inverse of :func:`angles_to_matrix`.

    Parameters
    ----------
    rot : (3, 3) array
        A rotation matrix (model frame).

    Returns
    -------
    (3,) float64
        ``[pitch, yaw, roll]`` in radians; yaw in [-pi/2, pi/2]. At gimbal lock (|yaw| = 90
        degrees) roll is set to 0 (scipy's rule for the third angle).
    """
    r = np.asarray(rot, np.float64)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Gimbal lock detected")
        return Rotation.from_matrix(r.T).as_euler("xyz")


def pose_to_image(vertices: np.ndarray, pose_para: np.ndarray, image_height: int) -> np.ndarray:
    """Model vertices -> image pixel coordinates with a 300W-LP ``Pose_Para``.

    Parameters
    ----------
    vertices : (N, 3) array
        Model-space vertices (micrometres, y up).
    pose_para : (7,) array
        ``[pitch, yaw, roll, tx, ty, tz, s]``, angles in radians.
    image_height : int
        Height of the image in pixels (for the y flip).

    Returns
    -------
    (N, 3) float64
        x right and y down in pixels; z in pixels toward the camera (orthographic).
    """
    p = np.asarray(pose_para, np.float64).reshape(-1)
    if p.size != 7:
        raise ValueError(
            f"pose_para: expected 7 values [pitch, yaw, roll, tx, ty, tz, s], got {p.size}"
        )
    rot = angles_to_matrix(*p[:3])
    out = p[6] * np.asarray(vertices, np.float64) @ rot.T + p[3:6]
    out[:, 1] = image_height - out[:, 1]
    return out


def similarity_fit(source: np.ndarray, target: np.ndarray, scale: bool = True):
    """Least-squares similarity ``target ~ s * source @ R.T + t`` (Umeyama 1991).

    Kept here rather than scipy's ``Rotation.align_vectors``: that is 3D only and fits no
    scale; the crops and the 2D landmark alignment need both.

    Parameters
    ----------
    source, target : (N, D) arrays, D in {2, 3}
        Corresponding points, N >= D.
    scale : bool
        Fit the scale ``s``; when False, ``s = 1`` (rigid).

    Returns
    -------
    s : float
    R : (D, D) float64, a proper rotation (det = +1; reflections are never returned)
    t : (D,) float64

    Raises
    ------
    ValueError
        Mismatched shapes, too few points, or source points that all coincide.
    """
    src = np.asarray(source, np.float64)
    dst = np.asarray(target, np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] not in (2, 3):
        raise ValueError(f"similarity_fit: need two (N, 2|3) arrays, got {src.shape}, {dst.shape}")
    n, d = src.shape
    if n < d:
        raise ValueError(f"similarity_fit: need at least {d} points, got {n}")
    mu_s, mu_d = src.mean(0), dst.mean(0)
    xs, xd = src - mu_s, dst - mu_d
    var_s = float((xs**2).sum() / n)
    if var_s <= 0.0:
        raise ValueError("similarity_fit: all source points coincide; alignment is undefined")
    u, sig, vt = np.linalg.svd(xd.T @ xs / n)
    sign = np.ones(d)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[-1] = -1.0
    rot = (u * sign) @ vt
    s = float((sig * sign).sum() / var_s) if scale else 1.0
    return s, rot, mu_d - s * rot @ mu_s
