"""Synthetic occluders drawn over a face: textured ellipses, polygons and bars."""

from __future__ import annotations

import cv2
import numpy as np

from lprnet.synth.backgrounds import BackgroundBank, random_background


def occluder_mask(rng: np.random.Generator, size: int, face_box: np.ndarray) -> np.ndarray:
    """A random shape overlapping the face box, (size, size) float32 alpha in [0, 1].

    Parameters
    ----------
    face_box : (4,) array
        ``[left, top, right, bottom]`` of the face in pixels.
    """
    mask = np.zeros((size, size), np.uint8)
    left, top, right, bottom = face_box
    fw, fh = right - left, bottom - top
    cx, cy = rng.uniform(left, right), rng.uniform(top, bottom)
    kind = rng.integers(3)
    if kind == 0:  # ellipse
        axes = (int(rng.uniform(0.1, 0.35) * fw), int(rng.uniform(0.1, 0.35) * fh))
        cv2.ellipse(mask, (int(cx), int(cy)), axes, rng.uniform(0, 180), 0, 360, 255, -1)
    elif kind == 1:  # random polygon
        n = int(rng.integers(3, 8))
        ang = np.sort(rng.uniform(0, 2 * np.pi, n))
        rad = rng.uniform(0.08, 0.35, n) * max(fw, fh)
        pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1).astype(np.int32)
        cv2.fillPoly(mask, [pts], 255)
    else:  # a bar across the face (glasses, a strap, a finger)
        angle = rng.uniform(-np.pi / 3, np.pi / 3) + (np.pi / 2 if rng.random() < 0.3 else 0)
        half = 0.6 * max(fw, fh)
        d = np.array([np.cos(angle), np.sin(angle)]) * half
        thick = max(2, int(rng.uniform(0.05, 0.15) * fh))
        p0, p1 = (np.array([cx, cy]) - d).astype(int), (np.array([cx, cy]) + d).astype(int)
        cv2.line(mask, tuple(map(int, p0)), tuple(map(int, p1)), 255, thick)
    alpha = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), 0.8)
    return alpha


def add_occluder(
    rng: np.random.Generator,
    image: np.ndarray,
    face_box: np.ndarray,
    bank: BackgroundBank | None = None,
) -> np.ndarray:
    """Draw one random textured occluder over ``image`` (uint8 RGB); returns a new image."""
    size = image.shape[0]
    alpha = occluder_mask(rng, size, face_box)[..., None]
    texture = random_background(rng, size, bank).astype(np.float32)
    out = image.astype(np.float32) * (1 - alpha) + texture * alpha
    return np.clip(out, 0, 255).astype(np.uint8)
