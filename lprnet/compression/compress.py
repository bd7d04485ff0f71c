"""``lprnet compress``: prune -> sparsity-preserving QAT -> int8 TFLite, against a PTQ baseline.

Stages, each written atomically into the output folder and skipped when a rerun finds it
(interrupt and rerun the same command to resume: finished stages are skipped, and the
fine-tuning stages continue from their last backup, taken every 250 steps in ``backup-*/``):

1. ``<model>-int8.tflite``: post-training full-integer int8 of the float model (the baseline).
2. ``<model>_pruned.keras``: magnitude pruning to the target sparsity (polynomial decay over
   the first 70% of the steps, then recovery at the target), stripped: a float model with zeros.
3. ``<model>_pqat.h5``: sparsity-preserving QAT of the pruned model.
4. ``<model>_pqat-int8.tflite``: the QAT model converted to int8 (the compressed deliverable),
   its activation ranges fixed first (:mod:`lprnet.compression.ranges`, kept as
   ``activation_ranges.json``).
5. ``report.json``: sizes (raw and gzipped), sparsity of the Keras models and of the int8
   files, and the NME of every stage on the embedded set (and AFLW2000-3D when given).
"""

from __future__ import annotations

import gzip
import json
import os
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lprnet.errors import LprnetError
from lprnet.fileio import write_json

#: Default fraction of the pruning steps over which sparsity ramps from 0 to the target.
RAMP = 0.7
#: Calibration crops the sensitivity scan of ``--allocation sensitivity`` runs on.
SENSITIVITY_CROPS = 128
#: The activation ranges fixed before the QAT model's int8 conversion, layer -> [min, max].
RANGES_FILE = "activation_ranges.json"


@dataclass
class CompressConfig:
    """Settings of one compression run (stored as ``config.json`` in its folder).

    Attributes
    ----------
    model : str
        A shipped model name or a ``.keras`` file.
    sparsity : float
        Target fraction of zero weights in the pruned layers.
    prune_steps, qat_steps : int
        Fine-tuning batches of each stage.
    ramp : float
        Fraction of ``prune_steps`` over which sparsity grows from 0 to its target (tfmot's
        polynomial decay); the rest of the steps fine-tune at the target sparsity.
    data : list of [path, weight]
        Training shard folders; empty -> distillation on the embedded set's calibration split.
    calibration : int
        Crops that calibrate int8 (PTQ and the QAT conversion): un-augmented training crops
        when ``data`` is given, else (at most) the embedded set's calibration split, never the
        images the report scores.
    width : float
        < 1: structured (channel) pruning instead of zeros: the same architecture at this width
        multiplier, initialised with the strongest filters (:mod:`lprnet.compression.channels`)
        and fine-tuned for ``prune_steps``; needs ``sparsity`` 0.
    pruned : str or None
        A pruned float checkpoint of ``model`` (shipped name or file) to start the QAT from:
        the pruning stage is skipped and ``model`` stays the float reference and teacher.
    schedule : {"constant", "cosine"}
        The learning rate of each fine-tuning stage: ``lr`` / ``qat_lr`` throughout, or
        decayed from it to 0 along a cosine.
    landmark_weight :
        Loss weight of the 68 keypoint pixels (PRNet's 16; ``lprnet train --landmark-weight``).
    loss : {"squared", "euclidean"}
        Per pixel, the squared error or its length (``lprnet train --loss``).
    distill : float
        With ``data``: the weight of the float teacher's prediction in the target,
        ``(1 - distill) * label + distill * teacher(x)`` (for a squared-error loss the same as
        weighting the two errors: the student is pulled toward the model its drift is measured
        against as well as toward the labels). 0: the labels only.
    teacher_flip : bool
        The teacher is the float model's flip test (the crop and its mirror image averaged,
        :func:`lprnet.training.distill.flip_averaged`) instead of one run of it; drift is still
        measured against one run of the float.
    qat_init : str or None
        A QAT checkpoint of ``pruned`` (a tfmot ``.h5`` from an earlier run, or a shipped
        name such as ``lprnet_128_pqat``) to continue the sparsity-preserving QAT from, with
        its weights and activation ranges, instead of wrapping ``pruned`` afresh. Needs
        ``pruned``: it stays the float the ranges are fixed from.
    allocation : {"uniform", "sensitivity"}
        How ``sparsity`` is spread over the pruned layers: the same fraction in each, or per
        layer from a one-layer-at-a-time sensitivity scan on the calibration crops
        (:mod:`lprnet.compression.allocation`, kept as ``sensitivity.json``); either way the
        pruned layers hold ``sparsity`` zeros in all.
    fill, aug_scale, aug_shift, flip_prob, contrast, gray_prob, border_prob :
        The fine-tuning augmentation (:class:`lprnet.data.augment.AugmentConfig`): mirrored
        border, scale around the test crops' 1.0 and mirroring (PRNet's black border is a scale
        cue that real crops do not have).
    blur_sigma, noise_sd, jpeg_quality :
        The photo faults of the same augmentation (off by default).
    """

    model: str = "lprnet_128"
    sparsity: float = 0.5
    prune_steps: int = 1000
    qat_steps: int = 500
    batch_size: int = 16
    lr: float = 1e-4
    qat_lr: float = 2e-5
    data: list[list[Any]] = field(default_factory=list)
    calibration: int = 200
    seed: int = 0
    pruned: str | None = None
    qat_init: str | None = None
    width: float = 1.0
    schedule: str = "constant"
    fill: str = "reflect"
    aug_scale: list[float] = field(default_factory=lambda: [0.9, 1.1])
    aug_shift: float = 0.1
    flip_prob: float = 0.5
    contrast: list[float] = field(default_factory=lambda: [1.0, 1.0])
    gray_prob: float = 0.0
    border_prob: float = 0.0
    blur_sigma: float = 0.0
    noise_sd: float = 0.0
    jpeg_quality: int = 100
    landmark_weight: float = 16.0
    loss: str = "squared"
    distill: float = 0.0
    allocation: str = "uniform"
    ramp: float = RAMP
    teacher_flip: bool = False

    def augment_config(self):
        from lprnet.data.augment import AugmentConfig

        return AugmentConfig(
            scale=(float(self.aug_scale[0]), float(self.aug_scale[1])),
            translation=self.aug_shift,
            flip_prob=self.flip_prob,
            fill=self.fill,
            contrast=(float(self.contrast[0]), float(self.contrast[1])),
            gray_prob=self.gray_prob,
            border_prob=self.border_prob,
            blur_sigma=self.blur_sigma,
            noise_sd=self.noise_sd,
            jpeg_quality=self.jpeg_quality,
        )


