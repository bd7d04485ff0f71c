"""Measure how a detector's boxes relate to PRNet's landmark crop (for :class:`BoxCalibration`).

For every annotated face, the detection that overlaps its landmarks' bounding box best is
matched; with ``s`` that detection's mean side, the landmark crop
(:func:`lprnet.geometry.crop.box_from_landmarks`, 1.6x) gives ``dx, dy`` (its centre minus the
box centre, over ``s``) and ``ratio`` (its side over ``s``). The medians are the calibration.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from lprnet.data.landmarks import LandmarkedFace
from lprnet.data.samples import read_image_rgb
from lprnet.geometry.crop import box_from_landmarks
from lprnet.inference.detect import BoxCalibration, FaceDetector, box_iou


def landmark_box(points: np.ndarray) -> np.ndarray:
    """Tight ``left, top, right, bottom`` box of (K, 2+) points."""
    pts = np.asarray(points, np.float64)[:, :2]
    return np.concatenate([pts.min(0), pts.max(0)])


def match_faces(
    detector: FaceDetector, faces: Iterable[LandmarkedFace], min_iou: float = 0.3
) -> list[tuple[LandmarkedFace, np.ndarray | None]]:
    """Each face with its best-overlapping detection (IoU with the landmark box), or None.

    Images are read and searched once each; a detection is given to one face at most.
    """
    by_image: dict[str, list[LandmarkedFace]] = defaultdict(list)
    for face in faces:
        by_image[str(face.image_path)].append(face)
    out = []
    for path, group in sorted(by_image.items()):
        boxes = detector.detect(read_image_rgb(path))
        free = np.ones(len(boxes), bool)
        for face in group:
            iou = box_iou(landmark_box(face.landmarks), boxes) if len(boxes) else np.zeros(0)
            iou = np.where(free, iou, 0.0)
            if len(iou) and iou.max() >= min_iou:
                k = int(iou.argmax())
                free[k] = False
                out.append((face, boxes[k]))
            else:
                out.append((face, None))
    return out


def measure(
    detector: FaceDetector, faces: Iterable[LandmarkedFace], min_iou: float = 0.3
) -> dict[str, float]:
    """Box-to-landmark-crop statistics of ``detector`` over ``faces``.

    Returns
    -------
    dict
        ``faces``, ``matched``; ``dx``, ``dy``, ``ratio`` medians and ``*_mean``, ``*_sd``
        (centre offsets in units of the box's mean side; crop side over box side).
    """
    pairs = match_faces(detector, faces, min_iou)
    rows = []
    for face, box in pairs:
        if box is None:
            continue
        center, size = box_from_landmarks(face.landmarks)
        side = ((box[2] - box[0]) + (box[3] - box[1])) / 2.0
        box_center = np.array([(box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0])
        dx, dy = (center - box_center) / side
        rows.append((dx, dy, size / side))
    stats: dict[str, float] = {"faces": len(pairs), "matched": len(rows)}
    if rows:
        arr = np.array(rows)
        for i, key in enumerate(("dx", "dy", "ratio")):
            stats[key] = float(np.median(arr[:, i]))
            stats[f"{key}_mean"] = float(arr[:, i].mean())
            stats[f"{key}_sd"] = float(arr[:, i].std())
    return stats


def calibration_from(stats: dict[str, float]) -> BoxCalibration:
    """The :class:`BoxCalibration` of :func:`measure`'s medians."""
    return BoxCalibration(scale=stats["ratio"], shift_x=stats["dx"], shift_y=stats["dy"])
