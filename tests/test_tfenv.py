"""TensorFlow's environment is set before anything imports it (tf_keras loads TensorFlow too)."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import lprnet.training.trainer  # imports tf_keras before lprnet.tfenv
from tensorflow.python.util import _pywrap_util_port as port
import tf_keras
print(port.IsMklEnabled(), tf_keras.__name__)
"""


def test_onednn_kernels_are_on_unless_switched_off() -> None:
    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["True", "tf_keras"]
    off = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**env, "TF_ENABLE_ONEDNN_OPTS": "0"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert off.stdout.split()[0] == "False"
