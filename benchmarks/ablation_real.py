"""The registered designs trained from scratch on the real-data mix, side by side.

    python benchmarks/ablation_real.py runs/ablation-real/lprnet_128 runs/ablation-real/... \
        --json docs/ablation-real.json

Each argument is an ``lprnet train --out`` folder of one design trained with the same recipe
(``scripts/recipes/ablation-real.sh``): its ``record.json`` gives the validation NME per epoch, an
``aflw.json`` beside it (``lprnet eval --data aflw2000 ... --json``) the AFLW2000-3D protocol
NME of the run's last checkpoint. Prints a markdown table (one row per design: parameters,
GMAC, validation per epoch, AFLW2000-3D by yaw bin) and writes the same rows as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lprnet.evaluation import compact_summary
from lprnet.fileio import atomic_open


def run_row(record: dict, aflw: dict | None) -> dict:
    """One design's row from its run ``record`` (``model``: name, params, gmac; ``config``,
    ``steps_per_epoch``, ``epochs``, ``steps``) and its AFLW2000-3D eval summary (None when
    not scored): ``val`` per epoch (percent), ``best_epoch``, and ``aflw`` (protocol mean and
    the three yaw-bin means, percent) with ``aflw_3d`` (3D sparse and dense means)."""
    epochs = record["epochs"]
    val = [round(float(e["val_nme_2d"]), 2) for e in epochs]
    best = min(epochs, key=lambda e: e["val_nme_2d"])
    model = record["model"]
    row = {
        "model": model["name"],
        "params_m": round(model["params"] / 1e6, 2),
        "gmac": round(model["gmac"], 3),
        "steps": int(record["steps"]),
        "planned_steps": int(record["config"]["epochs"]) * int(record["steps_per_epoch"]),
        "val": val,
        "best_epoch": int(best["epoch"]),
        "aflw": None,
        "aflw_3d": None,
    }
    if aflw is not None:
        s = compact_summary(aflw)
        sparse = s["nme_2d_sparse"]
        row["aflw"] = {"mean": round(sparse["mean"], 2)} | {
            k: round(v, 2) for k, v in sparse["bins"].items()
        }
        row["aflw_3d"] = {
            "sparse": round(s["nme_3d_sparse"]["mean"], 2),
            "dense": round(s["nme_3d_dense"]["mean"], 2),
        }
    return row


def markdown(rows: list[dict]) -> str:
    """The rows as a markdown table; missing values print as ``-``."""
    n = max(len(r["val"]) for r in rows)
    head = ["model", "params", "GMAC", *[f"val ep {k + 1}" for k in range(n)]]
    head += ["AFLW2000-3D [0, 30]", "(30, 60]", "(60, 90]", "**mean**", "3D sparse", "3D dense"]
    lines = ["| " + " | ".join(head) + " |", "|---" * 2 + "|---:" * (len(head) - 2) + "|"]
    for r in rows:
        vals = [f"{v:.2f}" for v in r["val"]] + ["-"] * (n - len(r["val"]))
        a, d = r["aflw"], r["aflw_3d"]
        aflw = ["-"] * 6
        if a:
            bins = [f"{a[k]:.2f}" for k in ("[0, 30]", "(30, 60]", "(60, 90]")]
            aflw = [*bins, f"**{a['mean']:.2f}**", f"{d['sparse']:.2f}", f"{d['dense']:.2f}"]
        cells = [f"`{r['model']}`", f"{r['params_m']} M", str(r["gmac"])]
        cells += [*vals, *aflw]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", type=Path, help="lprnet train --out folders")
    p.add_argument("--json", type=Path, help="write the rows here")
    args = p.parse_args(argv)
    rows = []
    for run in args.runs:
        record_path = run / "record.json"
        if not record_path.is_file():
            p.error(f"{run}: no record.json (not an lprnet train --out folder)")
        aflw_path = run / "aflw.json"
        aflw = json.loads(aflw_path.read_text()) if aflw_path.is_file() else None
        rows.append(run_row(json.loads(record_path.read_text()), aflw))
    print(markdown(rows))
    if args.json:
        with atomic_open(args.json, "w") as f:
            json.dump({"runs": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
