"""How much of the AFLW2000-3D error is 3DDFA's fitted labels? Score against the re-annotation.

    python benchmarks/aflw_reannotated.py MODEL [--aflw DIR] [--data-dir DIR] [--json OUT]

AFLW2000-3D's ``pt3d_68`` are 3DDFA's 3DMM fits; 3DDFA's test configs also ship
``AFLW2000-3D-Reannotated.pts68.npy``, (2000, 2, 68) 2D landmarks placed by hand. The same
model is scored on the same images twice, each time cropped from and normalised by the label
set it is scored against (68-point 2D NME / sqrt(w * h) of that set's box, the papers' yaw
bins of ``AFLW2000-3D-new.pose.npy``). A model trained on labels of another fitting pipeline
(ours) that reads much better against the hand labels disagrees with 3DDFA's fits, not with
the faces. Diagnostic only: the protocol number stays the one against ``pts68``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REANNOTATED = "AFLW2000-3D-Reannotated.pts68.npy"


def reannotated_faces(faces: list, gt_dir: Path) -> list:
    """``faces`` (from :func:`lprnet.evaluation.aflw2000_benchmark`) with their x, y landmarks
    replaced by the re-annotation; the row of each is found by matching its ``pts68`` one."""
    from lprnet.evaluation import AFLW2000_SIZE, GT_PTS68

    orig = np.load(gt_dir / GT_PTS68)
    manual = np.load(gt_dir / REANNOTATED)
    if manual.shape != (AFLW2000_SIZE, 2, 68):
        raise SystemExit(f"{gt_dir / REANNOTATED}: expected (2000, 2, 68), got {manual.shape}")
    out = []
    for f in faces:
        row = int(np.abs(orig - f.gt_landmarks.T[None]).reshape(AFLW2000_SIZE, -1).max(1).argmin())
        lm = f.gt_landmarks.copy()
        lm[:, :2] = manual[row].T
        out.append(dataclasses.replace(f, gt_landmarks=lm, params=None))
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", help="a shipped name or a model file")
    p.add_argument("--aflw", help="AFLW2000-3D folder (default: DATA_DIR/AFLW2000)")
    p.add_argument("--data-dir", help="data directory (default: $LPRNET_DATA)")
    p.add_argument("--json", help="write both summaries here")
    args = p.parse_args(argv)

    from lprnet.assets import data_dir
    from lprnet.evaluation import aflw2000_benchmark, evaluate
    from lprnet.predictors import load_predictor

    root = data_dir(args.data_dir)
    faces = aflw2000_benchmark(args.aflw or root / "AFLW2000", root)
    predictor = load_predictor(args.model, None, data_dir=str(root))
    sets = {
        "pts68 (3DDFA fits, the protocol)": [dataclasses.replace(f, params=None) for f in faces],
        "re-annotated (manual)": reannotated_faces(faces, root / "aflw2000-3d-gt"),
    }
    result = {}
    print(f"{args.model} on {len(faces)} AFLW2000-3D images, 68-point 2D NME %")
    for name, fs in sets.items():
        s = evaluate(fs, predictor)["summary"]["nme_2d_sparse"]
        bins = [b["mean"] for b in s["bins"].values()]
        result[name] = {"mean": s["mean"], "bins": dict(zip(s["bins"], bins, strict=True))}
        cells = " / ".join("-" if b is None else f"{b:.2f}" for b in bins)
        mean = "undefined" if s["mean"] is None else f"{s['mean']:.2f}"
        print(f"  {name:34s} {mean}  ({cells})")
    if args.json:
        Path(args.json).write_text(json.dumps({"model": args.model, **result}, indent=1))


if __name__ == "__main__":
    main()
