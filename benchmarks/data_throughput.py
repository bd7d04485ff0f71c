"""Throughput of the offline training-data engine on this machine.

    python benchmarks/data_throughput.py [--data-dir DIR] [--synth 200] [--workers 2] [--json F]

Measures, end to end through ``write_shards`` (PNG encoding and TFRecord writing included):
synthetic faces per second at 256 and 128, profiled views per second at 256, and the tf.data
input pipeline (with PRNet's augmentation) over the synthetic shards. Targets (issue 3):
synth >= 20 samples/s at 256, input pipeline >= 200 samples/s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from input_pipeline_speed import measure

from lprnet.machine import describe


def _timed(fn) -> tuple[dict, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--synth", type=int, default=200, help="synthetic samples per size")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from lprnet.assets import data_dir
    from lprnet.data.pipeline import make_dataset
    from lprnet.synth.bank import build_texture_bank
    from lprnet.synth.generate import synth_shards
    from lprnet.synth.profile import profile_shards

    root = data_dir(args.data_dir)
    photos = [root / "photos", root / "samples"]
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        info, dt = _timed(lambda: build_texture_bank(photos, tmp / "tex", args.data_dir, False))
        results["texture_bank"] = {
            "faces": info["faces"],
            "textures": info["textures"],
            "seconds": dt,
        }
        for size in (256, 128):
            idx, dt = _timed(
                lambda size=size: synth_shards(
                    args.synth,
                    tmp / f"synth{size}",
                    size=size,
                    seed=0,
                    textures=tmp / "tex",
                    data_dir=args.data_dir,
                    workers=args.workers,
                    progress=False,
                )
            )
            results[f"synth_{size}"] = {"samples": idx["count"], "samples_per_s": idx["count"] / dt}
        idx, dt = _timed(
            lambda: profile_shards(
                photos,
                tmp / "profile",
                size=256,
                data_dir=args.data_dir,
                workers=args.workers,
                progress=False,
            )
        )
        results["profile_256"] = {"views": idx["count"], "views_per_s": idx["count"] / dt}
        for size in (128, 256):
            ds = make_dataset([(tmp / f"synth{size}", 1.0)], batch_size=16, augment=True, seed=0)
            rates, cpu_ms = measure(ds, batch=16, samples=256, warmup=4, repeats=3)
            results[f"input_pipeline_{size}_augment"] = {
                "samples_per_s": statistics.median(rates),
                "cpu_ms_per_sample": cpu_ms,
            }
    report = {"machine": {**describe(), "workers": args.workers}, "results": results}
    print(json.dumps(report["machine"]))
    for name, r in results.items():
        print(
            f"{name:<28} "
            + "  ".join(
                f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()
            )
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
