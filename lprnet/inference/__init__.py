"""Inference: posmap networks on tf-keras / LiteRT / ONNX, face detection, reconstruction.

Public names are imported lazily (``from lprnet.inference import Reconstructor``): importing the
package loads no runtime; TensorFlow is imported only to open a ``.keras`` / ``.h5`` model.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Reconstructor": "lprnet.inference.reconstructor",
    "Face": "lprnet.inference.reconstructor",
    "PosmapModel": "lprnet.inference.backends",
    "load_model": "lprnet.inference.backends",
    "BlazeFaceDetector": "lprnet.inference.detect",
    "HaarDetector": "lprnet.inference.detect",
    "make_detector": "lprnet.inference.detect",
    "predict": "lprnet.inference.command",
    "register": "lprnet.inference.command",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'lprnet.inference' has no attribute {name!r}")
