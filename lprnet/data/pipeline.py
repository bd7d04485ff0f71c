"""The training input pipeline: weighted shard sources -> (image, target) batches, augmented.

::

    sources (folder or .tfrecord, weight) ──► per source: shard files (shuffled, repeated),
        interleaved, record shuffle buffer ──► weighted mix (``sample_from_datasets``)
        ──► enumerate (per-example seed) ──► parallel map: parse + PNG decode, resize to the
        model size, augment (:mod:`lprnet.data.augment`), target ──► batch ──► prefetch

With an integer ``seed`` the dataset is a pure function of (shards, arguments): the file order,
the record shuffles, the source mix and every augmentation are seeded, per-example augmentation
seeds are ``fold_in((seed, salt), element index)`` and ``options.deterministic`` is on, so two
runs yield identical batches whatever the thread schedule.
"""

from __future__ import annotations

import json
import numbers
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lprnet.data import shards
from lprnet.data.augment import AugmentConfig
from lprnet.data.augment import augment as augment_example
from lprnet.data.build import INDEX
from lprnet.errors import DataFormatError, LprnetError
from lprnet.io_contract import POSMAP_SCALE
from lprnet.tfenv import tf

AUTOTUNE = tf.data.AUTOTUNE
#: Mixed into the per-example augmentation seed so it never equals a shuffle seed.
_AUGMENT_SALT = 0x5EED_A06
_SEED_MOD = 2**31 - 1

PathLike = str | os.PathLike
SourceSpec = PathLike | tuple[PathLike, float]


@dataclass(frozen=True)
class ShardSource:
    """One resolved data source.

    Attributes
    ----------
    path : Path
        The shard folder or single ``.tfrecord`` file as given.
    files : tuple of Path
        Its shard files, sorted.
    weight : float
        Sampling weight (not normalised).
    size : int
        Crop / posmap side ``n`` of its examples, pixels.
    """

    path: Path
    files: tuple[Path, ...]
    weight: float
    size: int


def _index_for(path: Path) -> tuple[dict | None, str | None]:
    """``(index.json content, file name filter)`` of a shard folder or a shard file."""
    folder, only = (path.parent, path.name) if path.is_file() else (path, None)
    index_path = folder / INDEX
    if not index_path.is_file():
        return None, only
    try:
        return json.loads(index_path.read_text()), only
    except (OSError, ValueError) as exc:
        raise DataFormatError(f"{index_path}: unreadable shard index ({exc})") from exc


def _first_record_size(file: Path) -> int:
    for record in tf.data.TFRecordDataset(str(file)).take(1):
        ex = tf.io.parse_single_example(record, {"size": shards.feature_spec()["size"]})
        return int(ex["size"][0])
    raise DataFormatError(f"{file}: empty shard file")


def resolve_sources(sources: SourceSpec | Sequence[SourceSpec]) -> list[ShardSource]:
    """Normalise ``sources`` into :class:`ShardSource` objects.

    Parameters
    ----------
    sources : path, (path, weight), or a list of either
        Paths are shard folders (``lprnet data build`` output) or single ``.tfrecord`` files; a
        bare path has weight 1. Sources with weight 0 are dropped. A folder whose build has not
        completed raises :class:`DataFormatError`.

    Returns
    -------
    list of ShardSource
    """
    if isinstance(sources, str | os.PathLike) or (
        isinstance(sources, tuple)
        and len(sources) == 2
        and isinstance(sources[1], numbers.Real)
        and not isinstance(sources[0], tuple)
    ):
        sources = [sources]  # type: ignore[list-item]
    out = []
    for spec in sources:  # type: ignore[union-attr]
        path, weight = spec if isinstance(spec, tuple) else (spec, 1.0)
        weight = float(weight)
        if not weight >= 0.0:
            raise LprnetError(f"source {path}: weight must be >= 0, got {weight}")
        if weight == 0.0:
            continue
        path = Path(path)
        if not path.exists():
            raise LprnetError(f"shard source {path} does not exist")
        files = tuple(shards.shard_files(path))
        index, only = _index_for(path)
        if index is not None and only is None and index.get("complete") is False:
            raise DataFormatError(
                f"{path / INDEX}: build not complete (still running, or stopped: rerun the same "
                "`lprnet data build` / `profile` command to finish it); a part-built shard "
                "folder is not read"
            )
        size = int(index["size"]) if index and "size" in index else _first_record_size(files[0])
        out.append(ShardSource(path, files, weight, size))
    if not out:
        raise LprnetError("no data sources (or all weights are 0)")
    return out