def _training_signal(config: CompressConfig) -> str:
    if not config.data:
        return "distillation on the embedded set"
    if config.distill:
        teacher = "float teacher's flip test" if config.teacher_flip else "float teacher"
        return f"shards, target {1 - config.distill:g} label + {config.distill:g} {teacher}"
    return "shards"


def _gz_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), 9))


def _file_row(path: Path) -> dict[str, Any]:
    return {"file": path.name, "bytes": path.stat().st_size, "gzip_bytes": _gz_size(path)}


def _check_config(out: Path, config: CompressConfig, inputs: dict[str, str | None]) -> None:
    """Resume only a run of the same settings on the same weights: ``inputs`` are the sha256 of
    the model files the run reads (``--model``, ``--pruned``, ``--qat-init``); a shipped name
    re-shipped since the run began would otherwise resume from stale stage files."""
    path = out / "config.json"
    new = json.loads(json.dumps(asdict(config)))  # tuples as lists, as read back
    if path.is_file():
        # a key an older run did not write has its default (runs made before it existed)
        old = {**json.loads(json.dumps(asdict(CompressConfig()))), **json.loads(path.read_text())}
        old_inputs = old.pop("input_sha256", None)  # not written before it existed
        if old != new:
            diff = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
            raise LprnetError(
                f"{out} holds a compression run with other settings ({', '.join(diff)}): "
                "use another --out or the same settings to resume"
            )
        if old_inputs is not None and old_inputs != inputs:
            changed = sorted(
                k for k in old_inputs.keys() | inputs.keys() if old_inputs.get(k) != inputs.get(k)
            )
            raise LprnetError(
                f"{out} holds a compression run of other weights (--{', --'.join(changed)}: "
                "the file changed since it ran, so its stage files are stale): use another "
                "--out, or delete that folder to start afresh"
            )
    out.mkdir(parents=True, exist_ok=True)
    write_json(path, {**asdict(config), "input_sha256": inputs})


