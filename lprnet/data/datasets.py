"""Find the samples of 300W-LP and AFLW2000-3D in their original folder layouts.

* 300W-LP: ``300W_LP/{AFW,HELEN,IBUG,LFPW}[_Flip]/<name>.jpg`` + ``<name>.mat`` (the
  ``landmarks/`` folder is not needed); a flat folder of jpg + mat pairs works too.
* AFLW2000-3D: ``AFLW2000/image0XXXX.jpg`` + ``.mat``.

Records are sorted by name, so every build sees the same order.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lprnet.errors import LprnetError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


@dataclass(frozen=True)
class Record:
    """One annotated image: ``name`` is its path relative to the dataset root, without suffix."""

    name: str
    image: Path
    mat: Path


def _pairs(root: Path, recursive: bool, skip_dirs: tuple[str, ...] = ()) -> list[Record]:
    if not root.is_dir():
        raise LprnetError(f"dataset folder {root} does not exist")
    files = root.rglob("*") if recursive else root.iterdir()
    records = []
    for img in files:
        if img.suffix.lower() not in IMAGE_SUFFIXES or not img.is_file():
            continue
        rel = img.relative_to(root)
        if any(part in skip_dirs for part in rel.parts[:-1]):
            continue
        records.append(Record(rel.with_suffix("").as_posix(), img, img.with_suffix(".mat")))
    records.sort(key=lambda r: r.name)
    if not records:
        raise LprnetError(f"no images ({', '.join(IMAGE_SUFFIXES)}) found in {root}")
    return records


def find_300wlp(root: str | os.PathLike) -> list[Record]:
    """All 300W-LP samples below ``root`` (the ``300W_LP`` folder or any folder of pairs)."""
    return _pairs(Path(root), recursive=True, skip_dirs=("landmarks",))


def find_aflw2000(root: str | os.PathLike) -> list[Record]:
    """All AFLW2000-3D samples in ``root`` (the ``AFLW2000`` folder)."""
    return _pairs(Path(root), recursive=False)


SOURCES: dict[str, Callable[[str | os.PathLike], list[Record]]] = {
    "300wlp": find_300wlp,
    "aflw2000": find_aflw2000,
}


def find_records(source: str, root: str | os.PathLike) -> list[Record]:
    """Records of dataset ``source`` (one of :data:`SOURCES`) under ``root``."""
    if source not in SOURCES:
        raise LprnetError(f"unknown data source {source!r}; choose one of {sorted(SOURCES)}")
    return SOURCES[source](root)
