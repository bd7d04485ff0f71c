"""Where a TF.js model's time goes: per-kernel milliseconds on the wasm backend in Node.

    python benchmarks/tfjs_kernels.py MODEL [MODEL ...] [--precision uint8] [--runs 10]

``MODEL``: a shipped name or ``.keras`` file (exported to TF.js once, cached) or a TF.js model
folder. One thread (the wasm backend in Node is single-threaded; the page runs one per core), a
random crop, ``tf.profile`` over ``--runs`` runs. Prints each model's wall time, the time per
op type and its slowest kernels with their output shapes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from collections import defaultdict
from pathlib import Path

from lprnet.errors import LprnetError

SCRIPT = Path(__file__).resolve().with_name("tfjs_kernels.cjs")


def profile(model_dir: str | os.PathLike, runs: int = 10) -> dict:
    """``{"wall_ms", "kernels": [{"name", "shape", "ms"}]}`` of one TF.js model folder."""
    from export.tfjs_node import find_node_modules

    modules = find_node_modules()
    if modules is None:
        raise LprnetError("needs node and @tensorflow/tfjs (see export/tfjs_node.py)")
    cmd = ["node", str(SCRIPT), str(modules), str(model_dir), str(int(runs))]
    env = {**os.environ, "NODE_PATH": str(modules)}
    run = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if run.returncode != 0:
        tail = run.stderr.strip().splitlines()[-1:] or ["no output"]
        raise LprnetError(f"{model_dir}: TF.js profile failed: {tail[0][:300]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def by_op(kernels: list[dict]) -> dict[str, float]:
    """Milliseconds per op type, largest first."""
    total: dict[str, float] = defaultdict(float)
    for k in kernels:
        total[k["name"]] += k["ms"]
    return dict(sorted(total.items(), key=lambda kv: -kv[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--precision", default="uint8", choices=["fp32", "fp16", "uint8"])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()
    from export.api import ensure_artifact

    for model in args.models:
        folder = Path(model)
        if not (folder / "model.json").is_file():
            folder = ensure_artifact(model, "tfjs", args.precision)
        p = profile(folder, args.runs)
        kernel_ms = sum(k["ms"] for k in p["kernels"])
        print(f"{folder.name}: {p['wall_ms']:.1f} ms a run (kernels {kernel_ms:.1f} ms)")
        for name, ms in by_op(p["kernels"]).items():
            print(f"  {name:<28} {ms:6.2f} ms  {100 * ms / kernel_ms:5.1f}%")
        for k in sorted(p["kernels"], key=lambda k: -k["ms"])[: args.top]:
            print(f"    {k['ms']:6.2f} ms  {k['name']} -> {k['shape']}")


if __name__ == "__main__":
    main()
