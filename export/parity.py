"""Parity: does an exported artifact compute what the Keras float model computes?

Every artifact runs through the runtime that will run it in production
(:func:`export.runtime.load_artifact`: LiteRT + XNNPACK, onnxruntime CPU, tf-keras; a TF.js
folder in TF.js itself in Node when available, else its graph re-run in TensorFlow) on real
face crops, next
to the Keras model on the same crops. Measured, with the posmap in crop pixels (network
output times ``n * 1.1``):

* ``max_px`` / ``mean_px``: the largest and the mean 3D distance between the two posmaps over
  the face-mask UV pixels (the pixels that landmarks and the mesh are read from), all images;
  ``max_px_all``: the largest over the whole map (background included), reported only.
* ``nme_vs_keras_pct``: mean 2D error of the artifact's 68 landmarks against Keras' own, in
  percent of the landmark box size (3DDFA's sqrt(w * h) of the ground-truth box when the crops
  come with ground truth, else of Keras' landmarks).
* with ground truth: ``nme_keras_pct``, ``nme_artifact_pct`` (each against the truth, mean over
  crops) and ``nme_delta_pct`` = artifact - Keras, the accuracy the export costs.

:func:`check` raises :class:`LprnetError` when any of ``max_px``, ``mean_px`` or
``nme_vs_keras_pct`` exceeds the format's threshold (:mod:`export.registry`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from export.runtime import load_artifact
from lprnet.errors import LprnetError
from lprnet.io_contract import POSMAP_SCALE

SOURCE_SIZE = 256  # the embedded set's crops


@dataclass
class ParityImages:
    """Crops to compare on.

    Attributes
    ----------
    images : (N, n, n, 3) float32
        RGB in [0, 1].
    landmarks : (N, 68, 2+) float or None
        Ground-truth landmarks in crop pixels at n.
    source : str
        Where they came from (for the report).
    """

    images: np.ndarray
    landmarks: np.ndarray | None
    source: str


def embedded_crops(n: int, count: int | None = None, split: str = "all") -> ParityImages:
    """The crops of one embedded-set split resized to n (``count`` evenly spaced ones, or all).

    Parity compares two runtimes on ``all``; int8 calibration takes ``calibration``, never the
    ``score`` split the benchmark reports (:data:`lprnet.data.embedded.SPLITS`). The ground-truth
    landmarks follow cv2's area resize: ``x_n = (x + 0.5) * n / 256 - 0.5``.
    """
    from lprnet.data.embedded import load_embedded_set

    s = load_embedded_set()
    pool = s.indices(split)
    total = len(pool)
    picks = pool
    if count is not None and count < total:
        picks = pool[np.unique(np.linspace(0, total - 1, max(count, 1)).round().astype(int))]
    import cv2

    images = []
    for i in picks:
        im = s.image(int(i))
        if n != SOURCE_SIZE:
            im = cv2.resize(im, (n, n), interpolation=cv2.INTER_AREA)
        images.append(im)
    lm = s.landmarks[picks].astype(np.float64).copy()
    lm[..., :2] = (lm[..., :2] + 0.5) * n / SOURCE_SIZE - 0.5
    lm[..., 2] *= n / SOURCE_SIZE
    return ParityImages(
        np.stack(images).astype(np.float32) / 255.0,
        lm,
        f"embedded set ({len(picks)} of {total} {'' if split == 'all' else split + ' '}crops"
        f" at {n} px)",
    )


def _nme_pct(pred: np.ndarray, ref: np.ndarray, box_from: np.ndarray) -> np.ndarray:
    """Per-image 2D NME (%) of (N, 68, 2+) landmark sets: :func:`lprnet.metrics.nme_2d`
    normalised by :func:`lprnet.metrics.bbox_size` of ``box_from`` -> (N,)."""
    from lprnet.metrics import bbox_size, nme_2d

    out = []
    for p, r, b in zip(pred, ref, box_from, strict=True):
        try:
            norm = bbox_size(b)
        except ValueError:  # a collapsed reference (an untrained network): a huge NME, no crash
            norm = 1e-6
        out.append(100.0 * nme_2d(p, r, norm))
    return np.asarray(out, np.float64)


def compare(
    reference: np.ndarray,
    output: np.ndarray,
    gt_landmarks: np.ndarray | None = None,
) -> dict:
    """Parity numbers of two batches of network outputs (module docstring).

    Parameters
    ----------
    reference, output : (N, n, n, 3) float
        Keras' and the artifact's outputs (normalised posmaps, ``posmap / (n * 1.1)``).
    gt_landmarks : (N, 68, 2+) float, optional
        Ground truth in crop pixels.

    Returns
    -------
    dict
        ``images, max_px, mean_px, max_px_all, nme_vs_keras_pct`` and, with ground truth,
        ``nme_keras_pct, nme_artifact_pct, nme_delta_pct`` (floats).
    """
    from lprnet.geometry.uv_tables import uv_tables

    ref = np.asarray(reference, np.float64)
    out = np.asarray(output, np.float64)
    if ref.shape != out.shape or ref.ndim != 4:
        raise ValueError(f"reference {ref.shape} and output {out.shape} must match (N, n, n, 3)")
    n = ref.shape[1]
    scale = n * POSMAP_SCALE
    tables = uv_tables(n)
    dist = np.linalg.norm(out - ref, axis=-1) * scale  # (N, n, n) crop pixels
    face = dist.reshape(len(dist), -1)[:, tables.face_indices]
    kx, ky = tables.keypoint_pixels
    lm_ref = ref[:, ky, kx, :] * scale
    lm_out = out[:, ky, kx, :] * scale
    gt = None if gt_landmarks is None else np.asarray(gt_landmarks, np.float64)
    box = gt if gt is not None else lm_ref
    result = {
        "images": len(ref),
        "max_px": float(face.max()) if face.size else 0.0,
        "mean_px": float(face.mean()) if face.size else 0.0,
        "max_px_all": float(dist.max()) if dist.size else 0.0,
        "nme_vs_keras_pct": float(_nme_pct(lm_out, lm_ref, box).mean()) if len(ref) else 0.0,
    }
    if gt is not None:
        keras_nme = float(_nme_pct(lm_ref, gt, box).mean())
        art_nme = float(_nme_pct(lm_out, gt, box).mean())
        result.update(
            nme_keras_pct=keras_nme, nme_artifact_pct=art_nme, nme_delta_pct=art_nme - keras_nme
        )
    return result


def reference_outputs(model, images: np.ndarray, batch: int = 32) -> np.ndarray:
    """The Keras model's outputs on ``images`` (N, n, n, 3) float in [0, 1]."""
    outs = [
        np.asarray(model(images[i : i + batch], training=False), np.float32)
        for i in range(0, len(images), batch)
    ]
    return np.concatenate(outs) if outs else np.zeros_like(images)


