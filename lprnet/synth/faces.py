"""Synthetic training faces: a random 3DMM identity and expression, any pose up to profile,
a photo-derived texture with variation, random lighting, a z-buffered render over a face-free
background, occluders and camera degradations; the posmap comes from the rendered vertices.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lprnet.data.samples import Sample
from lprnet.geometry import crop
from lprnet.geometry import posmap as pm
from lprnet.geometry.bfm import FaceModel
from lprnet.geometry.fitting import ParamPrior
from lprnet.geometry.transform import pose_to_image
from lprnet.geometry.uv import UVLayout
from lprnet.render.zbuffer import composite
from lprnet.synth.backgrounds import BackgroundBank, random_background
from lprnet.synth.occluders import add_occluder
from lprnet.synth.texture import vary_albedo


@dataclass(frozen=True)
class SynthConfig:
    """Sampling ranges of the synthetic faces (angles in degrees)."""

    yaw_max: float = 90.0
    pitch_std: float = 12.0
    pitch_max: float = 40.0
    roll_std: float = 10.0
    roll_max: float = 35.0
    crop_scale_jitter: float = 0.08  # relative jitter of PRNet's 1.6x landmark box
    shift_jitter: float = 0.05  # fraction of the crop size
    identity_sigma: float = 0.9  # x the prior std of the shape coefficients
    expression_sigma: float = 0.9  # x the prior std of the expression coefficients
    max_z: float = 2.5  # coefficients are clipped to +- max_z prior stds
    p_occluder: float = 0.3
    p_blur: float = 0.3
    p_jpeg: float = 0.4
    min_render_size: int = 256  # smaller crops are rendered at this size and downsampled


def random_angles(rng: np.random.Generator, cfg: SynthConfig) -> np.ndarray:
    """[pitch, yaw, roll] in degrees: yaw uniform to +-yaw_max, pitch and roll clipped normals."""
    yaw = rng.uniform(-cfg.yaw_max, cfg.yaw_max)
    pitch = np.clip(rng.normal(0, cfg.pitch_std), -cfg.pitch_max, cfg.pitch_max)
    roll = np.clip(rng.normal(0, cfg.roll_std), -cfg.roll_max, cfg.roll_max)
    return np.array([pitch, yaw, roll])


def place_in_crop(
    vertices: np.ndarray,
    keypoints: np.ndarray,
    size: int,
    rng: np.random.Generator,
    cfg: SynthConfig,
) -> np.ndarray:
    """Scale and move image-frame vertices so the face fills a PRNet crop of ``size`` (+ jitter).

    Returns
    -------
    (N, 3) float64 vertices in crop pixels, z shifted so that its minimum is 0.
    """
    center, box = crop.box_from_landmarks(vertices[keypoints])
    box *= 1.0 + rng.uniform(-cfg.crop_scale_jitter, cfg.crop_scale_jitter)
    center = center + rng.uniform(-cfg.shift_jitter, cfg.shift_jitter, 2) * box
    out = crop.to_crop(vertices, crop.crop_matrix(center, box, size))
    out[:, 2] -= out[:, 2].min()
    return out


def degrade(rng: np.random.Generator, image: np.ndarray, cfg: SynthConfig) -> np.ndarray:
    """Camera effects: blur, sensor noise, JPEG artefacts (uint8 RGB in and out)."""
    img = image
    if rng.random() < cfg.p_blur:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.4))
    noisy = img.astype(np.float32) + rng.normal(0, rng.uniform(0, 5), img.shape)
    img = np.clip(noisy, 0, 255).astype(np.uint8)
    if rng.random() < cfg.p_jpeg:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(35, 95))])
        if ok:
            img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return img


def synth_sample(
    rng: np.random.Generator,
    model: FaceModel,
    layout: UVLayout,
    albedos: list[np.ndarray],
    prior: ParamPrior,
    backgrounds: BackgroundBank | None = None,
    cfg: SynthConfig | None = None,
    name: str = "",
) -> Sample:
    """One synthetic training sample at ``layout.resolution``.

    Parameters
    ----------
    rng : np.random.Generator
        The only source of randomness (same state -> same sample).
    albedos : list of (N, 3) float32
        Per-vertex colours of the texture bank (:func:`lprnet.synth.texture.vertex_albedo`).
    """
    from lprnet.render.shading import random_lighting, shade, vertex_normals
    from lprnet.render.zbuffer import render

    cfg = cfg or SynthConfig()
    n = layout.resolution
    z_shape = rng.normal(0, cfg.identity_sigma, prior.shape_std.size).clip(-cfg.max_z, cfg.max_z)
    z_exp = rng.normal(0, cfg.expression_sigma, prior.exp_std.size).clip(-cfg.max_z, cfg.max_z)
    shape = prior.shape_mean + z_shape * prior.shape_std
    exp = prior.exp_mean + z_exp * prior.exp_std
    angles = random_angles(rng, cfg)
    pose = np.array([*np.radians(angles), 0.0, 0.0, 0.0, 1.0])
    verts = place_in_crop(
        pose_to_image(model.vertices(shape, exp), pose, 0), model.keypoints, n, rng, cfg
    )
    k = int(rng.integers(len(albedos)))
    other = albedos[int(rng.integers(len(albedos)))] if len(albedos) > 1 else None
    albedo = vary_albedo(rng, albedos[k], other)
    normals = vertex_normals(verts, model.triangles)
    colors = shade(albedo, normals, random_lighting(rng))
    r = max(n, cfg.min_render_size)
    scale = r / n
    big = verts * np.array([scale, scale, scale])
    face, mask, _ = render(big, model.triangles, colors, r, r)
    background = random_background(rng, r, backgrounds).astype(np.float32) / 255.0
    image = np.clip(composite(face, mask, background, feather_px=1.0) * 255, 0, 255)
    image = image.astype(np.uint8)
    if r != n:
        image = cv2.resize(image, (n, n), interpolation=cv2.INTER_AREA)
    pos = pm.render_posmap(verts, layout)
    landmarks = pm.landmarks(pos, layout)
    if rng.random() < cfg.p_occluder:
        lo, hi = landmarks[:, :2].min(0), landmarks[:, :2].max(0)
        image = add_occluder(rng, image, np.concatenate([lo, hi]), backgrounds)
    image = degrade(rng, image, cfg)
    return Sample(
        image=image,
        posmap=pos,
        landmarks=landmarks.astype(np.float32),
        crop_matrix=np.eye(3),
        z_offset=0.0,
        pose=angles.astype(np.float32),
        name=name,
    )
