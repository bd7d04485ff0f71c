"""UV texture bank from real photos: fit the 3DMM to a face's 68 landmarks, sample the photo's
colours into the UV map where the face is visible, fill the self-occluded side by the layout's
left-right symmetry (u -> 1 - u), and inpaint what is left.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from lprnet.data.annotations import FaceParams
from lprnet.errors import DataFormatError
from lprnet.fileio import atomic_open, write_json
from lprnet.geometry import posmap as pm
from lprnet.geometry.bfm import FaceModel
from lprnet.geometry.transform import pose_to_image
from lprnet.geometry.uv import UVLayout

#: Resolution of the stored UV textures.
TEXTURE_SIZE = 256


def photo_texture(
    image: np.ndarray, params: FaceParams, model: FaceModel, layout: UVLayout
) -> tuple[np.ndarray, float]:
    """The UV texture of the face in ``image`` described by ``params``.

    Parameters
    ----------
    image : (H, W, 3) uint8 RGB
    params : FaceParams
        The fitted 3DMM (300W-LP convention) of the face.
    layout : UVLayout
        Texture resolution.

    Returns
    -------
    texture : (n, n, 3) uint8 RGB
        Colours at every UV pixel; self-occluded parts mirrored, the rest inpainted.
    coverage : float
        Fraction of the face-mask pixels seen directly in the photo (before symmetry fill).
    """
    from lprnet.render.shading import vertex_normals
    from lprnet.render.zbuffer import visible_vertices

    h, w = image.shape[:2]
    verts = pose_to_image(model.vertices(params.shape, params.expression), params.pose, h)
    visible = visible_vertices(verts, model.triangles, h, w)
    facing = np.clip(vertex_normals(verts, model.triangles)[:, 2], 0.0, 1.0)
    vertex_weight = visible * facing**2
    n = layout.resolution
    pos = pm.render_posmap(verts, layout)
    colors = pm.sample_bilinear(image, pos.reshape(-1, 3)[:, :2]).reshape(n, n, 3)
    weight = (layout.render_matrix @ vertex_weight).reshape(n, n)
    flip_w, flip_c = weight[:, ::-1], colors[:, ::-1]
    use_flip = flip_w > 1.5 * weight + 0.02
    texture = np.where(use_flip[..., None], flip_c, colors)
    best = np.maximum(weight, flip_w)
    covered = (layout.render_matrix.getnnz(axis=1) > 0).reshape(n, n)
    hole = ((best < 0.05) & covered) | ~covered
    tex8 = np.clip(texture, 0, 255).astype(np.uint8)
    tex8 = cv2.inpaint(tex8, hole.astype(np.uint8), 5, cv2.INPAINT_TELEA)
    coverage = float((weight[layout.face_mask] > 0.05).mean())
    return tex8, coverage


@dataclass
class TextureBank:
    """UV textures (n, n, 3) uint8 RGB and their names, saved as PNG files + ``bank.json``."""

    textures: list[np.ndarray] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def save(self, folder: str | os.PathLike, meta: dict | None = None) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        files = []
        for i, (tex, name) in enumerate(zip(self.textures, self.names, strict=True)):
            file = f"{i:04d}.png"
            ok, buf = cv2.imencode(".png", np.ascontiguousarray(tex[..., ::-1]))
            if not ok:
                raise DataFormatError(f"cannot encode texture {name}")
            with atomic_open(folder / file, "wb") as f:
                f.write(buf.tobytes())
            files.append({"file": file, "name": name})
        write_json(folder / "bank.json", {"textures": files, **(meta or {})})

    @classmethod
    def load(cls, folder: str | os.PathLike) -> TextureBank:
        folder = Path(folder)
        index = folder / "bank.json"
        if not index.is_file():
            raise DataFormatError(f"{folder}: no bank.json (build it with `lprnet data textures`)")
        import json

        bank = cls()
        for entry in json.loads(index.read_text())["textures"]:
            img = cv2.imread(str(folder / entry["file"]), cv2.IMREAD_COLOR)
            if img is None:
                raise DataFormatError(f"{folder / entry['file']}: unreadable texture")
            bank.textures.append(img[..., ::-1].copy())
            bank.names.append(entry["name"])
        if not bank.textures:
            raise DataFormatError(f"{index}: the texture bank is empty")
        return bank


def vary_albedo(
    rng: np.random.Generator, colors: np.ndarray, other: np.ndarray | None = None
) -> np.ndarray:
    """Random appearance variation of per-vertex colours (tone, tint, blend, noise).

    Parameters
    ----------
    colors : (N, 3) float32 RGB in [0, 1]
    other : (N, 3) float32, optional
        A second identity's colours, blended in with a random weight up to 0.5.

    Returns
    -------
    (N, 3) float32 in [0, 1]
    """
    c = colors.astype(np.float32)
    if other is not None and rng.random() < 0.5:
        c = (1 - (t := rng.uniform(0.1, 0.5))) * c + t * other
    lab = cv2.cvtColor(c.reshape(-1, 1, 3), cv2.COLOR_RGB2LAB).reshape(-1, 3)
    lab[:, 0] = np.clip(lab[:, 0] * rng.uniform(0.75, 1.25), 0, 100)
    lab[:, 1] += rng.normal(0, 4)
    lab[:, 2] += rng.normal(0, 6)
    c = cv2.cvtColor(lab.reshape(-1, 1, 3), cv2.COLOR_LAB2RGB).reshape(-1, 3)
    c = c * rng.uniform(0.9, 1.1, 3) + rng.normal(0, rng.uniform(0, 0.02), c.shape)
    return np.clip(c, 0, 1).astype(np.float32)


def vertex_albedo(texture: np.ndarray, layout: UVLayout) -> np.ndarray:
    """Per-vertex colours (N, 3) float32 in [0, 1] sampled from a UV texture (bilinear)."""
    if texture.shape[:2] != (layout.resolution, layout.resolution):
        raise ValueError(
            f"texture: expected ({layout.resolution}, {layout.resolution}, 3), "
            f"got {texture.shape}"
        )
    return (pm.sample_bilinear(texture, layout.vertex_pixels) / 255.0).astype(np.float32)