def count_examples(sources: SourceSpec | Sequence[SourceSpec]) -> int:
    """Number of examples in the sources, from their ``index.json`` (weights are ignored).

    A shard file without an index beside it is counted by reading it.

    Parameters
    ----------
    sources : as :func:`resolve_sources`

    Returns
    -------
    int
    """
    total = 0
    for src in resolve_sources(sources):
        index, only = _index_for(src.path)
        counts = {s["file"]: int(s["count"]) for s in index["shards"]} if index else {}
        for file in src.files:
            if file.name in counts and (only is None or file.name == only):
                total += counts[file.name]
            else:
                total += int(tf.data.TFRecordDataset(str(file)).reduce(0, lambda n, _: n + 1))
    return total


def _sub_seed(seed: int, k: int) -> int:
    return (seed * 1_000_003 + k * 7919 + 17) % _SEED_MOD


def resize_example(image, posmap, size: int):
    """Resize a crop and its posmap to ``size`` x ``size``, keeping them consistent.

    The image is resized with half-pixel centres (area when shrinking, bilinear when growing),
    so content at crop pixel ``x`` of the ``n`` crop lands at ``(x + 0.5) * size / n - 0.5``;
    posmap *values* are mapped the same way (z scaled by ``size / n``). The posmap *grid* is
    resampled corner-aligned (UV pixel ``X`` of the ``size`` map is UV pixel
    ``X (n - 1) / (size - 1)`` of the ``n`` map, as :func:`lprnet.geometry.uv.uv_pixels`
    lays out every resolution), bilinearly over the non-empty pixels only, so the face's border
    does not blend with the empty (all-zero) background.

    Parameters
    ----------
    image : tensor (n, n, 3) uint8 or float
    posmap : tensor (n, n, 3) float32, crop pixels of the ``n`` crop
    size : int

    Returns
    -------
    image : tensor (size, size, 3) float32, the input's value range
    posmap : tensor (size, size, 3) float32, crop pixels of the ``size`` crop
    """
    n = tf.cast(tf.shape(image)[0], tf.float32)
    m = float(size)
    img = tf.cast(image, tf.float32)
    image = tf.cond(
        n > m,
        lambda: tf.image.resize(img, (size, size), method="area"),
        lambda: tf.image.resize(img, (size, size), method="bilinear"),
    )
    posmap = tf.convert_to_tensor(posmap, tf.float32)
    valid = tf.cast(tf.reduce_any(tf.not_equal(posmap, 0.0), -1, keepdims=True), tf.float32)
    # empty pixels are all-zero, so (posmap, valid) resampled gives sum(w v) and sum(w)
    warped = tf.raw_ops.ResizeBilinear(
        images=tf.concat([posmap, valid], -1)[None],
        size=tf.constant([size, size], tf.int32),
        align_corners=True,
        half_pixel_centers=False,
    )[0]
    weight = warped[..., 3:]
    values = warped[..., :3] / tf.maximum(weight, 1e-6)
    ratio = m / n
    gain = tf.stack([ratio, ratio, ratio])
    offset = tf.stack([0.5 * ratio - 0.5, 0.5 * ratio - 0.5, 0.0])
    posmap = (values * gain + offset) * tf.cast(weight > 1e-6, tf.float32)
    return image, posmap


