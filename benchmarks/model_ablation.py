"""The L-PRNet ablation: size, compute, int8 LiteRT latency and accuracy of each design.

    python benchmarks/model_ablation.py [--trained NAME=MODEL.keras ...] [--runs 50] [--json F]

For every registered model: parameters, GMAC, and batch-1 latency of its full-integer int8
TFLite (calibrated on 64 crops of the embedded set) on LiteRT + XNNPACK at 1 and 2 threads,
median and p90 over ``--runs`` runs, measured round-robin across models so machine noise spreads
over all of them instead of skewing one. With ``--trained``, the float and int8 NME on the
embedded set (3DDFA protocol, mean of yaw-bin means) of trained weights of that design.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from export import tflite
from lprnet.machine import describe

VARIANTS = [
    "lprnet_128_seed",
    "lprnet_128",
    "lprnet_128_slim",
    "lprnet_128_wide",
    "lprnet_128_slim_w075",
    "lprnet_128_slim_w125",
    "lprnet_128_slim_noskip",
    "prnet_256",
]


def _interpreter(flatbuffer: bytes, threads: int):
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_content=flatbuffer, num_threads=threads)
    it.allocate_tensors()
    return it


def _nme(model_file: str) -> float:
    from lprnet.evaluation import embedded_faces, evaluate
    from lprnet.predictors import load_predictor

    res = evaluate(embedded_faces(), load_predictor(model_file, None), None, progress=False)
    return float(res["summary"]["nme_2d_sparse"]["mean"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="*", default=VARIANTS)
    parser.add_argument("--trained", nargs="*", default=[], metavar="NAME=FILE")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--out", type=Path, default=Path("runs/ablation"))
    args = parser.parse_args()

    from lprnet.data.embedded import load_embedded_set
    from lprnet.models.registry import build_model, summary

    trained = dict(t.split("=", 1) for t in args.trained)
    emb = load_embedded_set()
    rows, interpreters = {}, {}
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.models:
        if name in trained:
            import tf_keras

            model = tf_keras.models.load_model(trained[name], compile=False)
        else:
            model = build_model(name)
        n = int(model.input_shape[1])
        calib = emb.images(n)[:64].astype(np.float32) / 255.0
        flat = tflite.convert(model, "int8", calib)
        path = tflite.save(flat, args.out / f"{name}-int8.tflite")
        rows[name] = {**summary(model), "int8_kb": len(flat) / 1024}
        if name in trained:
            rows[name]["nme_float"] = _nme(trained[name])
            rows[name]["nme_int8"] = _nme(str(path))
        for threads in (1, 2):
            interpreters[(name, threads)] = _interpreter(flat, threads)
        print(f"converted {name}", flush=True)
    times: dict[tuple[str, int], list[float]] = {k: [] for k in interpreters}
    for it in interpreters.values():  # warm-up
        for _ in range(5):
            it.invoke()
    for _ in range(args.runs):
        for key, it in interpreters.items():
            t = time.perf_counter()
            it.invoke()
            times[key].append((time.perf_counter() - t) * 1e3)
    for (name, threads), ms in times.items():
        rows[name][f"int8_ms_{threads}t"] = float(np.median(ms))
        rows[name][f"int8_p90_{threads}t"] = float(np.percentile(ms, 90))
    print("| model | params | GMAC | int8 KB | int8 ms 1t | 2t | NME float | NME int8 |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        nf = f"{r['nme_float']:.2f}" if "nme_float" in r else "-"
        ni = f"{r['nme_int8']:.2f}" if "nme_int8" in r else "-"
        print(
            f"| {name} | {r['params'] / 1e6:.2f} M | {r['gmac']:.3f} | {r['int8_kb']:.0f} | "
            f"{r['int8_ms_1t']:.2f} | {r['int8_ms_2t']:.2f} | {nf} | {ni} |"
        )
    report = {"machine": describe(), "runs": args.runs, "models": rows}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
