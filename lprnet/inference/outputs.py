"""What ``lprnet predict`` writes: meshes, JSON records, overlay images, annotated videos.

Per image ``<stem>``: ``<stem>_<k>.obj`` / ``.ply`` (face ``k``, vertex colours),
``<stem>_<k>.json`` and ``<stem>_overlay.png``. Per video: ``<stem>_annotated.mp4`` and
``<stem>_frames.jsonl`` (one JSON line per frame). Every file is written atomically (a temporary
file renamed on success).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from lprnet.errors import LprnetError
from lprnet.fileio import atomic_open, write_json
from lprnet.geometry.mesh_io import write_obj, write_ply
from lprnet.geometry.transform import FLIP_Y, angles_to_matrix
from lprnet.inference.backends import PosmapModel
from lprnet.inference.reconstructor import Face

MESH_FORMATS = ("obj", "ply", "none")
#: Nose tip in the iBUG-68 order: origin of the drawn pose axes.
NOSE_TIP = 30
#: Dense points drawn per face in the overlay (subsampled).
OVERLAY_POINTS = 2000

# BGR colours
_BOX = (0, 200, 255)
_LANDMARK = (0, 255, 0)
_AXES = ((0, 0, 255), (0, 255, 0), (255, 0, 0))  # x red, y green, z blue


def _round(a: np.ndarray, digits: int = 2) -> list:
    return np.round(np.asarray(a, np.float64), digits).tolist()


def model_info(model: PosmapModel) -> dict[str, Any]:
    """``{"name", "format", "resolution"}`` of a model."""
    return {"name": model.name, "format": model.format, "resolution": int(model.resolution)}


def face_record(
    face: Face, /, model: PosmapModel | None = None, detector: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A JSON-ready summary of one face (pixels, degrees, milliseconds).

    Parameters
    ----------
    face : Face
    model : PosmapModel, optional
        Recorded as ``model`` (name, format, resolution) when given.
    detector : str, optional
        The detector's name, recorded when given.
    **extra
        Put first in the record (e.g. ``image``, ``face``, ``mesh``).
    """
    pitch, yaw, roll = (float(v) for v in face.pose)
    head: dict[str, Any] = dict(extra)
    if model is not None:
        head["model"] = model_info(model)
    if detector is not None:
        head["detector"] = detector
    return {
        **head,
        "box": _round(face.box),
        "score": round(float(face.score), 4),
        "crop_matrix": np.asarray(face.crop_matrix, np.float64).tolist(),
        "landmarks": _round(face.landmarks),
        "pose": {"pitch": round(pitch, 2), "yaw": round(yaw, 2), "roll": round(roll, 2)},
        "timings_ms": {k: round(float(v), 3) for k, v in face.timings.items()},
    }


def write_mesh(path: str | os.PathLike, face: Face) -> Path:
    """Write the face mesh with vertex colours; the format follows the suffix (.obj / .ply)."""
    path = Path(path)
    writer = {".obj": write_obj, ".ply": write_ply}.get(path.suffix.lower())
    if writer is None:
        raise LprnetError(f"{path}: mesh format must be .obj or .ply")
    writer(path, face.points, face.triangles, face.colors)
    return path


def write_face_files(
    out_dir: str | os.PathLike,
    stem: str,
    faces: list[Face],
    model: PosmapModel,
    detector: str,
    mesh: str = "obj",
    source: str | None = None,
) -> list[Path]:
    """Per face ``k``: ``<stem>_<k>.<mesh>`` (unless ``mesh == "none"``) and ``<stem>_<k>.json``.

    Returns
    -------
    list of Path
        The files written.
    """
    if mesh not in MESH_FORMATS:
        raise LprnetError(f"mesh format must be one of {', '.join(MESH_FORMATS)}, got {mesh!r}")
    out = Path(out_dir)
    written = []
    for k, face in enumerate(faces):
        mesh_path = None
        if mesh != "none":
            mesh_path = write_mesh(out / f"{stem}_{k}.{mesh}", face)
            written.append(mesh_path)
        record = face_record(
            face,
            model,
            detector,
            image=source,
            face=k,
            mesh=mesh_path.name if mesh_path else None,
        )
        write_json(out / f"{stem}_{k}.json", record)
        written.append(out / f"{stem}_{k}.json")
    return written


# --------------------------------------------------------------------------- #
# drawing
# --------------------------------------------------------------------------- #
def pose_axes(pose_degrees: np.ndarray) -> np.ndarray:
    """(3, 3) head axes in image coordinates (columns x, y-up, z-toward-camera of the face).

    Inverts :func:`lprnet.geometry.posmap.head_pose`, whose angles are those of
    ``FLIP_Y @ R @ FLIP_Y`` for the image-frame rotation ``R``.
    """
    rot = FLIP_Y @ angles_to_matrix(*np.radians(np.asarray(pose_degrees, np.float64))) @ FLIP_Y
    axes = rot.copy()
    axes[:, 1] = -axes[:, 1]  # the canonical face is y-down: draw its "up"
    return axes


