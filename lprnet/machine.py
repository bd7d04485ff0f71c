"""Describe the machine a measurement ran on (every benchmark report carries this)."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from pathlib import Path

PACKAGES = (
    "numpy",
    "opencv-python-headless",
    "tensorflow",
    "tf-keras",
    "scipy",
    "tensorflow-model-optimization",
    "ai-edge-litert",
    "onnxruntime",
    "tf2onnx",
    "tensorflowjs",
)


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def describe() -> dict[str, object]:
    """CPU model, cores, OS, Python and the versions of the libraries that matter."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "packages": versions,
        "load_average": [round(x, 2) for x in load] if load else None,
    }
