"""``lprnet eval``: the AFLW2000-3D protocol of 3DDFA / PRNet over any subset of the dataset.

Ground truth per image: the 68 landmarks and yaw from the ``.mat`` file (``pt3d_68``,
``Pose_Para``), or from 3DDFA's ``AFLW2000-3D.pts68.npy`` and a pose file when given (rows in
sorted-filename order). Dense ground truth is the fitted 3DMM rendered into the UV map with the
loaded face model (40/10 bases unless the full BFM is present), so dense metrics carry the
truncation of those bases.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from lprnet import metrics
from lprnet.data.annotations import FaceParams, read_params
from lprnet.data.datasets import Record, find_aflw2000
from lprnet.data.samples import read_image_rgb
from lprnet.errors import DataFormatError, LprnetError
from lprnet.geometry import posmap as pm
from lprnet.geometry.bfm import FaceModel
from lprnet.geometry.transform import pose_to_image
from lprnet.geometry.uv import uv_layout

AFLW2000_SIZE = 2000


@dataclass
class EvalFace:
    """One test image with its ground truth (image pixels, y down)."""

    name: str
    image_path: Path | None
    gt_landmarks: np.ndarray  # (68, 3)
    yaw: float  # degrees
    params: FaceParams | None
    pixels: np.ndarray | None = None  # the image itself, when it is not a file
    dense_gt: np.ndarray | None = None  # (32, 32, 3) GT posmap on the 32 UV grid

    def image(self) -> np.ndarray:
        return self.pixels if self.pixels is not None else read_image_rgb(self.image_path)


def embedded_faces(path: str | os.PathLike | None = None) -> list[EvalFace]:
    """The shipped embedded set (:mod:`lprnet.data.embedded`) as test faces (crop pixels)."""
    from lprnet.data.embedded import EMBEDDED, load_embedded_set

    s = load_embedded_set(path or EMBEDDED)
    return [
        EvalFace(
            str(s.names[i]),
            None,
            s.landmarks[i].astype(np.float64),
            float(s.yaw[i]),
            None,
            pixels=s.image(i),
            dense_gt=s.dense[i].astype(np.float32),
        )
        for i in range(len(s))
    ]


def aflw2000_faces(
    root: str | os.PathLike,
    pts68: str | os.PathLike | None = None,
    pose: str | os.PathLike | None = None,
) -> list[EvalFace]:
    """The test faces of an AFLW2000-3D folder (all 2000 or any subset).

    Parameters
    ----------
    root : path
        Folder with ``image0XXXX.jpg`` (+ ``.mat``).
    pts68 : path, optional
        3DDFA's ``AFLW2000-3D.pts68.npy`` (2000, 3, 68): replaces the .mat landmarks.
    pose : path, optional
        3DDFA's ``AFLW2000-3D[-new].pose.npy`` (2000,) yaw in degrees: replaces ``Pose_Para``.

    With a subset and a ``.npy`` file, each image's row is found by matching its ``.mat``
    ``pt3d_68`` exactly (the npy rows are those landmarks in sorted-filename order).
    """
    records = find_aflw2000(root)
    gt_pts = _load_rows(pts68, (AFLW2000_SIZE, 3, 68), "pts68")
    gt_yaw = _load_rows(pose, (AFLW2000_SIZE,), "pose")
    faces = []
    for i, rec in enumerate(records):
        params = read_params(rec.mat) if rec.mat.is_file() else None
        row = (
            _row_of(rec, i, len(records), params, gt_pts)
            if gt_pts is not None or gt_yaw is not None
            else None
        )
        if gt_pts is not None:
            landmarks = gt_pts[row].T.astype(np.float64)
        elif params is not None and params.pt3d_68 is not None:
            landmarks = params.pt3d_68
        else:
            raise DataFormatError(f"{rec.mat}: no ground truth (needs 'pt3d_68', or pass --pts68)")
        yaw = float(gt_yaw[row]) if gt_yaw is not None else float(params.angles_degrees[1])
        faces.append(EvalFace(rec.name, rec.image, landmarks, yaw, params))
    return faces


def _load_rows(path, shape: tuple[int, ...], what: str) -> np.ndarray | None:
    if path is None:
        return None
    arr = np.load(path)
    if arr.shape != shape:
        raise DataFormatError(f"{path}: {what} file must have shape {shape}, got {arr.shape}")
    return arr


def _row_of(rec: Record, i: int, n: int, params: FaceParams | None, gt_pts) -> int:
    if n == AFLW2000_SIZE:
        return i
    if params is None or params.pt3d_68 is None or gt_pts is None:
        raise DataFormatError(
            f"{rec.image}: with a subset of AFLW2000-3D the row of the .npy ground truth is found "
            f"from the image's .mat 'pt3d_68', which is missing ({rec.mat})"
        )
    err = np.abs(gt_pts - params.pt3d_68.T[None]).reshape(AFLW2000_SIZE, -1).max(1)
    row = int(err.argmin())
    if err[row] > 1e-3:
        raise DataFormatError(f"{rec.mat}: pt3d_68 matches no row of the pts68 file")
    return row


@dataclass
class Prediction:
    """A model's output for one face, in image pixels."""

    landmarks: np.ndarray  # (68, 3)
    dense: np.ndarray | None  # (M, 3) face points of the UV map at ``resolution``
    resolution: int
    posmap: np.ndarray | None = None  # (n, n, 3) the whole posmap, image pixels


