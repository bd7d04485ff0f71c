"""The compression trade-off: sparsity (zeros) and width (channels) -> NME, size, gzip, latency.

    python benchmarks/compression_sweep.py --data SHARDS --aflw AFLW2000 --out runs/sweep \
        [--sparsity 0 0.3 0.5 0.7 0.8] [--width 0.75 0.5] [--prune-steps 600 --qat-steps 300]
        [--lr 1.5e-4 --qat-lr 3e-5 --schedule cosine --landmark-weight 256 --distill W
         --allocation sensitivity]
        (the shipped recipe's optimiser and loss)

Every point is one ``lprnet compress`` run (resumable: rerun the same command) from the same
float model on the same training shards, scored on the same AFLW2000-3D images: sparsity
``s`` is tfmot magnitude pruning + sparsity-preserving QAT, width ``w`` is channel pruning
(:mod:`lprnet.compression.channels`) + QAT. The int8 files are timed with LiteRT + XNNPACK in
one interleaved run. Writes ``sweep.json``, ``sweep.md`` and ``sweep.png`` (NME against int8
latency and gzip size) into ``--out``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def run_point(args: argparse.Namespace, sparsity: float, width: float) -> dict[str, Any]:
    from lprnet.compression.compress import CompressConfig, compress, headline_nme, stage_files

    tag = f"w{width:g}" if width < 1 else f"s{sparsity:g}"
    config = CompressConfig(
        model=args.model,
        sparsity=sparsity,
        width=width,
        prune_steps=args.prune_steps,
        qat_steps=args.qat_steps,
        lr=args.lr,
        qat_lr=args.qat_lr,
        schedule=args.schedule,
        landmark_weight=args.landmark_weight,
        distill=args.distill,
        allocation=args.allocation if sparsity > 0 else "uniform",
        data=[[str(d), 1.0] for d in args.data],
    )
    out = args.out / tag
    share_sensitivity_scan(args.out, out, config.allocation)
    report = compress(config, out, aflw_dir=args.aflw, data_dir=args.data_dir)
    files = stage_files(out, Path(report["source"]).stem, sparsity, width)
    final = report["stages"][f"{files['tag']}_int8"]
    return {
        "point": tag,
        "sparsity": sparsity,
        "width": width,
        "file": str(files["int8"]),
        "bytes": final["bytes"],
        "gzip_bytes": final["gzip_bytes"],
        "file_sparsity": final["sparsity"]["sparsity"],
        "nme": headline_nme(final["eval_aflw2000"] if args.aflw else final["eval_embedded"]),
        "float_nme": headline_nme(
            report["stages"]["float"]["eval_aflw2000" if args.aflw else "eval_embedded"]
        ),
        "drift_rel": final["nme_2d_drift_rel"],
    }


def share_sensitivity_scan(sweep: Path, point: Path, allocation: str) -> None:
    """Give a sensitivity point the scan an earlier point of the sweep made: the scan depends on
    the float model and the calibration crops only, which every point shares, not on the
    target sparsity."""
    import shutil

    target = point / "sensitivity.json"
    if allocation != "sensitivity" or target.is_file():
        return
    done = sorted(sweep.glob("*/sensitivity.json"))
    if done:
        point.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(done[0], target)


def markdown(points: list[dict[str, Any]], threads: int) -> str:
    lines = [
        "| recipe | zeros in the int8 file | int8 KB | gzip KB | NME 2D % | drift vs float "
        f"| int8 ms ({threads}T) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for p in points:
        recipe = (
            f"channels x{p['width']:g}" if p["width"] < 1 else f"{100 * p['sparsity']:.0f}% zeros"
        )
        lines.append(
            f"| {recipe} | {100 * p['file_sparsity']:.1f}% | {p['bytes'] / 1024:.0f} "
            f"| {p['gzip_bytes'] / 1024:.0f} | {p['nme']:.2f} | {100 * p['drift_rel']:+.1f}% "
            f"| {p['ms']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def plot(points: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), dpi=120)
    for ax, key, label in ((axes[0], "ms", "int8 latency, ms"), (axes[1], "gzip_bytes", "gzip KB")):
        for p in points:
            x = p[key] / (1024 if key == "gzip_bytes" else 1)
            ax.scatter(x, p["nme"], marker="s" if p["width"] < 1 else "o")
            ax.annotate(
                p["point"], (x, p["nme"]), fontsize=8, xytext=(3, 3), textcoords="offset points"
            )
        ax.set_xlabel(label)
        ax.set_ylabel("AFLW2000-3D NME 2D %")
        ax.grid(alpha=0.3)
    fig.suptitle("zeros (o: magnitude pruning + PQAT) and channels (s: width + QAT), int8")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    from benchmarks.latency import measure
    from lprnet.fileio import atomic_open, write_json

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="lprnet_128")
    p.add_argument("--data", nargs="+", required=True, type=Path, help="training shard folders")
    p.add_argument("--aflw", help="AFLW2000-3D folder the points are scored on")
    p.add_argument("--out", type=Path, default=Path("runs/sweep"))
    p.add_argument("--sparsity", type=float, nargs="*", default=[0.0, 0.3, 0.5, 0.7, 0.8])
    p.add_argument("--width", type=float, nargs="*", default=[0.75, 0.5])
    p.add_argument("--prune-steps", type=int, default=600)
    p.add_argument("--qat-steps", type=int, default=300)
    p.add_argument("--lr", type=float, default=1.5e-4, help="pruning / thinning learning rate")
    p.add_argument("--qat-lr", type=float, default=3e-5)
    p.add_argument("--schedule", choices=("constant", "cosine"), default="cosine")
    p.add_argument("--landmark-weight", type=float, default=256.0)
    p.add_argument("--distill", type=float, default=0.0, help="teacher weight in the target")
    p.add_argument("--allocation", choices=("uniform", "sensitivity"), default="uniform")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--data-dir")
    args = p.parse_args(argv)
    points = [run_point(args, s, 1.0) for s in args.sparsity]
    points += [run_point(args, 0.0, w) for w in args.width]
    lat = measure({q["point"]: q["file"] for q in points}, threads=(args.threads,), runs=args.runs)
    for q in points:
        q["ms"] = lat[q["point"]][str(args.threads)].get("median_ms", float("nan"))
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "sweep.json", {"points": points, "threads": args.threads})
    md = markdown(points, args.threads)
    with atomic_open(args.out / "sweep.md", "w") as f:
        f.write(md)
    plot(points, args.out / "sweep.png")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
