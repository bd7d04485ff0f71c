"""Open an exported artifact with the runtime that runs it in production.

The one loader behind parity (:mod:`export.parity`), the benchmark's latency, memory and
accuracy subjects: ``.tflite`` in LiteRT + XNNPACK, ``.onnx`` in onnxruntime, ``.keras`` /
``.h5`` in tf-keras (:func:`lprnet.inference.backends.load_model`), a TF.js folder in TF.js.
"""

from __future__ import annotations

import os
from pathlib import Path

from lprnet.errors import LprnetError

TFJS_RUNTIMES = ("auto", "node", "tensorflow")


def load_artifact(path: str | os.PathLike, threads: int | None = None, tfjs_runtime: str = "auto"):
    """Open an artifact with its production runtime.

    A TF.js folder runs in TF.js itself (Node, wasm backend: :class:`export.tfjs_node.
    TfjsNodeModel`) when ``node`` and the npm modules are there (``tfjs_runtime="auto"`` or
    ``"node"``), else as its graph re-run in TensorFlow (:class:`export.tfjs.TfjsGraphModel`).
    """
    path = Path(path)
    if path.is_dir() or path.name == "model.json":
        from export.tfjs import TfjsGraphModel
        from export.tfjs_node import TfjsNodeModel, find_node_modules

        if tfjs_runtime not in TFJS_RUNTIMES:
            raise LprnetError(f"tfjs_runtime must be one of {TFJS_RUNTIMES}, got {tfjs_runtime!r}")
        if tfjs_runtime == "node" or (tfjs_runtime == "auto" and find_node_modules()):
            return TfjsNodeModel(path)
        return TfjsGraphModel(path)
    from lprnet.inference.backends import load_model

    return load_model(path, threads=threads)
