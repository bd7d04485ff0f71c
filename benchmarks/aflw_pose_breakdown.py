"""Where on the head-pose sphere is the AFLW2000-3D error? 2D NME by |yaw| x |pitch| cell.

    python benchmarks/aflw_pose_breakdown.py MODEL [MODEL ...] [--aflw DIR] [--data-dir DIR]
        [--json OUT]

The protocol bins the 68-point 2D NME by yaw only. Real test photos also look up and down,
which 300W-LP's face profiling (yaw turns of mostly frontal photos) rarely shows; this splits
the same per-image NME (the protocol's ground truth, crop and normaliser) by |pitch| too, from
each image's ``.mat`` ``Pose_Para`` (images without a usable one are left out of the cells).
Diagnostic only: the protocol number stays the mean of the yaw-bin means.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

#: |yaw| bins of the protocol and |pitch| bins (degrees, upper edges inclusive).
YAW_EDGES = (30.0, 60.0, 90.0)
PITCH_EDGES = (10.0, 20.0, 30.0, 90.0)


def pose_cells(yaws, pitches, nme) -> dict[str, dict[str, float | int | None]]:
    """Mean NME (percent) and count per ``"yaw a-b, pitch c-d"`` cell and per pitch bin.

    Parameters
    ----------
    yaws, pitches : (M,) degrees (the sign is ignored)
    nme : (M,) NME as fractions
    """
    yaw, pitch, e = np.abs(yaws), np.abs(pitches), 100.0 * np.asarray(nme, np.float64)
    yb = np.digitize(yaw, YAW_EDGES, right=True)
    pb = np.digitize(pitch, PITCH_EDGES, right=True)
    lo_y, lo_p = (0.0, *YAW_EDGES), (0.0, *PITCH_EDGES)
    out: dict[str, dict[str, float | int | None]] = {}
    for j in range(len(PITCH_EDGES)):
        for i in range(-1, len(YAW_EDGES)):  # -1: every yaw
            m = (pb == j) & ((yb == i) if i >= 0 else (yb < len(YAW_EDGES)))
            ykey = "all yaw" if i < 0 else f"yaw {lo_y[i]:.0f}-{lo_y[i + 1]:.0f}"
            key = f"{ykey}, pitch {lo_p[j]:.0f}-{lo_p[j + 1]:.0f}"
            out[key] = {"images": int(m.sum()), "nme": float(e[m].mean()) if m.any() else None}
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="+", help="shipped names or model files")
    p.add_argument("--aflw", help="AFLW2000-3D folder (default: DATA_DIR/AFLW2000)")
    p.add_argument("--data-dir", help="data directory (default: $LPRNET_DATA)")
    p.add_argument("--json", help="write the cells of every model here")
    args = p.parse_args(argv)

    from lprnet.assets import data_dir
    from lprnet.evaluation import aflw2000_benchmark, evaluate
    from lprnet.predictors import load_predictor

    root = data_dir(args.data_dir)
    faces = aflw2000_benchmark(args.aflw or root / "AFLW2000", root)
    faces = [f for f in faces if f.params is not None]
    pitch = {f.name: float(f.params.angles_degrees[0]) for f in faces}
    result = {}
    for name in args.models:
        rows = evaluate(faces, load_predictor(name, None, data_dir=str(root)))["per_image"]
        cells = pose_cells(
            [r["yaw"] for r in rows],
            [pitch[r["name"]] for r in rows],
            [r["nme_2d_sparse"] for r in rows],
        )
        result[name] = cells
        print(f"{name}: 68-point 2D NME % on {len(rows)} AFLW2000-3D images by |yaw|, |pitch|")
        for key, c in cells.items():
            v = "-" if c["nme"] is None else f"{c['nme']:.2f}"
            print(f"  {key:28s} {c['images']:4d}  {v}")
    if args.json:
        from lprnet.fileio import write_json

        write_json(args.json, {"images": len(faces), "models": result})


if __name__ == "__main__":
    main()
