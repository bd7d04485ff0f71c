"""Structured (channel) pruning: a thinner network that keeps a trained one's strongest filters.

Unstructured zeros shrink the gzip'd download but not XNNPACK's int8 latency: the dense kernels
still run. Channel pruning removes whole filters, so every runtime does less work. The thin
network is built by the same builder at a smaller width (same layer names, fewer channels) and
initialised from the trained one:

1. **Channel groups.** Every layer output gets a group: a convolution (``Conv2D``) starts one;
   depthwise convolutions, BatchNorm, activations and upsampling pass their input's group on;
   an ``Add`` merges the groups of its inputs (a residual or skip connection ties the channels
   of both sides: they must be pruned together).
2. **Importance** of a channel in a group: the L1 norm of each filter that writes it (Li et al.,
   "Pruning filters for efficient ConvNets", 2017), each layer's norms divided by their mean so
   that layers of different scale count alike, summed over the group's writers; times the
   |gamma| of the BatchNorm that follows (Liu et al., "network slimming", 2017), where one does.
3. **Keep** the top ``k`` channels of each group, ``k`` being the thin network's channel count
   there, and copy every weight sliced to the kept input and output channels.

The result is a valid starting point for fine-tuning (:mod:`lprnet.compression.finetune`), not
a finished model: thinning costs accuracy that training recovers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lprnet.errors import LprnetError
from lprnet.tfenv import tf  # noqa: F401  (legacy Keras before tf_keras)

# isort: off
import tf_keras as keras

# isort: on

#: Layers whose output has the channels of their (single) input.
PASS_THROUGH = (
    keras.layers.DepthwiseConv2D,
    keras.layers.BatchNormalization,
    keras.layers.ReLU,
    keras.layers.Activation,
    keras.layers.UpSampling2D,
)


def _inbound(layer: keras.layers.Layer) -> list[str]:
    node = layer._inbound_nodes[0]  # functional models: one call per layer
    inbound = node.inbound_layers
    return [src.name for src in (inbound if isinstance(inbound, list) else [inbound])]


def channel_groups(model: keras.Model) -> tuple[dict[str, int], dict[int, int]]:
    """Group every layer output by the channels it shares (see the module docstring).

    Parameters
    ----------
    model : tf_keras.Model
        A functional network of Conv2D, DepthwiseConv2D, BatchNormalization, ReLU,
        Activation, UpSampling2D and Add layers (anything else, Conv2DTranspose included,
        raises :class:`LprnetError`).

    Returns
    -------
    groups : dict of layer name -> group id
    sizes : dict of group id -> channel count
    """
    parent: dict[int, int] = {}

    def find(g: int) -> int:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    raw: dict[str, int] = {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer) or type(layer) is keras.layers.Conv2D:
            raw[layer.name] = parent.setdefault(len(parent), len(parent))
        elif isinstance(layer, PASS_THROUGH):
            (src,) = _inbound(layer)
            raw[layer.name] = raw[src]
        elif isinstance(layer, keras.layers.Add):
            roots = [find(raw[s]) for s in _inbound(layer)]
            for r in roots[1:]:
                parent[r] = roots[0]
            raw[layer.name] = roots[0]
        else:
            raise LprnetError(
                f"channel pruning: layer {layer.name} ({type(layer).__name__}) is not supported"
            )
    groups = {name: find(g) for name, g in raw.items()}
    sizes = {g: int(model.get_layer(n).output.shape[-1]) for n, g in groups.items()}
    return groups, sizes


def _following_bn(model: keras.Model) -> dict[str, keras.layers.BatchNormalization]:
    """Conv layer name -> the BatchNorm that reads its output directly."""
    out = {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            (src,) = _inbound(layer)
            out[src] = layer
    return out


def channel_importance(model: keras.Model) -> dict[int, np.ndarray]:
    """Per group: the importance of each channel (module docstring, step 2), (C,) float64."""
    groups, sizes = channel_groups(model)
    bns = _following_bn(model)
    score = {g: np.zeros(c) for g, c in sizes.items()}
    for layer in model.layers:
        if type(layer) is not keras.layers.Conv2D:
            continue
        kernel = layer.get_weights()[0]  # (kh, kw, in, out)
        norms = np.abs(kernel).sum(axis=(0, 1, 2)).astype(np.float64)
        norms /= max(norms.mean(), 1e-12)
        if layer.name in bns:
            norms *= np.abs(bns[layer.name].get_weights()[0])  # gamma
        score[groups[layer.name]] += norms
    return score


def keep_channels(model: keras.Model, thin: keras.Model) -> dict[int, np.ndarray]:
    """Per group of ``model``: the ascending indices of the channels ``thin`` keeps."""
    groups, sizes = channel_groups(model)
    thin_groups, thin_sizes = channel_groups(thin)
    score = channel_importance(model)
    keep: dict[int, np.ndarray] = {}
    for name, g in groups.items():
        if name not in thin_groups:
            raise LprnetError(f"channel pruning: the thin network has no layer {name}")
        k = thin_sizes[thin_groups[name]]
        if k > sizes[g]:
            raise LprnetError(f"channel pruning: {name} grows from {sizes[g]} to {k} channels")
        chosen = np.sort(np.argsort(-score[g], kind="stable")[:k])
        if g in keep and not np.array_equal(keep[g], chosen):
            raise LprnetError(f"channel pruning: {name} is tied to channels of another width")
        keep[g] = chosen
    return keep


def thin_weights(model: keras.Model, thin: keras.Model) -> keras.Model:
    """Copy ``model``'s weights into ``thin`` (same layer names, fewer channels), each sliced
    to the channels :func:`keep_channels` chose. Returns ``thin``."""
    groups, _ = channel_groups(model)
    keep = keep_channels(model, thin)
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        (src,) = _inbound(layer)
        cin, cout = keep[groups[src]], keep[groups[layer.name]]
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            new = [weights[0][:, :, cin]] + [w[cin] for w in weights[1:]]
        elif isinstance(layer, keras.layers.Conv2D):
            new = [weights[0][:, :, cin][..., cout]] + [w[cout] for w in weights[1:]]
        elif isinstance(layer, keras.layers.BatchNormalization):
            new = [w[cout] for w in weights]
        else:  # pragma: no cover - channel_groups refuses other weighted layers
            raise LprnetError(f"channel pruning: cannot slice {layer.name}")
        thin.get_layer(layer.name).set_weights(new)
    return thin


def channel_report(model: keras.Model, thin: keras.Model) -> dict[str, Any]:
    """Parameters and kept fraction of a thinning: ``{"params", "thin_params", "kept"}``."""
    return {
        "params": int(model.count_params()),
        "thin_params": int(thin.count_params()),
        "kept": thin.count_params() / model.count_params(),
    }
