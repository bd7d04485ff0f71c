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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from lprnet import metrics
from lprnet.data.annotations import FaceParams, read_ground_truth, read_params
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
    # dense ground truth from the fitted 3DMM, per UV resolution: computed once per face, as
    # training validates the same faces every epoch
    dense_cache: dict = field(default_factory=dict, repr=False, compare=False)

    def image(self) -> np.ndarray:
        return self.pixels if self.pixels is not None else read_image_rgb(self.image_path)


def embedded_faces(path: str | os.PathLike | None = None, split: str = "score") -> list[EvalFace]:
    """The shipped embedded set (:mod:`lprnet.data.embedded`) as test faces (crop pixels):
    its ``score`` split by default, never the crops int8 models are calibrated on."""
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
        for i in map(int, s.indices(split))
    ]


def aflw2000_faces(
    root: str | os.PathLike,
    pts68: str | os.PathLike | None = None,
    pose: str | os.PathLike | None = None,
    skipped: list[str] | None = None,
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

    skipped : list, optional
        Receives a line per image left out and why (no usable ground truth). An image whose
        fitted parameters are unusable (e.g. a negative ``Pose_Para`` scale) is kept with its
        ``pt3d_68``, all the protocol needs, and without dense ground truth (``params`` None).

    With a subset and a ``.npy`` file, each image's row is found by matching its ``.mat``
    ``pt3d_68`` exactly (the npy rows are those landmarks in sorted-filename order).
    """
    records = find_aflw2000(root)
    gt_pts = _load_rows(pts68, (AFLW2000_SIZE, 3, 68), "pts68")
    gt_yaw = _load_rows(pose, (AFLW2000_SIZE,), "pose")
    notes: list[str] = [] if skipped is None else skipped
    faces = []
    for i, rec in enumerate(records):
        try:
            faces.append(_aflw_face(rec, i, len(records), gt_pts, gt_yaw))
        except DataFormatError as exc:  # one bad file never aborts the benchmark
            notes.append(f"{rec.name}: {exc}")
    if not faces:
        raise LprnetError(f"{root}: no AFLW2000-3D image with usable ground truth")
    return faces


#: 3DDFA's ground-truth files for all 2,000 images, under ``<data dir>/aflw2000-3d-gt/``.
GT_PTS68 = "AFLW2000-3D.pts68.npy"
#: The yaw bins of the papers (1306 / 462 / 232 of the 2,000).
GT_POSE = "AFLW2000-3D-new.pose.npy"

#: Published AFLW2000-3D results (68-point 2D NME %, bins |yaw| <= 30, 30-60, > 60, and
#: their mean), on all 2,000 images: fixed reference rows, never measured here.
PUBLISHED = (
    ("PRNet (Feng et al., ECCV 2018)", (2.75, 3.51, 4.61), 3.62),
    ("3DDFA_V2 (Guo et al., ECCV 2020)", (2.63, 3.42, 4.48), 3.51),
    ("SynergyNet (Wu et al., 3DV 2021)", (2.65, 3.30, 4.27), 3.41),
)


def aflw2000_benchmark(
    root: str | os.PathLike,
    data_dir: str | os.PathLike | None = None,
    pts68: str | os.PathLike | None = None,
    pose: str | os.PathLike | None = None,
    skipped: list[str] | None = None,
) -> list[EvalFace]:
    """:func:`aflw2000_faces` with the protocol's ground truth: 3DDFA's ``pts68`` and the
    papers' yaw bins (``AFLW2000-3D-new.pose.npy``), taken from the data directory's
    ``aflw2000-3d-gt/`` unless given; without them, the ``.mat`` files' own."""
    from lprnet.assets import data_dir as resolve
    from lprnet.errors import AssetNotFoundError

    try:
        gt = resolve(data_dir) / "aflw2000-3d-gt"
    except AssetNotFoundError:
        gt = None
    if gt is not None and pts68 is None and (gt / GT_PTS68).is_file():
        pts68 = gt / GT_PTS68
    if gt is not None and pose is None and (gt / GT_POSE).is_file():
        pose = gt / GT_POSE
    return aflw2000_faces(root, pts68=pts68, pose=pose, skipped=skipped)


def _aflw_face(rec: Record, i: int, n: int, gt_pts, gt_yaw) -> EvalFace:
    """One AFLW2000-3D image with its protocol ground truth (see :func:`aflw2000_faces`)."""
    params, raw = None, None
    if rec.mat.is_file():
        try:
            params = read_params(rec.mat)
        except DataFormatError:
            raw = read_ground_truth(rec.mat)  # raises when even pt3d_68 is unusable
    pt3d = params.pt3d_68 if params is not None else raw[0] if raw is not None else None
    row = None
    if gt_pts is not None or gt_yaw is not None:
        row = _row_of(rec, i, n, pt3d, gt_pts)
    if gt_pts is not None:
        landmarks = gt_pts[row].T.astype(np.float64)
    elif pt3d is not None:
        landmarks = pt3d
    else:
        raise DataFormatError(f"{rec.mat}: no ground truth (needs 'pt3d_68', or pass --pts68)")
    if gt_yaw is not None:
        yaw = float(gt_yaw[row])
    elif params is not None:
        yaw = float(params.angles_degrees[1])
    elif raw is not None and raw[1] is not None:
        yaw = raw[1]
    else:
        raise DataFormatError(f"{rec.mat}: no usable yaw (Pose_Para); pass --pose")
    return EvalFace(rec.name, rec.image, landmarks, yaw, params)


def _load_rows(path, shape: tuple[int, ...], what: str) -> np.ndarray | None:
    if path is None:
        return None
    arr = np.load(path)
    if arr.shape != shape:
        raise DataFormatError(f"{path}: {what} file must have shape {shape}, got {arr.shape}")
    return arr


def _row_of(rec: Record, i: int, n: int, pt3d_68: np.ndarray | None, gt_pts) -> int:
    if n == AFLW2000_SIZE:
        return i
    if pt3d_68 is None or gt_pts is None:
        raise DataFormatError(
            f"{rec.image}: with a subset of AFLW2000-3D the row of the .npy ground truth is found "
            f"from the image's .mat 'pt3d_68', which is missing ({rec.mat})"
        )
    err = np.abs(gt_pts - pt3d_68.T[None]).reshape(AFLW2000_SIZE, -1).max(1)
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
        key = (id(model), pred.resolution)
        if key not in face.dense_cache:
            face.dense_cache[key] = dense_ground_truth(face, model, pred.resolution)
        return pred.dense, face.dense_cache[key]
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
    rows, skipped = [], []
    for face in tqdm(faces, desc="eval", unit="img", disable=not progress):
        try:
            pred = predictor(face)
        except LprnetError as exc:  # e.g. bfm-fit on an image without usable parameters
            skipped.append(f"{face.name}: {exc}")
            continue
        pred_dense, gt_dense = _dense_pair(face, pred, model)
        try:
            values = metrics.evaluate_face(
                pred.landmarks, face.gt_landmarks, pred_dense=pred_dense, gt_dense=gt_dense
            )
        except ValueError as exc:  # a degenerate prediction: every landmark on one point
            skipped.append(f"{face.name}: prediction not scorable ({exc})")
            continue
        rows.append({"name": face.name, "yaw": face.yaw, **values})
    if not rows:
        raise LprnetError(f"no face could be evaluated: {skipped[0]}")
    # a metric is summarised over the images that have it (no dense truth without usable
    # 3DMM parameters): its ``count`` says how many
    names = list(dict.fromkeys(k for r in rows for k in r if k not in ("name", "yaw")))
    summary = {}
    for k in names:
        have = [r for r in rows if k in r]
        summary[k] = metrics.summarize_by_yaw(
            np.array([r[k] for r in have]), np.array([r["yaw"] for r in have])
        )
    return {
        "images": len(rows),
        "summary": summary,
        "normalisers": {k: metrics.NORMALISERS[k] for k in names},
        "skipped": skipped,
        "per_image": rows,
    }


def _cell(value: float | None, width: int, undefined: str = "-") -> str:
    ok = value is not None and np.isfinite(value)
    return f"{value:>{width}.3f}" if ok else f"{undefined:>{width}}"


def format_table(result: dict[str, Any], references: bool = False) -> str:
    """Plain-text table: a row per metric, NME (%) per yaw bin, the bin-mean, the plain mean.

    A mean over fewer than three bins is printed as ``undefined``; ``references`` adds the
    published AFLW2000-3D rows (:data:`PUBLISHED`), labelled as such.
    """
    bins = metrics.YAW_BINS
    w = 44 if references else 16
    head = f"{'metric':<{w}}" + "".join(f"{b:>12}" for b in bins) + f"{'mean':>10}{'overall':>10}"
    lines = [head, "-" * len(head)]
    first = next(iter(result["summary"].values()))
    counts = "".join(f"{'n=' + str(first['bins'][b]['count']):>12}" for b in bins)
    lines.append(f"{'images':<{w}}{counts}{first['count']:>10}")
    for name, s in result["summary"].items():
        cells = "".join(_cell(s["bins"][b]["mean"], 12) for b in bins)
        mean = _cell(s["mean"], 10, "undefined")
        lines.append(f"{name:<{w}}{cells}{mean}{_cell(s['overall'], 10)}")
    if references:
        for name, by_bin, mean in PUBLISHED:
            cells = "".join(f"{v:>12.2f}" for v in by_bin)
            lines.append(f"{'published: ' + name:<{w}}{cells}{mean:>10.2f}{'':>10}")
    lines.append("")
    if not first.get("defined", True):
        lines.append("mean undefined: a yaw bin has no image (the protocol averages all three)")
    lines.append("values in % of the normaliser; mean = mean of the yaw-bin means (3DDFA protocol)")
    if references:
        lines.append("published rows: nme_2d_sparse on all 2,000 AFLW2000-3D images (the papers)")
    if result.get("skipped"):
        lines.append(f"skipped {len(result['skipped'])} image(s):")
        lines += [f"  {x}" for x in result["skipped"]]
    lines += [f"  {k}: {v}" for k, v in result["normalisers"].items()]
    return "\n".join(lines)


def compact_summary(result: dict[str, Any]) -> dict[str, Any]:
    """The per-metric mean, yaw-bin means and count of an :func:`evaluate` result (percent)."""
    return {
        k: {
            "mean": v["mean"],
            "mean_present_bins": v.get("mean_present_bins", v["mean"]),
            "bins": {b: x["mean"] for b, x in v["bins"].items()},
            "count": v["count"],
        }
        for k, v in result["summary"].items()
    }
