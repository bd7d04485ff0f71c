"""Channel pruning: the thin network computes what the wide one computes with the dropped
channels switched off, on the shipped L-PRNet architecture itself."""

from __future__ import annotations

import numpy as np
import pytest

from lprnet.compression import channels
from lprnet.errors import LprnetError
from lprnet.models.lprnet import lprnet_128
from lprnet.tfenv import tf

# isort: off
import tf_keras as keras

# isort: on


def _trained_like(model: keras.Model, seed: int = 0) -> keras.Model:
    """Random weights with spread-out BN statistics (what training leaves)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            c = layer.get_weights()[0].shape[0]
            gamma, beta = rng.uniform(0.2, 1.5, c), rng.normal(0, 0.1, c)
            mean, var = rng.normal(0, 0.1, c), rng.uniform(0.5, 2.0, c)
            layer.set_weights([gamma, beta, mean, var])
    return model


def _switch_off(model: keras.Model, keep: dict[int, np.ndarray]) -> keras.Model:
    """A copy of ``model`` whose dropped channels are zero after every BatchNorm."""
    groups, sizes = channels.channel_groups(model)
    off = keras.models.clone_model(model)
    off.set_weights(model.get_weights())
    for layer in off.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            g = groups[layer.name]
            dropped = np.setdiff1d(np.arange(sizes[g]), keep[g])
            w = layer.get_weights()
            w[0][dropped] = 0.0
            w[1][dropped] = 0.0
            layer.set_weights(w)
    return off


def test_groups_tie_the_channels_an_add_joins() -> None:
    model = lprnet_128(64)
    groups, sizes = channels.channel_groups(model)
    # dec0 adds the 8 px encoder features (no projection: same width): one group
    assert groups["dec0_add"] == groups["dec0_proj_bn"] == groups["enc3_1_pw_bn"]
    assert groups["enc3_1_pw_bn"] != groups["enc3_0_pw_bn"]
    # depthwise, BN and ReLU pass their input's group on
    assert groups["enc1_0_dw"] == groups["enc0_0_pw_relu"] == groups["enc1_0_dw_relu"]
    assert sizes[groups["posmap"]] == 3 and sizes[groups["image"]] == 3


@pytest.mark.parametrize("width", [1.0, 0.5])
def test_thin_network_equals_the_wide_one_with_channels_switched_off(width) -> None:
    tf.keras.utils.set_random_seed(0)
    wide = _trained_like(lprnet_128(64))
    thin = channels.thin_weights(wide, lprnet_128(64, width=width))
    keep = channels.keep_channels(wide, thin)
    x = np.random.default_rng(1).uniform(0, 1, (2, 64, 64, 3)).astype(np.float32)
    ref = _switch_off(wide, keep)(x, training=False).numpy()
    np.testing.assert_allclose(thin(x, training=False).numpy(), ref, atol=2e-5)
    report = channels.channel_report(wide, thin)
    if width == 1.0:
        np.testing.assert_allclose(ref, wide(x, training=False).numpy(), atol=1e-6)
        assert report["kept"] == 1.0
    else:
        assert 0.2 < report["kept"] < 0.35  # ~width^2 of the parameters


def test_the_strongest_filters_are_kept() -> None:
    inp = keras.Input((8, 8, 3), name="image")
    x = keras.layers.Conv2D(4, 1, use_bias=False, name="a")(inp)
    x = keras.layers.BatchNormalization(name="a_bn")(x)
    out = keras.layers.Conv2D(3, 1, name="head")(x)
    wide = keras.Model(inp, out)
    k = np.zeros((1, 1, 3, 4), np.float32)
    k[..., [1, 3]] = 1.0
    k[..., 0] = 0.1
    wide.get_layer("a").set_weights([k])
    inp2 = keras.Input((8, 8, 3), name="image")
    y = keras.layers.Conv2D(2, 1, use_bias=False, name="a")(inp2)
    y = keras.layers.BatchNormalization(name="a_bn")(y)
    thin = keras.Model(inp2, keras.layers.Conv2D(3, 1, name="head")(y))
    keep = channels.keep_channels(wide, thin)
    assert keep[channels.channel_groups(wide)[0]["a"]].tolist() == [1, 3]


def test_unsupported_layers_and_growth_are_refused() -> None:
    inp = keras.Input((8, 8, 3), name="image")
    out = keras.layers.Conv2DTranspose(3, 3, 2, name="up")(inp)
    with pytest.raises(LprnetError, match="Conv2DTranspose"):
        channels.channel_groups(keras.Model(inp, out))
    with pytest.raises(LprnetError, match="grows"):
        channels.keep_channels(lprnet_128(64, width=0.5), lprnet_128(64))
