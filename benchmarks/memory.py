"""Peak resident memory of running one model: a fresh process per model, loads it, runs it.

``peak_mb`` is the process's peak RSS (``VmHWM``); ``baseline_mb`` the RSS after
importing the model's runtime (LiteRT, ONNX Runtime or TensorFlow) but before opening it;
``model_mb`` their difference, what the model itself costs at batch 1 with ``threads`` threads.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from pathlib import Path


def _status_mb(field: str) -> float:
    """A ``/proc/self/status`` memory field in MB (VmRSS: now; VmHWM: peak of this image —
    unlike ``ru_maxrss``, which Linux carries over from the parent across fork + exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _import_runtime(path: str) -> None:
    """Import only the runtime the model needs (its memory is the baseline, not the model's)."""
    suffix = Path(path).suffix
    if suffix == ".tflite":
        import ai_edge_litert.interpreter  # noqa: F401
    elif suffix == ".onnx":
        import onnxruntime  # noqa: F401
    else:  # Keras, TF.js graph (run in TensorFlow)
        from lprnet.tfenv import tf  # noqa: F401


def _probe(conn, path: str, threads: int, runs: int) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        import numpy as np

        from export.runtime import load_artifact

        _import_runtime(path)
        base = _status_mb("VmRSS")
        model = load_artifact(path, threads=threads)
        n = model.resolution
        x = np.random.default_rng(0).random((1, n, n, 3), dtype=np.float32)
        for _ in range(runs):
            model.predict(x)
        peak = _status_mb("VmHWM")
        conn.send({"baseline_mb": base, "peak_mb": peak, "model_mb": peak - base})
    except Exception as exc:
        conn.send({"error": f"{type(exc).__name__}: {exc}"})


def peak_memory(path: str, threads: int = 1, runs: int = 5) -> dict[str, float | str]:
    """Run ``path`` ``runs`` times in a fresh spawned process; its memory (MB)."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_probe, args=(child, str(path), threads, runs), daemon=True)
    proc.start()
    try:
        if not parent.poll(600):
            return {"error": "timed out"}
        return parent.recv()
    finally:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
