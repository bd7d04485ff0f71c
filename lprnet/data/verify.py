"""``lprnet data verify``: a shard folder's files match its index and every sample decodes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from lprnet.data.build import INDEX, _sha256
from lprnet.data.shards import read_shards
from lprnet.errors import DataFormatError


def verify_shards(folder: str | os.PathLike) -> dict[str, Any]:
    """Check sha256 and sample count of each shard in ``index.json`` and decode every sample.

    Raises
    ------
    DataFormatError
        Naming the shard file and what is wrong.
    """
    folder = Path(folder)
    index_path = folder / INDEX
    if not index_path.is_file():
        raise DataFormatError(
            f"{folder}: no {INDEX}; not a shard folder written by `lprnet data build`"
        )
    index = json.loads(index_path.read_text())
    if not index.get("complete"):
        raise DataFormatError(
            f"{index_path}: build not complete; rerun `lprnet data build` to resume"
        )
    total = 0
    for shard in index["shards"]:
        path = folder / shard["file"]
        if not path.is_file():
            raise DataFormatError(f"{path}: listed in {INDEX} but missing")
        if _sha256(path) != shard["sha256"]:
            raise DataFormatError(f"{path}: sha256 differs from {INDEX} (corrupt or modified)")
        n = 0
        for ex in read_shards(path):
            size = index["size"]
            for key in ("image", "posmap"):
                if ex[key].shape != (size, size, 3):
                    raise DataFormatError(
                        f"{path}: sample {ex['name']!r} {key} has shape {ex[key].shape}"
                    )
            if not np.isfinite(ex["landmarks"]).all():
                raise DataFormatError(f"{path}: sample {ex['name']!r} has non-finite landmarks")
            n += 1
        if n != shard["count"]:
            raise DataFormatError(f"{path}: {n} samples, {INDEX} says {shard['count']}")
        total += n
    return {"shards": len(index["shards"]), "count": total}
