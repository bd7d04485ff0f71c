"""Random backgrounds: crops of natural photos that contain no face, noise and gradients."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np


@dataclass
class BackgroundBank:
    """Photos with the face boxes to avoid, sampled into face-free crops.

    Attributes
    ----------
    images : list of (H, W, 3) uint8 RGB
    forbidden : list of (K, 4) float arrays
        Per image, boxes ``[left, top, right, bottom]`` (pixels) that a crop must not overlap.
    """

    images: list[np.ndarray] = field(default_factory=list)
    forbidden: list[np.ndarray] = field(default_factory=list)

    def add(self, image: np.ndarray, face_boxes: np.ndarray, margin: float = 0.6) -> None:
        """Add a photo; its face boxes are grown by ``margin`` x their size on every side."""
        boxes = np.asarray(face_boxes, np.float64).reshape(-1, 4)
        wh = boxes[:, 2:] - boxes[:, :2]
        grown = np.hstack([boxes[:, :2] - margin * wh, boxes[:, 2:] + margin * wh])
        self.images.append(image)
        self.forbidden.append(grown)

    def crop(self, rng: np.random.Generator, size: int, tries: int = 20) -> np.ndarray | None:
        """A random face-free square crop resized to ``size``, or None if none was found."""
        if not self.images:
            return None
        for _ in range(tries):
            k = int(rng.integers(len(self.images)))
            img, boxes = self.images[k], self.forbidden[k]
            h, w = img.shape[:2]
            side = int(rng.uniform(0.15, 0.6) * min(h, w))
            if side < 16:
                continue
            x0 = int(rng.integers(0, w - side + 1))
            y0 = int(rng.integers(0, h - side + 1))
            box = np.array([x0, y0, x0 + side, y0 + side])
            overlap = (
                (boxes[:, 0] < box[2])
                & (boxes[:, 2] > box[0])
                & (boxes[:, 1] < box[3])
                & (boxes[:, 3] > box[1])
            )
            if overlap.any():
                continue
            out = cv2.resize(
                img[y0 : y0 + side, x0 : x0 + side],
                (size, size),
                interpolation=cv2.INTER_AREA if side > size else cv2.INTER_LINEAR,
            )
            if rng.random() < 0.5:
                out = out[:, ::-1]
            return np.ascontiguousarray(out)
        return None


def smooth_noise(rng: np.random.Generator, size: int, channels: int = 3) -> np.ndarray:
    """Multi-octave value noise, (size, size, channels) float32 in [0, 1]."""
    out = np.zeros((size, size, channels), np.float32)
    amp_total = 0.0
    for octave in range(int(rng.integers(2, 6))):
        cells = 2 ** (octave + 1)
        grid = rng.random((cells, cells, channels)).astype(np.float32)
        layer = cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC)
        amp = 0.5**octave
        out += amp * layer.reshape(size, size, channels)
        amp_total += amp
    return np.clip(out / amp_total, 0.0, 1.0)


def gradient(rng: np.random.Generator, size: int) -> np.ndarray:
    """A linear two-colour gradient at a random angle, (size, size, 3) float32 in [0, 1]."""
    c0, c1 = rng.random(3), rng.random(3)
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    t = (np.cos(angle) * (xx - 0.5) + np.sin(angle) * (yy - 0.5)) + 0.5
    t = np.clip(t, 0, 1)[..., None]
    return ((1 - t) * c0 + t * c1).astype(np.float32)


def random_background(
    rng: np.random.Generator, size: int, bank: BackgroundBank | None = None, p_photo: float = 0.6
) -> np.ndarray:
    """A (size, size, 3) uint8 RGB background: a face-free photo crop, noise or a gradient."""
    u = rng.random()
    if bank is not None and u < p_photo:
        crop = bank.crop(rng, size)
        if crop is not None:
            return crop
    if rng.random() < 0.5:
        img = smooth_noise(rng, size)
        img = img * rng.uniform(0.3, 1.0) + rng.uniform(0, 0.5) * rng.random(3)
    else:
        img = gradient(rng, size) + rng.normal(0, 0.03, (size, size, 3))
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)