def calibration_images(config: CompressConfig, size: int) -> np.ndarray:
    """int8 calibration crops at ``size``, float32 in [0, 1]: ``config.calibration``
    un-augmented training crops when shards are given, else the first of the embedded set's
    calibration split (never its scored split)."""
    from lprnet.compression.finetune import shard_images
    from lprnet.data.embedded import load_embedded_set

    if config.calibration < 1:
        raise LprnetError(f"--calibration must be >= 1, got {config.calibration}")
    if config.data:
        sources = [(str(p), float(w)) for p, w in config.data]
        return shard_images(sources, size, config.calibration, config.seed)
    images = load_embedded_set().images(size, split="calibration")
    return images[: config.calibration].astype(np.float32) / 255.0


# (sha256 of a model file, image set) -> its compact summary: a process that compresses one
# float model several times (benchmarks/compression_sweep.py) scores the float model and its
# post-training int8 file once
_EVALUATED: dict[tuple[str, str], dict[str, Any]] = {}


def _evaluate(path: Path, faces, set_key: str, face_model=None) -> dict[str, Any]:
    import copy

    from export.manifest import sha256_file
    from lprnet.evaluation import compact_summary, evaluate
    from lprnet.predictors import load_predictor

    key = (sha256_file(path), set_key)
    if key not in _EVALUATED:
        res = evaluate(faces, load_predictor(str(path), None), face_model, progress=False)
        _EVALUATED[key] = compact_summary(res)
    return copy.deepcopy(_EVALUATED[key])


