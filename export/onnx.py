"""Keras posmap network -> ONNX (tf2onnx), and a static int8 QDQ model (onnxruntime).

fp32: ``tf2onnx.convert.from_keras`` with a fixed ``(1, n, n, 3)`` input (NHWC, as the other
formats; tf2onnx inserts the transposes). int8: ``onnxruntime.quantization.quant_pre_process``
(shape inference + graph optimisation), then ``quantize_static`` in QDQ format with per-channel
int8 weights and int8 activations, calibrated (MinMax) on the same real crops as TFLite; the
input and output stay float32. The lprnet metadata goes into ``metadata_props["lprnet"]``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from lprnet.errors import LprnetError
from lprnet.fileio import atomic_open
from lprnet.tfenv import tf

PRECISIONS = ("fp32", "int8")
DEFAULT_OPSET = 17


def convert(model, opset: int = DEFAULT_OPSET):
    """A tf_keras posmap network -> ``onnx.ModelProto`` (fp32, batch 1)."""
    import tf2onnx

    if opset < 13:
        raise LprnetError(f"ONNX opset must be >= 13, got {opset}")
    n = int(model.input_shape[1])
    spec = (tf.TensorSpec([1, n, n, 3], tf.float32, name="image"),)
    try:
        proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=int(opset))
    except Exception as exc:
        raise LprnetError(f"ONNX conversion (tf2onnx, opset {opset}) failed: {exc}") from exc
    return _asymmetric_nearest(proto)


def _asymmetric_nearest(proto):
    """Rewrite tf2onnx's nearest ``Resize`` from ``tf_half_pixel_for_nn`` (deprecated in
    onnxruntime, which warns once per node and session) to ``asymmetric`` + ``floor``.

    Exact for the integer up-scaling the networks use (UpSampling2D x2): output pixel ``o``
    reads ``floor((o + 0.5) / s)`` under TF's half-pixel rule and ``floor(o / s)`` under
    asymmetric, the same input pixel for every integer ``s`` (export parity checks it).
    """
    import onnx
    from onnx import numpy_helper

    consts = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    for node in proto.graph.node:
        if node.op_type != "Resize":
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if attrs.get("mode") != b"nearest":
            continue
        if attrs.get("coordinate_transformation_mode") != b"tf_half_pixel_for_nn":
            continue
        scales = consts.get(node.input[2]) if len(node.input) > 2 else None
        if scales is None or scales.size == 0 or np.any(scales != np.round(scales)):
            continue  # not a known integer up-scaling: leave TF's rule
        keep = [
            a
            for a in node.attribute
            if a.name not in ("coordinate_transformation_mode", "nearest_mode")
        ]
        del node.attribute[:]
        node.attribute.extend(keep)
        node.attribute.extend(
            [
                onnx.helper.make_attribute("coordinate_transformation_mode", "asymmetric"),
                onnx.helper.make_attribute("nearest_mode", "floor"),
            ]
        )
    return proto


class _Reader:
    """``onnxruntime.quantization.CalibrationDataReader`` over (N, n, n, 3) float images."""

    def __init__(self, name: str, images: np.ndarray):
        self._name = name
        self._images = np.asarray(images, np.float32)
        self._i = 0

    def get_next(self) -> dict | None:
        if self._i >= len(self._images):
            return None
        x = self._images[self._i][None]
        self._i += 1
        return {self._name: x}

    def rewind(self) -> None:
        self._i = 0


def quantize(proto, calibration: np.ndarray):
    """Static int8 QDQ quantisation of a float ONNX model (returns a new ModelProto)."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if calibration is None or len(calibration) == 0:
        raise LprnetError("int8 ONNX export needs calibration images")
    reader_cls = type("Reader", (_Reader, CalibrationDataReader), {})
    with tempfile.TemporaryDirectory(prefix="lprnet-onnx-") as tmp:
        src, pre, dst = (Path(tmp) / f for f in ("float.onnx", "pre.onnx", "int8.onnx"))
        onnx.save(proto, str(src))
        try:
            quant_pre_process(str(src), str(pre), skip_symbolic_shape=False)
            quantize_static(
                str(pre),
                str(dst),
                reader_cls(proto.graph.input[0].name, calibration),
                quant_format=QuantFormat.QDQ,
                per_channel=True,
                activation_type=QuantType.QInt8,
                weight_type=QuantType.QInt8,
                calibrate_method=CalibrationMethod.MinMax,
            )
        except Exception as exc:
            raise LprnetError(f"ONNX int8 quantisation failed: {exc}") from exc
        return onnx.load(str(dst))


def save(proto, path: str | os.PathLike) -> Path:
    """Write a ModelProto atomically."""
    path = Path(path)
    with atomic_open(path, "wb") as f:
        f.write(proto.SerializeToString())
    return path


def export_artifact(
    model,
    path: str | os.PathLike,
    precision: str,
    calibration: np.ndarray | None,
    info,
    opset: str | int = DEFAULT_OPSET,
) -> tuple[list[Path], dict]:
    """Convert (and quantise), embed the metadata, write ``path``; returns ``([path], meta)``."""
    import onnx

    from export.metadata import embed_onnx, model_metadata
    from lprnet.quiet import quiet

    if precision not in PRECISIONS:
        raise LprnetError(f"ONNX precision must be one of {PRECISIONS}, got {precision!r}")
    with quiet():
        proto = convert(model, int(opset))
        if precision == "int8":
            proto = quantize(proto, calibration)
    meta = model_metadata(info, "onnx", precision)
    embed_onnx(proto, meta)
    try:
        onnx.checker.check_model(proto)
    except Exception as exc:
        raise LprnetError(f"ONNX {precision}: the checker rejects the model: {exc}") from exc
    return [save(proto, path)], meta
