"""Pick the tf.distribute strategy: one machine, several GPUs, or several machines."""

from __future__ import annotations

import json
import os

from lprnet.errors import LprnetError
from lprnet.tfenv import tf


def make_strategy(name: str = "auto") -> tf.distribute.Strategy:
    """``auto``: MultiWorkerMirroredStrategy if ``TF_CONFIG`` is set, MirroredStrategy with more
    than one GPU, else the default (single-device) strategy."""
    if name == "auto":
        if os.environ.get("TF_CONFIG"):
            name = "multiworker"
        elif len(tf.config.list_physical_devices("GPU")) > 1:
            name = "mirrored"
        else:
            name = "default"
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise LprnetError(f"--strategy must be auto, default, mirrored or multiworker, got {name!r}")


def is_chief() -> bool:
    """True on the worker that writes checkpoints, logs and models (always without TF_CONFIG)."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return True
    spec = json.loads(raw)
    task, cluster = spec.get("task", {}), spec.get("cluster", {})
    if "chief" in cluster:
        return task.get("type") == "chief"
    return task.get("type") == "worker" and task.get("index", 0) == 0
