"""``lprnet data textures``: the texture bank and the background list, built from landmarked photos.

For every face with 68 landmarks (menpo / eos ``.pts``, ``.ljson``, dlib XML, 300W-LP and
AFLW2000-3D ``.mat``) under the given folders: fit the 3DMM, sample its UV texture
(:func:`lprnet.synth.texture.photo_texture`). Every photo also becomes a background source with
its face boxes marked as forbidden. Textures are BFM-derived data from third-party photos: keep
the bank in an ignored cache folder, never in the repository.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from lprnet.errors import LprnetError
from lprnet.fileio import write_json
from lprnet.synth.backgrounds import BackgroundBank
from lprnet.synth.texture import TEXTURE_SIZE, TextureBank

#: Faces whose landmark box is smaller than this (pixels) give too blurry a texture.
MIN_FACE_PX = 40
#: Faces seen on less than this fraction of the face mask are dropped.
MIN_COVERAGE = 0.3


def landmarked_faces(roots: Sequence[str | os.PathLike]):
    """Every landmarked face below ``roots`` (sorted, deterministic)."""
    from lprnet.data.landmarks import find_landmarked_faces

    faces = []
    for root in roots:
        if not Path(root).is_dir():
            raise LprnetError(f"photo folder {root} does not exist")
        faces.extend(find_landmarked_faces(root))
    if not faces:
        raise LprnetError(f"no faces with 68 landmarks found under {', '.join(map(str, roots))}")
    return faces


def contour_of(face) -> str:
    """AFLW2000-3D's ``pt3d_68`` are fixed model vertices (no silhouette update); every 2D
    annotation follows the jaw silhouette."""
    return "fixed" if face.source == "aflw2000-3d" else "silhouette"


def fit_face(face, model, image_height: int, data_dir: str | None = None):
    """Fit the 3DMM to a landmarked face (jaw correspondence: :func:`contour_of`)."""
    from lprnet.geometry.fitting import fit_landmarks

    return fit_landmarks(
        face.landmarks, model, image_height, contour=contour_of(face), root=data_dir
    )


def build_texture_bank(
    roots: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    data_dir: str | None = None,
    progress: bool = True,
) -> dict:
    """Fit every landmarked face, save its UV texture and the background list in ``out``."""
    from lprnet.data.samples import read_image_rgb
    from lprnet.geometry.bfm import load_face_model
    from lprnet.geometry.uv import uv_layout
    from lprnet.synth.texture import photo_texture

    model = load_face_model(data_dir)
    layout = uv_layout(model, TEXTURE_SIZE)
    faces = landmarked_faces(roots)
    bank, entries, kept = TextureBank(), [], []
    boxes: dict[str, list] = {}
    for face in tqdm(faces, desc="textures", unit="face", disable=not progress):
        lo, hi = face.landmarks.min(0), face.landmarks.max(0)
        boxes.setdefault(str(face.image_path), []).append([*lo, *hi])
        size = float(np.sqrt(np.prod(hi - lo)))
        if size < MIN_FACE_PX:
            entries.append({"name": face.name, "kept": False, "why": f"face {size:.0f} px"})
            continue
        image = read_image_rgb(face.image_path)
        params = fit_face(face, model, image.shape[0], data_dir)
        texture, coverage = photo_texture(image, params, model, layout)
        if coverage < MIN_COVERAGE:
            entries.append({"name": face.name, "kept": False, "why": f"coverage {coverage:.2f}"})
            continue
        bank.textures.append(texture)
        bank.names.append(face.name)
        kept.append(face.name)
        entries.append(
            {
                "name": face.name,
                "kept": True,
                "coverage": round(coverage, 3),
                "yaw": round(float(params.angles_degrees[1]), 1),
            }
        )
    if not bank.textures:
        raise LprnetError("no usable face for the texture bank (all too small or unseen)")
    bank.save(out, {"faces": entries})
    write_json(
        Path(out) / "backgrounds.json",
        {"photos": [{"image": k, "face_boxes": v} for k, v in sorted(boxes.items())]},
    )
    return {"textures": len(bank.textures), "faces": len(faces), "photos": len(boxes)}


def load_backgrounds(folder: str | os.PathLike, max_side: int = 640) -> BackgroundBank:
    """The background photos listed in ``backgrounds.json`` (downscaled to ``max_side``)."""
    import cv2

    from lprnet.data.samples import read_image_rgb

    bank = BackgroundBank()
    path = Path(folder) / "backgrounds.json"
    if not path.is_file():
        return bank
    for entry in json.loads(path.read_text())["photos"]:
        try:
            img = read_image_rgb(entry["image"])
        except LprnetError:
            continue  # a photo moved away since the bank was built: fewer backgrounds
        scale = min(1.0, max_side / max(img.shape[:2]))
        if scale < 1.0:
            img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        bank.add(img, np.asarray(entry["face_boxes"]) * scale)
    return bank
