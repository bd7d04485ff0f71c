"""Which model backs the server, and what its artifact says about itself (``GET /v1/models``)."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

from lprnet.errors import LprnetError
from lprnet.shipped import INT8_DEFAULT, SHIPPED, resolve_model

log = logging.getLogger("lprnet.server")

#: The artifact served when no model is given: ``ensure_artifact(*DEFAULT_ARTIFACT)``.
DEFAULT_ARTIFACT = (INT8_DEFAULT, "tflite", "int8")
_PRECISION_IN_NAME = re.compile(r"(?:^|[-_.])(fp32|fp16|int8|uint8)(?:$|[-_.])")


def default_model_path() -> Path:
    """The int8 TFLite export of the shipped L-PRNet, exported on first use and cached.

    Raises
    ------
    LprnetError
        The export package is not installed, or the export failed.
    """
    try:
        from export.api import ensure_artifact
    except ImportError as exc:
        raise LprnetError(
            f"no --model given and the default artifact cannot be made ({exc}); "
            "pass --model with a .tflite / .onnx / .keras file or a shipped name "
            f"({', '.join(SHIPPED)})"
        ) from None
    name, fmt, precision = DEFAULT_ARTIFACT
    return Path(ensure_artifact(name, fmt, precision))


def model_path(model: str | os.PathLike | None) -> Path:
    """A ``--model`` value (None, a shipped name or a path) -> the file to load."""
    return default_model_path() if model is None else resolve_model(model)


def read_artifact_metadata(path: Path) -> tuple[dict[str, Any] | None, str]:
    """The artifact's lprnet metadata and where it came from.

    Returns
    -------
    metadata : dict or None
        From :func:`export.metadata.read_metadata` (TFLite / ONNX embedded, TF.js
        ``model.json``, a ``<file>.json`` sidecar beside a Keras file); None when the artifact
        carries none or the export package is absent.
    source : {"embedded", "sidecar", "backend"}
    """
    try:
        from export.metadata import read_metadata
    except ImportError:
        return None, "backend"
    try:
        meta = read_metadata(path)
    except (LprnetError, OSError, ValueError) as exc:
        log.warning("%s: unreadable model metadata (%s); using what the runtime reports", path, exc)
        return None, "backend"
    if not isinstance(meta, dict):
        return None, "backend"
    sidecar = path.suffix.lower() in (".keras", ".h5")
    return meta, "sidecar" if sidecar else "embedded"


def backend_precision(model: Any, path: Path | None) -> str:
    """Precision from the runtime (an int8 / uint8 TFLite input) or the file name, else fp32."""
    if getattr(model, "quantized", False):
        return "int8"
    match = _PRECISION_IN_NAME.search(path.name.lower()) if path is not None else None
    return match.group(1) if match else "fp32"


def describe_model(model: Any, path: Path | None) -> dict[str, Any]:
    """The ``GET /v1/models`` entry of a loaded model.

    Parameters
    ----------
    model : PosmapModel
        ``name``, ``format``, ``resolution`` as the backend reports them.
    path : Path or None
        Its file (None for a model made in memory).
    """
    meta, source = read_artifact_metadata(path) if path is not None else (None, "backend")
    precision = (meta or {}).get("precision") or backend_precision(model, path)
    return {
        "name": str((meta or {}).get("name") or model.name),
        "format": str(model.format),
        "precision": str(precision),
        "resolution": int(model.resolution),
        "file": path.name if path is not None else str(model.name),
        "metadata": meta,
        "metadata_source": source,
    }
