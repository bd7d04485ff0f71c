"""What the flip test buys and costs: AFLW2000-3D NME and latency, one run against two.

    python benchmarks/flip_test.py MODEL [MODEL ...] [--aflw DIR] [--data-dir DIR]
        [--runs N] [--json OUT]

For each model (a shipped name, or a .keras / .h5 / .tflite / .onnx file): the protocol's
68-point 2D NME (mean of the yaw-bin means, and by bin) and 3D sparse / dense NME of the
network alone and with :class:`lprnet.inference.flip_test.FlipTest` (the crop and its mirror
image, posmaps averaged), on the same images, crops and ground truth; and, for LiteRT and ONNX
files, the median latency of one crop on 1 thread, both ways, timed in this process.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

METRICS = ("nme_2d_sparse", "nme_3d_sparse", "nme_3d_dense")


def measure(name: str, faces, face_model, data_dir: str | None, runs: int) -> dict:
    """Both ways for one model: ``{"plain": {...}, "flip": {...}}`` (NME summaries, latency)."""
    from benchmarks.timing import time_ms
    from lprnet.evaluation import compact_summary, evaluate
    from lprnet.inference.backends import load_model
    from lprnet.inference.flip_test import FlipTest
    from lprnet.predictors import network_predictor
    from lprnet.shipped import resolve_model

    path = resolve_model(name)
    timed = path.suffix in (".tflite", ".onnx")
    net = load_model(path, threads=1 if timed else None)
    n = net.resolution
    crop = np.random.default_rng(0).random((1, n, n, 3), dtype=np.float32)
    out = {"file": path.name, "format": net.format}
    for way, model in (("plain", net), ("flip", FlipTest(net))):
        res = evaluate(faces, network_predictor(model, data_dir), face_model, progress=False)
        summary = compact_summary(res)
        row = {k: summary[k] for k in METRICS if k in summary}
        if timed:
            row["latency_1t"] = time_ms(lambda m=model: m.predict(crop), repeat=runs, warmup=5)
        out[way] = row
    return out


def markdown(result: dict) -> str:
    """One table row per model and way: NME by bin, the protocol mean, 3D, latency."""
    lines = [
        "| model | file | way | [0, 30] | (30, 60] | (60, 90] | **mean** | 3D sparse | 3D dense "
        "| ms, 1 thread |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in result["models"].items():
        for way, label in (("plain", "one run"), ("flip", "flip test (two runs)")):
            row = m[way]
            nme = row["nme_2d_sparse"]
            bins = " | ".join(f"{v:.2f}" for v in nme["bins"].values())
            mean = "undefined" if nme["mean"] is None else f"**{nme['mean']:.2f}**"
            extra = [
                f"{row[k]['mean']:.2f}" if k in row and row[k]["mean"] is not None else ""
                for k in ("nme_3d_sparse", "nme_3d_dense")
            ]
            ms = f"{row['latency_1t']['median_ms']:.2f}" if "latency_1t" in row else ""
            lines.append(
                f"| `{name}` | {m['file']} | {label} | {bins} | {mean} | {' | '.join(extra)} "
                f"| {ms} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from lprnet.assets import data_dir
    from lprnet.evaluation import aflw2000_benchmark
    from lprnet.fileio import write_json
    from lprnet.geometry.bfm import load_face_model
    from lprnet.machine import describe

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--aflw", help="AFLW2000-3D folder (default: $LPRNET_DATA/AFLW2000)")
    ap.add_argument("--data-dir", help="face-model data directory (default: $LPRNET_DATA)")
    ap.add_argument("--runs", type=int, default=200, help="timed calls per model and way")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    root = data_dir(args.data_dir)
    aflw = args.aflw or str(root / "AFLW2000")
    skipped: list[str] = []
    faces = aflw2000_benchmark(aflw, str(root), skipped=skipped)
    face_model = load_face_model(str(root))
    result = {
        "aflw2000": {"dir": Path(aflw).name, "images": len(faces), "skipped": skipped},
        "machine": describe(),
        "models": {
            name: measure(name, faces, face_model, str(root), args.runs) for name in args.models
        },
    }
    print(markdown(result))
    if args.json:
        write_json(args.json, result)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
