"""Dependencies point one way: the library core <- export <- the applications (compression,
server, demo) <- benchmarks <- pipeline / CLI. Checked on every import statement, the
function-local ones included (AST), so a cycle cannot hide inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: lprnet sub-packages / modules above export: they write or serve exported files
APPS = ("lprnet.compression", "lprnet.server", "lprnet.demo")
TOP = ("lprnet.pipeline", "lprnet.cli")


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _under(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _layer(module: str) -> int:
    """0 core, 1 export, 2 applications, 3 benchmarks, 4 pipeline / CLI / verb modules."""
    if _under(module, TOP) or module.endswith(".command"):
        return 4
    if _under(module, ("benchmarks",)):
        return 3
    if _under(module, APPS):
        return 2
    if _under(module, ("export",)):
        return 1
    return 0


FILES = sorted(p for d in ("lprnet", "export", "benchmarks") for p in (ROOT / d).rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down(path: Path) -> None:
    module = _module(path)
    here = _layer(module)
    up = []
    for name in _imports(path):
        if not _under(name, ("lprnet", "export", "benchmarks")):
            continue
        if _layer(name) > here:
            up.append(name)
    assert not up, f"{module} (layer {here}) imports from above: {sorted(up)}"
