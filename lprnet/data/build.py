"""``lprnet data build``: dataset folder -> sharded TFRecords, in parallel, resumable.

Records are sorted and cut into fixed shards of ``shard_size`` records; a shard is written to a
temporary file and renamed when complete, and ``index.json`` (rewritten atomically after every
shard) lists the finished shards and the records skipped with the reason. After a kill, the same
command skips the finished shards and redoes only the interrupted one, so the output is the same
bytes as an uninterrupted build.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from tqdm import tqdm

from lprnet.data import shards
from lprnet.data.datasets import Record, find_records
from lprnet.errors import LprnetError
from lprnet.fileio import write_json

INDEX = "index.json"
FORMAT = "lprnet-shards/1"


@dataclass(frozen=True)
class BuildConfig:
    source: str
    size: int
    data_dir: str | None


def _encode_record(record: Record, cfg: BuildConfig) -> tuple[str, dict[str, Any] | None, str]:
    """Worker: one record -> (name, features or None, error message)."""
    from lprnet.data.samples import sample_from_record
    from lprnet.geometry.bfm import load_face_model
    from lprnet.geometry.uv import uv_layout

    try:
        model = load_face_model(cfg.data_dir)
        sample = sample_from_record(record, model, uv_layout(model, cfg.size))
        return record.name, shards.encode_sample(sample, cfg.source), ""
    except Exception as exc:  # a corrupt file must not stop the build: it is listed instead
        return record.name, None, f"{type(exc).__name__}: {exc}"


_ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _worker_init() -> None:
    import cv2

    cv2.setNumThreads(1)


def _pool(n_workers: int) -> ProcessPoolExecutor:
    """Spawned workers with one BLAS / OpenCV thread each: the processes are the parallelism
    (several BLAS threads per worker fight over the cores and run slower)."""
    saved = {k: os.environ.get(k) for k in _ONE_THREAD}
    os.environ.update(dict.fromkeys(_ONE_THREAD, "1"))
    try:
        pool = ProcessPoolExecutor(
            n_workers, mp_context=mp.get_context("spawn"), initializer=_worker_init
        )
        # spawn every worker now, while the variables are set (busy workers force new ones)
        for f in [pool.submit(time.sleep, 0.2) for _ in range(n_workers)]:
            f.result()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return pool


def _load_index(out: Path, header: dict[str, Any]) -> dict[str, Any]:
    path = out / INDEX
    if not path.is_file():
        return {**header, "shards": [], "skipped": [], "complete": False}
    index = json.loads(path.read_text())
    for key, value in header.items():
        if index.get(key) != value:
            raise LprnetError(
                f"{path}: existing shards were built with {key}={index.get(key)!r}, not {value!r}; "
                "use another --out folder or delete this one"
            )
    # keep only shards whose files survived
    index["shards"] = [s for s in index["shards"] if (out / s["file"]).is_file()]
    return index


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def build_shards(
    source: str,
    root: str | os.PathLike,
    out: str | os.PathLike,
    size: int = 256,
    shard_size: int = 500,
    workers: int | None = None,
    data_dir: str | None = None,
    progress: bool = True,
    map_fn: Callable[[Callable, Iterable], Iterator] | None = None,
) -> dict[str, Any]:
    """Build (or resume building) the shards of a dataset folder.

    Parameters
    ----------
    source : {"300wlp", "aflw2000"}
    root : path
        The dataset folder.
    out : path
        Output folder (``<source>-NNNNN-of-MMMMM.tfrecord`` + ``index.json``).
    size : int
        Crop and UV map size in pixels (128 or 256).
    shard_size : int
        Records per shard.
    workers : int, optional
        Worker processes (default: CPU count; 0 runs in this process).
    data_dir : str, optional
        Face-model data directory (default ``$LPRNET_DATA``).
    map_fn : callable, optional
        Replaces the process pool's ordered map (tests use it to simulate a kill).

    Returns
    -------
    dict
        The index: shards (file, count, bytes, sha256), skipped records with reasons.
    """
    check_size(size)
    from lprnet.geometry.bfm import load_face_model

    load_face_model(data_dir)  # fail early, in this process, on missing face-model assets
    records = find_records(source, root)
    cfg = BuildConfig(source, size, data_dir)
    return write_shards(
        records,
        [r.name for r in records],
        partial(_encode_record, cfg=cfg),
        out,
        header={"source": source, "size": size},
        shard_size=shard_size,
        workers=workers,
        progress=progress,
        map_fn=map_fn,
    )


def check_size(size: int) -> None:
    """Refuse crop sizes other than the two the models use."""
    if size not in (128, 256):
        raise LprnetError(f"--size must be 128 or 256, got {size}")


def write_shards(
    items: Sequence[Any],
    keys: Sequence[str],
    encode: Callable[[Any], tuple[str, dict[str, Any] | None, str]],
    out: str | os.PathLike,
    header: dict[str, Any],
    shard_size: int = 500,
    workers: int | None = None,
    progress: bool = True,
    map_fn: Callable[[Callable, Iterable], Iterator] | None = None,
) -> dict[str, Any]:
    """Encode ``items`` into fixed shards of ``shard_size``, resumably, in worker processes.

    Every data source (dataset folders, synthetic faces, profiled photos) writes through here.

    Parameters
    ----------
    items : sequence
        What ``encode`` takes, in output order (picklable).
    keys : sequence of str
        One name per item; their digest identifies the build, so a resume with other items is
        refused instead of mixed in.
    encode : callable
        Picklable (module-level) ``item -> (name, features | None, error)``; features as
        :func:`lprnet.data.shards.encode_sample` returns, None with an error to skip the item.
    out : path
        Output folder; ``header['source']`` prefixes the shard file names.
    header : dict
        Build settings recorded in ``index.json`` (must match on resume).
    """
    if shard_size < 1:
        raise LprnetError(f"--shard-size must be >= 1, got {shard_size}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    source = header["source"]
    n_shards = (len(items) + shard_size - 1) // shard_size
    header = {
        "format": FORMAT,
        **header,
        "shard_size": shard_size,
        "records": len(items),
        "records_sha": hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16],
    }
    index = _load_index(out, header)
    done = {s["shard"] for s in index["shards"]}
    index["skipped"] = [s for s in index["skipped"] if s["shard"] in done]
    n_workers = (os.cpu_count() or 1) if workers is None else workers
    pool = None
    if map_fn is None:
        if n_workers > 0:
            pool = _pool(n_workers)
            map_fn = partial(pool.map, chunksize=4)
        else:
            map_fn = map
    bar = tqdm(
        total=len(items),
        initial=sum(s["records"] for s in index["shards"]),
        unit="img",
        desc=f"build {source}",
        disable=not progress,
    )
    try:
        for i in range(n_shards):
            if i in done:
                continue
            chunk = items[i * shard_size : (i + 1) * shard_size]
            name = f"{source}-{i:05d}-of-{n_shards:05d}{shards.SUFFIX}"
            count, skipped = _write_shard(out / name, chunk, encode, map_fn, bar)
            path = out / name
            index["shards"].append(
                {
                    "shard": i,
                    "file": name,
                    "records": len(chunk),
                    "count": count,
                    "bytes": path.stat().st_size,
                    "sha256": _sha256(path),
                }
            )
            index["shards"].sort(key=lambda s: s["shard"])
            index["skipped"].extend({"shard": i, **s} for s in skipped)
            write_json(out / INDEX, index)
    finally:
        bar.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    index["complete"] = True
    index["count"] = sum(s["count"] for s in index["shards"])
    write_json(out / INDEX, index)
    return index


def _write_shard(path: Path, chunk: Sequence[Any], encode, map_fn, bar) -> tuple[int, list]:
    from lprnet.tfenv import tf

    tmp = path.with_name(path.name + ".tmp")
    count, skipped = 0, []
    try:
        with tf.io.TFRecordWriter(str(tmp)) as writer:
            for name, features, error in map_fn(encode, chunk):
                bar.update(1)
                if features is None:
                    skipped.append({"name": name, "error": error})
                    tqdm.write(f"skipped {name}: {error}")
                    continue
                writer.write(shards.serialize(features))
                count += 1
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return count, skipped