def measure(
    artifact: str | os.PathLike,
    reference: np.ndarray,
    crops: ParityImages,
    fmt: str,
    precision: str,
    tfjs_runtime: str = "auto",
) -> dict:
    """Run ``artifact`` on the crops and :func:`compare` with ``reference``; adds the threshold,
    ``passed``, ``runtime``, ``source`` and ``seconds`` (the artifact's wall time for all crops).
    """
    from export.registry import get_format
    from lprnet.quiet import quiet

    f = get_format(fmt)
    threshold = f.parity[precision]
    with quiet():
        model = load_artifact(artifact, tfjs_runtime=tfjs_runtime)
    start = time.perf_counter()
    output = model.predict(crops.images)
    seconds = time.perf_counter() - start
    result = {
        "format": fmt,
        "precision": precision,
        **compare(reference, output, crops.landmarks),
        "threshold": {
            "max_px": threshold.max_px,
            "mean_px": threshold.mean_px,
            "nme_pct": threshold.nme_pct,
        },
        "runtime": getattr(model, "runtime", f.runtime),
        "source": crops.source,
        "seconds": round(seconds, 3),
    }
    result["passed"] = not failures(result)
    return result


def failures(result: dict) -> list[str]:
    """The thresholds a :func:`measure` result exceeds, as readable strings."""
    t = result["threshold"]
    out = []
    for key, limit, unit in (
        ("max_px", t["max_px"], " px"),
        ("mean_px", t["mean_px"], " px"),
        ("nme_vs_keras_pct", t["nme_pct"], "%"),
    ):
        value = result[key]
        if not np.isfinite(value) or value > limit:
            out.append(f"{key} {value:.4g}{unit} > {limit:g}{unit}")
    return out


def check(result: dict, artifact: str | os.PathLike) -> None:
    """Raise LprnetError when a parity result is past its format's threshold."""
    bad = failures(result)
    if bad:
        raise LprnetError(
            f"{artifact}: parity check failed against Keras ({result['format']} "
            f"{result['precision']}, {result['images']} crops): {'; '.join(bad)}"
        )
