"""How much of the AFLW2000-3D error is 3DDFA's fitted labels? Score against the re-annotation.

    python benchmarks/aflw_reannotated.py MODEL [--aflw DIR] [--data-dir DIR] [--json OUT]
    python benchmarks/aflw_reannotated.py label-floor [...]

AFLW2000-3D's ``pt3d_68`` are 3DDFA's 3DMM fits; 3DDFA's test configs also ship
``AFLW2000-3D-Reannotated.pts68.npy``, (2000, 2, 68) 2D landmarks placed by hand. The same
model is scored on the same images twice, each time cropped from and normalised by the label
set it is scored against (68-point 2D NME / sqrt(w * h) of that set's box, the papers' yaw
bins of ``AFLW2000-3D-new.pose.npy``). A model trained on labels of another fitting pipeline
(ours) that reads much better against the hand labels disagrees with 3DDFA's fits, not with
the faces. Diagnostic only: the protocol number stays the one against ``pts68``.

``label-floor`` in place of a model runs this project's labelling on the hand landmarks: the
3DMM fitted to them (fixed-vertex correspondence: the re-annotation places every point where
the 3D landmark projects, hidden ones included), its 68 keypoint vertices projected. Scored
against ``pts68``, that is what a network reproducing our labels of perfectly annotated faces
would read on the protocol: the part of the AFLW2000-3D error no network trained on another
labelling pipeline than 3DDFA's can remove.
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


def label_predictor(faces: list, manual: list, data_dir: Path):
    """A predictor that answers each of ``faces`` with our 3DMM fit of its hand landmarks
    (``manual``: the same faces from :func:`reannotated_faces`)."""
    from lprnet.data.landmarks import LandmarkedFace
    from lprnet.evaluation import Prediction, _image_height
    from lprnet.geometry.bfm import load_face_model
    from lprnet.geometry.transform import pose_to_image
    from lprnet.synth.bank import fit_face

    model = load_face_model(str(data_dir))
    points = {f.name: m.gt_landmarks[:, :2] for f, m in zip(faces, manual, strict=True)}

    def predict(face):
        h = _image_height(face)
        # source "aflw2000-3d": fixed keypoint vertices, no jaw-silhouette update
        params = fit_face(
            LandmarkedFace(face.image_path, points[face.name], face.name, "aflw2000-3d"),
            model,
            h,
            str(data_dir),
        )
        verts = pose_to_image(model.vertices(params.shape, params.expression), params.pose, h)
        return Prediction(verts[model.keypoints], None, 0)

    return predict


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", help="a shipped name or a model file, or label-floor")
    p.add_argument("--aflw", help="AFLW2000-3D folder (default: DATA_DIR/AFLW2000)")
    p.add_argument("--data-dir", help="data directory (default: $LPRNET_DATA)")
    p.add_argument("--json", help="write both summaries here")
    args = p.parse_args(argv)

    from lprnet.assets import data_dir
    from lprnet.evaluation import aflw2000_benchmark, evaluate
    from lprnet.predictors import load_predictor

    root = data_dir(args.data_dir)
    faces = aflw2000_benchmark(args.aflw or root / "AFLW2000", root)
    sets = {
        "pts68 (3DDFA fits, the protocol)": [dataclasses.replace(f, params=None) for f in faces],
        "re-annotated (manual)": reannotated_faces(faces, root / "aflw2000-3d-gt"),
    }
    if args.model == "label-floor":
        predictor = label_predictor(faces, sets["re-annotated (manual)"], root)
    else:
        predictor = load_predictor(args.model, None, data_dir=str(root))
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
