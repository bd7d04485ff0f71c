"""The embedded evaluation / calibration set shipped with lprnet (``lprnet/resources``).

A few hundred 256x256 face crops made by the project itself: synthetic faces from a held-out
seed and profiled views of photos that no training set uses (dlib's testing faces, the
AFLW2000-3D samples). Per sample: the crop (JPEG), the 68 ground-truth landmarks (crop pixels),
[pitch, yaw, roll] in degrees, and the ground-truth posmap resampled to a 32x32 UV grid for
dense metrics. It is what the main job evaluates and calibrates int8 models on when no data
directory is given, in two disjoint splits (:data:`SPLITS`): int8 calibration and distillation
draw on ``calibration`` (every :data:`CALIBRATION_EVERY`-th sample), scores are taken on
``score`` (the rest), so no reported number is measured on the images a model was tuned on.
BFM-derived: non-commercial research use only.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from lprnet.errors import DataFormatError
from lprnet.fileio import atomic_open

EMBEDDED = Path(__file__).resolve().parent.parent / "resources" / "embedded-256.npz"
SIZE = 256
DENSE = 32
JPEG_QUALITY = 92
#: Every this-many-th sample (0, 4, 8, ...) is in the calibration split.
CALIBRATION_EVERY = 4
SPLITS = ("all", "calibration", "score")


def split_indices(count: int, split: str) -> np.ndarray:
    """Indices of ``split`` (one of :data:`SPLITS`) in a set of ``count`` samples.

    Parameters
    ----------
    count : int
        Samples in the set.
    split : {"all", "calibration", "score"}
        ``calibration``: every :data:`CALIBRATION_EVERY`-th sample from 0; ``score``: the others.

    Returns
    -------
    (M,) int64, ascending
    """
    idx = np.arange(count)
    if split == "all":
        return idx
    if split == "calibration":
        return idx[idx % CALIBRATION_EVERY == 0]
    if split == "score":
        return idx[idx % CALIBRATION_EVERY != 0]
    raise ValueError(f"embedded split must be one of {SPLITS}, got {split!r}")


def resample_posmap(posmap: np.ndarray, size: int) -> np.ndarray:
    """Resample a posmap to another UV resolution, keeping each UV coordinate in place.

    UV pixel ``x`` of an n-map is UV coordinate ``x / (n - 1)`` (PRNet's ``process_uv``), so the
    m-map samples the n-map at ``x * (n - 1) / (m - 1)``, bilinearly. Values are unchanged.

    Parameters
    ----------
    posmap : (n, n, 3) float array
    size : int
        m, the new UV resolution.

    Returns
    -------
    (m, m, 3) float32
    """
    n = posmap.shape[0]
    grid = np.arange(size, dtype=np.float32) * (n - 1) / (size - 1)
    mx, my = np.meshgrid(grid, grid)
    return cv2.remap(np.asarray(posmap, np.float32), mx, my, cv2.INTER_LINEAR)


@dataclass
class EmbeddedSet:
    """Decoded lazily: ``image(i)`` is a (256, 256, 3) uint8 RGB crop."""

    jpegs: list[bytes]
    landmarks: np.ndarray  # (N, 68, 3) float32, crop pixels at 256
    pose: np.ndarray  # (N, 3) float32, degrees
    dense: np.ndarray  # (N, 32, 32, 3) float16, GT posmap on the 32 UV grid, crop pixels at 256
    names: np.ndarray  # (N,) str
    sources: np.ndarray  # (N,) str

    def __len__(self) -> int:
        return len(self.jpegs)

    @property
    def yaw(self) -> np.ndarray:
        return self.pose[:, 1]

    def image(self, i: int) -> np.ndarray:
        bgr = cv2.imdecode(np.frombuffer(self.jpegs[i], np.uint8), cv2.IMREAD_COLOR)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def indices(self, split: str = "all") -> np.ndarray:
        """The sample indices of one of :data:`SPLITS` (:func:`split_indices`)."""
        return split_indices(len(self), split)

    def images(self, size: int = SIZE, split: str = "all") -> np.ndarray:
        """The crops of ``split`` as (N, size, size, 3) uint8 (area-resized when size < 256)."""
        out = [self.image(int(i)) for i in self.indices(split)]
        if size != SIZE:
            out = [cv2.resize(im, (size, size), interpolation=cv2.INTER_AREA) for im in out]
        return np.stack(out)


def build_embedded_set(
    sources: Sequence[tuple[str | os.PathLike, int]], out: str | os.PathLike = EMBEDDED
) -> dict:
    """Take ``count`` samples, evenly spread, from each 256 shard folder and write the set."""
    from lprnet.data.shards import read_shards

    jpegs, landmarks, pose, dense, names, srcs = [], [], [], [], [], []
    for folder, count in sources:
        examples = list(read_shards(folder))
        if examples and examples[0]["image"].shape[0] != SIZE:
            raise DataFormatError(f"{folder}: the embedded set takes {SIZE} px shards")
        picks = np.linspace(0, len(examples) - 1, min(count, len(examples))).round().astype(int)
        for k in picks:
            ex = examples[k]
            ok, buf = cv2.imencode(
                ".jpg",
                cv2.cvtColor(ex["image"], cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY],
            )
            if not ok:
                raise DataFormatError(f"{folder}: JPEG encoding failed")
            jpegs.append(buf.tobytes())
            landmarks.append(ex["landmarks"])
            pose.append(ex["pose"])
            dense.append(resample_posmap(ex["posmap"], DENSE).astype(np.float16))
            names.append(ex["name"].decode())
            srcs.append(ex["source"].decode())
    offsets = np.cumsum([0] + [len(j) for j in jpegs])
    with atomic_open(out, "wb") as f:
        np.savez_compressed(
            f,
            jpeg=np.frombuffer(b"".join(jpegs), np.uint8),
            offsets=offsets,
            landmarks=np.stack(landmarks).astype(np.float32),
            pose=np.stack(pose).astype(np.float32),
            dense=np.stack(dense),
            names=np.array(names),
            sources=np.array(srcs),
        )
    return {
        "samples": len(jpegs),
        "bytes": Path(out).stat().st_size,
        "sources": {s: srcs.count(s) for s in sorted(set(srcs))},
    }


def load_embedded_set(path: str | os.PathLike = EMBEDDED) -> EmbeddedSet:
    """Read the set written by :func:`build_embedded_set`."""
    try:
        with np.load(path, allow_pickle=False) as z:
            raw, off = z["jpeg"].tobytes(), z["offsets"]
            return EmbeddedSet(
                [raw[off[i] : off[i + 1]] for i in range(len(off) - 1)],
                z["landmarks"],
                z["pose"],
                z["dense"],
                z["names"],
                z["sources"],
            )
    except FileNotFoundError as exc:
        raise DataFormatError(
            f"{path}: embedded set missing (lprnet data embed builds it)"
        ) from exc
    except (OSError, KeyError, ValueError) as exc:
        raise DataFormatError(f"{path}: not an embedded set ({exc})") from exc
