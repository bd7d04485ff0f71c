"""The trained models shipped with lprnet (``lprnet/resources``), reachable by name."""

from __future__ import annotations

import os
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent / "resources"

#: name -> weights file; each has a ``<name>.record.json`` training record beside it.
SHIPPED = {
    "lprnet_128": RESOURCES / "lprnet_128.keras",
    # ``lprnet compress --sparsity 0.5 --data <300W-LP shards>`` of lprnet_128 (COMPRESSED):
    # the pruned float model, and its sparsity-preserving QAT behind the int8 TFLite that
    # Android and the server use (QAT models load from .h5)
    "lprnet_128_pruned": RESOURCES / "lprnet_128_pruned.keras",
    "lprnet_128_pqat": RESOURCES / "lprnet_128_pqat.h5",
    "prnet_256": RESOURCES / "prnet_256.keras",
    # the web demo's network: lprnet_128 with its posmap drawn at 64 px (fine-tuned from it)
    "lprnet_128_uv64": RESOURCES / "lprnet_128_uv64.keras",
}
#: The shipped products of a ``lprnet compress`` run (``lprnet model ship DIR --name ...``):
#: the pruning-aware fine-tuned float model (zeros in place, stripped) and its
#: sparsity-preserving QAT, each with the run's report as its record.
COMPRESSED = {"lprnet_128_pruned": "pruned", "lprnet_128_pqat": "qat"}
#: What a channel-pruning ``lprnet compress --width W`` run ships as (name -> width): its thin
#: float model, ``RESOURCES/<name>.keras``. Not shipped yet: the width-0.5 network scores
#: 13.5% on AFLW2000-3D after 900 fine-tuning steps (docs/compression.md).
THIN = {"lprnet_128_w050": 0.5}
DEFAULT = "lprnet_128"
#: The model whose int8 TFLite Android, ``lprnet serve`` and the int8 default use.
INT8_DEFAULT = "lprnet_128_pqat"
#: The network ``lprnet demo`` serves (TF.js): the posmap drawn at 64 px, 29% fewer MACs than
#: lprnet_128 for +2.3% NME on AFLW2000-3D (docs/web_demo.md).
WEB_DEFAULT = "lprnet_128_uv64"
#: Shipped as float16 weights by layer name (half the bytes of the 53 MB fp32 file; the
#: difference is below fp16 export parity): :func:`resolve_model` rebuilds the registered
#: architecture, loads them as float32 and caches the ``.keras`` file it returns.
PACKED = {"prnet_256": RESOURCES / "prnet_256.fp16.npz"}


