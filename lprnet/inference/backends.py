"""Posmap networks behind one interface, whatever the file: tf-keras, LiteRT (TFLite) or ONNX.

The contract every model file must meet (what training produces): one input, one output,
``(1, n, n, 3) -> (1, n, n, 3)`` float (or int8 / uint8 quantised); the input is an RGB crop in
[0, 1], the output the UV position map divided by ``n * 1.1`` (:data:`POSMAP_SCALE`).
A model with a fixed batch of 1 (the fast TFLite conversion) is run once per crop.

Nothing is cached between :func:`load_model` calls: each call opens its own runtime session.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from lprnet.errors import LprnetError

KERAS_SUFFIXES = (".keras", ".h5")
TFLITE_SUFFIXES = (".tflite",)
ONNX_SUFFIXES = (".onnx",)
MODEL_SUFFIXES = KERAS_SUFFIXES + TFLITE_SUFFIXES + ONNX_SUFFIXES
CONTRACT = "(1, n, n, 3) -> (1, n, n, 3) (RGB crop in [0, 1] -> posmap / (n * 1.1))"


@runtime_checkable
class PosmapModel(Protocol):
    """A loaded posmap network.

    Attributes
    ----------
    resolution : int
        ``n``: the side of the input crop and of the output UV map, pixels.
    name : str
        Display name (the file's stem).
    format : str
        ``"keras"``, ``"tflite"`` or ``"onnx"``.
    """

    resolution: int
    name: str
    format: str

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """Run the network.

        Parameters
        ----------
        batch : (B, n, n, 3) float32
            RGB crops in [0, 1].

        Returns
        -------
        (B, n, n, 3) float32
            Normalised posmaps: multiply by ``n * 1.1`` for crop pixels.
        """
        ...


def _contract_error(path: Path, got: str) -> LprnetError:
    return LprnetError(f"{path}: not a posmap network: expected {CONTRACT}, got {got}")


def _check_shapes(path: Path, inputs: list, outputs: list) -> int:
    """Check one input and one output of shape (B, n, n, 3); return n.

    Dimensions may be ``None`` / negative / strings (dynamic) only in the batch position.
    """
    got = f"inputs {inputs} -> outputs {outputs}"
    if len(inputs) != 1 or len(outputs) != 1:
        raise _contract_error(path, got)
    shape_in, shape_out = list(inputs[0]), list(outputs[0])
    if len(shape_in) != 4 or shape_in[1:] != shape_out[1:] or len(shape_out) != 4:
        raise _contract_error(path, got)
    n, m, c = shape_in[1:]
    if not all(isinstance(d, int | np.integer) for d in (n, m, c)) or n != m or c != 3 or n < 8:
        raise _contract_error(path, got)
    return int(n)


def _check_batch(batch: np.ndarray, n: int) -> np.ndarray:
    x = np.asarray(batch, np.float32)
    if x.ndim != 4 or x.shape[1:] != (n, n, 3):
        raise ValueError(f"batch: expected shape (B, {n}, {n}, 3), got {x.shape}")
    return x


def _fixed_batch(dim: Any) -> int | None:
    """The batch dimension as an int, or None when it is dynamic."""
    if isinstance(dim, int | np.integer) and int(dim) > 0:
        return int(dim)
    return None


class KerasModel:
    """A tf-keras ``.keras`` / ``.h5`` posmap network (TensorFlow's own thread pools)."""

    format = "keras"

    def __init__(self, path: Path, net: Any):
        self.path = path
        self.name = path.stem
        self._net = net
        if isinstance(net.input_shape, list) or isinstance(net.output_shape, list):
            raise _contract_error(path, f"{net.input_shape} -> {net.output_shape}")
        shape_in = [d if d is not None else -1 for d in net.input_shape]
        shape_out = [d if d is not None else -1 for d in net.output_shape]
        self.resolution = _check_shapes(path, [shape_in], [shape_out])
        self._batch = _fixed_batch(net.input_shape[0])
        self._call = None

    def _graph(self):
        """The network as one traced graph: batch-1 calls run ~10x faster than eager."""
        if self._call is None:
            from lprnet.tfenv import tf

            n = self.resolution
            self._call = tf.function(
                lambda x: self._net(x, training=False),
                input_signature=[tf.TensorSpec((None, n, n, 3), tf.float32)],
            )
        return self._call

    def predict(self, batch: np.ndarray) -> np.ndarray:
        x = _check_batch(batch, self.resolution)
        step = self._batch or max(len(x), 1)
        call = self._graph()
        outs = [
            np.asarray(call(np.asarray(x[i : i + step], np.float32)), np.float32)
            for i in range(0, len(x), step)
        ]
        return np.concatenate(outs) if outs else np.zeros_like(x)


def _load_keras(path: Path) -> KerasModel:
    # isort: off
    from lprnet.tfenv import tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before tf_keras)
    import tf_keras

    # isort: on

    try:
        net = tf_keras.models.load_model(path, compile=False)
    except Exception as exc:
        try:  # a quantisation-aware (QAT) model needs tfmot's custom objects
            import tensorflow_model_optimization as tfmot

            with tfmot.quantization.keras.quantize_scope():
                net = tf_keras.models.load_model(path, compile=False)
        except Exception:
            raise _load_error(path, "a Keras", exc) from exc
    return KerasModel(path, net)


def _load_error(path: Path, kind: str, exc: BaseException) -> LprnetError:
    return LprnetError(
        f"{path}: cannot load as {kind} model ({type(exc).__name__}: {_first_line(exc)}); "
        f"expected a posmap network {CONTRACT}"
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else ""


class LiteRTModel:
    """A ``.tflite`` posmap network on the LiteRT interpreter (XNNPACK delegate by default).

    Quantised int8 / uint8 inputs and outputs are (de)quantised with the tensors' own scale and
    zero point; float16 / float32 tensors are cast.
    """

    format = "tflite"

    def __init__(self, path: Path, threads: int | None = None):
        from ai_edge_litert.interpreter import Interpreter

        from lprnet.quiet import quiet

        self.path = path
        self.name = path.stem
        try:
            with quiet():  # LiteRT's "INFO: Created TensorFlow Lite XNNPACK delegate" on fd 2
                self._interp = Interpreter(model_path=str(path), num_threads=threads)
                self._interp.allocate_tensors()
        except Exception as exc:
            raise _load_error(path, "a TFLite", exc) from exc
        ins, outs = self._interp.get_input_details(), self._interp.get_output_details()
        sig_in = [list(d.get("shape_signature", d["shape"])) for d in ins]
        sig_out = [list(d.get("shape_signature", d["shape"])) for d in outs]
        self.resolution = _check_shapes(path, sig_in, sig_out)
        self._in, self._out = ins[0], outs[0]
        for d in (self._in, self._out):
            if np.dtype(d["dtype"]) not in (np.float32, np.float16, np.int8, np.uint8):
                raise _contract_error(path, f"tensor {d['name']!r} of type {d['dtype'].__name__}")
        self._dynamic = _fixed_batch(sig_in[0][0]) is None
        self._batch = int(self._in["shape"][0])

    @property
    def quantized(self) -> bool:
        """True when the input tensor is int8 / uint8."""
        return np.dtype(self._in["dtype"]).kind in "iu"

    def _resize(self, batch: int) -> None:
        if batch != self._batch:
            n = self.resolution
            self._interp.resize_tensor_input(self._in["index"], [batch, n, n, 3])
            self._interp.allocate_tensors()
            self._in = self._interp.get_input_details()[0]
            self._out = self._interp.get_output_details()[0]
            self._batch = batch

    def _quantize(self, x: np.ndarray) -> np.ndarray:
        dtype = np.dtype(self._in["dtype"])
        if dtype.kind == "f":
            return x.astype(dtype)
        scale, zero = self._in["quantization"]
        if scale == 0:
            raise LprnetError(f"{self.path}: quantised input without a scale")
        info = np.iinfo(dtype)
        return np.clip(np.round(x / scale + zero), info.min, info.max).astype(dtype)

    def _dequantize(self, y: np.ndarray) -> np.ndarray:
        if np.dtype(self._out["dtype"]).kind == "f":
            return y.astype(np.float32)
        scale, zero = self._out["quantization"]
        return ((y.astype(np.float32) - zero) * scale).astype(np.float32)

    def _run(self, x: np.ndarray) -> np.ndarray:
        self._interp.set_tensor(self._in["index"], self._quantize(x))
        self._interp.invoke()
        return self._dequantize(self._interp.get_tensor(self._out["index"]))

    def predict(self, batch: np.ndarray) -> np.ndarray:
        x = _check_batch(batch, self.resolution)
        if len(x) == 0:
            return x.copy()
        if self._dynamic:
            self._resize(len(x))
            return self._run(x)
        step = self._batch
        outs = []
        for i in range(0, len(x), step):
            chunk = x[i : i + step]
            pad = step - len(chunk)
            if pad:
                chunk = np.concatenate([chunk, np.zeros((pad, *chunk.shape[1:]), np.float32)])
            outs.append(self._run(chunk)[: step - pad])
        return np.concatenate(outs)


class OnnxModel:
    """A ``.onnx`` posmap network on onnxruntime's CPU provider (NHWC input, as tf2onnx makes)."""

    format = "onnx"

    def __init__(self, path: Path, threads: int | None = None):
        import onnxruntime as ort

        self.path = path
        self.name = path.stem
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        if threads:
            opts.intra_op_num_threads = int(threads)
            opts.inter_op_num_threads = 1
        try:
            self._sess = ort.InferenceSession(
                str(path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise _load_error(path, "an ONNX", exc) from exc
        ins, outs = self._sess.get_inputs(), self._sess.get_outputs()
        self.resolution = _check_shapes(path, [i.shape for i in ins], [o.shape for o in outs])
        if ins[0].type not in ("tensor(float)", "tensor(float16)"):
            raise _contract_error(path, f"input of type {ins[0].type}")
        self._in_name, self._out_name = ins[0].name, outs[0].name
        self._in_dtype = np.float16 if ins[0].type == "tensor(float16)" else np.float32
        self._batch = _fixed_batch(ins[0].shape[0])

    def predict(self, batch: np.ndarray) -> np.ndarray:
        x = _check_batch(batch, self.resolution)
        if len(x) == 0:
            return x.copy()
        step = self._batch or len(x)
        outs = []
        for i in range(0, len(x), step):
            chunk = x[i : i + step]
            pad = step - len(chunk)
            if pad:
                chunk = np.concatenate([chunk, np.zeros((pad, *chunk.shape[1:]), np.float32)])
            (y,) = self._sess.run([self._out_name], {self._in_name: chunk.astype(self._in_dtype)})
            outs.append(np.asarray(y, np.float32)[: step - pad])
        return np.concatenate(outs)


def load_model(path: str | os.PathLike, threads: int | None = None) -> PosmapModel:
    """Open a posmap network file with the runtime its suffix calls for.

    Parameters
    ----------
    path : path-like
        ``.keras`` / ``.h5`` (tf-keras), ``.tflite`` (LiteRT) or ``.onnx`` (onnxruntime CPU),
        or the name of a shipped model (:mod:`lprnet.shipped`).
    threads : int, optional
        CPU threads of the LiteRT interpreter / ONNX session (runtime default when None).
        TensorFlow's thread pools are process-wide: Keras models ignore it.

    Returns
    -------
    PosmapModel

    Raises
    ------
    LprnetError
        Missing file, unknown suffix, a file the runtime cannot read, or a model that does not
        meet the ``(1, n, n, 3) -> (1, n, n, 3)`` contract (the message names the file).
    """
    from lprnet.shipped import SHIPPED, resolve_model

    path = resolve_model(path)
    if not path.is_file():
        hint = f" (shipped models: {', '.join(SHIPPED)})" if len(path.parts) == 1 else ""
        raise LprnetError(f"--model {path}: no such file{hint}")
    if threads is not None and threads < 1:
        raise LprnetError(f"threads must be >= 1, got {threads}")
    suffix = path.suffix.lower()
    if suffix in KERAS_SUFFIXES:
        return _load_keras(path)
    if suffix in TFLITE_SUFFIXES:
        return LiteRTModel(path, threads)
    if suffix in ONNX_SUFFIXES:
        return OnnxModel(path, threads)
    raise LprnetError(
        f"--model {path}: unsupported model file type {path.suffix!r}; "
        f"supported: {', '.join(MODEL_SUFFIXES)}"
    )
