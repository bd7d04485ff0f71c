"""The float reference as an artifact: the tf-keras ``.keras`` file plus a metadata sidecar."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from lprnet.errors import LprnetError
from lprnet.fileio import write_json


def export_artifact(
    model,
    path: str | os.PathLike,
    precision: str,
    calibration: np.ndarray | None,
    info,
) -> tuple[list[Path], dict]:
    """Save ``model`` to ``path`` (.keras) and its metadata to ``<path>.json``."""
    from export.metadata import model_metadata, sidecar

    if precision != "fp32":
        raise LprnetError(f"keras precision must be fp32, got {precision!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".keras", dir=path.parent)
    os.close(fd)
    try:
        model.save(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    meta = model_metadata(info, "keras", "fp32")
    write_json(sidecar(path), meta)
    return [path, sidecar(path)], meta
