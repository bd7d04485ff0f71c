"""Models that ``lprnet eval`` can score: the fit reference, or a posmap network file.

A network maps a (n, n, 3) RGB crop in [0, 1] to ``posmap / (n * 1.1)`` (PRNet's convention).
Faces are cropped from the ground-truth landmarks with PRNet's 1.6 rule, as PRNet evaluates.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lprnet.data.samples import POSMAP_SCALE
from lprnet.errors import LprnetError
from lprnet.evaluation import EvalFace, Prediction, Predictor, fit_reference
from lprnet.geometry import crop
from lprnet.geometry import posmap as pm
from lprnet.geometry.bfm import FaceModel
from lprnet.geometry.uv import uv_layout

KERAS_SUFFIXES = (".keras", ".h5")


def keras_predictor(path: str | os.PathLike, model: FaceModel) -> Predictor:
    """Load a tf-keras posmap network (.keras / .h5) as a :data:`Predictor`."""
    import tf_keras

    from lprnet.tfenv import tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before tf_keras)

    path = Path(path)
    try:
        net = tf_keras.models.load_model(path, compile=False)
    except Exception as exc:
        raise LprnetError(
            f"{path}: cannot load as a Keras model ({type(exc).__name__}: {exc})"
        ) from exc
    shape = tuple(net.input_shape[1:])
    if (
        len(shape) != 3
        or shape[0] != shape[1]
        or shape[2] != 3
        or tuple(net.output_shape[1:]) != shape
    ):
        raise LprnetError(
            f"{path}: expected input and output (n, n, 3) (a posmap network), got "
            f"{net.input_shape} -> {net.output_shape}"
        )
    n = int(shape[0])
    layout = uv_layout(model, n)

    def predict(face: EvalFace) -> Prediction:
        center, size = crop.box_from_landmarks(face.gt_landmarks)
        matrix = crop.crop_matrix(center, size, n)
        x = crop.warp_image(face.image(), matrix, n).astype(np.float32)[None] / 255.0
        pos = net(x, training=False).numpy()[0] * (n * POSMAP_SCALE)
        pos = crop.from_crop(pos, matrix)
        return Prediction(pm.landmarks(pos, layout), pm.face_points(pos, layout), n)

    return predict


def load_predictor(name: str, model: FaceModel, resolution: int = 256) -> Predictor:
    """``bfm-fit`` (the fitted-3DMM reference) or a model file path."""
    if name == "bfm-fit":
        return fit_reference(model, resolution)
    path = Path(name)
    if not path.exists():
        raise LprnetError(f"--model {name}: no such file (or use 'bfm-fit')")
    if path.suffix in KERAS_SUFFIXES:
        return keras_predictor(path, model)
    raise LprnetError(
        f"--model {name}: unsupported model file type {path.suffix!r}; "
        f"supported: {', '.join(KERAS_SUFFIXES)} or 'bfm-fit'"
    )
