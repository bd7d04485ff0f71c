"""The ``lprnet predict`` verb: images, folders of images and videos -> meshes, JSON, overlays.

Wire it into the CLI with :func:`register` (``register(subparsers)`` adds ``predict``).

Exit status: 0 when every input was read and at least one face was found; 1 when no face was
found in any input; 2 (through :class:`LprnetError`) for an unusable model file or when an
input could not be read (the others are still processed and written).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
from tqdm import tqdm

from lprnet.errors import LprnetError
from lprnet.inference.detect import DETECTORS
from lprnet.inference.outputs import (
    MESH_FORMATS,
    VideoOutputs,
    face_record,
    write_face_files,
    write_overlay,
)
from lprnet.inference.reconstructor import Reconstructor, as_rgb

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")


@dataclass
class PredictSummary:
    """What one :func:`predict` run did."""

    images: int = 0
    frames: int = 0
    faces: int = 0
    no_face: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    model_ms: list[float] = field(default_factory=list)


def collect_inputs(inputs: Sequence[str | os.PathLike]) -> tuple[list[Path], list[Path], list[str]]:
    """Split the command's inputs into images and videos (by suffix); folders are listed.

    Returns
    -------
    images, videos : list of Path
        Files with an unknown suffix count as images (they fail to decode if they are not).
    errors : list of str
        Missing paths and folders without an image or video.
    """
    images: list[Path] = []
    videos: list[Path] = []
    errors: list[str] = []
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES + VIDEO_SUFFIXES
            )
            if not found:
                errors.append(f"{path}: no image or video files in this folder")
            for p in found:
                (videos if p.suffix.lower() in VIDEO_SUFFIXES else images).append(p)
        elif path.is_file():
            (videos if path.suffix.lower() in VIDEO_SUFFIXES else images).append(path)
        else:
            errors.append(f"{path}: no such file or folder")
    return images, videos, errors


def _unique_stem(path: Path, used: set[str]) -> str:
    stem, k = path.stem, 1
    while stem in used:
        stem, k = f"{path.stem}-{k}", k + 1
    used.add(stem)
    return stem


def _say(message: str) -> None:
    tqdm.write(message, file=sys.stderr)


def _predict_image(
    rec: Reconstructor, path: Path, out: Path, stem: str, mesh: str, summary: PredictSummary
) -> None:
    rgb = as_rgb(path)
    faces = rec.reconstruct(rgb)
    summary.images += 1
    if not faces:
        summary.no_face.append(str(path))
        _say(f"lprnet: no face found in {path}")
    summary.faces += len(faces)
    summary.model_ms += [f.timings["model"] for f in faces]
    summary.written += write_face_files(
        out, stem, faces, rec.model, rec.detector.name, mesh=mesh, source=str(path)
    )
    summary.written.append(write_overlay(out / f"{stem}_overlay.png", rgb, faces))


def _predict_video(
    rec: Reconstructor, path: Path, out: Path, stem: str, summary: PredictSummary, progress: bool
) -> None:
    cap = cv2.VideoCapture(str(path))
    try:
        ok, frame = cap.read() if cap.isOpened() else (False, None)
        if not ok or frame is None:
            raise LprnetError(f"{path}: not a readable video (cannot open it or decode a frame)")
        fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or None
        height, width = frame.shape[:2]
        video_path, jsonl_path = out / f"{stem}_annotated.mp4", out / f"{stem}_frames.jsonl"
        found = 0
        bar = tqdm(total=total, desc=path.name, unit="frame", leave=False, disable=not progress)
        with bar, VideoOutputs(video_path, jsonl_path, fps, (width, height)) as video:
            index = 0
            while ok:
                faces = rec.reconstruct(frame, bgr=True)
                found += len(faces)
                summary.model_ms += [f.timings["model"] for f in faces]
                record = {
                    "frame": index,
                    "time_s": round(index / fps, 4),
                    "faces": [face_record(f, face=k) for k, f in enumerate(faces)],
                }
                video.write(frame, faces, record)
                bar.update()
                index += 1
                ok, frame = cap.read()
        summary.frames += index
        summary.faces += found
        summary.written += [video_path, jsonl_path]
        if not found:
            summary.no_face.append(str(path))
            _say(f"lprnet: no face found in any of the {index} frames of {path}")
    finally:
        cap.release()


def predict(
    inputs: Sequence[str | os.PathLike],
    model: str | os.PathLike,
    out: str | os.PathLike,
    detector: str = "auto",
    mesh: str = "obj",
    threads: int | None = None,
    data_dir: str | os.PathLike | None = None,
    progress: bool = True,
    flip_test: bool = False,
    refine: int = 0,
) -> PredictSummary:
    """Reconstruct every face of the inputs and write the results to ``out``.

    Parameters
    ----------
    inputs : sequence of path-like
        Images, folders of images / videos (not recursive), videos (by suffix).
    model : path-like
        Posmap network file (``.keras``, ``.h5``, ``.tflite``, ``.onnx``).
    out : path-like
        Output folder (created).
    detector : {"auto", "blazeface", "haar"}
    mesh : {"obj", "ply", "none"}
    threads : int, optional
    data_dir : path-like, optional
        Face-model data directory (default ``$LPRNET_DATA``).
    progress : bool
        Show tqdm progress bars.
    flip_test : bool
        Average each crop's posmap with its mirror image's (twice the model time).
    refine : int
        Re-crop each detected face from its predicted landmarks and run again, this many times.

    Raises
    ------
    LprnetError
        The model (or the data directory) cannot be used: nothing is processed.
    """
    if mesh not in MESH_FORMATS:
        raise LprnetError(f"--mesh must be one of {', '.join(MESH_FORMATS)}, got {mesh!r}")
    images, videos, errors = collect_inputs(inputs)
    summary = PredictSummary(errors=list(errors))
    for message in errors:
        _say(f"lprnet: {message}")
    rec = Reconstructor(
        model,
        detector=detector,
        data_dir=data_dir,
        threads=threads,
        flip_test=flip_test,
        refine=refine,
    )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    for path in tqdm(images, desc="predict", unit="img", disable=not progress or not images):
        try:
            _predict_image(rec, path, out, _unique_stem(path, used), mesh, summary)
        except LprnetError as exc:
            summary.errors.append(str(exc))
            _say(f"lprnet: skipped {exc}")
    for path in videos:
        try:
            _predict_video(rec, path, out, _unique_stem(path, used), summary, progress)
        except LprnetError as exc:
            summary.errors.append(str(exc))
            _say(f"lprnet: skipped {exc}")
    return summary


def _cmd_predict(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    summary = predict(
        args.inputs,
        args.model,
        args.out,
        detector=args.detector,
        mesh=args.mesh,
        threads=args.threads,
        data_dir=args.data_dir,
        flip_test=args.flip_test,
        refine=args.refine,
    )
    elapsed = time.perf_counter() - start
    parts = [f"{summary.images} image(s)"] + ([f"{summary.frames} frame(s)"] * bool(summary.frames))
    mean_ms = sum(summary.model_ms) / len(summary.model_ms) if summary.model_ms else 0.0
    print(
        f"{summary.faces} face(s) in {', '.join(parts)} -> {args.out} "
        f"({elapsed:.1f} s; model {mean_ms:.1f} ms/face)"
    )
    if summary.errors:
        raise LprnetError(
            f"{len(summary.errors)} input(s) could not be read: " + "; ".join(summary.errors)
        )
    if summary.faces == 0:
        print("lprnet: no face found in any input", file=sys.stderr)
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``predict`` verb to the CLI's subparsers; returns its parser.

    The verb's function is set as ``func``: ``args.func(args)`` returns the exit status and
    raises :class:`LprnetError` for errors the CLI prints as one line (exit status 2).
    """
    p = subparsers.add_parser(
        "predict",
        help="3D faces from images, folders or videos (meshes, JSON, overlays)",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="image, folder of images, or video (by suffix)"
    )
    p.add_argument(
        "--model",
        default="lprnet_128",
        help="posmap network: .keras, .h5, .tflite, .onnx, or a shipped model's name "
        "(default: lprnet_128)",
    )
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--detector", default="auto", choices=DETECTORS, help="face detector")
    p.add_argument("--mesh", default="obj", choices=MESH_FORMATS, help="mesh file per face")
    p.add_argument("--threads", type=int, default=None, help="CPU threads of LiteRT / ONNX")
    p.add_argument(
        "--flip-test",
        action="store_true",
        help="average each crop's posmap with its mirror image's: more accurate, twice the "
        "model time",
    )
    p.add_argument(
        "--refine",
        type=int,
        default=0,
        metavar="N",
        help="re-crop each detected face from its predicted landmarks and run again, N times",
    )
    p.add_argument("--data-dir", help="face-model data directory (default: $LPRNET_DATA)")
    p.set_defaults(func=_cmd_predict)
    return p


__all__ = ["PredictSummary", "collect_inputs", "predict", "register"]