def make_dataset(
    sources: SourceSpec | Sequence[SourceSpec],
    batch_size: int = 16,
    size: int | None = None,
    augment: bool = True,
    seed: int | None = 0,
    shuffle_buffer: int = 1024,
    repeat: bool = True,
    config: AugmentConfig | None = None,
    num_parallel_calls: int = AUTOTUNE,
    drop_remainder: bool | None = None,
    cycle_length: int = 4,
    skip: int = 0,
):
    """A ``tf.data.Dataset`` of training batches from weighted shard sources.

    Parameters
    ----------
    sources : path, (path, weight), or a list of either
        Shard folders or ``.tfrecord`` files, mixed with probabilities proportional to the
        weights (``tf.data.Dataset.sample_from_datasets``).
    batch_size : int
    size : int, optional
        Model input size; sources of another size are resized (:func:`resize_example`). Default:
        the sources' size (they must agree).
    augment : bool
        Apply PRNet's augmentation (:func:`lprnet.data.augment.augment`).
    seed : int or None
        Seeds shuffles, mixing and augmentation and makes the dataset deterministic; ``None``
        draws a random seed and lets ``tf.data`` reorder elements for speed.
    shuffle_buffer : int
        Records in each source's shuffle buffer (serialized: about 30 KB per record at 128,
        120 KB at 256); 0 or 1 disables record shuffling (files are still shuffled).
    repeat : bool
        Repeat every source forever (weights then hold at any point of training); else one pass
        over every source.
    config : AugmentConfig, optional
        Augmentation ranges (default: PRNet's).
    num_parallel_calls : int
        Parallelism of parsing + augmentation (default autotuned).
    drop_remainder : bool, optional
        Drop the last incomplete batch (default: ``repeat``, i.e. static batch shapes when
        repeating).
    cycle_length : int
        Shard files of one source read concurrently.
    skip : int
        Examples to skip first (resuming training at step k: ``k * batch_size``). Skipped as
        raw records, before parsing and augmentation, with the same per-example seeds as an
        uninterrupted run, so a resumed run sees exactly the batches it would have seen.

    Returns
    -------
    tf.data.Dataset
        Elements ``(image, target)``: image (B, size, size, 3) float32 in [0, 1] (RGB / 255),
        target (B, size, size, 3) float32 ``posmap / (size * 1.1)``.
    """
    if batch_size < 1:
        raise LprnetError(f"batch_size must be >= 1, got {batch_size}")
    srcs = resolve_sources(sources)
    sizes = sorted({s.size for s in srcs})
    if size is None:
        if len(sizes) > 1:
            raise LprnetError(f"sources have different sizes {sizes}; pass size=")
        size = sizes[0]
    if size < 8:
        raise LprnetError(f"size must be >= 8, got {size}")
    deterministic = seed is not None
    seed = int(seed) % _SEED_MOD if seed is not None else secrets.randbelow(_SEED_MOD)
    config = config or AugmentConfig()
    drop_remainder = repeat if drop_remainder is None else drop_remainder

    streams = []
    for i, src in enumerate(srcs):
        files = tf.data.Dataset.from_tensor_slices([str(f) for f in src.files])
        if len(src.files) > 1:
            files = files.shuffle(len(src.files), seed=_sub_seed(seed, 2 * i))
        if repeat:
            files = files.repeat()
        records = files.interleave(
            lambda f: tf.data.TFRecordDataset(f, buffer_size=1 << 20),
            cycle_length=min(cycle_length, len(src.files)),
            num_parallel_calls=min(cycle_length, len(src.files)),
            deterministic=True,
        )
        if shuffle_buffer > 1:
            records = records.shuffle(shuffle_buffer, seed=_sub_seed(seed, 2 * i + 1))
        streams.append(records)
    if len(streams) == 1:
        records = streams[0]
    else:
        total = sum(s.weight for s in srcs)
        records = tf.data.Dataset.sample_from_datasets(
            streams, weights=[s.weight / total for s in srcs], seed=_sub_seed(seed, 1 << 20)
        )

    base_seed = tf.constant([seed, _AUGMENT_SALT], tf.int64)
    scale = 1.0 / (size * POSMAP_SCALE)

    def load(index, serialized):
        ex = shards.parse_example(serialized)
        image, posmap = ex["image"], ex["posmap"]
        if sizes != [size]:
            if size in sizes:  # mixed sizes: resize only the others
                image, posmap = tf.cond(
                    tf.equal(tf.shape(image)[0], size),
                    lambda: (tf.cast(image, tf.float32), posmap),
                    lambda: resize_example(image, posmap, size),
                )
            else:
                image, posmap = resize_example(image, posmap, size)
            image = tf.clip_by_value(image, 0.0, 255.0)
        image = tf.ensure_shape(image, (size, size, 3))
        posmap = tf.ensure_shape(posmap, (size, size, 3))
        if augment:
            image = image if image.dtype == tf.uint8 else image / 255.0
            example_seed = tf.random.experimental.stateless_fold_in(base_seed, index)
            image, posmap = augment_example(image, posmap, example_seed, config)
        else:
            image = tf.cast(image, tf.float32) / 255.0
        return image, posmap * scale

    ds = (
        records.enumerate()
        .skip(skip)
        .map(load, num_parallel_calls=num_parallel_calls, deterministic=deterministic)
    )
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    ds = ds.prefetch(AUTOTUNE)
    options = tf.data.Options()
    options.deterministic = deterministic
    return ds.with_options(options)


__all__ = [
    "ShardSource",
    "count_examples",
    "make_dataset",
    "resize_example",
    "resolve_sources",
]