def cache_dir() -> Path:
    """``$LPRNET_CACHE``, else ``~/.cache/lprnet``."""
    env = os.environ.get("LPRNET_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "lprnet"


def resolve_model(model: str | os.PathLike) -> Path:
    """A shipped model's name (``lprnet_128``, ``prnet_256``) -> its file; a path stays a path."""
    name = str(model)
    if name in PACKED and PACKED[name].is_file():
        return unpack(name)
    if name in SHIPPED:
        return SHIPPED[name]
    return Path(model)


def pack(model, path: Path) -> Path:
    """Save a tf_keras model's weights as float16, keyed ``<layer>/<index>`` (atomic)."""
    import numpy as np

    from lprnet.fileio import atomic_open

    arrays = {
        f"{layer.name}/{i}": np.asarray(w, np.float16)
        for layer in model.layers
        for i, w in enumerate(layer.get_weights())
    }
    with atomic_open(path, "wb") as f:
        np.savez_compressed(f, **arrays)
    return path


def unpack(name: str) -> Path:
    """The cached float32 ``.keras`` of a packed shipped model, built on first use."""
    import hashlib

    import numpy as np

    packed = PACKED[name]
    digest = hashlib.sha256(packed.read_bytes()).hexdigest()[:16]
    target = cache_dir() / "models" / f"{name}-{digest}.keras"
    if target.is_file():
        return target
    from lprnet.models.registry import build_model
    from lprnet.training.trainer import save_model_atomic

    model = build_model(name)
    with np.load(packed) as weights:
        for layer in model.layers:
            n = len(layer.get_weights())
            if n:
                layer.set_weights(
                    [weights[f"{layer.name}/{i}"].astype(np.float32) for i in range(n)]
                )
    target.parent.mkdir(parents=True, exist_ok=True)
    save_model_atomic(model, target)
    return target


#: Training settings a shipped record copies from the run's configuration, when it has them.
TRAINING_KEYS = (
    "schedule",
    "warmup_steps",
    "optimizer",
    "weight_decay",
    "flip_prob",
    "landmark_weight",
    "loss",
    "aug_scale",
    "aug_fill",
    "aug_contrast",
    "aug_gray",
    "aug_border",
    "aug_blur",
    "aug_noise",
    "aug_jpeg",
    "teacher",
    "distill",
    "teacher_flip",
)


def init_history(init: str | None) -> dict | None:
    """What a fine-tuned run started from: the name, and the training record of a shipped
    model (its data, steps, schedule and per-epoch validation), so a chain of fine-tunes keeps
    its history and ``benchmarks/training_curve.py`` can plot every stage from one record."""
    import json

    if not init:
        return None
    path = RESOURCES / f"{init}.record.json"
    if init in SHIPPED and path.is_file():
        prev = json.loads(path.read_text())
        train = prev.get("training", {})
        keep = ("data", "steps", "batch_size", "lr", *TRAINING_KEYS, "seconds", "epochs", "init")
        return {
            "name": init,
            "sha256": prev.get("sha256"),
            **{k: train[k] for k in keep if k in train},
        }
    run_record = Path(init).parent / "record.json"  # a run's best.keras / last.keras
    if run_record.is_file():
        prev = json.loads(run_record.read_text())
        cfg = prev.get("config", {})
        return {
            "name": str(init),
            "steps": prev.get("steps"),
            "data": cfg.get("train"),
            "batch_size": cfg.get("batch_size"),
            "lr": cfg.get("lr"),
            **{k: cfg[k] for k in TRAINING_KEYS if k in cfg},
            "seconds": round(prev.get("train_seconds", 0.0)),
            "epochs": prev.get("epochs"),
            "init": run_init(prev),
        }
    return {"name": str(init)}


def model_identity(model: str) -> dict:
    """A model argument as it is when a run starts: its name and the sha256 of its file (a
    shipped name's as its record states it), since a shipped name may be re-shipped later."""
    import hashlib
    import json

    record = RESOURCES / f"{model}.record.json"
    if model in SHIPPED and record.is_file():
        return {"name": model, "sha256": json.loads(record.read_text()).get("sha256")}
    path = Path(model)
    sha = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    return {"name": str(model), "sha256": sha}


def run_init(record: dict) -> dict | None:
    """What a training run started from: the snapshot its record took when it began (a shipped
    name may have been re-shipped since), else, for runs recorded before snapshots, looked up."""
    if "init" in record:
        return record["init"]
    return init_history(record.get("config", {}).get("init"))


def ship(
    run: str | os.PathLike,
    name: str,
    aflw_dir: str | None = None,
    data_dir: str | None = None,
    notes: str = "",
) -> dict:
    """Copy a training run's ``best.keras`` into the package as ``name`` with its record.

    The record (``<name>.record.json``) holds what a user needs to trust the file: the model
    summary, the training data (every shard folder with its sample count and source), the
    steps and per-epoch validation of the run, and this function's own evaluation of the copied
    file on the embedded set and, when given, an AFLW2000-3D folder.
    """
    import hashlib
    import json
    import shutil

    from lprnet.errors import LprnetError
    from lprnet.evaluation import aflw2000_benchmark, compact_summary, embedded_faces, evaluate
    from lprnet.fileio import write_json
    from lprnet.machine import describe
    from lprnet.predictors import load_predictor

    if name in COMPRESSED or name in THIN:
        raise LprnetError(
            f"{name} ships from a compress run: lprnet.compression.ship.ship_compressed"
        )
    run = Path(run)
    best, record_path = run / "best.keras", run / "record.json"
    if not best.is_file() or not record_path.is_file():
        raise LprnetError(f"{run}: not a finished training run (needs best.keras, record.json)")
    if name not in SHIPPED:
        raise LprnetError(f"--name must be one of {sorted(SHIPPED)}, got {name!r}")
    record = json.loads(record_path.read_text())
    data = []
    for folder, weight in record["config"]["train"]:
        index = json.loads((Path(folder) / "index.json").read_text())
        data.append(
            {
                "folder": Path(folder).name,
                "weight": weight,
                "source": index["source"],
                "samples": index.get("count"),
                "size": index["size"],
                "seed": index.get("seed"),
            }
        )
    if name in PACKED:  # float16 weights; evaluated below through resolve_model's float32
        import tf_keras

        pack(tf_keras.models.load_model(best, compile=False), PACKED[name])
        target = resolve_model(name)
    else:
        target = SHIPPED[name]
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(best, tmp)
        os.replace(tmp, target)
    stored = PACKED.get(name, target)

    def summary(faces, face_model=None):
        res = evaluate(
            faces,
            load_predictor(str(target), None, data_dir=data_dir),
            face_model,
            progress=False,
        )
        return compact_summary(res)

    best_epoch = [e for e in record["epochs"] if e.get("is_best")]
    shipped = {
        "name": name,
        "file": stored.name,
        "sha256": hashlib.sha256(stored.read_bytes()).hexdigest(),
        "model": record["model"],
        "training": {
            "data": data,
            "steps": record.get("steps"),
            "steps_per_epoch": record["steps_per_epoch"],
            "batch_size": record["config"]["batch_size"],
            "lr": record["config"]["lr"],
            "lr_halve_every_epochs": record["config"]["lr_halve_every"],
            **{k: record["config"][k] for k in TRAINING_KEYS if k in record["config"]},
            **({"teacher": record["teacher"]} if "teacher" in record else {}),
            "init": run_init(record),
            "augment": record["config"]["augment"],
            "seconds": round(record.get("train_seconds", 0.0)),
            "epochs": record["epochs"],
            "best_epoch": best_epoch[-1] if best_epoch else None,
        },
        "eval_embedded": summary(embedded_faces()),
        "machine": describe(),
        "notes": notes,
    }
    if aflw_dir:
        from lprnet.geometry.bfm import load_face_model  # dense truth of AFLW needs it

        skipped: list[str] = []
        faces = aflw2000_benchmark(aflw_dir, data_dir, skipped=skipped)
        shipped["eval_aflw2000"] = {
            "dir": Path(aflw_dir).name,
            "skipped": skipped,
            **summary(faces, load_face_model(data_dir)),
        }
    # beside the stored file: lprnet_128.keras -> lprnet_128.record.json (prnet_256.fp16.npz too)
    write_json(stored.parent / f"{stored.name.split('.')[0]}.record.json", shipped)
    return shipped
