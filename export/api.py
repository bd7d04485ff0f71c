"""Export a posmap network, check it against Keras, record it; or fetch a cached export.

>>> art = export_model("lprnet_128", "tflite", "int8", out_dir="exports")
>>> art.path, art.parity["nme_vs_keras_pct"]
>>> path = ensure_artifact("lprnet_128", "onnx", "fp32")   # exported once, then reused

``model`` is a shipped name (``lprnet_128``), a ``.keras`` / ``.h5`` path or a
``tf_keras.Model``. Calibration (int8) defaults to the embedded set's calibration split (at most
:data:`CALIBRATION_COUNT` evenly spaced crops) at the model's resolution, never its scored split;
parity runs on all of its crops.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from export.metadata import ModelInfo
from lprnet.errors import LprnetError

CALIBRATION_COUNT = 200


@dataclass
class Artifact:
    """One exported model.

    Attributes
    ----------
    path : Path
        The file (``.tflite``, ``.onnx``, ``.keras``) or folder (TF.js).
    name, format, precision : str
    options : dict of str -> str
    files : list of Path
        Everything written for it.
    metadata : dict
        What it embeds (:mod:`export.metadata`).
    parity : dict or None
        :func:`export.parity.measure`'s result (None with ``parity=False``).
    seconds : float
        Conversion wall time (parity excluded); ``manifest`` also has the process CPU time.
    manifest : Path
    """

    path: Path
    name: str
    format: str
    precision: str
    options: dict
    files: list[Path]
    metadata: dict
    parity: dict | None
    seconds: float
    manifest: Path
    bytes: int = field(default=0)


@dataclass
class Source:
    """A loaded model and who it is."""

    model: object
    info: ModelInfo
    path: Path | None


def _sha256(path: Path) -> str:
    from export.manifest import sha256_file

    return sha256_file(path)


def _load_keras(path: Path):
    # isort: off
    from lprnet.tfenv import tf  # noqa: F401  (legacy Keras before tf_keras)
    import tf_keras

    # isort: on
    try:
        return tf_keras.models.load_model(path, compile=False)
    except Exception as first:
        try:  # a quantisation-aware model saves its quantize wrappers
            import tensorflow_model_optimization as tfmot

            with tfmot.quantization.keras.quantize_scope():
                return tf_keras.models.load_model(path, compile=False)
        except Exception:
            raise LprnetError(
                f"{path}: cannot load as a tf-keras model ({type(first).__name__}: "
                f"{str(first).strip().splitlines()[0][:200] if str(first).strip() else ''})"
            ) from first


def load_source(model) -> Source:
    """A shipped name / .keras path / tf_keras.Model -> :class:`Source` (contract checked)."""
    from lprnet.shipped import SHIPPED, resolve_model

    path = None
    if isinstance(model, str | os.PathLike):
        path = resolve_model(model)
        if not path.is_file():
            hint = f" (shipped models: {', '.join(SHIPPED)})" if len(path.parts) == 1 else ""
            raise LprnetError(f"--model {model}: no such file{hint}")
        if path.suffix.lower() not in (".keras", ".h5"):
            raise LprnetError(
                f"--model {path}: export needs the Keras model (.keras or .h5), "
                f"not {path.suffix or 'a file without suffix'}"
            )
        net = _load_keras(path)
        name = str(model) if str(model) in SHIPPED else path.stem
        record = path.with_suffix(".record.json")
        info_kw = {
            "source_sha256": _sha256(path),
            "record_sha256": _sha256(record) if record.is_file() else None,
        }
    elif hasattr(model, "input_shape") and callable(model):
        net, name, info_kw = model, model.name, {}
    else:
        raise LprnetError(
            f"model must be a shipped name, a .keras path or a tf_keras.Model: {model!r}"
        )
    shape_in, shape_out = net.input_shape, net.output_shape
    ok = (
        not isinstance(shape_in, list)
        and len(shape_in) == 4
        and tuple(shape_in[1:]) == tuple(shape_out[1:])
        and shape_in[1] == shape_in[2]
        and shape_in[3] == 3
        and shape_in[0] in (None, 1)
    )
    if not ok:
        raise LprnetError(
            f"{path or name}: not a posmap network: expected (1, n, n, 3) -> (1, n, n, 3), "
            f"got {shape_in} -> {shape_out}"
        )
    return Source(net, ModelInfo(name, int(shape_in[1]), **info_kw), path)


def calibration_images(n: int, calibration=None) -> np.ndarray:
    """(N, n, n, 3) float32 in [0, 1] for int8 calibration.

    ``calibration``: None (:data:`CALIBRATION_COUNT` crops of the embedded set's calibration
    split, or all of it when it has fewer), an int (that many), or an array of crops (uint8
    0-255 or float 0-1).
    """
    from export.parity import embedded_crops

    if calibration is None or isinstance(calibration, int | np.integer):
        count = CALIBRATION_COUNT if calibration is None else int(calibration)
        if count < 1:
            raise LprnetError(f"--calibration must be >= 1 image, got {count}")
        return embedded_crops(n, count, split="calibration").images
    x = np.asarray(calibration)
    if x.ndim != 4 or x.shape[1:] != (n, n, 3) or len(x) == 0:
        raise LprnetError(f"calibration: expected (N>0, {n}, {n}, 3) images, got {x.shape}")
    return x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)


def export_many(
    model,
    targets: Sequence[tuple[str, str]],
    out_dir: str | os.PathLike = "exports",
    calibration=None,
    parity: bool = True,
    *,
    parity_images=None,
    progress: bool = True,
    strict: bool = True,
    tfjs_runtime: str = "auto",
    **options,
) -> list[Artifact]:
    """Export one model to several ``(format, precision)`` targets, loading it once.

    Every artifact is written, parity-checked (unless ``parity=False``) and entered in
    ``out_dir/manifest.json``. With ``strict``, a parity failure raises :class:`LprnetError`
    after all targets are done (its artifact stays on disk, marked failed in the manifest).

    ``options``: format options (``io_dtype`` for TFLite int8, ``opset`` for ONNX); each
    applies to the formats that have it. ``tfjs_runtime``: what runs a TF.js artifact for
    parity (:func:`export.runtime.load_artifact`).
    """
    from tqdm import tqdm

    from export import parity as par
    from export.manifest import file_entries, update_manifest
    from export.registry import applicable_options, artifact_name, check, exporter

    checked = []
    for fmt, precision in targets:
        fmt_opts = applicable_options(fmt, precision, options)
        checked.append((check(fmt, precision, **fmt_opts), precision, fmt_opts))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    src = load_source(model)
    n = src.info.resolution
    calib = None
    if any(p in ("int8",) for _, p, _ in checked):
        calib = calibration_images(n, calibration)
    crops = reference = None
    if parity:
        crops = parity_images if parity_images is not None else par.embedded_crops(n)
        reference = par.reference_outputs(src.model, crops.images)
    artifacts, failed = [], []
    bar = tqdm(checked, desc="export", unit="artifact", disable=not progress, leave=False)
    for f, precision, fmt_opts in bar:
        name = artifact_name(src.info.name, f.name, precision, **fmt_opts)
        bar.set_postfix_str(name)
        path = out / name
        start, cpu = time.perf_counter(), time.process_time()
        files, meta = exporter(f.name)(
            src.model, path, precision, calib if precision == "int8" else None, src.info, **fmt_opts
        )
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu
        result = (
            par.measure(path, reference, crops, f.name, precision, tfjs_runtime) if parity else None
        )
        entry = {
            "name": name,
            "format": f.name,
            "precision": precision,
            "options": {**f.defaults, **fmt_opts},
            "model": {
                "name": src.info.name,
                "resolution": n,
                "source_sha256": src.info.source_sha256,
                "record_sha256": src.info.record_sha256,
            },
            "files": file_entries(files, out),
            "export_seconds": round(seconds, 2),
            "export_cpu_seconds": round(cpu_seconds, 2),
            "parity": result,
            "metadata": meta,
        }
        entry["bytes"] = sum(x["bytes"] for x in entry["files"])
        if f.name == "tflite":
            from export.tflite import weight_sparsity

            entry["weight_sparsity"] = weight_sparsity(path)
        manifest = update_manifest(out, entry)
        art = Artifact(
            path,
            name,
            f.name,
            precision,
            entry["options"],
            files,
            meta,
            result,
            seconds,
            manifest,
            entry["bytes"],
        )
        artifacts.append(art)
        if result is not None and not result["passed"]:
            failed.append(art)
    bar.close()
    if strict and failed:
        messages = []
        for art in failed:
            try:
                par.check(art.parity, art.path)
            except LprnetError as exc:
                messages.append(str(exc))
        raise LprnetError(" | ".join(messages))
    return artifacts


def export_model(
    model="lprnet_128",
    fmt: str = "tflite",
    precision: str = "int8",
    out_dir: str | os.PathLike = "exports",
    calibration=None,
    parity: bool = True,
    **options,
) -> Artifact:
    """Export one artifact (see :func:`export_many`); raises LprnetError past the threshold."""
    progress = options.pop("progress", False)
    return export_many(
        model, [(fmt, precision)], out_dir, calibration, parity, progress=progress, **options
    )[0]


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """``cache_dir``, else ``$LPRNET_CACHE/exports``, else ``~/.cache/lprnet/exports``."""
    from lprnet.shipped import cache_dir as lprnet_cache

    return Path(cache_dir) if cache_dir is not None else lprnet_cache() / "exports"


def ensure_artifact(
    model="lprnet_128",
    fmt: str = "tflite",
    precision: str = "int8",
    cache_dir: str | os.PathLike | None = None,
    **options,
) -> Path:
    """The path of an exported artifact, exporting it (with parity) on first use.

    Artifacts live in ``<cache>/<name>-<sha256[:16]>/`` keyed by the model file's sha256 (a new
    model file never gets an old export) and are reused while their manifest entry passed parity
    and their files still match its sha256. A file lock makes concurrent callers export once.
    ``options`` as :func:`export_many` (``io_dtype``, ``opset``, ``calibration``).
    """
    import fcntl

    from export.manifest import find_entry, verify_entry
    from export.registry import applicable_options, artifact_name, check
    from lprnet.shipped import SHIPPED, resolve_model

    if not isinstance(model, str | os.PathLike):
        raise LprnetError("ensure_artifact needs a shipped model name or a model file path")
    fmt_opts = applicable_options(fmt, precision, options)
    check(fmt, precision, **fmt_opts)
    path = resolve_model(model)
    if not path.is_file():
        raise LprnetError(f"--model {model}: no such file (shipped: {', '.join(SHIPPED)})")
    name = str(model) if str(model) in SHIPPED else path.stem
    folder = cache_root(cache_dir) / f"{name}-{_sha256(path)[:16]}"
    folder.mkdir(parents=True, exist_ok=True)
    target = artifact_name(name, fmt, precision, **fmt_opts)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        entry = find_entry(folder, target)
        if (
            entry is not None
            and (entry.get("parity") or {}).get("passed")
            and not verify_entry(folder, entry)
        ):
            return folder / target
        art = export_model(
            model,
            fmt,
            precision,
            folder,
            options.get("calibration"),
            parity=True,
            **fmt_opts,
        )
        return art.path
