"""The 300W dataset in its own layout (iBUG, Sagonas et al. 2013), and 68-point mirroring.

300W is what 300W-LP was profiled from (Zhu et al., CVPR 2016). Its download unpacks to::

    afw/                      <name>.jpg + <name>.pts
    helen/{trainset,testset}/ <name>.jpg + <name>.pts
    lfpw/{trainset,testset}/  <name>.png + <name>.pts
    ibug/                     <name>.jpg + <name>.pts
    01_Indoor/, 02_Outdoor/   (the 300-W challenge test set, when present)

``.pts`` files are iBUG's 1-based 68-point format (:func:`lprnet.data.landmarks.load_pts`).
Every subset folder present is read; a ``.pts`` without an image next to it, or a malformed
one, is listed and skipped, never fatal.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from lprnet.errors import DataFormatError, LprnetError

if TYPE_CHECKING:  # numpy and the readers load on use: the CLI reads SUBSETS at start-up
    import numpy as np

    from lprnet.data.landmarks import LandmarkedFace

#: 300W's subset folders, in the order the dataset lists them.
SUBSETS = (
    "afw",
    "helen/trainset",
    "helen/testset",
    "lfpw/trainset",
    "lfpw/testset",
    "ibug",
    "01_Indoor",
    "02_Outdoor",
)
SOURCE_300W = "300w"

#: Index of each of the 68 iBUG landmarks in a horizontally mirrored face: jaw 0-16 reversed,
#: brows 17-21 <-> 26-22, nose bridge kept, nostrils 31-35 reversed, eyes 36-41 <-> 45-42
#: (corner to corner), outer lip 48-54 reversed, 55-59 reversed, inner lip 60-64 and 65-67.
FLIP_68 = (
    *range(16, -1, -1),
    *range(26, 16, -1),
    27, 28, 29, 30,
    *range(35, 30, -1),
    45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,
    *range(54, 47, -1),
    *range(59, 54, -1),
    *range(64, 59, -1),
    67, 66, 65,
)  # fmt: skip


def flip_landmarks(points: np.ndarray, width: int) -> np.ndarray:
    """68 landmarks of the horizontally mirrored image.

    Parameters
    ----------
    points : (68, 2+) float
        0-based image pixels (extra columns, e.g. z, are kept).
    width : int
        Image width in pixels: pixel centre ``x`` maps to ``width - 1 - x``.

    Returns
    -------
    (68, 2+) float64
        Mirrored, and re-ordered with :data:`FLIP_68` so that point k is again the iBUG point k
        (the left eye corner of the mirrored face, not the mirrored right one).
    """
    import numpy as np

    pts = np.asarray(points, np.float64)
    if pts.shape[0] != 68 or pts.ndim != 2 or pts.shape[1] < 2:
        raise ValueError(f"points: expected shape (68, 2 or 3), got {pts.shape}")
    out = pts[list(FLIP_68)]
    out[:, 0] = width - 1 - out[:, 0]
    return out


def subset_of(name: str) -> str:
    """The 300W subset of a face name (``helen/trainset/x`` -> ``helen/trainset``)."""
    for subset in SUBSETS:
        if name.startswith(subset + "/"):
            return subset
    return name.split("/", 1)[0] if "/" in name else ""


def find_300w(
    root: str | os.PathLike,
    subsets: tuple[str, ...] | None = None,
    skipped: list[str] | None = None,
) -> list[LandmarkedFace]:
    """Every annotated face of a 300W download (or of the subsets asked for).

    Parameters
    ----------
    root : path
        The folder holding ``afw/``, ``helen/`` ... (as the 300W archives unpack).
    subsets : tuple of str, optional
        Subset folders to read (default: every one of :data:`SUBSETS` that is present).
    skipped : list, optional
        Receives a line per ``.pts`` left out and why.

    Returns
    -------
    list of LandmarkedFace
        Source ``"300w"``, name ``<subset>/<stem>``, sorted by subset order then name.
    """
    from lprnet.data.landmarks import LandmarkedFace, read_pts, sibling_image

    root = Path(root)
    if not root.is_dir():
        raise LprnetError(f"300W folder {root} does not exist")
    wanted = SUBSETS if subsets is None else tuple(subsets)
    unknown = [s for s in wanted if s not in SUBSETS]
    if unknown:
        raise LprnetError(f"unknown 300W subset(s) {unknown}; choose from {list(SUBSETS)}")
    present = [s for s in wanted if (root / s).is_dir()]
    if not present:
        raise LprnetError(
            f"{root}: none of the 300W subset folders {list(wanted)} is there "
            "(expected the layout of the 300W download: afw/, helen/trainset/, ...)"
        )
    notes: list[str] = [] if skipped is None else skipped
    faces: list[LandmarkedFace] = []
    for subset in present:
        for pts in sorted((root / subset).glob("*.pts")):
            image = sibling_image(pts)
            if image is None:
                notes.append(f"{pts}: no image with the same name next to it")
                continue
            try:
                (face,) = read_pts(pts, image)
            except DataFormatError as exc:
                notes.append(str(exc))
                continue
            faces.append(LandmarkedFace(image, face.landmarks, f"{subset}/{pts.stem}", SOURCE_300W))
    if not faces:
        raise LprnetError(f"no 68-point .pts files with images in {root} ({', '.join(present)})")
    return faces
