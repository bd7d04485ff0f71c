"""Teacher targets: the flip-test teacher is FlipTest's numbers in one Keras model."""

from __future__ import annotations

import numpy as np

from lprnet.geometry.posmap import mirror_posmap
from lprnet.inference.flip_test import FlipTest
from lprnet.io_contract import POSMAP_SCALE
from lprnet.tfenv import tf  # noqa: F401
from lprnet.training.distill import flip_averaged

# isort: off
import tf_keras as keras

# isort: on

N = 16


class _Wrapped:
    resolution, name, format = N, "tiny", "keras"

    def __init__(self, model):
        self.model = model

    def predict(self, batch):
        return self.model(batch, training=False).numpy()


def _tiny() -> keras.Model:
    keras.utils.set_random_seed(3)
    x = keras.Input((N, N, 3))
    y = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    y = keras.layers.Conv2D(3, 3, padding="same", activation="sigmoid")(y)
    return keras.Model(x, y, name="tiny")


def test_flip_averaged_teacher_is_the_flip_test() -> None:
    model = _tiny()
    teacher = flip_averaged(model)
    assert teacher.count_params() == model.count_params()  # shared weights, not a copy
    x = np.random.default_rng(0).random((2, N, N, 3), dtype=np.float32)
    got = teacher(x, training=False).numpy()
    np.testing.assert_allclose(got, FlipTest(_Wrapped(model)).predict(x), atol=1e-6)
    width = (N - 1) / (N * POSMAP_SCALE)
    mirrored = teacher(x[:, :, ::-1].copy(), training=False).numpy()
    np.testing.assert_allclose(mirrored, mirror_posmap(got, width), atol=1e-6)
    assert np.abs(got - model(x).numpy()).max() > 1e-3  # not the model's own single run
