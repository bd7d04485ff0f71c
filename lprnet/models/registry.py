"""The model registry, parameter and multiply-accumulate counts (``lprnet model summary``)."""

from __future__ import annotations

from collections.abc import Callable

from lprnet.errors import LprnetError
from lprnet.models.layers import keras, layers

MODELS: dict[str, tuple[Callable[..., keras.Model], int]] = {}


def _register() -> None:
    from functools import partial

    from lprnet.models.lprnet import (
        DEEP,
        SLIM,
        UV64,
        UV64_SEP,
        WIDE,
        lprnet_128,
        lprnet_128_seed,
    )
    from lprnet.models.prnet import prnet_256

    def slim(suffix: str, **options) -> tuple[Callable[..., keras.Model], int]:
        name = f"lprnet_128_slim{suffix}"
        return partial(lprnet_128, **SLIM, **options, name=name), 128

    MODELS.update(
        {
            "prnet_256": (prnet_256, 256),
            "lprnet_128": (lprnet_128, 128),
            "lprnet_128_seed": (lprnet_128_seed, 128),
            # the web demo's variant: the posmap drawn at 64 px and upsampled
            "lprnet_128_uv64": (partial(lprnet_128, **UV64), 128),
            "lprnet_128_uv64_sep": (partial(lprnet_128, **UV64_SEP), 128),
            # capacity on real faces: residual blocks that start as the identity
            "lprnet_128_deep": (partial(lprnet_128, **DEEP), 128),
            # ablation variants: the first shipped (slim) design and its variations
            "lprnet_128_slim": slim(""),
            "lprnet_128_slim_w075": slim("_w075", width=0.75),
            "lprnet_128_slim_w125": slim("_w125", width=1.25),
            "lprnet_128_slim_noskip": slim("_noskip", skips=False),
            "lprnet_128_wide": (partial(lprnet_128, **WIDE), 128),
        }
    )


def build_model(name: str, **kwargs) -> keras.Model:
    """Build a registered model by name (``prnet_256``, ``lprnet_128``, ``lprnet_128_seed``)."""
    if not MODELS:
        _register()
    if name not in MODELS:
        raise LprnetError(f"unknown model {name!r}; choose one of {sorted(MODELS)}")
    return MODELS[name][0](**kwargs)


def model_names() -> list[str]:
    if not MODELS:
        _register()
    return sorted(MODELS)


def count_macs(model: keras.Model) -> int:
    """Multiply-accumulates of one forward pass at batch 1 (convolutions and dense layers).

    Conv2D: H_out W_out k_h k_w C_in C_out / groups; DepthwiseConv2D: H_out W_out k_h k_w C_in
    multiplier; Conv2DTranspose: H_in W_in k_h k_w C_in C_out (every input pixel scatters a
    kernel); Dense: in x out. BatchNorm, activations, adds and resizes are not counted.
    """
    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.DepthwiseConv2D):
            _, h, w, c = layer.output_shape
            kh, kw = layer.kernel_size
            total += h * w * kh * kw * layer.input_shape[-1] * layer.depth_multiplier
        elif isinstance(layer, layers.Conv2DTranspose):
            _, h, w, cin = layer.input_shape
            kh, kw = layer.kernel_size
            total += h * w * kh * kw * cin * layer.filters
        elif isinstance(layer, layers.Conv2D):
            _, h, w, cout = layer.output_shape
            kh, kw = layer.kernel_size
            total += h * w * kh * kw * layer.input_shape[-1] * cout // layer.groups
        elif isinstance(layer, layers.Dense):
            total += layer.input_shape[-1] * layer.units
    return int(total)


def summary(model: keras.Model) -> dict[str, float | int | str]:
    """Name, input size, parameters (total / trainable) and GMAC of a model."""
    return {
        "name": model.name,
        "input": f"{model.input_shape[1]}x{model.input_shape[2]}x{model.input_shape[3]}",
        "params": int(model.count_params()),
        "trainable_params": int(
            sum(keras.backend.count_params(w) for w in model.trainable_weights)
        ),
        "gmac": count_macs(model) / 1e9,
    }
