"""``lprnet model ship COMPRESS_DIR``: a finished compress run's products into the package."""

from __future__ import annotations

import os
from pathlib import Path

from lprnet.compression.compress import stage_files
from lprnet.errors import LprnetError
from lprnet.fileio import write_json
from lprnet.shipped import COMPRESSED, RESOURCES, SHIPPED, THIN


def ship_compressed(folder: str | os.PathLike, notes: str = "", thin: str | None = None) -> dict:
    """Copy a finished ``lprnet compress`` run into the package, each file with the run's
    report (config, training signal, calibration, sizes, sparsity, the NME of every stage) as
    its record: a magnitude-pruning run's pruned float model as ``lprnet_128_pruned`` and its
    sparsity-preserving QAT as ``lprnet_128_pqat`` (returns the QAT model's record), or, with
    ``thin`` (a :data:`THIN` name), a channel-pruning run's thin float model. A run from a
    shipped pruned checkpoint (``--pruned``) ships its QAT model only."""
    import hashlib
    import json
    import shutil

    folder = Path(folder)
    try:
        report = json.loads((folder / "report.json").read_text())
        config = report["config"]
        files = stage_files(
            folder, Path(report["source"]).stem, config["sparsity"], config.get("width", 1.0)
        )
    except (OSError, ValueError, KeyError) as exc:
        raise LprnetError(f"{folder}: not a finished lprnet compress run ({exc})") from exc
    if thin is not None:
        if files["pruned_stage"] != "thin_float" or config.get("width") != THIN[thin]:
            raise LprnetError(f"{folder}: {thin} ships a --width {THIN[thin]:g} run")
        products = {thin: "pruned"}
    elif files["tag"] != "pqat" or files["pruned_stage"] != "pruned_float":
        raise LprnetError(f"{folder}: ships a magnitude-pruned run (--sparsity > 0, --width 1)")
    elif config.get("pruned"):  # QAT of a shipped pruned checkpoint: that one stays as it is
        products = {k: v for k, v in COMPRESSED.items() if v == "qat"}
    else:
        products = COMPRESSED
    missing = [p.name for k in products.values() if not (p := files[k]).is_file()]
    if missing:
        raise LprnetError(f"{folder}: missing {', '.join(missing)} (rerun lprnet compress)")
    source = Path(report["source"])
    out = {}
    for name, key in products.items():
        src, target = files[key], SHIPPED.get(name, RESOURCES / f"{name}.keras")
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(src, tmp)
        os.replace(tmp, target)
        out[name] = {
            "name": name,
            "file": target.name,
            "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
            "float_source": {
                "file": source.name,
                "sha256": hashlib.sha256(source.read_bytes()).hexdigest()
                if source.is_file()
                else None,
            },
            "stage": key,
            "compress": report,
            "notes": notes,
        }
        write_json(target.parent / f"{target.name.split('.')[0]}.record.json", out[name])
    return out[thin or "lprnet_128_pqat"]
