"""Keras posmap network -> TF.js graph model folder, and a runner that reads it back.

Export: ``tensorflowjs`` 4.22 ``convert_keras_model_to_graph_model`` (the Python form of
``tensorflowjs_converter --input_format=keras --output_format=tfjs_graph_model``); fp16 is
``--quantize_float16`` and uint8 ``--quantize_uint8`` (weights only; TF.js computes in float).
The folder holds ``model.json`` (``userDefinedMetadata.lprnet``: the lprnet metadata), the weight
shards and ``lprnet.json`` (metadata + the UV tables a web app needs for landmarks and a mesh).

QAT / PQAT models (``FakeQuant*`` ops) cannot be converted: export the float or pruned model
with uint8 weight quantisation instead (../shared/notes/stack.md).

:class:`TfjsGraphModel` runs the exported graph in TensorFlow: it parses ``model.json``'s
GraphDef, fills every constant from the shards decoded by ``tensorflowjs.read_weights`` (so
uint8 / fp16 weights arrive dequantised exactly as TF.js dequantises them), expands the fused
convolutions (``FusedDepthwiseConv2dNative`` exists only in TF.js) into conv + bias +
activation, and runs the graph. It checks the artifact's graph and weights, not TF.js' kernels.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from lprnet.errors import LprnetError
from lprnet.tfenv import tf

PRECISIONS = ("fp32", "fp16", "uint8")
QUANTIZATION = {"fp32": None, "fp16": {"float16": True}, "uint8": {"uint8": True}}
SHARD_BYTES = 4 * 1024 * 1024
UV_FILE = "lprnet.json"


def _import_converter():
    """tensorflowjs' converter module (``lprnet[web]``)."""
    from lprnet.optional import require

    return require("tensorflowjs.converters.tf_saved_model_conversion_v2", "TF.js export")


def _has_fake_quant(model) -> bool:
    fn = tf.function(lambda x: model(x, training=False))
    n = int(model.input_shape[1])
    graph = fn.get_concrete_function(tf.TensorSpec([1, n, n, 3], tf.float32)).graph
    return any(op.type.startswith("FakeQuant") for op in graph.get_operations())


