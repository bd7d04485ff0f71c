"""Optional dependencies: the base install and lprnet[server] leave out TF.js (JAX, Flax), and a
missing extra is one line naming it."""

from __future__ import annotations

import configparser
import sys
from pathlib import Path

import pytest

from lprnet.errors import LprnetError
from lprnet.optional import require

SETUP = Path(__file__).resolve().parents[1] / "setup.cfg"


def _requirements(text: str) -> set[str]:
    lines = [x.strip() for x in text.splitlines()]
    return {x.split("==")[0].lower() for x in lines if x and not x.startswith(("#", "%"))}


def test_base_and_server_installs_leave_out_tfjs():
    cfg = configparser.ConfigParser()
    cfg.read(SETUP)
    base = _requirements(cfg["options"]["install_requires"])
    extras = cfg["options.extras_require"]
    server = _requirements(extras["server"])
    heavy = {"tensorflowjs", "jax", "flax", "tensorflow-decision-forests", "ydf"}
    assert not (base | server) & heavy
    assert {"fastapi", "uvicorn"} <= server and "tensorflowjs" in _requirements(extras["web"])
    # (configparser expands the %(extra)s references, as setuptools does)
    assert _requirements(extras["all"]) == server | _requirements(extras["web"])
    assert _requirements(extras["all"]) <= _requirements(extras["dev"])  # scripts/run.sh: .[dev]


def _uninstalled(monkeypatch, package: str) -> None:
    """Make ``import package[.anything]`` raise ImportError (also when imported already)."""
    for name in [k for k in sys.modules if k == package or k.startswith(package + ".")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, package, None)


def test_a_missing_extra_is_one_line_naming_it(monkeypatch):
    _uninstalled(monkeypatch, "tensorflowjs")
    with pytest.raises(LprnetError, match=r"TF.js export needs the tensorflowjs package: "
                       r"pip install 'lprnet\[web\]'"):  # fmt: skip
        require("tensorflowjs.converters", "TF.js export")
    _uninstalled(monkeypatch, "uvicorn")
    with pytest.raises(LprnetError, match=r"lprnet\[server\]"):
        require("uvicorn", "lprnet serve")
    assert require("json", "x").dumps([1]) == "[1]"