def compress(
    config: CompressConfig,
    out: str | os.PathLike,
    aflw_dir: str | None = None,
    data_dir: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run (or resume) the compression recipe; return the report (also ``report.json``)."""
    # isort: off
    from lprnet.tfenv import tf  # noqa: F401
    import tf_keras as keras
    import tensorflow_model_optimization as tfmot

    # isort: on
    from export import tflite
    from lprnet.compression import allocation, finetune, pqat, sparsity
    from lprnet.compression.ranges import fix_activation_ranges
    from lprnet.data.embedded import load_embedded_set
    from lprnet.geometry.uv_tables import uv_tables
    from lprnet.quiet import quiet
    from lprnet.shipped import model_identity, resolve_model
    from lprnet.training.distill import blend_teacher, flip_averaged
    from lprnet.training.loss import landmark_weighted_mask
    from lprnet.training.trainer import save_model_atomic

    out = Path(out)
    source = resolve_model(config.model)
    if not source.is_file():
        raise LprnetError(f"--model {config.model}: no such file (or a shipped name)")
    given_pruned = resolve_model(config.pruned) if config.pruned else None
    if given_pruned is not None and not given_pruned.is_file():
        raise LprnetError(f"--pruned {config.pruned}: no such file (or a shipped name)")
    given_qat = resolve_model(config.qat_init) if config.qat_init else None
    if given_qat is not None and given_pruned is None:
        raise LprnetError(f"--qat-init {config.qat_init}: needs --pruned (the float it quantises)")
    if given_qat is not None and not given_qat.is_file():
        raise LprnetError(f"--qat-init {config.qat_init}: no such file (or a shipped name)")
    if not 0.0 <= config.distill <= 1.0:
        raise LprnetError(f"--distill must be in [0, 1], got {config.distill}")
    if config.teacher_flip and not (config.distill > 0 and config.data):
        raise LprnetError("--teacher-flip needs --distill > 0 and --data (a teacher to blend)")
    if config.allocation not in ("uniform", "sensitivity"):
        raise LprnetError(f"--allocation must be uniform or sensitivity, got {config.allocation}")
    if config.allocation == "sensitivity" and config.sparsity > allocation.LEVELS[-1]:
        raise LprnetError(
            f"--allocation sensitivity gives a layer at most {allocation.LEVELS[-1]:.0%} zeros: "
            f"--sparsity {config.sparsity} cannot be reached"
        )
    if not 0.0 <= config.sparsity < 1.0:
        raise LprnetError(f"--sparsity must be in [0, 1), got {config.sparsity}")
    if not 0.0 < config.ramp <= 1.0:
        raise LprnetError(f"--prune-ramp must be in (0, 1], got {config.ramp}")
    if not 0.0 < config.width <= 1.0:
        raise LprnetError(f"--width must be in (0, 1], got {config.width}")
    if config.width < 1 and config.sparsity > 0:
        raise LprnetError(
            "--width (channel pruning) and --sparsity (zeros) are separate recipes: "
            "give --sparsity 0 with --width"
        )
    inputs = {
        flag.replace("_", "-"): model_identity(name)["sha256"]
        for flag, name in (
            ("model", config.model),
            ("pruned", config.pruned),
            ("qat_init", config.qat_init),
        )
        if name
    }
    _check_config(out, config, inputs)
    times: dict[str, float] = {}

    def load_float() -> keras.Model:
        try:
            return keras.models.load_model(source, compile=False)
        except Exception as exc:
            raise LprnetError(f"{source}: not a tf_keras model ({exc})") from exc

    teacher = load_float()
    n = int(teacher.input_shape[1])
    calib = calibration_images(config, n)
    augment = config.augment_config()
    tables = uv_tables(n, data_dir)
    weight_mask = landmark_weighted_mask(
        tables.weight_mask, tables.keypoint_pixels, config.landmark_weight
    )
    fit_options = {
        "loss_normaliser": float(np.max(tables.weight_mask)),
        "loss_distance": config.loss,
    }

    def dataset(seed_offset: int):
        if config.data:
            ds = finetune.shard_dataset(
                [(str(p), float(w)) for p, w in config.data],
                n,
                config.batch_size,
                config.seed + seed_offset,
                augment,
            )
            guide = flip_averaged(teacher) if config.teacher_flip else teacher
            return blend_teacher(ds, guide, config.distill)
        images = load_embedded_set().images(n, split="calibration")
        return finetune.distillation_dataset(
            images, teacher, config.batch_size, config.seed + seed_offset, augment
        )

    files = stage_files(out, source.stem, config.sparsity, config.width)
    tag, ptq = files["tag"], files["ptq"]
    if not ptq.is_file():
        t0 = time.perf_counter()
        with quiet():
            tflite.save(tflite.convert(teacher, "int8", calib), ptq)
        times["ptq"] = time.perf_counter() - t0

    pruned_path = files["pruned"]
    if config.sparsity == 0 and config.width == 1:  # QAT only: the float is the "pruned" one
        pruned_path = source
    if given_pruned is not None:
        pruned_path = given_pruned
    elif config.width < 1 and not pruned_path.is_file():  # structured: a thinner network
        from lprnet.compression.channels import thin_weights
        from lprnet.models.registry import build_model

        t0 = time.perf_counter()
        thin = thin_weights(teacher, build_model(teacher.name, size=n, width=config.width))
        finetune.fit(
            thin,
            dataset(0),
            config.prune_steps,
            config.lr,
            weight_mask,
            desc="thin",
            progress=progress,
            schedule=config.schedule,
            **fit_options,
            backup_dir=out / "backup-thin",
        )
        save_model_atomic(thin, pruned_path)
        times["thin"] = time.perf_counter() - t0
    elif config.sparsity > 0 and not pruned_path.is_file():
        t0 = time.perf_counter()
        student = load_float()
        targets = layer_targets(config, out, student, calib, weight_mask, progress)
        wrapped = sparsity.prune(student, targets, 0, int(config.ramp * config.prune_steps))
        finetune.fit(
            wrapped,
            dataset(0),
            config.prune_steps,
            config.lr,
            weight_mask,
            callbacks=[tfmot.sparsity.keras.UpdatePruningStep()],
            desc="prune",
            progress=progress,
            schedule=config.schedule,
            **fit_options,
            backup_dir=out / "backup-prune",
        )
        save_model_atomic(sparsity.strip(wrapped), pruned_path)
        times["prune"] = time.perf_counter() - t0
    pruned = keras.models.load_model(pruned_path, compile=False)

    pqat_path = files["qat"]
    qat = None
    if not pqat_path.is_file():
        t0 = time.perf_counter()
        qat = (
            load_qat(given_qat, pruned) if given_qat else pqat.quantize_preserving_sparsity(pruned)
        )
        finetune.fit(
            qat,
            dataset(1),
            config.qat_steps,
            config.qat_lr,
            weight_mask,
            desc=tag,
            progress=progress,
            schedule=config.schedule,
            **fit_options,
            backup_dir=out / f"backup-{tag}",
        )
        with pqat.quantize_scope(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", "You are saving your model as an HDF5 file")
            save_model_atomic(qat, pqat_path, include_optimizer=False)
        times[tag] = time.perf_counter() - t0
    if qat is None:
        with pqat.quantize_scope():
            qat = keras.models.load_model(pqat_path, compile=False)

    final = files["int8"]
    if not final.is_file():
        t0 = time.perf_counter()
        # tfmot's ranges after a short QAT: ReLU outputs from -3.3, the head's logits over
        # pixels the loss ignores (lprnet/compression/ranges.py)
        fixed = fix_activation_ranges(qat, pruned, calib, tables.weight_mask)
        write_json(out / RANGES_FILE, fixed)
        with pqat.quantize_scope(), warnings.catch_warnings():  # the shipped file holds them
            warnings.filterwarnings("ignore", "You are saving your model as an HDF5 file")
            save_model_atomic(qat, pqat_path, include_optimizer=False)
        with quiet():
            tflite.save(tflite.convert(qat, "int8", calib), final)
        times["convert"] = time.perf_counter() - t0

    report = _report(config, out, source, pruned_path, pruned, aflw_dir, data_dir)
    # a resumed run keeps the times of the stages an earlier call of it ran
    earlier = {}
    if (out / "report.json").is_file():
        earlier = json.loads((out / "report.json").read_text()).get("seconds", {})
    report["seconds"] = {**earlier, **{k: round(v, 1) for k, v in times.items()}}
    report["seconds_this_call"] = sorted(times)
    write_json(out / "report.json", report)
    # the QAT model's training record, found by the exporter beside the model file
    write_json(files["qat"].with_suffix(".record.json"), report)
    return report


def load_qat(path: Path, pruned):
    """The QAT checkpoint ``path`` to continue, checked to wrap the layers of ``pruned``."""
    # isort: off
    from lprnet.tfenv import tf  # noqa: F401
    import tf_keras as keras

    # isort: on
    from lprnet.compression import pqat

    with pqat.quantize_scope():
        qat = keras.models.load_model(path, compile=False)
    inner = {getattr(w, "layer", w).name for w in qat.layers}
    missing = sorted({layer.name for layer in pruned.layers} - inner)
    if missing:
        raise LprnetError(f"--qat-init {path.name}: wraps no layer {missing[0]!r} of --pruned")
    return qat


def layer_targets(config, out: Path, model, calib, weight_mask, progress: bool = True):
    """The pruning target of each layer: ``config.sparsity`` everywhere (uniform), or the
    sensitivity allocation, whose scan is stored in (and on a rerun read from)
    ``sensitivity.json``."""
    from lprnet.compression import allocation, sparsity

    if config.allocation == "uniform":
        return config.sparsity
    path = out / "sensitivity.json"
    names = sparsity.prunable_layers(model)
    if path.is_file():
        scan = json.loads(path.read_text())
    else:
        crops = calib[:SENSITIVITY_CROPS]
        costs = allocation.sensitivity(model, names, crops, weight_mask, progress=progress)
        scan = {"levels": list(allocation.LEVELS), "crops": len(crops), "costs": costs}
        write_json(path, scan)
    sizes = {k: int(model.get_layer(k).kernel.shape.num_elements()) for k in names}
    return allocation.allocate(sizes, scan["costs"], config.sparsity, scan["levels"])


def stage_files(out: Path, stem: str, sparsity: float, width: float = 1.0) -> dict[str, Any]:
    """The files of a run: ``ptq`` int8, ``pruned`` float, ``qat`` model and its ``int8``; the
    ``tag`` is ``pqat`` (sparsity-preserving QAT of a pruned model) or ``qat`` (sparsity 0,
    also after channel pruning to ``width`` < 1, whose files are named ``<stem>_w<width>``)."""
    tag = "pqat" if sparsity > 0 else "qat"
    thin = f"{stem}_w{width:g}" if width < 1 else None
    return {
        "tag": tag,
        "ptq": out / f"{stem}-int8.tflite",
        "pruned": out / (f"{thin}.keras" if thin else f"{stem}_pruned.keras"),
        "pruned_stage": "thin_float" if thin else "pruned_float",
        # QAT models load back from .h5, not .keras (tf-keras 2.19)
        "qat": out / f"{thin or stem}_{tag}.h5",
        "int8": out / f"{thin or stem}_{tag}-int8.tflite",
    }


def _report(config, out, source, pruned_path, pruned, aflw_dir, data_dir) -> dict[str, Any]:
    from export.tflite import weight_sparsity
    from lprnet.compression import sparsity
    from lprnet.evaluation import aflw2000_benchmark, embedded_faces
    from lprnet.machine import describe

    files = stage_files(out, source.stem, config.sparsity, config.width)
    stages = {"float": source, "ptq_int8": files["ptq"]}
    if config.sparsity > 0 or config.width < 1:
        stages[files["pruned_stage"]] = pruned_path
    stages[f"{files['tag']}_int8"] = files["int8"]
    faces = embedded_faces()
    aflw, face_model = None, None
    if aflw_dir:
        from lprnet.geometry.bfm import load_face_model

        # the protocol's ground truth (3DDFA's pts68, the -new.pose bins), as eval / bench
        aflw, face_model = aflw2000_benchmark(aflw_dir, data_dir), load_face_model(data_dir)
    aflw_key = f"aflw2000:{Path(aflw_dir).resolve()}:{len(aflw)}" if aflw is not None else ""
    rows = {}
    for name, path in stages.items():
        row: dict[str, Any] = {**_file_row(path)}
        if path.suffix == ".tflite":
            row["sparsity"] = weight_sparsity(path)
        row["eval_embedded"] = _evaluate(path, faces, f"embedded:{len(faces)}")
        if aflw is not None:
            row["eval_aflw2000"] = _evaluate(path, aflw, aflw_key, face_model)
        rows[name] = row
    # drift on the headline set: AFLW2000-3D when given, else the embedded score split
    headline = "eval_aflw2000" if aflw is not None else "eval_embedded"
    base = headline_nme(rows["float"][headline])
    for row in rows.values():
        row["nme_2d_drift_rel"] = (headline_nme(row[headline]) - base) / base
    return {
        "headline": {
            "set": "aflw2000" if aflw is not None else "embedded",
            "images": len(aflw) if aflw is not None else len(faces),
        },
        "calibration": (
            f"{config.calibration} un-augmented training crops"
            if config.data
            else "the embedded set's calibration split"
        ),
        "config": asdict(config),
        "source": str(source),
        "training_signal": _training_signal(config),
        "keras_sparsity": sparsity.keras_sparsity(pruned),
        "activation_ranges_fixed": _read_ranges(out / RANGES_FILE),
        "stages": rows,
        "machine": describe(),
    }


def _read_ranges(path: Path) -> dict[str, list[float]] | None:
    """The ranges a run fixed before its int8 conversion (None: converted before the fix)."""
    return json.loads(path.read_text()) if path.is_file() else None


def headline_nme(summary: dict[str, Any]) -> float:
    """The protocol mean of the 2D sparse NME, or the mean over present bins when a bin is
    empty (drift of two models on the same images is still defined)."""
    s = summary["nme_2d_sparse"]
    return float(s["mean"] if s.get("mean") is not None else s["mean_present_bins"])


def format_report(report: dict[str, Any]) -> str:
    """The stages as a Markdown table (size, gzip, sparsity of the file, NME on the embedded
    score split and on AFLW2000-3D when measured, drift on the headline set)."""
    aflw = all("eval_aflw2000" in r for r in report["stages"].values())
    head = report.get("headline", {}).get("set", "embedded")
    lines = [
        "| stage | file | size KB | gzip KB | weight sparsity | NME 2D % embedded"
        + (" | NME 2D % AFLW2000-3D" if aflw else "")
        + f" | drift vs float ({head}) |",
        "|---|---|---:|---:|---:|---:|" + ("---:|" if aflw else "") + "---:|",
    ]
    for name, row in report["stages"].items():
        sp = row.get("sparsity", {}).get("sparsity")
        nmes = [headline_nme(row["eval_embedded"])]
        if aflw:
            nmes.append(headline_nme(row["eval_aflw2000"]))
        lines.append(
            f"| {name} | {row['file']} | {row['bytes'] / 1024:.0f} | {row['gzip_bytes'] / 1024:.0f}"
            f" | {'' if sp is None else f'{100 * sp:.1f}%'}"
            + "".join(f" | {x:.2f}" for x in nmes)
            + f" | {100 * row['nme_2d_drift_rel']:+.1f}% |"
        )
    return "\n".join(lines)
