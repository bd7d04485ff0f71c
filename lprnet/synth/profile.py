"""``lprnet data profile``: 3DDFA's face profiling (Zhu et al., CVPR 2016) of real photos.

For a face with 68 landmarks: fit the 3DMM, then for each new yaw rotate the fitted face about
its centre and re-render it. Surface seen in the photo is remapped from the photo at full
resolution; surface the rotation reveals comes from the face's symmetric UV texture. The
background moves along: a displacement field equal to the face's own motion at the face,
decaying with distance, warps the photo behind the new face. Every view gets its ground-truth
posmap from the rotated vertices, cropped as PRNet crops.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from scipy.spatial import cKDTree
from tqdm import tqdm

from lprnet.data import shards
from lprnet.data.annotations import FaceParams
from lprnet.data.build import check_size, write_shards
from lprnet.data.samples import Sample
from lprnet.geometry import crop
from lprnet.geometry import posmap as pm
from lprnet.geometry.bfm import FaceModel
from lprnet.geometry.transform import pose_to_image
from lprnet.geometry.uv import UVLayout
from lprnet.render.zbuffer import composite

#: Absolute yaws (degrees) a face is profiled to, on both sides.
DEFAULT_YAWS = (0, 15, 30, 45, 60, 75, 90)
#: Largest rotation applied to one face (degrees): 300W-LP turns frontal faces to +-90.
MAX_ROTATION = 90.0
#: Smallest change of yaw worth a new view (degrees).
MIN_ROTATION = 10.0
#: Largest change of pitch applied to one face (degrees).
MAX_PITCH_CHANGE = 45.0


def target_yaws(yaw: float, yaws: Sequence[float] = DEFAULT_YAWS) -> list[float]:
    """The new yaws (degrees) for a face at ``yaw``: the original first, then +-each of ``yaws``
    that is at least MIN_ROTATION and at most MAX_ROTATION away."""
    out = [float(yaw)]
    for t in sorted({s * float(a) for a in yaws for s in (1, -1)}):
        if MIN_ROTATION <= abs(t - yaw) <= MAX_ROTATION:
            out.append(t)
    return out


def target_pitches(
    pitch: float, n_views: int, pitches: Sequence[float], offset: int = 0
) -> list[float | None]:
    """The pitch (degrees) of each of a face's ``n_views`` views: none (the photo's own) when
    ``pitches`` is empty, else ``pitches`` in turn from ``offset`` (the face's index, so that
    faces start at different pitches), each clamped to MAX_PITCH_CHANGE from the photo's own
    and rounded to 0.1 degree (as the yaws are).
    300W-LP turns faces in yaw only; real test photos (AFLW2000-3D) also look up and down."""
    if not pitches:
        return [None] * n_views
    out: list[float | None] = []
    for k in range(n_views):
        t = float(pitches[(offset + k) % len(pitches)])
        out.append(round(float(np.clip(t, pitch - MAX_PITCH_CHANGE, pitch + MAX_PITCH_CHANGE)), 1))
    return out


def _displacement(points: np.ndarray, centers: np.ndarray, moves: np.ndarray, falloff: float):
    """Background motion at ``points`` (K, 2): inverse-distance average of the 16 nearest face
    motions, fading with the distance to the face (Gaussian of width ``falloff`` pixels)."""
    tree = cKDTree(centers)
    dist, idx = tree.query(points, k=16)
    w = 1.0 / np.maximum(dist, 1e-3) ** 2
    d = (moves[idx] * w[..., None]).sum(1) / w.sum(1, keepdims=True)
    return d * np.exp(-(dist[:, 0] ** 2) / (2 * falloff**2))[:, None]


def remove_face(image: np.ndarray, points: np.ndarray, work_px: int = 128) -> np.ndarray:
    """The photo with the face region (convex hull of ``points``, (K, 2) px) inpainted.

    Inpainting runs on a ``work_px`` downscale of the region around the face, then is pasted back
    inside the hull only, so the rest of the photo keeps its resolution.
    """
    h, w = image.shape[:2]
    hull = cv2.convexHull(points[:, :2].astype(np.float32)).reshape(-1, 2)
    lo, hi = hull.min(0), hull.max(0)
    pad = 0.4 * (hi - lo)
    x0, y0 = np.maximum(np.floor(lo - pad).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(hi + pad).astype(int), [w, h])
    if x1 - x0 < 4 or y1 - y0 < 4:
        return image
    region = image[y0:y1, x0:x1]
    mask = np.zeros(region.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, np.round(hull - [x0, y0]).astype(np.int32), 255)
    scale = work_px / max(region.shape[:2])
    small = cv2.resize(region, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    small_mask = cv2.resize(mask, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_NEAREST)
    small_mask = cv2.dilate(small_mask, np.ones((5, 5), np.uint8))
    filled = cv2.inpaint(small, small_mask, 7, cv2.INPAINT_TELEA)
    filled = cv2.resize(filled, (region.shape[1], region.shape[0]), interpolation=cv2.INTER_LINEAR)
    alpha = cv2.GaussianBlur(
        cv2.dilate(mask, np.ones((5, 5), np.uint8)).astype(np.float32) / 255, (0, 0), 2.0
    )[..., None]
    out = image.copy()
    out[y0:y1, x0:x1] = (filled * alpha + region * (1 - alpha)).astype(np.uint8)
    return out


def profile_view(
    image: np.ndarray,
    params: FaceParams,
    new_yaw: float,
    model: FaceModel,
    layout: UVLayout,
    texture_rgb: np.ndarray,
    name: str = "",
    render_size: int = 256,
    new_pitch: float | None = None,
) -> Sample:
    """The face of ``image`` (fitted by ``params``) turned to ``new_yaw`` degrees (and
    ``new_pitch`` degrees when given; else its own pitch), as a sample.

    Parameters
    ----------
    image : (H, W, 3) uint8 RGB
    texture_rgb : (N, 3) float32 in [0, 1]
        Per-vertex colours from the face's symmetric UV texture (for revealed surface).
    layout : UVLayout
        Its resolution is the output crop size.
    """
    from lprnet.render.shading import vertex_normals
    from lprnet.render.zbuffer import render, visible_vertices

    h, w = image.shape[:2]
    n = layout.resolution
    model_verts = model.vertices(params.shape, params.expression)
    v0 = pose_to_image(model_verts, params.pose, h)
    pose1 = params.pose.copy()
    pose1[1] = np.radians(new_yaw)
    if new_pitch is not None:
        pose1[0] = np.radians(new_pitch)
    v1 = pose_to_image(model_verts, pose1, h)
    v1 += v0.mean(0) - v1.mean(0)  # turn about the head's centre
    center, size = crop.box_from_landmarks(v1[model.keypoints])
    r = max(n, render_size)
    m_render = crop.crop_matrix(center, size, r)
    v1r = crop.to_crop(v1, m_render)
    # photo pixels are used where the original surface faced the camera squarely enough;
    # grazing ones would be stretched when turned, so the symmetric texture takes over there
    facing = vertex_normals(v0, model.triangles)[:, 2]
    seen = visible_vertices(v0, model.triangles, h, w) * np.clip((facing - 0.25) / 0.3, 0, 1)
    attrs = np.hstack([v0[:, :2], seen[:, None], texture_rgb]).astype(np.float32)
    face, mask, _ = render(v1r, model.triangles, attrs, r, r)
    # the photo behind: crop pixels -> image points -> minus the background motion
    step = max(r // 32, 1)
    gy, gx = np.mgrid[0:r:step, 0:r:step]
    inv = np.linalg.inv(m_render)
    grid = np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float64) @ inv[:2, :2].T + inv[:2, 2]
    sub = np.arange(0, len(v1), 7)
    d = _displacement(grid, v1[sub, :2], v1[sub, :2] - v0[sub, :2], falloff=0.35 * size)
    src = (grid - d).reshape((*gy.shape, 2)).astype(np.float32)
    src = cv2.resize(src, (r, r), interpolation=cv2.INTER_LINEAR)
    behind = remove_face(image, v0[model.no_neck])
    background = cv2.remap(
        behind, src[..., 0], src[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )
    photo = cv2.remap(
        image, face[..., 0], face[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    ).astype(np.float32)
    seen_w = face[..., 2:3]  # soft switch photo <-> texture
    surface = photo * seen_w + face[..., 3:6] * 255.0 * (1 - seen_w)
    out = np.clip(composite(surface, mask, background, feather_px=1.0), 0, 255).astype(np.uint8)
    if r != n:
        out = cv2.resize(out, (n, n), interpolation=cv2.INTER_AREA)
    matrix = crop.crop_matrix(center, size, n)
    verts = crop.to_crop(v1, matrix)
    z_offset = float(verts[:, 2].min())
    verts[:, 2] -= z_offset
    pos = pm.render_posmap(verts, layout)
    angles = np.degrees(pose1[:3]).astype(np.float32)
    return Sample(
        out, pos, pm.landmarks(pos, layout).astype(np.float32), matrix, z_offset, angles, name
    )


@dataclass(frozen=True)
class ProfileJob:
    roots: tuple[str, ...]
    size: int
    data_dir: str | None
    source: str = "photos"  # "photos" (any landmark files) or "300w" (its subset layout)
    subsets: tuple[str, ...] | None = None


@lru_cache(maxsize=2)
def _faces(roots: tuple[str, ...], source: str = "photos", subsets: tuple[str, ...] | None = None):
    from lprnet.synth.bank import MIN_FACE_PX, landmarked_faces

    if source == "300w":
        from lprnet.data.w300 import find_300w

        faces = [f for r in roots for f in find_300w(r, subsets)]
    else:
        faces = landmarked_faces(roots)
    return [f for f in faces if np.sqrt(np.prod(np.ptp(f.landmarks, 0))) >= MIN_FACE_PX]


def _face_image(face, flip: bool):
    """(image, face) of a landmarked face, both mirrored when ``flip`` (300W-LP's ``_Flip``)."""
    from lprnet.data.landmarks import LandmarkedFace
    from lprnet.data.samples import read_image_rgb
    from lprnet.data.w300 import flip_landmarks

    image = read_image_rgb(face.image_path)
    if not flip:
        return image, face
    image = np.ascontiguousarray(image[:, ::-1])
    pts = flip_landmarks(face.landmarks, image.shape[1])
    return image, LandmarkedFace(face.image_path, pts, face.name + "_Flip", face.source)


@lru_cache(maxsize=4)
def _fitted(job: ProfileJob, index: int, flip: bool = False):
    """(face, image, params, per-vertex texture colours) of face ``index``: cached per worker."""
    from lprnet.geometry.bfm import load_face_model
    from lprnet.geometry.uv import uv_layout
    from lprnet.synth.bank import fit_face
    from lprnet.synth.texture import TEXTURE_SIZE, photo_texture, vertex_albedo

    image, face = _face_image(_faces(job.roots, job.source, job.subsets)[index], flip)
    model = load_face_model(job.data_dir)
    params = fit_face(face, model, image.shape[0], job.data_dir)
    tex_layout = uv_layout(model, TEXTURE_SIZE)
    texture, _ = photo_texture(image, params, model, tex_layout)
    return face, image, params, vertex_albedo(texture, tex_layout)


#: ``flip`` option -> which of (original, mirrored) each face is profiled as.
FLIP_MODES = {"off": (False,), "also": (False, True), "only": (True,)}
#: The ``source`` feature of the views of each input kind.
_SHARD_SOURCE = {"photos": "profile", "300w": "300w"}


def _view_name(face_name: str, yaw: float, pitch: float | None = None) -> str:
    return f"{face_name}@yaw{yaw:+.0f}" + ("" if pitch is None else f"@pitch{pitch:+.0f}")


def _encode_view(
    item: tuple[int, float, float | None, bool], job: ProfileJob
) -> tuple[str, dict[str, Any] | None, str]:
    from lprnet.geometry.bfm import load_face_model
    from lprnet.geometry.uv import uv_layout

    index, yaw, pitch, flip = item
    name = _view_name(f"face{index:04d}{'_Flip' if flip else ''}", yaw, pitch)
    try:
        face, image, params, colors = _fitted(job, index, flip)
        name = _view_name(face.name, yaw, pitch)
        model = load_face_model(job.data_dir)
        layout = uv_layout(model, job.size)
        sample = profile_view(image, params, yaw, model, layout, colors, name, new_pitch=pitch)
        return name, shards.encode_sample(sample, _SHARD_SOURCE[job.source]), ""
    except Exception as exc:  # listed in index.json, never fatal
        return name, None, f"{type(exc).__name__}: {exc}"


def fit_nme(face, params: FaceParams, model: FaceModel, image_height: int, data_dir=None) -> float:
    """Fit quality of one face: mean 2D distance between the fitted model's landmarks (jaw on
    the silhouette, as annotated) and the annotation, over sqrt(w * h) of the annotation box."""
    from lprnet.geometry.fitting import get_fitter
    from lprnet.synth.bank import contour_of

    fitted = get_fitter(model, data_dir).landmarks(params, image_height, contour_of(face))
    gt = np.asarray(face.landmarks, np.float64)[:, :2]
    norm = float(np.sqrt(np.prod(np.ptp(gt, 0))))
    return float(np.linalg.norm(fitted - gt, axis=1).mean() / norm)


def _plan(job: ProfileJob, yaws: Sequence[float], flip: str, pitches: Sequence[float] = ()):
    """Every view to render, ``(face index, yaw, pitch or None, flip)``, and the fit report of
    every face."""
    from lprnet.geometry.bfm import load_face_model
    from lprnet.synth.bank import fit_face

    faces = _faces(job.roots, job.source, job.subsets)
    model = load_face_model(job.data_dir)
    items: list[tuple[int, float, float | None, bool]] = []
    keys: list[str] = []
    fits: list[dict[str, Any]] = []
    for i, face in enumerate(tqdm(faces, desc="fit", unit="face", leave=False)):
        for mirrored in FLIP_MODES[flip]:
            try:  # the fitted yaw decides the new yaws (fast: ~ms a face)
                image, f = _face_image(face, mirrored)
                params = fit_face(f, model, image.shape[0], job.data_dir)
            except Exception as exc:  # unreadable image: listed, not fatal
                why = f"{type(exc).__name__}: {exc}"
                fits.append({"name": face.name, "flip": mirrored, "error": why})
                continue
            fits.append(
                {
                    "name": f.name,
                    "flip": mirrored,
                    "yaw": round(float(params.angles_degrees[1]), 2),
                    "fit_nme": fit_nme(f, params, model, image.shape[0], job.data_dir),
                }
            )
            pitch, yaw = (float(a) for a in params.angles_degrees[:2])
            views = target_yaws(yaw, yaws)
            for t, p in zip(views, target_pitches(pitch, len(views), pitches, i), strict=True):
                items.append((i, round(t, 1), p, mirrored))
                keys.append(_view_name(f.name, round(t, 1), p))
    return items, keys, fits


def fit_report(fits: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Fit NME (percent) per 300W subset (mirrored faces apart): count, mean, median, p90."""
    from lprnet.data.w300 import subset_of

    groups: dict[str, list[float]] = {}
    for f in fits:
        if "fit_nme" in f:
            key = (subset_of(f["name"]) or "all") + (" (mirrored)" if f["flip"] else "")
            groups.setdefault(key, []).append(f["fit_nme"])
    return {
        k: {
            "faces": len(v),
            "mean": round(100 * float(np.mean(v)), 3),
            "median": round(100 * float(np.median(v)), 3),
            "p90": round(100 * float(np.percentile(v, 90)), 3),
        }
        for k, v in groups.items()
    }


def profile_shards(
    roots: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    size: int = 256,
    yaws: Sequence[float] = DEFAULT_YAWS,
    data_dir: str | None = None,
    workers: int | None = None,
    shard_size: int = 500,
    progress: bool = True,
    source: str = "photos",
    subsets: Sequence[str] | None = None,
    flip: str = "off",
    pitches: Sequence[float] = (),
) -> dict[str, Any]:
    """Profile every landmarked face under ``roots`` to ``yaws`` and write the views as shards.

        ``pitches`` (degrees) also turns each view up or down: the face's views take them in
        turn (:func:`target_pitches`); empty keeps every view at the photo's own pitch.

        ``source="300w"`` reads ``roots`` as 300W downloads (:func:`lprnet.data.w300.find_300w`,
        only ``subsets`` when given); ``flip="also"`` adds every face mirrored (300W-LP's ``_Flip``
    folders), ``"only"`` writes just the mirrored faces. The
        fit quality of every face goes to ``fit.json`` beside the shards.
    """
    from lprnet.fileio import write_json

    check_size(size)
    if source not in ("photos", "300w"):
        raise ValueError(f"source must be 'photos' or '300w', got {source!r}")
    key = tuple(str(os.path.abspath(r)) for r in roots)
    job = ProfileJob(key, size, data_dir, source, tuple(subsets) if subsets else None)
    if flip not in FLIP_MODES:
        raise ValueError(f"flip must be one of {sorted(FLIP_MODES)}, got {flip!r}")
    items, keys, fits = _plan(job, yaws, flip, pitches)
    Path(out).mkdir(parents=True, exist_ok=True)
    write_json(Path(out) / "fit.json", {"by_subset": fit_report(fits), "faces": fits})
    header = {"source": "profile", "size": size, "yaws": list(map(float, yaws))}
    if pitches:
        header["pitches"] = list(map(float, pitches))
    if source == "300w":
        header.update(input="300w", subsets=list(job.subsets or []), flip=flip)
    return write_shards(
        items,
        keys,
        partial(_encode_view, job=job),
        out,
        header=header,
        shard_size=shard_size,
        workers=workers,
        progress=progress,
    )
