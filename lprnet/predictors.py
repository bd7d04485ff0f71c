"""Models that ``lprnet eval`` can score: the fit reference, or a posmap network file.

A network maps a (n, n, 3) RGB crop in [0, 1] to ``posmap / (n * 1.1)`` (PRNet's convention).
Faces are cropped from the ground-truth landmarks with PRNet's 1.6 rule, as PRNet evaluates.
"""

from __future__ import annotations

import numpy as np

from lprnet.errors import LprnetError
from lprnet.evaluation import EvalFace, Prediction, Predictor, fit_reference
from lprnet.geometry import crop
from lprnet.geometry import posmap as pm
from lprnet.geometry.bfm import FaceModel
from lprnet.geometry.uv_tables import uv_tables
from lprnet.io_contract import POSMAP_SCALE


def network_predictor(net, data_dir: str | None = None) -> Predictor:
    """A posmap network as a :data:`Predictor`.

    ``net`` is a tf_keras model (called on a (1, n, n, 3) batch) or anything with
    ``resolution`` and ``predict(batch)`` (:mod:`lprnet.inference.backends`).
    """
    if hasattr(net, "predict") and hasattr(net, "resolution"):
        n, run = int(net.resolution), net.predict
    else:
        n = int(net.input_shape[1])

        def run(batch):
            return np.asarray(net(batch, training=False))

    tables = uv_tables(n, data_dir)

    def predict(face: EvalFace) -> Prediction:
        center, size = crop.box_from_landmarks(face.gt_landmarks)
        matrix = crop.crop_matrix(center, size, n)
        x = crop.warp_image(face.image(), matrix, n).astype(np.float32)[None] / 255.0
        pos = run(x)[0] * (n * POSMAP_SCALE)
        pos = crop.from_crop(pos, matrix)
        return Prediction(pm.landmarks(pos, tables), pm.face_points(pos, tables), n, pos)

    return predict


def load_predictor(
    name: str,
    model: FaceModel | None,
    resolution: int = 256,
    data_dir: str | None = None,
    flip_test: bool = False,
) -> Predictor:
    """``bfm-fit`` (the fitted-3DMM reference) or a model file (.keras, .h5, .tflite, .onnx);
    ``flip_test``: the network's posmap averaged with its mirror image's
    (:class:`lprnet.inference.flip_test.FlipTest`)."""
    if name == "bfm-fit":
        if flip_test:
            raise LprnetError("--flip-test runs a network: not bfm-fit")
        if model is None:
            raise LprnetError("bfm-fit needs the face model: pass --data-dir or set LPRNET_DATA")
        return fit_reference(model, resolution)
    from lprnet.inference.backends import load_model
    from lprnet.inference.flip_test import FlipTest
    from lprnet.shipped import resolve_model

    path = resolve_model(name)
    if not path.exists():
        raise LprnetError(f"--model {name}: no such file (or use 'bfm-fit', 'lprnet_128')")
    net = load_model(path)
    return network_predictor(FlipTest(net) if flip_test else net, data_dir)
