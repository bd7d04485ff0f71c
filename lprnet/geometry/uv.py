"""PRNet's UV layout at any square resolution: keypoint pixels, masks, loss weights, grid mesh.

The layout comes from ``BFM_UV.mat`` through PRNet's ``process_uv``: vertex ``i`` sits at pixel
``x = u_i * (n - 1)``, ``y = (n - 1) - v_i * (n - 1)``. At n = 256 the rounded keypoint pixels
equal PRNet's ``uv_kpt_ind.txt`` exactly.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from lprnet.geometry.bfm import FaceModel
from lprnet.geometry.raster import rasterize_table
from lprnet.geometry.transform import FLIP_Y

#: PRNet's loss weights (paper, Sec. 3.3): landmarks : eyes/nose/mouth : other face : neck.
WEIGHT_RATIOS = {"landmarks": 16.0, "eyes_nose_mouth": 4.0, "face": 3.0, "neck": 0.0}


def uv_pixels(uv: np.ndarray, resolution: int) -> np.ndarray:
    """PRNet's ``process_uv``: UV coordinates in [0, 1] -> pixel coordinates.

    Parameters
    ----------
    uv : (N, 2) array in [0, 1]
    resolution : int
        Side of the square UV map, pixels.

    Returns
    -------
    (N, 2) float64
        ``(x, y)`` pixels, y down.
    """
    n1 = resolution - 1
    return np.stack([uv[:, 0] * n1, n1 - uv[:, 1] * n1], axis=1)


@dataclass
class UVLayout:
    """Everything fixed about the UV position map at one resolution.

    Build it with :func:`uv_layout`; properties are computed once on first use.
    """

    model: FaceModel = field(repr=False)
    resolution: int

    @cached_property
    def vertex_pixels(self) -> np.ndarray:
        """(N, 2) float64: UV pixel ``(x, y)`` of every model vertex."""
        return uv_pixels(self.model.uv, self.resolution)

    @cached_property
    def keypoint_pixels(self) -> np.ndarray:
        """(2, 68) int64: rows ``x`` and ``y`` of the 68 landmarks (PRNet's ``uv_kpt_ind``)."""
        return np.round(self.vertex_pixels[self.model.keypoints]).astype(np.int64).T

    @cached_property
    def _raster(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.resolution
        return rasterize_table(self.vertex_pixels, self.model.triangles, n, n)

    @cached_property
    def render_matrix(self) -> sp.csr_matrix:
        """(n*n, N) sparse: ``posmap.reshape(-1, 3) = render_matrix @ vertices``."""
        tri_index, weights = self._raster
        pix = np.flatnonzero(tri_index >= 0)
        cols = self.model.triangles[tri_index[pix]]
        n = self.resolution
        return sp.csr_matrix(
            (weights[pix].ravel(), (np.repeat(pix, 3), cols.ravel())),
            shape=(n * n, self.model.n_vertices),
        )

    def _region_mask(self, vertex_mask: np.ndarray) -> np.ndarray:
        n = self.resolution
        keep = vertex_mask[self.model.triangles].all(axis=1)
        tri_index, _ = rasterize_table(self.vertex_pixels, self.model.triangles[keep], n, n)
        return (tri_index >= 0).reshape(n, n)

    @cached_property
    def face_mask(self) -> np.ndarray:
        """(n, n) bool: the face without the neck (3DDFA_V2's vertex subset), 1-px border off.

        At 256 this overlaps PRNet's ``uv_face_mask.png`` at IoU ~0.92 (see docs/geometry.md).
        """
        keep = np.zeros(self.model.n_vertices, bool)
        keep[self.model.no_neck] = True
        mask = self._region_mask(keep)
        mask[[0, -1], :] = False
        mask[:, [0, -1]] = False
        return mask

    @cached_property
    def face_indices(self) -> np.ndarray:
        """(M,) int64: flat pixel indices of the face mask (PRNet's ``face_ind``)."""
        return np.flatnonzero(self.face_mask.ravel())

    @cached_property
    def canonical_points(self) -> np.ndarray:
        """(M, 3) float64: the mean face at the face pixels, frontal, y down, model units."""
        mean = self.model.mean.astype(np.float64).reshape(-1, 3) @ FLIP_Y
        return (self.render_matrix @ mean)[self.face_indices]

    @cached_property
    def weight_mask(self) -> np.ndarray:
        """(n, n) float32: PRNet's loss weights 16 : 4 : 3 : 0.

        16 on the 68 keypoint pixels, 4 on the BFM eye, nose and mouth segments, 3 on the rest
        of the face mask, 0 on the neck and outside the face.
        """
        w = np.zeros((self.resolution,) * 2, np.float32)
        w[self.face_mask] = WEIGHT_RATIOS["face"]
        enm = self._region_mask(self.model.segments[:3].any(axis=0)) & self.face_mask
        w[enm] = WEIGHT_RATIOS["eyes_nose_mouth"]
        kx, ky = self.keypoint_pixels
        w[ky, kx] = WEIGHT_RATIOS["landmarks"]
        return w

    @cached_property
    def grid_triangles(self) -> np.ndarray:
        """(T, 3) int64: mesh triangles over the posmap pixels (flat indices), two per 2x2 block.

        A triangle is kept when its three pixels lie in the face mask (PRNet's triangles.txt).
        """
        n = self.resolution
        mask = self.face_mask
        r, c = np.mgrid[0 : n - 1, 0 : n - 1]
        tl, tr, bl, br = r * n + c, r * n + c + 1, (r + 1) * n + c, (r + 1) * n + c + 1
        tris = np.concatenate(
            [np.stack([tl, bl, tr], -1).reshape(-1, 3), np.stack([tr, bl, br], -1).reshape(-1, 3)]
        )
        keep = mask.ravel()[tris].all(axis=1)
        return tris[keep]


_LAYOUTS: dict[tuple[int, int], tuple[weakref.ref, UVLayout]] = {}


def uv_layout(model: FaceModel, resolution: int) -> UVLayout:
    """The (cached) :class:`UVLayout` of ``model`` at ``resolution`` x ``resolution``.

    The cache holds a weak reference to each model it was built for: an entry whose model is
    gone (and whose ``id`` a new model may reuse) is rebuilt, never served to another model.
    """
    if resolution < 8:
        raise ValueError(f"resolution must be >= 8 pixels, got {resolution}")
    key = (id(model), resolution)
    hit = _LAYOUTS.get(key)
    if hit is None or hit[0]() is not model:
        hit = _LAYOUTS[key] = (weakref.ref(model), UVLayout(model, resolution))
    return hit[1]
