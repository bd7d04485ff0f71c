"""Activation ranges of a QAT model, fixed from calibration crops before its int8 conversion.

tfmot's activation quantizers (``MovingAverageQuantizer``) start every range at [-6, 6] and
move it towards each training batch's min / max with an exponential moving average of decay
0.999: after ``k`` steps ``0.999 ** k`` of the start is left, 55% after 600 steps. Two ranges
matter after a short QAT (measured on the shipped L-PRNet, docs/compression.md):

- a ReLU output still reads [-3.3, max], so the int8 file spends a third of its 256 levels on
  values that never occur;
- the sigmoid head's logits are quantised before the sigmoid, where one int8 step is about a
  pixel of the posmap at 128 px. Their range follows every pixel of the map, and the pixels
  the loss ignores (weight 0: neck, background) run to -27 where the face's stay within
  [-6, 1.6].

:func:`fix_activation_ranges` starts at 0 every range whose tensor is never negative on the
calibration crops (ReLU outputs and their nearest-neighbour upsampling) and gives the head's
logits the range of the pixels the loss weights; the other ends (the QAT's maxima) stay.
"""

from __future__ import annotations

import numpy as np

from lprnet.errors import LprnetError
from lprnet.tfenv import tf  # legacy Keras before tf_keras

import tf_keras as keras  # isort: skip

#: The activation range variables of a QuantizeWrapperV2 (output of an activation layer /
#: after a layer's own activation), name suffix -> which end of the range.
RANGE_SUFFIXES = {
    "output_min": "min",
    "output_max": "max",
    "post_activation_min": "min",
    "post_activation_max": "max",
}

#: Layers between the head's logits and the model output that carry no quantizer range.
_PASS_THROUGH = (keras.layers.Activation, keras.layers.UpSampling2D)


def range_variables(qat: keras.Model) -> dict[str, dict[str, tf.Variable]]:
    """Inner layer name -> {"min": variable, "max": variable} of every activation range."""
    found: dict[str, dict[str, tf.Variable]] = {}
    for wrapper in qat.layers:
        inner = getattr(wrapper, "layer", None)
        if inner is None:
            continue
        for v in wrapper.non_trainable_weights:
            leaf = v.name.split("/")[-1].split(":")[0]
            if leaf in RANGE_SUFFIXES and v.shape.rank == 0:
                found.setdefault(inner.name, {})[RANGE_SUFFIXES[leaf]] = v
    return found


def head_logits_layer(model: keras.Model) -> str:
    """The layer whose output the model's sigmoid (or its upsampling) turns into the posmap."""
    layer = model.layers[-1]
    while isinstance(layer, _PASS_THROUGH):
        inbound = layer.inbound_nodes[0].inbound_layers
        layer = inbound[0] if isinstance(inbound, list) else inbound
    return layer.name


def fix_activation_ranges(
    qat: keras.Model,
    model: keras.Model,
    images: np.ndarray,
    weight_mask: np.ndarray,
    batch_size: int = 16,
) -> dict[str, list[float]]:
    """Fix the activation ranges of ``qat`` (a tfmot QAT wrapping of ``model``) in place.

    Parameters
    ----------
    qat : tf_keras.Model
        The QAT model (after its fine-tune), converted to int8 next.
    model : tf_keras.Model
        The float model it wraps (same layer names); its outputs on ``images`` decide.
    images : (k, n, n, 3) float32 in [0, 1]
        Calibration crops (training crops: never a scored image).
    weight_mask : (n, n) array
        The loss weights of the posmap's pixels: the head's range covers the weighted ones.

    Returns
    -------
    dict
        Layer name -> [min, max] of every range set (a second call sets the same).

    Raises
    ------
    LprnetError
        When ``qat`` has no activation range, or one names a layer ``model`` lacks.
    """
    variables = range_variables(qat)
    if not variables:
        raise LprnetError(f"{qat.name}: no activation quantizer ranges to fix")
    known = {layer.name for layer in model.layers}
    missing = [n for n in variables if n not in known]
    if missing:
        raise LprnetError(f"activation ranges: {model.name} has no layer {missing[0]!r}")
    if len(images) == 0:
        raise LprnetError("activation ranges: no calibration crops")
    head = head_logits_layer(model)
    names = sorted(variables)
    probe = keras.Model(model.input, [model.get_layer(n).output for n in names])
    lows = dict.fromkeys(names, np.inf)
    head_lo, head_hi = np.inf, -np.inf
    for s in range(0, len(images), batch_size):
        outs = probe(images[s : s + batch_size], training=False)
        outs = outs if isinstance(outs, list | tuple) else [outs]
        for n, o in zip(names, outs, strict=True):
            o = o.numpy()
            lows[n] = min(lows[n], float(o.min()))
            if n == head:
                step = weight_mask.shape[0] // o.shape[1]
                weighted = o[:, np.asarray(weight_mask)[::step, ::step] > 0, :]
                head_lo = min(head_lo, float(weighted.min()))
                head_hi = max(head_hi, float(weighted.max()))
    fixed: dict[str, list[float]] = {}
    for n in names:
        lo_var, hi_var = variables[n]["min"], variables[n]["max"]
        if n == head:
            lo, hi = min(head_lo, 0.0), max(head_hi, 0.0)
        elif lows[n] >= 0.0:
            lo, hi = 0.0, float(hi_var.numpy())
        else:
            continue
        lo_var.assign(lo)
        hi_var.assign(hi)
        fixed[n] = [round(lo, 4), round(hi, 4)]
    return fixed
