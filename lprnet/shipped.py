"""The trained models shipped with lprnet (``lprnet/resources``), reachable by name."""

from __future__ import annotations

import os
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent / "resources"

#: name -> weights file; each has a ``<name>.record.json`` training record beside it.
SHIPPED = {"lprnet_128": RESOURCES / "lprnet_128.keras", "prnet_256": RESOURCES / "prnet_256.keras"}
DEFAULT = "lprnet_128"


def resolve_model(model: str | os.PathLike) -> Path:
    """A shipped model's name (``lprnet_128``, ``prnet_256``) -> its file; a path stays a path."""
    if str(model) in SHIPPED:
        return SHIPPED[str(model)]
    return Path(model)


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
    from lprnet.evaluation import aflw2000_faces, embedded_faces, evaluate
    from lprnet.fileio import write_json
    from lprnet.machine import describe
    from lprnet.predictors import load_predictor

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
    target = SHIPPED[name]
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(best, tmp)
    os.replace(tmp, target)

    def summary(faces, face_model=None):
        res = evaluate(
            faces,
            load_predictor(str(target), None, data_dir=data_dir),
            face_model,
            progress=False,
        )
        return {
            k: {
                "mean": v["mean"],
                "bins": {b: x["mean"] for b, x in v["bins"].items()},
                "count": v["count"],
            }
            for k, v in res["summary"].items()
        }

    best_epoch = [e for e in record["epochs"] if e.get("is_best")]
    shipped = {
        "name": name,
        "file": target.name,
        "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
        "model": record["model"],
        "training": {
            "data": data,
            "steps": record.get("steps"),
            "steps_per_epoch": record["steps_per_epoch"],
            "batch_size": record["config"]["batch_size"],
            "lr": record["config"]["lr"],
            "lr_halve_every_epochs": record["config"]["lr_halve_every"],
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

        faces = aflw2000_faces(aflw_dir)
        shipped["eval_aflw2000"] = {
            "dir": Path(aflw_dir).name,
            **summary(faces, load_face_model(data_dir)),
        }
    write_json(target.with_suffix(".record.json"), shipped)
    return shipped
