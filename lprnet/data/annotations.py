"""Read 300W-LP / AFLW2000-3D ``.mat`` annotations (3DDFA's fitted 3DMM parameters)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.io as sio

from lprnet.errors import DataFormatError


@dataclass(frozen=True)
class FaceParams:
    """One face's 3DMM fit.

    Attributes
    ----------
    pose : (7,) float64
        ``Pose_Para`` = [pitch, yaw, roll (radians), tx, ty, tz, s].
    shape : (Ks,) float64
        ``Shape_Para`` (199 in the files).
    expression : (Ke,) float64
        ``Exp_Para`` (29 in the files).
    pt3d_68 : (68, 3) float64 or None
        AFLW2000-3D's ground-truth landmarks in image pixels (x, y down, z).
    pt2d : (2, K) float64 or None
        2D landmarks as stored (68 in 300W-LP, 21 in AFLW2000-3D).
    """

    pose: np.ndarray
    shape: np.ndarray
    expression: np.ndarray
    pt3d_68: np.ndarray | None = None
    pt2d: np.ndarray | None = None

    @property
    def angles_degrees(self) -> np.ndarray:
        """(3,) [pitch, yaw, roll] in degrees."""
        return np.degrees(self.pose[:3])


def _field(mat: dict, key: str, path: Path, sizes: tuple[int, ...]) -> np.ndarray:
    if key not in mat:
        raise DataFormatError(f"{path}: missing field '{key}'")
    arr = np.asarray(mat[key], np.float64)
    if arr.size not in sizes:
        want = " or ".join(str(s) for s in sizes)
        raise DataFormatError(
            f"{path}: field '{key}' must have {want} values, got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise DataFormatError(f"{path}: field '{key}' has NaN or infinite values")
    return arr


def _load_mat(path: Path) -> dict:
    try:
        return sio.loadmat(path)
    except Exception as exc:  # scipy raises many types for a corrupt file
        raise DataFormatError(
            f"{path}: not a readable .mat file ({type(exc).__name__}: {exc})"
        ) from exc


def read_params(path: str | os.PathLike) -> FaceParams:
    """Read a 300W-LP / AFLW2000-3D ``.mat`` file.

    Raises
    ------
    DataFormatError
        Unreadable file, or a field missing or of the wrong size (the message names both).
    """
    path = Path(path)
    mat = _load_mat(path)
    pose = _field(mat, "Pose_Para", path, (7,)).reshape(-1)
    if pose[6] <= 0:
        raise DataFormatError(f"{path}: Pose_Para scale (7th value) must be > 0, got {pose[6]}")
    shape = _field(mat, "Shape_Para", path, (40, 199)).reshape(-1)
    exp = _field(mat, "Exp_Para", path, (10, 29)).reshape(-1)
    pt3d = _field(mat, "pt3d_68", path, (204,)).reshape(3, 68).T if "pt3d_68" in mat else None
    pt2d = np.asarray(mat["pt2d"], np.float64) if "pt2d" in mat else None
    return FaceParams(pose=pose, shape=shape, expression=exp, pt3d_68=pt3d, pt2d=pt2d)


def read_ground_truth(path: str | os.PathLike) -> tuple[np.ndarray, float | None]:
    """Only what the AFLW2000-3D protocol needs from a ``.mat``: ``pt3d_68`` and the yaw.

    For files whose fitted parameters :func:`read_params` refuses (one AFLW2000-3D file has a
    negative ``Pose_Para`` scale): the landmarks are still the benchmark's ground truth.

    Returns
    -------
    pt3d_68 : (68, 3) float64, image pixels
    yaw : float or None
        Degrees, from ``Pose_Para`` when it has 7 finite values.

    Raises
    ------
    DataFormatError
        Unreadable file, or ``pt3d_68`` missing / of the wrong size / not finite.
    """
    path = Path(path)
    mat = _load_mat(path)
    pt3d = _field(mat, "pt3d_68", path, (204,)).reshape(3, 68).T
    pose = np.asarray(mat.get("Pose_Para", []), np.float64).reshape(-1)
    yaw = float(np.degrees(pose[1])) if pose.size == 7 and np.isfinite(pose).all() else None
    return pt3d, yaw
