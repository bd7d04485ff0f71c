"""Single-image 3D face reconstruction: detect faces, crop, run the posmap network, read it out.

>>> rec = Reconstructor("model.tflite", detector="auto", data_dir="/data/lprnet")
>>> faces = rec.reconstruct("photo.jpg")       # one Face per detected face
>>> faces[0].landmarks.shape, faces[0].pose    # (68, 3), [pitch, yaw, roll] degrees

The UV tables (keypoint pixels, face mask, mesh triangles, canonical face) are packaged with
lprnet for 32, 128 and 256 px (:mod:`lprnet.geometry.uv_tables`); other sizes are computed from
the face model in the data directory (``data_dir`` or ``$LPRNET_DATA``). They are BFM-derived:
non-commercial research use only.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from lprnet.data.samples import read_image_rgb
from lprnet.errors import LprnetError
from lprnet.geometry import crop
from lprnet.geometry import posmap as pm
from lprnet.geometry.uv_tables import UVTables, uv_tables
from lprnet.inference.backends import PosmapModel, load_model
from lprnet.inference.detect import FaceDetector, make_detector
from lprnet.inference.flip_test import FlipTest
from lprnet.io_contract import POSMAP_SCALE

TIMING_KEYS = ("detect", "crop", "model", "post")


@dataclass
class Face:
    """One reconstructed face, everything in image pixels (x right, y down, z toward the camera).

    Attributes
    ----------
    box : (4,) float64
        ``left, top, right, bottom`` of the detection (or of the given landmarks / box).
    score : float
        Detector confidence in [0, 1] (1.0 for given landmarks / boxes without a score).
    crop_matrix : (3, 3) float64
        Image pixels -> crop pixels (:mod:`lprnet.geometry.crop`).
    posmap : (n, n, 3) float32
        UV position map in image pixels; z is scaled like x, y (its zero is arbitrary).
    landmarks : (68, 3) float64
        iBUG-68 landmarks.
    points : (M, 3) float64
        Dense face points (the posmap at the face-mask pixels).
    triangles : (T, 3) int64
        Mesh triangles, indices into ``points``.
    colors : (M, 3) float32
        RGB of the image at ``points``, in [0, 1].
    pose : (3,) float64
        ``[pitch, yaw, roll]`` in degrees (300W-LP / 3DDFA convention).
    timings : dict of str -> float
        Milliseconds: ``detect`` (the whole image's detection, shared by its faces), ``crop``,
        ``model`` (the batch's time over its faces) and ``post``.
    """

    box: np.ndarray
    score: float
    crop_matrix: np.ndarray
    posmap: np.ndarray
    landmarks: np.ndarray
    points: np.ndarray
    triangles: np.ndarray
    colors: np.ndarray
    pose: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)


def as_rgb(image: np.ndarray | str | os.PathLike, bgr: bool = False) -> np.ndarray:
    """Any image input -> (H, W, 3) uint8 RGB.

    Parameters
    ----------
    image : path-like or array
        A file path, or an (H, W) / (H, W, 1) grey, (H, W, 3) RGB or (H, W, 4) RGBA uint8 array.
    bgr : bool
        The array's channels are OpenCV's BGR / BGRA order.

    Raises
    ------
    LprnetError
        Unreadable file, or an array of another dtype or shape.
    """
    if isinstance(image, str | os.PathLike):
        path = Path(image)
        if not path.is_file():
            raise LprnetError(f"{path}: no such image file")
        return read_image_rgb(path)
    img = np.asarray(image)
    if img.dtype != np.uint8:
        raise LprnetError(f"image: expected a uint8 array, got {img.dtype}")
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    if img.ndim != 3 or img.shape[2] not in (3, 4) or min(img.shape[:2]) < 1:
        raise LprnetError(f"image: expected (H, W), (H, W, 3) or (H, W, 4), got {img.shape}")
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2RGB if bgr else cv2.COLOR_RGBA2RGB)
    return np.ascontiguousarray(img[:, :, ::-1] if bgr else img)


def _as_landmark_sets(landmarks: np.ndarray) -> np.ndarray:
    pts = np.asarray(landmarks, np.float64)
    if pts.ndim == 2:
        pts = pts[None]
    if pts.ndim != 3 or pts.shape[1] < 2 or pts.shape[2] < 2:
        raise ValueError(f"landmarks: expected (K, 2+) or (F, K, 2+), got {np.shape(landmarks)}")
    return pts[:, :, :2]


def _as_boxes(boxes: np.ndarray) -> np.ndarray:
    b = np.asarray(boxes, np.float64)
    if b.size == 0:
        return np.zeros((0, 5))
    if b.ndim == 1:
        b = b[None]
    if b.ndim != 2 or b.shape[1] not in (4, 5):
        raise ValueError(f"boxes: expected (K, 4) or (K, 5) l, t, r, b[, score], got {b.shape}")
    if b.shape[1] == 4:
        b = np.column_stack([b, np.ones(len(b))])
    return b


class Reconstructor:
    """Detector + posmap network + UV layout: images in, :class:`Face` records out.

    Parameters
    ----------
    model : path-like or PosmapModel
        A network file (``.keras``, ``.h5``, ``.tflite``, ``.onnx``) or a loaded model.
    detector : {"auto", "blazeface", "haar"} or FaceDetector
    data_dir : path-like, optional
        Face-model data directory (default ``$LPRNET_DATA``); needed only for a resolution
        without packaged UV tables.
    threads : int, optional
        CPU threads of the LiteRT / ONNX runtimes (model and BlazeFace).
    flip_test : bool
        Also run the network on each crop's mirror image and average the two posmaps
        (:class:`lprnet.inference.flip_test.FlipTest`): more accurate, twice the model time.
    refine : int
        Re-crop each face from the landmarks it was just predicted with (PRNet's landmark rule,
        as the AFLW2000-3D protocol and the web demo's tracking crop) and run the network
        again, this many times: a detector's box then only has to find the face (not applied
        to faces cropped from given landmarks).
    """

    def __init__(
        self,
        model: str | os.PathLike | PosmapModel,
        detector: str | FaceDetector = "auto",
        data_dir: str | os.PathLike | None = None,
        threads: int | None = None,
        flip_test: bool = False,
        refine: int = 0,
    ):
        if refine < 0:
            raise LprnetError(f"refine must be >= 0, got {refine}")
        self.refine = int(refine)
        self.model: PosmapModel = (
            load_model(model, threads) if isinstance(model, str | os.PathLike) else model
        )
        if flip_test:
            self.model = FlipTest(self.model)
        self.detector: FaceDetector = (
            make_detector(detector, threads) if isinstance(detector, str) else detector
        )
        self.layout: UVTables = uv_tables(
            self.model.resolution, None if data_dir is None else str(data_dir)
        )

    @property
    def resolution(self) -> int:
        """Crop / UV map side ``n``, pixels."""
        return self.model.resolution

    def detect(self, image: np.ndarray) -> np.ndarray:
        """(K, 5) face boxes ``l, t, r, b, score`` in an (H, W, 3) uint8 RGB image."""
        return self.detector.detect(image)

    def reconstruct(
        self,
        image: np.ndarray | str | os.PathLike,
        bgr: bool = False,
        landmarks: np.ndarray | None = None,
        boxes: np.ndarray | None = None,
    ) -> list[Face]:
        """Reconstruct every face of an image.

        Parameters
        ----------
        image : path-like or array
            See :func:`as_rgb` (grey and RGBA arrays are converted).
        bgr : bool
            The array is in OpenCV's BGR(A) order.
        landmarks : (K, 2+) or (F, K, 2+) array, optional
            Known landmarks of F faces, image pixels: crop with PRNet's landmark rule (1.6x)
            instead of detecting.
        boxes : (F, 4) or (F, 5) array, optional
            Known face boxes ``l, t, r, b[, score]`` in this detector's convention (as
            :meth:`detect` returns them): skip detection.

        Returns
        -------
        list of Face
            In detection-score order; empty when no face is found.
        """
        rgb = as_rgb(image, bgr)
        t0 = time.perf_counter()
        if landmarks is not None:
            sets = _as_landmark_sets(landmarks)
            crops = [crop.box_from_landmarks(p) for p in sets]
            found = np.array([[*p.min(0), *p.max(0), 1.0] for p in sets]).reshape(-1, 5)
        else:
            found = self.detect(rgb) if boxes is None else _as_boxes(boxes)
            crops = [self.detector.calibration.crop_box(b) for b in found]
        t_detect = (time.perf_counter() - t0) * 1e3
        if not crops:
            return []
        matrices, out, t_crop, t_model = self._run(rgb, crops)
        # known landmarks are already the crop a re-crop would make
        for _ in range(self.refine if landmarks is None else 0):
            recrops = [
                crop.box_from_landmarks(pm.landmarks(self._posmap(m, pos), self.layout))
                for m, pos in zip(matrices, out, strict=True)
            ]
            matrices, out, dt_crop, dt_model = self._run(rgb, recrops)
            t_crop, t_model = t_crop + dt_crop, t_model + dt_model
        faces = []
        for box, matrix, pos in zip(found, matrices, out, strict=True):
            t0 = time.perf_counter()
            face = self._read_out(rgb, box, matrix, pos)
            face.timings = {
                "detect": t_detect,
                "crop": t_crop,
                "model": t_model,
                "post": (time.perf_counter() - t0) * 1e3,
            }
            faces.append(face)
        return faces

    def _run(self, rgb: np.ndarray, crops: list) -> tuple[list, np.ndarray, float, float]:
        """Warp the ``(center, size)`` crops and run the network: the crop matrices, the
        network's outputs, and milliseconds per face cropping and in the model."""
        n = self.resolution
        t0 = time.perf_counter()
        matrices = [crop.crop_matrix(center, size, n) for center, size in crops]
        batch = np.stack([crop.warp_image(rgb, m, n) for m in matrices]).astype(np.float32)
        batch /= 255.0
        t_crop = (time.perf_counter() - t0) * 1e3 / len(crops)
        t0 = time.perf_counter()
        out = self.model.predict(batch)
        return matrices, out, t_crop, (time.perf_counter() - t0) * 1e3 / len(crops)

    def _posmap(self, matrix: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """The network's (n, n, 3) output for the crop ``matrix`` in image pixels."""
        n = self.resolution
        return crop.from_crop(pos.astype(np.float64) * (n * POSMAP_SCALE), matrix)

    def _read_out(
        self, rgb: np.ndarray, box: np.ndarray, matrix: np.ndarray, pos: np.ndarray
    ) -> Face:
        posmap = self._posmap(matrix, pos)
        points, triangles = pm.face_mesh(posmap, self.layout)
        return Face(
            box=np.asarray(box[:4], np.float64),
            score=float(box[4]),
            crop_matrix=matrix,
            posmap=posmap.astype(np.float32),
            landmarks=pm.landmarks(posmap, self.layout),
            points=points,
            triangles=triangles,
            colors=pm.vertex_colors(rgb, points) / np.float32(255.0),
            pose=pm.head_pose(posmap, self.layout),
        )
