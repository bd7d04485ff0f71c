"""What the harness measures: the PRNet reference, the float L-PRNet and every exported artifact.

A :class:`Subject` is one model file (or TF.js folder) with what the report needs to say
about it: format, precision, runtime (from the export registry), size on disk and gzipped,
parameters, MACs and weight sparsity.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

ROLES = ("prnet", "float", "artifact")


@dataclass
class Subject:
    """One model under test.

    Attributes
    ----------
    key : str
        Unique row name, ``<model>-<precision>-<format>`` (e.g. ``lprnet_128-int8-tflite``).
    path : Path
    model : str
        The network's name (``prnet_256``, ``lprnet_128``).
    format, precision, runtime : str
        From :data:`export.registry.FORMATS`.
    role : {"prnet", "float", "artifact"}
        The two references every drift and speed-up is measured against, or an export.
    trained : bool
        False for an untrained stand-in (latency only: its accuracy is not reported).
    bytes, gzip_bytes : int
        On disk (all files of a folder), and gzip -9 of the same bytes.
    params : int, optional
    gmac : float, optional
        Multiply-accumulates per image, 10^9.
    sparsity : float, optional
        Fraction of exactly-zero conv weights in the file.
    """

    key: str
    path: Path
    model: str
    format: str
    precision: str
    runtime: str
    role: str
    trained: bool = True
    bytes: int = 0
    gzip_bytes: int = 0
    params: int | None = None
    gmac: float | None = None
    sparsity: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = str(self.path)
        return d


def files_of(path: Path) -> list[Path]:
    """The file, or every file of a folder."""
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]


def disk_size(path: Path) -> tuple[int, int]:
    """(bytes, gzip -9 bytes) of a file or folder."""
    raw = b"".join(p.read_bytes() for p in files_of(path))
    return len(raw), len(gzip.compress(raw, 9))


def _keras_facts(path: Path) -> tuple[int, float, float]:
    """(params, GMAC, zero fraction of conv kernels) of a .keras file."""
    import tf_keras

    from lprnet.compression.sparsity import keras_sparsity
    from lprnet.models.registry import count_macs

    net = tf_keras.models.load_model(path, compile=False)
    return net.count_params(), count_macs(net) / 1e9, keras_sparsity(net)["overall"]


def _file_sparsity(path: Path) -> float | None:
    if path.suffix == ".tflite":
        from export.tflite import weight_sparsity

        return weight_sparsity(path)["sparsity"]
    if path.suffix == ".onnx":
        import numpy as np
        import onnx
        from onnx import numpy_helper

        zeros = total = 0
        for init in onnx.load(str(path)).graph.initializer:
            w = numpy_helper.to_array(init)
            if w.ndim == 4 and w.size >= 64:
                zeros, total = zeros + int(np.count_nonzero(w == 0)), total + w.size
        return zeros / total if total else None
    return None


def make_subject(
    path: str | os.PathLike,
    model: str,
    fmt: str,
    precision: str,
    role: str,
    trained: bool = True,
    facts: tuple[int, float] | None = None,
) -> Subject:
    """Describe one model file; ``facts`` = (params, GMAC) of its source network."""
    from export.registry import get_format

    path = Path(path)
    raw, gz = disk_size(path)
    subject = Subject(
        key=f"{model}-{precision}-{fmt}",
        path=path,
        model=model,
        format=fmt,
        precision=precision,
        runtime=get_format(fmt).runtime,
        role=role,
        trained=trained,
        bytes=raw,
        gzip_bytes=gz,
    )
    if fmt == "keras":
        subject.params, subject.gmac, subject.sparsity = _keras_facts(path)
    else:
        if facts:
            subject.params, subject.gmac = facts
        subject.sparsity = _file_sparsity(path)
    return subject


def export_subjects(
    folder: str | os.PathLike, facts: dict[str, tuple[int, float]] | None = None
) -> list[Subject]:
    """Every artifact an export folder's manifest lists (parity-failed ones included).

    ``facts``: (params, GMAC) of each source network by model name (an artifact of a model
    not listed gets none)."""
    from export.manifest import read_manifest

    folder = Path(folder)
    out = []
    for a in read_manifest(folder)["artifacts"]:
        if a["format"] == "keras":
            continue  # the float reference is its own row
        path = folder / a["name"]
        if not path.exists():
            continue
        s = make_subject(
            path,
            a["model"]["name"],
            a["format"],
            a["precision"],
            "artifact",
            facts=(facts or {}).get(a["model"]["name"]),
        )
        s.extra["parity"] = a.get("parity")
        if a["format"] != "tfjs":
            out.append(s)
            continue
        for js, runtime in JS_RUNTIMES.items():  # one row per JavaScript engine and backend
            if js in DEMO_ONLY and a["precision"] != "uint8":
                continue
            out.append(
                replace(s, key=f"{s.key}-{js}", runtime=runtime, extra={**s.extra, "js": js})
            )
    return out


#: Where TF.js artifacts are timed: the wasm backend (single-threaded) in Node and in headless
#: Chromium for every precision; the page's other backends for the demo's model (uint8) only.
JS_RUNTIMES = {
    "node": "TF.js 4.22 wasm, Node",
    "chromium": "TF.js 4.22 wasm, headless Chromium",
    "chromium-cpu": "TF.js 4.22 cpu, headless Chromium",
    "chromium-webgl": "TF.js 4.22 webgl (SwiftShader: software GL), headless Chromium",
}
DEMO_ONLY = ("chromium-cpu", "chromium-webgl")
