"""Magnitude pruning with tensorflow-model-optimization, and measured sparsity.

Pruned: every ``Conv2D``, ``SeparableConv2D`` and ``Conv2DTranspose`` kernel except the first
and last layers (the RGB stem and the 3-channel posmap head hold few weights and are the most
sensitive). Depthwise kernels are not pruned: tfmot's sparsity-preserving QAT cannot keep their
zeros, and they hold under 5% of the weights of the L-PRNet designs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lprnet.tfenv import tf  # noqa: F401  (legacy Keras before tf_keras)

# isort: off
import tf_keras as keras
import tensorflow_model_optimization as tfmot

# isort: on

PRUNABLE = (keras.layers.Conv2D, keras.layers.SeparableConv2D, keras.layers.Conv2DTranspose)


def _kernel_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """Layers with a dense kernel (Conv2D family but not depthwise), in graph order."""
    return [
        layer
        for layer in model.layers
        if isinstance(layer, PRUNABLE) and not isinstance(layer, keras.layers.DepthwiseConv2D)
    ]


def prunable_layers(model: keras.Model) -> list[str]:
    """Names of the layers :func:`prune` wraps: kernel layers but the first and the last."""
    names = [layer.name for layer in _kernel_layers(model)]
    return names[1:-1]


def prune(
    model: keras.Model,
    target_sparsity: float | Mapping[str, float] = 0.5,
    begin_step: int = 0,
    end_step: int = 1000,
) -> keras.Model:
    """Wrap the prunable layers with ``prune_low_magnitude`` (polynomial decay 0 -> target).

    ``target_sparsity`` is one fraction for every prunable layer, or a per-layer mapping
    (:mod:`lprnet.compression.allocation`; a layer given 0 or not named stays dense). The
    returned model shares the original's layer objects (weights are not copied); train it
    with ``tfmot.sparsity.keras.UpdatePruningStep`` and :func:`strip` it afterwards.
    """
    names = prunable_layers(model)
    if isinstance(target_sparsity, Mapping):
        unknown = sorted(set(target_sparsity) - set(names))
        if unknown:
            raise ValueError(f"not prunable layers of {model.name}: {unknown}")
        targets = {k: float(v) for k, v in target_sparsity.items() if v > 0}
    else:
        targets = dict.fromkeys(names, float(target_sparsity))
    bad = {k: v for k, v in targets.items() if not 0.0 < v < 1.0}
    if bad or not targets:
        raise ValueError(f"target sparsity must be in (0, 1), got {bad or target_sparsity}")

    def schedule(target: float):
        return tfmot.sparsity.keras.PolynomialDecay(
            initial_sparsity=0.0,
            final_sparsity=target,
            begin_step=int(begin_step),
            end_step=max(int(end_step), int(begin_step) + 1),
            frequency=max(1, (int(end_step) - int(begin_step)) // 20),
        )

    def wrap(layer):
        if layer.name in targets:
            return tfmot.sparsity.keras.prune_low_magnitude(
                layer, pruning_schedule=schedule(targets[layer.name])
            )
        return layer

    return keras.models.clone_model(model, clone_function=wrap)


def strip(model: keras.Model) -> keras.Model:
    """Remove the pruning wrappers, keeping the zeroed weights (a plain tf_keras model)."""
    return tfmot.sparsity.keras.strip_pruning(model)


def keras_sparsity(model: keras.Model) -> dict[str, Any]:
    """Fraction of exactly-zero kernel weights.

    Returns
    -------
    dict
        ``layers``: name -> zero fraction of each dense kernel (pruned or not);
        ``pruned``: the zero fraction over the layers :func:`prune` targets; ``overall``: over
        every kernel of the model (depthwise and first / last included); ``weights``: the
        number of kernel weights behind ``overall``.
    """
    per, zeros, total, pz, pt = {}, 0, 0, 0, 0
    targets = set(prunable_layers(model))
    for layer in model.layers:
        kernels = [w for w in layer.weights if "kernel" in w.name and "mask" not in w.name]
        for w in kernels:
            k = w.numpy()
            z = int(np.count_nonzero(k == 0))
            zeros, total = zeros + z, total + k.size
            if layer.name in targets:
                pz, pt = pz + z, pt + k.size
                per[layer.name] = z / k.size
    return {
        "layers": per,
        "pruned": pz / pt if pt else 0.0,
        "overall": zeros / total if total else 0.0,
        "weights": total,
    }
