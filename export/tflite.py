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
        flatbuffer = converter.convert()
    except Exception as exc:
        raise LprnetError(f"TFLite conversion ({precision}) failed: {exc}") from exc
    if precision == "int8" and io_dtype == "uint8":
        flatbuffer = pin_camera_input(flatbuffer)
    return flatbuffer


def pin_camera_input(flatbuffer: bytes) -> bytes:
    """Declare a uint8 input as camera bytes: scale 1/255, zero point 0.

    The converter takes the input's scale from the calibration crops' range (0.988 when no
    crop has a pure white pixel), so an app would have to requantise its bytes. With uint8 I/O
    the input feeds a QUANTIZE op (uint8 -> int8) that requantises anyway: setting the input
    tensor to exactly ``pixel / 255`` moves that step into the model (the internal int8 tensor
    keeps its calibrated range). Unchanged when the input does not feed a QUANTIZE op.
    """
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(flatbuffer, 0))
    graph = model.subgraphs[0]
    index = int(graph.inputs[0])
    tensor = graph.tensors[index]
    consumers = [op for op in graph.operators if index in list(op.inputs)]
    codes = [model.operatorCodes[op.opcodeIndex] for op in consumers]
    builtin = [max(int(c.builtinCode), int(c.deprecatedBuiltinCode)) for c in codes]
    if tensor.type != schema.TensorType.UINT8 or builtin != [schema.BuiltinOperator.QUANTIZE]:
        return flatbuffer
    q = tensor.quantization
    if q is not None and q.zeroPoint is not None and list(q.zeroPoint) == [0]:
        if abs(float(q.scale[0]) * 255.0 - 1.0) < 1e-7:
            return flatbuffer
    q.scale = [1.0 / 255.0]
    q.zeroPoint = [0]
    builder = flatbuffers.Builder(len(flatbuffer) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def save(flatbuffer: bytes, path: str | os.PathLike) -> Path:
    """Write a flatbuffer atomically."""
    path = Path(path)
    with atomic_open(path, "wb") as f:
        f.write(flatbuffer)
    return path


def weight_sparsity(source: bytes | str | os.PathLike) -> dict:
    """Zeros among the constant weights of a .tflite (what pruning leaves in the file).

    Counts the elements of every constant tensor used as an operator's filter / weights
    (input 1 of CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, FULLY_CONNECTED; behind a
    DEQUANTIZE for fp16 weights); an int8 weight is zero when its stored value is zero
    (symmetric per-channel quantisation: zero point 0).

    Returns
    -------
    dict
        ``{"weights": int, "zeros": int, "sparsity": float}``.
    """
    from ai_edge_litert import schema_py_generated as schema

    data = source if isinstance(source, bytes | bytearray) else Path(source).read_bytes()
    model = schema.Model.GetRootAs(data, 0)
    ops = schema.BuiltinOperator
    kinds = {ops.CONV_2D, ops.DEPTHWISE_CONV_2D, ops.TRANSPOSE_CONV, ops.FULLY_CONNECTED}
    seen, total, zeros = set(), 0, 0
    graph = model.Subgraphs(0)
    dtypes = {
        schema.TensorType.INT8: np.int8,
        schema.TensorType.FLOAT16: np.float16,
        schema.TensorType.FLOAT32: np.float32,
    }
    producers = {}  # DEQUANTIZE output -> its constant input
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        if max(code.BuiltinCode(), code.DeprecatedBuiltinCode()) == ops.DEQUANTIZE:
            producers[op.Outputs(0)] = op.Inputs(0)
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        if max(code.BuiltinCode(), code.DeprecatedBuiltinCode()) not in kinds:
            continue
        index = producers.get(op.Inputs(1), op.Inputs(1))  # fp16: through its DEQUANTIZE
        if index in seen:
            continue
        seen.add(index)
        tensor = graph.Tensors(index)
        raw = model.Buffers(tensor.Buffer()).DataAsNumpy()
        dtype = dtypes.get(tensor.Type())
        if isinstance(raw, int) or raw is None or raw.size == 0 or dtype is None:
            continue
        values = np.frombuffer(raw.tobytes(), dtype)
        total += values.size
        zeros += int((values == 0).sum())
    return {"weights": total, "zeros": zeros, "sparsity": zeros / total if total else 0.0}


def io_details(flatbuffer: bytes) -> tuple[dict, dict]:
    """``(input, output)`` of a flatbuffer: ``{"dtype": str, "quantization": dict | None}``."""
    from ai_edge_litert.interpreter import Interpreter

    from export.metadata import quantization

    interp = Interpreter(model_content=flatbuffer)
    out = []
    for d in (interp.get_input_details()[0], interp.get_output_details()[0]):
        dtype = np.dtype(d["dtype"])
        scale, zero = d["quantization"]
        quant = quantization(scale, zero) if dtype.kind in "iu" and scale else None
        out.append({"dtype": dtype.name, "quantization": quant})
    return out[0], out[1]


def export_artifact(
    model,
    path: str | os.PathLike,
    precision: str,
    calibration: np.ndarray | None,
    info,
    io_dtype: str = "uint8",
) -> tuple[list[Path], dict]:
    """Convert, embed the lprnet metadata (:mod:`export.metadata`) and write ``path``.

    Returns
    -------
    files : list of Path
        ``[path]``.
    metadata : dict
        What was embedded.
    """
    from export.metadata import embed_tflite, model_metadata
    from lprnet.quiet import quiet

    with quiet():
        flatbuffer = convert(model, precision, calibration, io_dtype)
        inp, out = io_details(flatbuffer)
    meta = model_metadata(
        info,
        "tflite",
        precision,
        input_dtype=inp["dtype"],
        input_quantization=inp["quantization"],
        output_dtype=out["dtype"],
        output_quantization=out["quantization"],
    )
    return [save(embed_tflite(flatbuffer, meta), path)], meta
