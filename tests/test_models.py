"""Posmap network builders: the published sizes, the MAC counter, edge-friendly ops."""

from __future__ import annotations

import numpy as np
import pytest

from lprnet.errors import LprnetError
from lprnet.models.layers import keras, layers
from lprnet.models.registry import build_model, count_macs, summary


def test_prnet_is_resfcn256_exactly() -> None:
    s = summary(build_model("prnet_256"))
    assert s["params"] == 13_365_508  # the official resfcn256
    assert s["gmac"] == pytest.approx(4.129, abs=0.001)


def test_lprnet_seed_matches_its_description() -> None:
    model = build_model("lprnet_128_seed")
    s = summary(model)
    assert s["params"] == pytest.approx(4.48e6, rel=0.01) and s["gmac"] == pytest.approx(0.38, 0.02)
    convt = sorted(
        (
            layer.count_params()
            for layer in model.layers
            if isinstance(layer, layers.Conv2DTranspose)
        ),
        reverse=True,
    )
    assert (convt[0] + convt[1]) / s["params"] == pytest.approx(0.79, abs=0.01)


@pytest.mark.parametrize(
    "name",
    [
        "lprnet_128",
        "lprnet_128_slim",
        "lprnet_128_wide",
        "lprnet_128_uv64",
        "lprnet_128_uv64_sep",
        "lprnet_128_deep",
    ],
)
def test_lprnet_designs_budget_and_ops(name: str) -> None:
    model = build_model(name)
    s = summary(model)
    assert s["params"] <= 1.5e6 and s["gmac"] <= 0.4
    kinds = {type(layer).__name__ for layer in model.layers}
    assert "Conv2DTranspose" not in kinds  # slow in TF.js; no BN-after-ConvT issue for int8
    assert kinds <= {
        "InputLayer",
        "Conv2D",
        "DepthwiseConv2D",
        "BatchNormalization",
        "ReLU",
        "UpSampling2D",
        "Add",
        "Activation",
    }
    x = np.random.default_rng(0).random((2, 128, 128, 3), np.float32)
    y = model(x, training=False).numpy()
    assert y.shape == (2, 128, 128, 3) and (y > 0).all() and (y < 1).all()


def test_uv64_draws_the_posmap_at_64_and_keeps_the_rest_of_lprnet_128() -> None:
    full, low = build_model("lprnet_128"), build_model("lprnet_128_uv64")
    assert low.get_layer("posmap64").output_shape == (None, 64, 64, 3)
    # every layer it shares with lprnet_128 has the same weights' shapes: it starts from it
    shared = {layer.name for layer in low.layers} & {layer.name for layer in full.layers}
    for name in shared:
        a, b = low.get_layer(name).get_weights(), full.get_layer(name).get_weights()
        assert [w.shape for w in a] == [w.shape for w in b], name
    new = {layer.name for layer in low.layers if layer.weights} - shared
    assert new == {"head64_conv"}
    assert summary(low)["gmac"] < 0.75 * summary(full)["gmac"]


def test_deep_starts_as_the_network_whose_weights_it_loads(tmp_path) -> None:
    """lprnet_128_deep's residual blocks start as the identity: with lprnet_128's (trained-like,
    non-zero BN statistics) weights moved by layer name it gives lprnet_128's output."""
    from lprnet.training.trainer import load_initial_weights

    rng = np.random.default_rng(3)
    full = build_model("lprnet_128")
    for layer in full.layers:
        if isinstance(layer, layers.BatchNormalization):  # not the identity statistics of init
            gamma, beta, mean, var = layer.get_weights()
            n = gamma.shape
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, n),
                    rng.normal(0, 0.1, n),
                    rng.normal(0, 0.1, n),
                    rng.uniform(0.5, 2.0, n),
                ]
            )
    full.save(tmp_path / "full.keras")
    deep = build_model("lprnet_128_deep")
    x = rng.random((2, 128, 128, 3), np.float32)
    load_initial_weights(deep, str(tmp_path / "full.keras"))
    np.testing.assert_allclose(deep(x, training=False), full(x, training=False), atol=1e-6)
    new = {layer.name for layer in deep.layers if layer.weights} - {
        layer.name for layer in full.layers
    }
    assert {n.rsplit("_res", 1)[0] for n in new} == {"enc3", "enc4", "dec0"}
    assert summary(deep)["params"] - summary(full)["params"] == pytest.approx(0.52e6, rel=0.02)


def test_uv64_sep_has_no_dense_3x3_conv_in_its_decoder() -> None:
    dense, sep = build_model("lprnet_128_uv64"), build_model("lprnet_128_uv64_sep")

    def dense_3x3(model: keras.Model) -> list[str]:
        return [
            layer.name
            for layer in model.layers
            if type(layer) is layers.Conv2D
            and layer.kernel_size == (3, 3)
            and layer.name.startswith("dec")
        ]

    assert dense_3x3(dense) == ["dec2_conv_conv", "dec3_conv_conv"]
    assert dense_3x3(sep) == []
    assert sep.get_layer("posmap64").output_shape == (None, 64, 64, 3)
    # the encoder and the 8 / 16 px decoder are lprnet_128's: it starts from its weights
    assert sep.get_layer("enc4_1_pw").get_weights()[0].shape == (1, 1, 384, 384)
    assert summary(sep)["gmac"] < 0.6 * summary(dense)["gmac"]


def test_count_macs_by_hand() -> None:
    inp = keras.Input((8, 8, 4))
    x = layers.Conv2D(6, 3, 2, padding="same")(inp)  # 4*4 out * 9 * 4 * 6
    x = layers.DepthwiseConv2D(3, padding="same")(x)  # 4*4 * 9 * 6
    x = layers.Conv2DTranspose(2, 4, 2, padding="same")(x)  # 4*4 in * 16 * 6 * 2
    x = layers.Flatten()(x)
    x = layers.Dense(5)(x)  # 8*8*2 * 5
    model = keras.Model(inp, x)
    assert count_macs(model) == 16 * 9 * 4 * 6 + 16 * 9 * 6 + 16 * 16 * 6 * 2 + 128 * 5


def test_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(LprnetError, match="unknown model 'resnet'"):
        build_model("resnet")
