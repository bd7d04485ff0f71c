"""The shard format every data source writes and training reads: TFRecord files of tf.train.Example.

Features of one example (crop size ``n``):

=============  ==========  ======================================================================
key            type        content
=============  ==========  ======================================================================
image          bytes       PNG, (n, n, 3) uint8 RGB
posmap         bytes       PNG, (n, n, 3) uint16: ``round(posmap / (n * 1.1) * 65535)``, clipped
landmarks      float x204  (68, 3) landmarks in crop pixels (unquantised)
crop_matrix    float x9    (3, 3) image -> crop similarity
z_offset       float       subtracted from z after cropping
pose           float x3    [pitch, yaw, roll] degrees
size           int64       n
name, source   bytes       sample name (relative path), data source
=============  ==========  ======================================================================

Encoding (:func:`encode_sample`) is NumPy/OpenCV only so builder workers never import TensorFlow;
writing and parsing use TensorFlow (imported lazily).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from lprnet.data.samples import Sample
from lprnet.errors import DataFormatError
from lprnet.io_contract import POSMAP_SCALE

SUFFIX = ".tfrecord"
UINT16_MAX = 65535


def posmap_to_uint16(posmap: np.ndarray) -> np.ndarray:
    """(n, n, 3) float posmap in crop pixels -> uint16 fixed point (step n*1.1/65535 px)."""
    n = posmap.shape[0]
    q = np.round(np.asarray(posmap, np.float64) / (n * POSMAP_SCALE) * UINT16_MAX)
    return np.clip(q, 0, UINT16_MAX).astype(np.uint16)


def posmap_from_uint16(q: np.ndarray) -> np.ndarray:
    """Inverse of :func:`posmap_to_uint16`: (n, n, 3) float32 in crop pixels."""
    n = q.shape[0]
    return (q.astype(np.float32) / UINT16_MAX * (n * POSMAP_SCALE)).astype(np.float32)


def _png(rgb: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(rgb[..., ::-1]))  # OpenCV wants BGR
    if not ok:
        raise DataFormatError("PNG encoding failed")
    return buf.tobytes()


def encode_sample(sample: Sample, source: str) -> dict[str, Any]:
    """The feature values of one example (plain Python / bytes, picklable)."""
    n = sample.image.shape[0]
    return {
        "image": _png(sample.image),
        "posmap": _png(posmap_to_uint16(sample.posmap)),
        "landmarks": np.asarray(sample.landmarks, np.float32).reshape(-1).tolist(),
        "crop_matrix": np.asarray(sample.crop_matrix, np.float32).reshape(-1).tolist(),
        "z_offset": [float(sample.z_offset)],
        "pose": np.asarray(sample.pose, np.float32).reshape(-1).tolist(),
        "size": [n],
        "name": sample.name.encode(),
        "source": source.encode(),
    }


def serialize(features: dict[str, Any]) -> bytes:
    """Serialise :func:`encode_sample` output as a tf.train.Example."""
    from lprnet.tfenv import tf

    feats = {}
    for key, value in features.items():
        if isinstance(value, bytes):
            feats[key] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))
        elif key == "size":
            feats[key] = tf.train.Feature(int64_list=tf.train.Int64List(value=value))
        else:
            feats[key] = tf.train.Feature(float_list=tf.train.FloatList(value=value))
    return tf.train.Example(features=tf.train.Features(feature=feats)).SerializeToString()


def feature_spec() -> dict:
    """The tf.io parsing spec of the shard format."""
    from lprnet.tfenv import tf

    return {
        "image": tf.io.FixedLenFeature([], tf.string),
        "posmap": tf.io.FixedLenFeature([], tf.string),
        "landmarks": tf.io.FixedLenFeature([204], tf.float32),
        "crop_matrix": tf.io.FixedLenFeature([9], tf.float32),
        "z_offset": tf.io.FixedLenFeature([1], tf.float32),
        "pose": tf.io.FixedLenFeature([3], tf.float32),
        "size": tf.io.FixedLenFeature([1], tf.int64),
        "name": tf.io.FixedLenFeature([], tf.string),
        "source": tf.io.FixedLenFeature([], tf.string),
    }


def parse_example(serialized):
    """tf.data map function: a serialized example -> dict of tensors.

    ``image`` (n, n, 3) uint8, ``posmap`` (n, n, 3) float32 in crop pixels, ``posmap_uint16``,
    ``landmarks`` (68, 3), ``crop_matrix`` (3, 3), ``pose`` (3,), ``name``, ``source``.
    """
    from lprnet.tfenv import tf

    ex = tf.io.parse_single_example(serialized, feature_spec())
    size = tf.cast(ex["size"][0], tf.float32)
    q = tf.io.decode_png(ex["posmap"], channels=3, dtype=tf.uint16)
    return {
        "image": tf.io.decode_png(ex["image"], channels=3),
        "posmap_uint16": q,
        "posmap": tf.cast(q, tf.float32) / UINT16_MAX * (size * POSMAP_SCALE),
        "landmarks": tf.reshape(ex["landmarks"], (68, 3)),
        "crop_matrix": tf.reshape(ex["crop_matrix"], (3, 3)),
        "z_offset": ex["z_offset"][0],
        "pose": ex["pose"],
        "name": ex["name"],
        "source": ex["source"],
    }


def shard_files(path: str | os.PathLike) -> list[Path]:
    """The shard files of a shard folder (sorted), or the file itself."""
    path = Path(path)
    if path.is_file():
        return [path]
    files = sorted(path.glob(f"*{SUFFIX}"))
    if not files:
        raise DataFormatError(
            f"{path}: no *{SUFFIX} shard files (build them with `lprnet data build`)"
        )
    return files


def read_shards(path: str | os.PathLike) -> Iterator[dict[str, np.ndarray]]:
    """Iterate the examples of a shard folder as NumPy dicts (for inspection, tests, eval)."""
    from lprnet.tfenv import tf

    for file in shard_files(path):
        for record in tf.data.TFRecordDataset(str(file), buffer_size=1 << 20):
            yield {k: v.numpy() for k, v in parse_example(record).items()}