def draw_faces(image_bgr: np.ndarray, faces: list[Face]) -> np.ndarray:
    """Draw boxes, dense points, the 68 landmarks and pose axes on a copy of a BGR image.

    Parameters
    ----------
    image_bgr : (H, W, 3) uint8
    faces : list of Face

    Returns
    -------
    (H, W, 3) uint8 BGR
    """
    canvas = np.ascontiguousarray(image_bgr).copy()
    h, w = canvas.shape[:2]
    thick = max(1, round(max(h, w) / 600))
    radius = max(1, round(max(h, w) / 400))
    for face in faces:
        pts = face.points
        step = max(1, len(pts) // OVERLAY_POINTS)
        xy = np.round(pts[::step, :2]).astype(np.int64)
        inside = (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
        xs, ys = xy[inside, 0], xy[inside, 1]
        canvas[ys, xs] = (0.5 * canvas[ys, xs] + 0.5 * np.array([255, 255, 0])).astype(np.uint8)
        left, top, right, bottom = (int(round(v)) for v in face.box)
        cv2.rectangle(canvas, (left, top), (right, bottom), _BOX, thick, cv2.LINE_AA)
        cv2.putText(canvas, f"{face.score:.2f}", (left, max(0, top - 4 * thick)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.4 * thick, _BOX, thick, cv2.LINE_AA)  # fmt: skip
        for x, y in np.round(face.landmarks[:, :2]).astype(int):
            cv2.circle(canvas, (int(x), int(y)), radius, _LANDMARK, -1, cv2.LINE_AA)
        origin = face.landmarks[NOSE_TIP, :2]
        length = 0.4 * ((right - left) + (bottom - top)) / 2.0
        for axis, colour in zip(pose_axes(face.pose).T, _AXES, strict=True):
            tip = origin + length * axis[:2]
            cv2.arrowedLine(canvas, tuple(int(round(v)) for v in origin),
                            tuple(int(round(v)) for v in tip), colour, thick + 1, cv2.LINE_AA,
                            tipLength=0.15)  # fmt: skip
    return canvas


def write_overlay(path: str | os.PathLike, image_rgb: np.ndarray, faces: list[Face]) -> Path:
    """Write the overlay of :func:`draw_faces` on an RGB image as a PNG, atomically."""
    path = Path(path)
    canvas = draw_faces(cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR), faces)
    ok, data = cv2.imencode(".png", canvas)
    if not ok:
        raise LprnetError(f"{path}: could not encode the overlay image")
    with atomic_open(path, "wb") as f:
        f.write(data.tobytes())
    return path


# --------------------------------------------------------------------------- #
# video
# --------------------------------------------------------------------------- #
class VideoOutputs(contextlib.AbstractContextManager):
    """Annotated video (mp4v) plus one JSON line per frame, both renamed into place on success.

    Parameters
    ----------
    video_path : path-like
        The ``.mp4`` to write.
    jsonl_path : path-like
        The per-frame JSON lines.
    fps : float
    size : (width, height)
    """

    def __init__(
        self,
        video_path: str | os.PathLike,
        jsonl_path: str | os.PathLike,
        fps: float,
        size: tuple[int, int],
    ):
        self.video_path, self.jsonl_path = Path(video_path), Path(jsonl_path)
        self.video_path.parent.mkdir(parents=True, exist_ok=True)
        # VideoWriter picks the container from the suffix: keep it on the temporary name
        self._tmp = self.video_path.with_name(
            f".{self.video_path.stem}.{os.getpid()}.partial{self.video_path.suffix}"
        )
        self._writer = cv2.VideoWriter(
            str(self._tmp), cv2.VideoWriter_fourcc(*"mp4v"), float(fps), tuple(size)
        )
        if not self._writer.isOpened():
            raise LprnetError(f"{self.video_path}: cannot open a video writer (mp4v)")
        self._jsonl_cm = atomic_open(self.jsonl_path, "w")
        self._jsonl = self._jsonl_cm.__enter__()
        self.frames = 0

    def write(self, frame_bgr: np.ndarray, faces: list[Face], record: dict[str, Any]) -> None:
        """Add one frame (drawn with its faces) and its JSON line."""
        self._writer.write(draw_faces(frame_bgr, faces))
        self._jsonl.write(json.dumps(record) + "\n")
        self.frames += 1

    def __exit__(self, exc_type, exc, tb) -> None:
        self._writer.release()
        self._jsonl_cm.__exit__(exc_type, exc, tb)
        if exc_type is None:
            os.replace(self._tmp, self.video_path)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._tmp)
        return None
