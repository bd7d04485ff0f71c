"""Keras posmap network -> TFLite, for LiteRT with XNNPACK.

Always a fixed batch of 1 and fixed shapes: a ``None`` batch adds SHAPE / STRIDED_SLICE / PACK
ops around resizes and transposed convolutions that XNNPACK does not delegate (3-6x slower,
see ../shared/notes/stack.md). Never dynamic-range quantisation (100x slower on this CPU).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from lprnet.errors import LprnetError
from lprnet.fileio import atomic_open
from lprnet.tfenv import tf

PRECISIONS = ("fp32", "fp16", "int8")


def convert(
    model,
    precision: str = "fp32",
    calibration: Iterable[np.ndarray] | None = None,
    io_dtype: str = "uint8",
) -> bytes:
    """Convert a tf_keras posmap network to a TFLite flatbuffer.

    Parameters
    ----------
    model : tf_keras.Model
        Input (1, n, n, 3) float RGB in [0, 1].
    precision : {"fp32", "fp16", "int8"}
        ``int8``: full-integer post-training quantisation (weights and activations), calibrated
        on ``calibration``.
    calibration : iterable of (n, n, 3) float32 images in [0, 1]
        Representative images (required for int8; a few hundred real crops).
    io_dtype : {"uint8", "int8", "float32"}
        int8 models only: the input / output tensor type (uint8 takes camera bytes directly).

    Returns
    -------
    bytes
    """
    if precision not in PRECISIONS:
        raise LprnetError(f"TFLite precision must be one of {PRECISIONS}, got {precision!r}")
    n = int(model.input_shape[1])
    spec = tf.TensorSpec([1, n, n, 3], tf.float32, name="image")
    concrete = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], model)
    if precision == "fp16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif precision == "int8":
        if calibration is None:
            raise LprnetError("int8 export needs calibration images")
        images = [np.asarray(x, np.float32) for x in calibration]
        if not images:
            raise LprnetError("int8 export: the calibration set is empty")

        def representative():
            for x in images:
                yield [x[None]]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if io_dtype != "float32":
            converter.inference_input_type = getattr(tf, io_dtype)
            converter.inference_output_type = getattr(tf, io_dtype)
    try:
        return converter.convert()
    except Exception as exc:
        raise LprnetError(f"TFLite conversion ({precision}) failed: {exc}") from exc


def save(flatbuffer: bytes, path: str | os.PathLike) -> Path:
    """Write a flatbuffer atomically."""
    path = Path(path)
    with atomic_open(path, "wb") as f:
        f.write(flatbuffer)
    return path
