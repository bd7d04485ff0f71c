"""Optional dependencies: the ``pip install lprnet[...]`` extra that brings each.

The base install runs training, compression, TFLite / ONNX export, evaluation and the benchmark;
``lprnet[server]`` adds the HTTP server (FastAPI, uvicorn), ``lprnet[web]`` the TF.js export
and the browser demo (tensorflowjs, which pulls JAX, Flax and TF Decision Forests), and
``lprnet[all]`` both (what ``scripts/run.sh`` installs).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

from lprnet.errors import LprnetError

#: top-level module -> the extra that installs it
EXTRAS = {"tensorflowjs": "web", "fastapi": "server", "uvicorn": "server", "multipart": "server"}


def require(module: str, what: str) -> ModuleType:
    """Import ``module`` (dotted names allowed), or raise a one-line error naming the extra.

    Parameters
    ----------
    module : str
        e.g. ``"tensorflowjs.converters.tf_saved_model_conversion_v2"``.
    what : str
        What needs it, for the message (``"TF.js export"``).
    """
    top = module.split(".")[0]
    if top == "tensorflowjs":  # its decision-forests import must not reach for IPython
        os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if exc.name is None or exc.name.split(".")[0] != top:
            raise  # the package is there but something it imports is broken: show that
        extra = EXTRAS.get(top, "all")
        raise LprnetError(f"{what} needs the {top} package: pip install 'lprnet[{extra}]'") from exc
