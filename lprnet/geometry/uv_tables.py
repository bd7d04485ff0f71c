"""The UV tables inference needs, packaged with lprnet so it runs with no data directory.

Reading a posmap needs only the keypoint pixels, the face-mask pixels, the grid triangles and
the canonical face (for head pose). They are computed from BFM_UV.mat and the BFM triangles
(:class:`lprnet.geometry.uv.UVLayout`) and shipped as ``lprnet/resources/uv-<n>.npz`` (BFM-derived
data: non-commercial research use only, like PRNet's own ``uv_kpt_ind.txt`` / ``face_ind.txt``).
``lprnet uv-tables`` regenerates them; a test checks they equal the data directory's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from lprnet.errors import AssetNotFoundError, DataFormatError
from lprnet.fileio import atomic_open

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
SHIPPED = (32, 128, 256)


@dataclass(frozen=True)
class UVTables:
    """What :mod:`lprnet.geometry.posmap` reads from a layout, without the face model.

    Attributes
    ----------
    resolution : int
    keypoint_pixels : (2, 68) int64, rows x and y
    face_indices : (M,) int64, flat pixel indices of the face mask
    grid_triangles : (T, 3) int64, flat pixel indices
    canonical_points : (M, 3) float64, the mean face at the face pixels (frontal, y down)
    weight_mask : (n, n) float32, PRNet's 16 : 4 : 3 : 0 loss weights
    """

    resolution: int
    keypoint_pixels: np.ndarray
    face_indices: np.ndarray
    grid_triangles: np.ndarray
    canonical_points: np.ndarray
    weight_mask: np.ndarray

    @cached_property
    def face_mask(self) -> np.ndarray:
        mask = np.zeros(self.resolution**2, bool)
        mask[self.face_indices] = True
        return mask.reshape(self.resolution, self.resolution)


FIELDS = ("keypoint_pixels", "face_indices", "grid_triangles", "canonical_points", "weight_mask")


def tables_of(layout) -> UVTables:
    """The tables of a :class:`~lprnet.geometry.uv.UVLayout` (computed from the face model)."""
    return UVTables(layout.resolution, *(getattr(layout, f) for f in FIELDS))


def save_tables(tables: UVTables, path: str | os.PathLike) -> None:
    """Write tables as a compressed ``.npz`` (atomically)."""
    arrays = {
        "resolution": np.array(tables.resolution),
        "keypoint_pixels": tables.keypoint_pixels.astype(np.int16),
        "face_indices": tables.face_indices.astype(np.int32),
        "grid_triangles": tables.grid_triangles.astype(np.int32),
        "canonical_points": tables.canonical_points.astype(np.float32),
        "weight_mask": tables.weight_mask.astype(np.uint8),
    }
    with atomic_open(path, "wb") as f:
        np.savez_compressed(f, **arrays)


def read_tables(path: str | os.PathLike) -> UVTables:
    """Read tables written by :func:`save_tables`."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return UVTables(
                int(z["resolution"]),
                z["keypoint_pixels"].astype(np.int64),
                z["face_indices"].astype(np.int64),
                z["grid_triangles"].astype(np.int64),
                z["canonical_points"].astype(np.float64),
                z["weight_mask"].astype(np.float32),
            )
    except (OSError, KeyError, ValueError) as exc:
        raise DataFormatError(f"{path}: not a UV tables file ({exc})") from exc


def uv_tables(resolution: int, data_dir: str | None = None) -> UVTables:
    """The UV tables at ``resolution``: shipped ones when packaged, else from the data dir
    (``data_dir`` or ``$LPRNET_DATA``, resolved on every call; the tables of each resolved
    directory are computed once)."""
    shipped = RESOURCES / f"uv-{resolution}.npz"
    if shipped.is_file():
        return _shipped_tables(shipped)
    from lprnet.assets import data_dir as resolve_data_dir

    try:
        return _computed_tables(resolution, str(resolve_data_dir(data_dir)))
    except AssetNotFoundError as exc:
        raise AssetNotFoundError(
            f"no packaged UV tables for {resolution} px (shipped: {SHIPPED}) and no face model to "
            f"compute them: {exc}"
        ) from exc


@lru_cache(maxsize=8)
def _shipped_tables(path: Path) -> UVTables:
    return read_tables(path)


@lru_cache(maxsize=8)
def _computed_tables(resolution: int, root: str) -> UVTables:
    from lprnet.geometry.bfm import load_face_model
    from lprnet.geometry.uv import uv_layout

    return tables_of(uv_layout(load_face_model(root), resolution))


def export_shipped(data_dir: str | None = None, out: Path = RESOURCES) -> list[Path]:
    """Regenerate the packaged tables from the face model in the data directory."""
    from lprnet.geometry.bfm import load_face_model
    from lprnet.geometry.uv import uv_layout

    model = load_face_model(data_dir)
    paths = []
    for n in SHIPPED:
        path = out / f"uv-{n}.npz"
        save_tables(tables_of(uv_layout(model, n)), path)
        paths.append(path)
    return paths
