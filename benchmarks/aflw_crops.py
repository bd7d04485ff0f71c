"""What the crop costs: AFLW2000-3D NME with the protocol's crop against a face detector's.

    python benchmarks/aflw_crops.py MODEL [MODEL ...] [--aflw DIR] [--detector NAME]
        [--refine N] [--data-dir DIR] [--json OUT]

The protocol crops each face from its ground-truth landmarks (PRNet's 1.6x rule); a user's
photo has no landmarks, so :class:`lprnet.inference.Reconstructor` crops from a detector's box
(:mod:`lprnet.inference.detect`, calibrated to the landmark crop) and can re-crop from its own
predicted landmarks (``refine``). Each model is scored on the same images three ways or more:
the protocol crop, the detector's crop, and the detector's crop refined 1..N times. Images
where the detector finds no face overlapping the ground-truth box are listed and left out of
every row, so the rows compare like with like. Diagnostic of the product path: the protocol
number stays the one ``lprnet eval`` prints.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

#: A detection is the ground-truth face when its box overlaps the landmarks' box this much.
MIN_IOU = 0.3


def landmark_box(landmarks: np.ndarray) -> np.ndarray:
    """(4,) box ``l, t, r, b`` of (K, 2+) landmarks, pixels."""
    pts = np.asarray(landmarks, np.float64)[:, :2]
    return np.concatenate([pts.min(0), pts.max(0)])


def match_detection(boxes: np.ndarray, landmarks: np.ndarray) -> int | None:
    """Index of the (K, 4+) detection that overlaps the landmarks' box most, or None when
    none overlaps it by :data:`MIN_IOU`."""
    from lprnet.inference.detect import box_iou

    if len(boxes) == 0:
        return None
    iou = box_iou(landmark_box(landmarks), np.asarray(boxes, np.float64)[:, :4])
    best = int(np.argmax(iou))
    return best if iou[best] >= MIN_IOU else None


def crop_predictor(reconstructor, boxes: dict[str, np.ndarray] | None):
    """A :data:`lprnet.evaluation.Predictor` through ``reconstructor``: cropped from the
    ground-truth landmarks (``boxes`` None) or from each face's detection in ``boxes`` (and
    re-cropped ``reconstructor.refine`` times from the landmarks it predicted)."""
    from lprnet.evaluation import Prediction

    def predict(face):
        image = face.image()
        if boxes is None:
            (out,) = reconstructor.reconstruct(image, landmarks=face.gt_landmarks)
        else:
            (out,) = reconstructor.reconstruct(image, boxes=boxes[face.name][None])
        return Prediction(out.landmarks, None, reconstructor.resolution)

    return predict


def detect_faces(faces: list, detector) -> tuple[dict[str, np.ndarray], list[str]]:
    """Each face's matching detection (name -> (5,) box) and the names with none."""
    from tqdm import tqdm

    found, missed = {}, []
    for face in tqdm(faces, desc="detect", unit="img"):
        boxes = detector.detect(face.image())
        i = match_detection(boxes, face.gt_landmarks)
        if i is None:
            missed.append(face.name)
        else:
            found[face.name] = np.asarray(boxes[i], np.float64)
    return found, missed


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="+", help="shipped names or model files")
    p.add_argument("--aflw", help="AFLW2000-3D folder (default: DATA_DIR/AFLW2000)")
    p.add_argument("--detector", default="auto", help="auto, blazeface or haar")
    p.add_argument("--refine", type=int, default=2, help="re-crops from the prediction")
    p.add_argument("--data-dir", help="data directory (default: $LPRNET_DATA)")
    p.add_argument("--json", help="write the summaries here")
    args = p.parse_args(argv)

    from lprnet.assets import data_dir
    from lprnet.evaluation import aflw2000_benchmark, evaluate
    from lprnet.inference import Reconstructor
    from lprnet.inference.detect import make_detector
    from lprnet.shipped import resolve_model

    root = data_dir(args.data_dir)
    faces = aflw2000_benchmark(args.aflw or root / "AFLW2000", root)
    detector = make_detector(args.detector)
    boxes, missed = detect_faces(faces, detector)
    kept = [dataclasses.replace(f, params=None) for f in faces if f.name in boxes]
    print(
        f"{type(detector).__name__}: the face found in {len(kept)} of {len(faces)} "
        f"AFLW2000-3D images (missed: {', '.join(missed) or 'none'})"
    )
    rows = [("protocol (ground-truth landmarks)", None, 0), ("detector", boxes, 0)]
    rows += [(f"detector + {k} re-crop", boxes, k) for k in range(1, args.refine + 1)]
    result = {"images": len(kept), "missed": missed, "detector": type(detector).__name__}
    for name in args.models:
        rec = Reconstructor(str(resolve_model(name)), detector=detector, data_dir=root)
        result[name] = {}
        print(f"{name}: 68-point 2D NME % (mean of the yaw-bin means; bins)")
        for label, bx, refine in rows:
            rec.refine = refine
            s = evaluate(kept, crop_predictor(rec, bx), progress=False)
            s = s["summary"]["nme_2d_sparse"]
            # an empty bin has no mean (NaN in the summary): null in the JSON, "-" printed
            bins = [None if np.isnan(b["mean"]) else b["mean"] for b in s["bins"].values()]
            result[name][label] = {
                "mean": s["mean"],
                "bins": dict(zip(s["bins"], bins, strict=True)),
            }
            cells = " / ".join("-" if b is None else f"{b:.2f}" for b in bins)
            mean = "undefined" if s["mean"] is None else f"{s['mean']:.2f}"
            print(f"  {label:36s} {mean}  ({cells})", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
