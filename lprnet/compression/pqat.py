"""Sparsity-preserving quantisation-aware training (PQAT) that also covers Conv2DTranspose.

tfmot's ``Default8BitPrunePreserveQuantizeScheme`` refuses ``Conv2DTranspose`` (its registry
lists it as "supported with prune, but not yet with QAT"), and plain QAT on a pruned model
loses the zeros (50% -> 8.5% after 20 steps, ../shared/notes/stack.md). The scheme below adds
``Conv2DTranspose`` to the sparsity-preserving registry with its own quantize config: the
default 8-bit Conv2DTranspose config (per-tensor weights, as TFLite's TRANSPOSE_CONV kernels
expect) whose weight quantizer keeps a sparsity mask like the Conv2D one.
"""

from __future__ import annotations

from typing import ClassVar

from lprnet.errors import LprnetError
from lprnet.tfenv import tf  # noqa: F401  (legacy Keras before tf_keras)

# isort: off
import tf_keras as keras
import tensorflow_model_optimization as tfmot
from tensorflow_model_optimization.python.core.quantization.keras.collab_opts.prune_preserve import (  # noqa: E501
    default_8bit_prune_preserve_quantize_scheme as pp_scheme,
    prune_preserve_quantize_registry as pp_registry,
)

# isort: on


class ConvTransposePrunePreserveRegistry(pp_registry.Default8bitPrunePreserveQuantizeRegistry):
    """tfmot's sparsity-preserving 8-bit registry plus ``Conv2DTranspose``."""

    _LAYERS_CONFIG_MAP: ClassVar[dict] = {
        **pp_registry.PrunePreserveQuantizeRegistry._LAYERS_CONFIG_MAP,
        keras.layers.Conv2DTranspose: pp_registry._PrunePreserveInfo(
            ["kernel"], ["Default8BitConvTransposeQuantizeConfig"]
        ),
    }

    def __init__(self):
        super().__init__()
        # per-tensor, symmetric, narrow range: the Conv2DTranspose weight quantizer's settings
        self._config_quantizer_map["Default8BitConvTransposeQuantizeConfig"] = (
            pp_registry.PrunePreserveDefault8BitWeightsQuantizer()
        )


class ConvTransposePrunePreserveScheme(pp_scheme.Default8BitPrunePreserveQuantizeScheme):
    """The quantize scheme using :class:`ConvTransposePrunePreserveRegistry`."""

    def get_quantize_registry(self):
        return ConvTransposePrunePreserveRegistry()


def quantize_preserving_sparsity(model: keras.Model) -> keras.Model:
    """Wrap a (stripped, pruned) float model for PQAT.

    Raises
    ------
    LprnetError
        Naming the layer, when a layer type has no 8-bit quantize config.
    """
    annotated = tfmot.quantization.keras.quantize_annotate_model(model)
    try:
        with tfmot.quantization.keras.quantize_scope():
            return tfmot.quantization.keras.quantize_apply(
                annotated, ConvTransposePrunePreserveScheme()
            )
    except (RuntimeError, ValueError) as exc:
        first = str(exc).split(". ")[0]
        raise LprnetError(f"sparsity-preserving QAT of {model.name}: {first}") from exc


def quantize_scope():
    """The custom-object scope needed to load a saved PQAT model."""
    return tfmot.quantization.keras.quantize_scope()
