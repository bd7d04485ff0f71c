"""Validation and AFLW2000-3D NME against training samples seen, from training records.

    python benchmarks/training_curve.py RUN/record.json [RUN2/record.json[:START] ...] --out c.png

``:START`` shifts a run that was initialised from another run's weights by the samples that
run had already seen, so a chain of stages reads as one curve. ``--fit-from SAMPLES`` fits
NME = a + b log2(samples) through the shipped records' all-995 AFLW2000-3D means (their
``eval_aflw2000``, at the samples each stage had seen when it ended) from that many samples on,
and prints where the line reaches ``--targets``: an extrapolation for planning, not a result.
A record is a run's ``record.json`` or a shipped model's ``<name>.record.json`` (for example an
earlier stage's, read back with ``git show COMMIT:lprnet/resources/lprnet_128.record.json``).

Every epoch of ``lprnet train`` records the validation NME (``--val`` shards) and, with
``--aflw``, the AFLW2000-3D protocol NME; this plots both against ``step * batch size``, one
line pair per run, so schedules and data mixes compare at equal samples.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lprnet.fileio import atomic_open


def curve(record: dict, start: int = 0) -> dict[str, list[float]]:
    """``samples``, ``val`` and ``aflw`` per recorded epoch (NaN where a metric is missing) of a
    run record (``config`` + ``epochs``) or a shipped record (``training`` holds both)."""
    if "training" in record:
        batch, rows = int(record["training"]["batch_size"]), record["training"]["epochs"]
    else:
        batch, rows = int(record["config"]["batch_size"]), record["epochs"]
    nan = float("nan")
    return {
        "samples": [start + e["step"] * batch for e in rows],
        "val": [e.get("val_nme_2d", nan) for e in rows],
        "aflw": [e.get("aflw_nme_2d", nan) for e in rows],
    }


def stage_end(record: dict, start: int = 0) -> tuple[int, float] | None:
    """``(samples seen at the stage's last epoch, AFLW2000-3D protocol mean %)`` of a shipped
    record scored on all of AFLW2000-3D (``eval_aflw2000``); None for a record without it."""
    score = record.get("eval_aflw2000", {}).get("nme_2d_sparse", {}).get("mean")
    if score is None:
        return None
    return curve(record, start)["samples"][-1], float(score)


def projection(points: list[tuple[int, float]], targets: list[float]) -> dict:
    """Least-squares line NME = a + b log2(samples) through ``points`` and where it meets
    each target.

    Parameters
    ----------
    points : list of (int, float)
        (samples seen, NME %), at least two distinct sample counts.
    targets : list of float
        NME levels, percent.

    Returns
    -------
    dict
        ``per_doubling`` (b, NME points per doubling of the samples) and ``samples``: the
        samples at which the line reaches each target (None where it never does: b >= 0).
    """
    import numpy as np

    x = np.log2([float(s) for s, _ in points])
    if len(set(x.tolist())) < 2:
        raise ValueError("projection needs points at two or more sample counts")
    b, a = np.polyfit(x, [v for _, v in points], 1)
    reach = {t: (float(2 ** ((t - a) / b)) if b < 0 else None) for t in targets}
    return {"per_doubling": float(b), "samples": reach}


def plot(records: dict[str, tuple[dict, int]], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=110)
    cmap = plt.get_cmap("tab20" if len(records) > 10 else "tab10")
    for k, (name, (record, start)) in enumerate(records.items()):
        c = curve(record, start)
        color = cmap(k % cmap.N)
        ax.plot(c["samples"], c["aflw"], "o-", ms=4, color=color, label=name)
        ax.plot(c["samples"], c["val"], "s--", ms=4, color=color, alpha=0.6)
    ax.set_xlabel("training samples seen")
    ax.set_ylabel("68-point 2D NME (%)")
    ax.set_title("circles: AFLW2000-3D, squares: validation", fontsize=8)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the curves
    fig.tight_layout()
    with atomic_open(out, "wb") as f:
        fig.savefig(f, format="png")
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("records", nargs="+", help="record.json of training runs [:START samples]")
    p.add_argument("--out", type=Path, required=True, help="PNG to write")
    p.add_argument("--fit-from", type=int, help="fit the stages that ended after this many samples")
    p.add_argument("--targets", type=float, nargs="+", default=[4.5, 3.6], help="NME %% levels")
    args = p.parse_args(argv)
    records = {}
    for spec in args.records:
        path, _, start = spec.partition(":")
        p = Path(path)  # a run's folder name, or a shipped record's model name
        name = p.parent.name if p.name == "record.json" else p.name.split(".")[0]
        records[name] = (json.loads(Path(path).read_text()), int(start or 0))
    print(f"wrote {plot(records, args.out)}")
    for name, (record, start) in records.items():
        c = curve(record, start)
        for s, v, a in zip(c["samples"], c["val"], c["aflw"], strict=True):
            print(f"{name:<28}{s:>10,}  val {v:6.2f}  aflw {a:6.2f}")
    if args.fit_from is not None:
        ends = [stage_end(r, start) for r, start in records.values()]
        points = [e for e in ends if e is not None and e[0] >= args.fit_from]
        fit = projection(points, args.targets)
        print(
            f"AFLW2000-3D (all 995) over {len(points)} stages: "
            f"{fit['per_doubling']:+.3f} points per doubling of the samples"
        )
        for t, n in fit["samples"].items():
            print(f"  {t:.2f}% at " + (f"{n / 1e6:.1f} M samples" if n else "never (no descent)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