def _replace_dir(tmp: Path, target: Path) -> None:
    """Move a finished folder into place (the old one, if any, goes only after)."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def export_artifact(
    model,
    path: str | os.PathLike,
    precision: str,
    calibration: np.ndarray | None,
    info,
) -> tuple[list[Path], dict]:
    """Write the graph model folder ``path``; returns (its files, the metadata).

    ``calibration`` is unused: TF.js quantises weights only.
    """
    from export.metadata import KEY, model_metadata, uv_json, write_compact_json
    from lprnet.quiet import quiet

    if precision not in PRECISIONS:
        raise LprnetError(f"TF.js precision must be one of {PRECISIONS}, got {precision!r}")
    if _has_fake_quant(model):
        raise LprnetError(
            "TF.js cannot convert a quantisation-aware (QAT / PQAT) model (FakeQuant ops); "
            "export the float or pruned model with --precision uint8"
        )
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    meta = model_metadata(info, "tfjs", precision)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with quiet():
            conversion = _import_converter()
            try:
                conversion.convert_keras_model_to_graph_model(
                    model,
                    str(tmp),
                    quantization_dtype_map=QUANTIZATION[precision],
                    weight_shard_size_bytes=SHARD_BYTES,
                    metadata={KEY: meta},
                )
            except Exception as exc:
                raise LprnetError(f"TF.js conversion ({precision}) failed: {exc}") from exc
        write_compact_json(tmp / UV_FILE, {**meta, "uv": uv_json(info.resolution)})
        os.chmod(tmp, 0o755)
        _replace_dir(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return sorted(p for p in target.iterdir() if p.is_file()), meta


# --------------------------------------------------------------------------- #
# Running an exported graph model in TensorFlow (parity)
# --------------------------------------------------------------------------- #
def _attr_list(node, key: str) -> list[str]:
    return [s.decode() for s in node.attr[key].list.s] if key in node.attr else []


FUSED = {"_FusedConv2D": "Conv2D", "FusedDepthwiseConv2dNative": "DepthwiseConv2dNative"}
ACTIVATIONS = ("Relu", "Relu6", "Elu", "Sigmoid", "Tanh", "LeakyRelu")
CONV_ATTRS = ("T", "strides", "padding", "data_format", "dilations", "explicit_paddings")


def _expand_fused_convs(graph_def) -> None:
    """TF.js' fused convolutions -> conv + BiasAdd + activation, plain TensorFlow ops.

    ``fused_ops`` is ``[BiasAdd | NoOp, activation?]`` (the TF.js converter's form; NoOp: no
    bias). ``FusedDepthwiseConv2dNative`` exists only in TF.js, and TensorFlow's own
    ``_FusedConv2D`` kernel rejects ``NoOp``, so both are expanded. PReLU is not supported.
    """
    nodes = list(graph_def.node)
    del graph_def.node[:]
    for node in nodes:
        if node.op not in FUSED:
            graph_def.node.append(node)
            continue
        fused = _attr_list(node, "fused_ops")
        extra, act = [*fused, None, None][:2]
        if extra not in ("BiasAdd", "NoOp") or len(fused) > 2 or act not in (None, *ACTIVATIONS):
            raise LprnetError(f"TF.js runner: unsupported fused ops {fused} in {node.name}")
        steps = ["conv"] + (["bias"] if extra == "BiasAdd" else []) + (["act"] if act else [])
        names = {step: f"{node.name}/{step}" for step in steps}
        names[steps[-1]] = node.name  # the last op keeps the name consumers refer to
        conv = graph_def.node.add()
        conv.name, conv.op = names["conv"], FUSED[node.op]
        conv.input.extend(node.input[:2])
        for key in CONV_ATTRS:
            if key in node.attr:
                conv.attr[key].CopyFrom(node.attr[key])
        last = conv.name
        if extra == "BiasAdd":
            bias = graph_def.node.add()
            bias.name, bias.op = names["bias"], "BiasAdd"
            bias.input.extend([last, node.input[2]])
            bias.attr["T"].CopyFrom(node.attr["T"])
            bias.attr["data_format"].CopyFrom(node.attr["data_format"])
            last = bias.name
        if act:
            a = graph_def.node.add()
            a.name, a.op = names["act"], act
            a.input.append(last)
            a.attr["T"].CopyFrom(node.attr["T"])
            if act == "LeakyRelu" and "leakyrelu_alpha" in node.attr:
                a.attr["alpha"].f = node.attr["leakyrelu_alpha"].f


class TfjsGraphModel:
    """A TF.js graph model folder, run in TensorFlow (see the module docstring).

    Meets :class:`lprnet.inference.backends.PosmapModel`: ``predict((B, n, n, 3))``.
    """

    format = "tfjs"
    runtime = f"TensorFlow {tf.__version__} re-run of the graph model (graph + decoded weights)"

    def __init__(self, folder: str | os.PathLike):
        from google.protobuf.json_format import ParseDict

        from lprnet.quiet import quiet

        folder = Path(folder)
        path = folder / "model.json" if folder.is_dir() else folder
        if not path.is_file():
            raise LprnetError(f"{folder}: not a TF.js model folder (no model.json)")
        self.path = path.parent
        self.name = self.path.name
        try:
            spec = json.loads(path.read_text())
            graph_def = ParseDict(spec["modelTopology"], tf.compat.v1.GraphDef())
            with quiet():
                _import_converter()
                from tensorflowjs.read_weights import read_weights

                groups = read_weights(spec["weightsManifest"], str(self.path))
        except (OSError, KeyError, ValueError) as exc:
            raise LprnetError(f"{path}: unreadable TF.js graph model ({exc})") from exc
        weights = {w["name"]: w["data"] for group in groups for w in group}
        for node in graph_def.node:
            if node.op == "Const" and node.name in weights:
                node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(weights[node.name]))
        _expand_fused_convs(graph_def)
        sig = spec["signature"]
        (inp,) = sig["inputs"].values()
        (out,) = sig["outputs"].values()
        dims = [int(d["size"]) for d in inp["tensorShape"]["dim"]]
        self.resolution = dims[1]
        self._in, self._out = inp["name"], out["name"]

        def run(x):
            return tf.graph_util.import_graph_def(
                graph_def, input_map={self._in: x}, return_elements=[self._out]
            )[0]

        n = self.resolution
        wrapped = tf.compat.v1.wrap_function(run, [tf.TensorSpec([None, n, n, 3], tf.float32)])
        self._fn = wrapped

    def predict(self, batch: np.ndarray) -> np.ndarray:
        x = np.asarray(batch, np.float32)
        if x.ndim != 4 or x.shape[1:] != (self.resolution, self.resolution, 3):
            n = self.resolution
            raise ValueError(f"batch: expected shape (B, {n}, {n}, 3), got {x.shape}")
        if len(x) == 0:
            return x.copy()
        return np.asarray(self._fn(tf.constant(x)), np.float32)