Predictor = Callable[[EvalFace], Prediction]


def fit_reference(model: FaceModel, resolution: int = 256) -> Predictor:
    """The 'bfm-fit' reference: each image's own fitted 3DMM, rendered through the UV map.

    Not a model: it measures what the face model and the UV map lose against the ground truth
    (the truncation of the bases, keypoint pixel rounding), the floor of any network trained on
    posmaps built the same way.
    """
    layout = uv_layout(model, resolution)

    def predict(face: EvalFace) -> Prediction:
        if face.params is None:
            raise DataFormatError(f"{face.name}: bfm-fit needs the .mat parameters")
        h = _image_height(face)
        verts = pose_to_image(
            model.vertices(face.params.shape, face.params.expression), face.params.pose, h
        )
        pos = pm.render_posmap(verts, layout)
        # dense points would equal the dense ground truth by construction: not reported
        return Prediction(pm.landmarks(pos, layout), None, resolution)

    return predict


def _image_height(face: EvalFace) -> int:
    import cv2

    img = cv2.imread(str(face.image_path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise DataFormatError(f"{face.image_path}: not a readable image")
    return img.shape[0]


def dense_ground_truth(face: EvalFace, model: FaceModel, resolution: int) -> np.ndarray | None:
    """(M, 3) dense GT face points at ``resolution`` from the fitted 3DMM, or None without it."""
    if face.params is None:
        return None
    verts = pose_to_image(
        model.vertices(face.params.shape, face.params.expression),
        face.params.pose,
        _image_height(face),
    )
    return pm.face_points(
        pm.render_posmap(verts, uv_layout(model, resolution)), uv_layout(model, resolution)
    )


def _dense_pair(face: EvalFace, pred: Prediction, model: FaceModel | None):
    """(pred, gt) dense points: on the 32 UV grid for the embedded set, else at the model's UV
    resolution from the fitted 3DMM; (None, None) when either side is missing."""
    if face.dense_gt is not None and pred.posmap is not None:
        from lprnet.data.embedded import DENSE, resample_posmap
        from lprnet.geometry.uv_tables import uv_tables

        mask = uv_tables(DENSE).face_indices
        pd = resample_posmap(pred.posmap, DENSE).reshape(-1, 3)[mask]
        return pd.astype(np.float64), face.dense_gt.reshape(-1, 3)[mask].astype(np.float64)
    if pred.dense is not None and model is not None and face.params is not None:
        return pred.dense, dense_ground_truth(face, model, pred.resolution)
    return None, None


def evaluate(
    faces: Sequence[EvalFace],
    predictor: Predictor,
    model: FaceModel | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run ``predictor`` on every face and summarise every metric by yaw bin.

    Returns
    -------
    dict
        ``summary[metric]`` from :func:`lprnet.metrics.summarize_by_yaw` (percent),
        ``normalisers``, and ``per_image`` rows (name, yaw, metric fractions).
    """
    if not faces:
        raise LprnetError("no faces to evaluate")
    rows = []
    for face in tqdm(faces, desc="eval", unit="img", disable=not progress):
        pred = predictor(face)
        pred_dense, gt_dense = _dense_pair(face, pred, model)
        values = metrics.evaluate_face(
            pred.landmarks, face.gt_landmarks, pred_dense=pred_dense, gt_dense=gt_dense
        )
        rows.append({"name": face.name, "yaw": face.yaw, **values})
    yaw = np.array([r["yaw"] for r in rows])
    names = [k for k in rows[0] if k not in ("name", "yaw")]
    summary = {k: metrics.summarize_by_yaw(np.array([r[k] for r in rows]), yaw) for k in names}
    return {
        "images": len(rows),
        "summary": summary,
        "normalisers": {k: metrics.NORMALISERS[k] for k in names},
        "per_image": rows,
    }


def format_table(result: dict[str, Any]) -> str:
    """Plain-text table: a row per metric, NME (%) per yaw bin, the bin-mean, the plain mean."""
    bins = metrics.YAW_BINS
    head = f"{'metric':<16}" + "".join(f"{b:>12}" for b in bins) + f"{'mean':>10}{'overall':>10}"
    lines = [head, "-" * len(head)]
    first = next(iter(result["summary"].values()))
    counts = "".join(f"{'n=' + str(first['bins'][b]['count']):>12}" for b in bins)
    lines.append(f"{'images':<16}{counts}{first['count']:>10}")
    for name, s in result["summary"].items():
        cells = "".join(f"{s['bins'][b]['mean']:>12.3f}" for b in bins)
        lines.append(f"{name:<16}{cells}{s['mean']:>10.3f}{s['overall']:>10.3f}")
    lines.append("")
    lines.append("values in % of the normaliser; mean = mean of the yaw-bin means (3DDFA protocol)")
    lines += [f"  {k}: {v}" for k, v in result["normalisers"].items()]
    return "\n".join(lines)


def compact_summary(result: dict[str, Any]) -> dict[str, Any]:
    """The per-metric mean, yaw-bin means and count of an :func:`evaluate` result (percent)."""
    return {
        k: {
            "mean": v["mean"],
            "bins": {b: x["mean"] for b, x in v["bins"].items()},
            "count": v["count"],
        }
        for k, v in result["summary"].items()
    }
