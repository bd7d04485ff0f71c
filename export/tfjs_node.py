"""Run a TF.js graph model with TF.js itself: ``@tensorflow/tfjs`` in Node (no tfjs-node).

``export/tfjs_runner.cjs`` loads the model folder from disk, runs each crop with the ``wasm``
(default) or ``cpu`` backend and writes the outputs back. It needs ``node`` and an npm folder
with ``@tensorflow/tfjs`` (+ ``@tensorflow/tfjs-backend-wasm``) 4.22: ``$LPRNET_TFJS_NODE_MODULES``,
else the web demo's ``web_demo/node_modules`` (``npm ci`` there), else the web demo's vendored
bundles (``web_demo/vendor/tf.min.js`` + ``tf-backend-wasm.min.js`` and its ``.wasm`` files,
committed): a folder of three one-line npm shims pointing at them is written to the cache and
handed to Node through ``NODE_PATH``, so a fresh clone runs TF.js in Node with no npm install.
Where none exists, parity falls back to :class:`export.tfjs.TfjsGraphModel` (the graph re-run
in TensorFlow).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from lprnet.errors import LprnetError

RUNNER = Path(__file__).resolve().with_name("tfjs_runner.cjs")
REPO = Path(__file__).resolve().parent.parent
BACKENDS = ("wasm", "cpu")


def find_node_modules() -> Path | None:
    """An npm folder holding @tensorflow/tfjs and its wasm backend, when ``node`` exists."""
    if shutil.which("node") is None:
        return None
    env = os.environ.get("LPRNET_TFJS_NODE_MODULES")
    candidates = [Path(env)] if env else [REPO / "web_demo" / "node_modules"]
    for folder in candidates:
        tfjs = folder / "@tensorflow"
        if (tfjs / "tfjs" / "package.json").is_file() and (
            tfjs / "tfjs-backend-wasm" / "package.json"
        ).is_file():
            return folder
    return None if env else vendored_modules()


VENDOR = REPO / "web_demo" / "vendor"
#: npm package -> the vendored UMD bundle it stands for (tf.min.js is tfjs and tfjs-core).
SHIMS = {
    "tfjs": "tf.min.js",
    "tfjs-core": "tf.min.js",
    "tfjs-backend-wasm": "tf-backend-wasm.min.js",
}


def vendored_modules(cache: Path | None = None) -> Path | None:
    """npm shims for the web demo's vendored tfjs bundles (None without them)."""
    if not all((VENDOR / f).is_file() for f in SHIMS.values()):
        return None
    import hashlib

    from export.api import cache_root

    tag = hashlib.sha256(str(VENDOR).encode()).hexdigest()[:8]  # one per checkout
    root = (cache or cache_root().parent) / f"tfjs-vendored-{tag}"
    for name, bundle in SHIMS.items():
        pkg = root / "@tensorflow" / name
        pkg.mkdir(parents=True, exist_ok=True)
        index = f"module.exports = require({json.dumps(str(VENDOR / bundle))});\n"
        meta = json.dumps({"name": f"@tensorflow/{name}", "version": "4.22.0", "main": "index.js"})
        for file, text in (("index.js", index), ("package.json", meta)):
            if not (pkg / file).is_file() or (pkg / file).read_text() != text:
                (pkg / file).write_text(text)
    return root


class TfjsNodeModel:
    """A TF.js graph model folder run by TF.js in Node (meets ``PosmapModel``)."""

    format = "tfjs"

    def __init__(self, folder: str | os.PathLike, backend: str = "wasm", node_modules=None):
        folder = Path(folder)
        if folder.name == "model.json":
            folder = folder.parent
        spec_path = folder / "model.json"
        if not spec_path.is_file():
            raise LprnetError(f"{folder}: not a TF.js model folder (no model.json)")
        if backend not in BACKENDS:
            raise LprnetError(f"TF.js backend must be one of {BACKENDS}, got {backend!r}")
        modules = Path(node_modules) if node_modules else find_node_modules()
        if modules is None:
            raise LprnetError(
                "TF.js in Node needs node and @tensorflow/tfjs + tfjs-backend-wasm 4.22 "
                "(set LPRNET_TFJS_NODE_MODULES or npm install in web_demo/)"
            )
        spec = json.loads(spec_path.read_text())
        (inp,) = spec["signature"]["inputs"].values()
        self.resolution = int(inp["tensorShape"]["dim"][1]["size"])
        self.path, self.name = folder, folder.name
        self.backend, self._modules = backend, modules
        self.runtime = f"TF.js 4.22 {backend} backend (Node {_node_version()})"
        self.last_ms: list[float] = []

    def predict(self, batch: np.ndarray) -> np.ndarray:
        x = np.asarray(batch, np.float32)
        n = self.resolution
        if x.ndim != 4 or x.shape[1:] != (n, n, 3):
            raise ValueError(f"batch: expected shape (B, {n}, {n}, 3), got {x.shape}")
        if len(x) == 0:
            return x.copy()
        with tempfile.TemporaryDirectory(prefix="lprnet-tfjs-") as tmp:
            src, dst = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
            x.astype("<f4").tofile(src)
            cmd = ["node", str(RUNNER), str(self._modules), str(self.path), str(src)]
            cmd += [str(len(x)), str(n), str(dst), self.backend]
            env = {**os.environ, "NODE_PATH": str(self._modules)}  # bundles' own requires
            run = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
            if run.returncode != 0:
                tail = run.stderr.strip().splitlines()[-1:] or ["no output"]
                raise LprnetError(f"{self.path}: TF.js in Node failed: {tail[0][:300]}")
            self.last_ms = json.loads(run.stdout.strip().splitlines()[-1])["ms"]
            return np.fromfile(dst, "<f4").reshape(x.shape)


def _node_version() -> str:
    try:
        return subprocess.run(
            ["node", "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"
