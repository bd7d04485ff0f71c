"""The shipped L-PRNet exported to every format and precision of the table (slow)."""

from __future__ import annotations

import numpy as np
import pytest

from export import parity as par
from export.api import export_many
from export.metadata import read_metadata
from export.registry import FORMATS

pytestmark = pytest.mark.slow


def test_shipped_model_exports_to_every_format_within_thresholds(tmp_path) -> None:
    from ai_edge_litert.interpreter import Interpreter

    targets = [(f.name, p) for f in FORMATS.values() for p in f.precisions]
    crops = par.embedded_crops(128, 64)
    arts = export_many(
        "lprnet_128", targets, tmp_path, calibration=64, parity_images=crops, progress=False
    )
    assert [(a.format, a.precision) for a in arts] == targets
    for a in arts:
        assert a.parity["passed"], (a.name, a.parity)
        meta = read_metadata(a.path)
        assert meta["name"] == "lprnet_128" and meta["record_sha256"] and meta["source_sha256"]
    by = {(a.format, a.precision): a for a in arts}
    int8 = by[("tflite", "int8")]
    assert int8.bytes < 0.35 * by[("tflite", "fp32")].bytes  # int8 weights: ~4x smaller
    it = Interpreter(model_path=str(int8.path))
    dtypes = {np.dtype(t["dtype"]).name for t in it.get_tensor_details()}
    assert dtypes <= {"int8", "uint8", "int32"}
    assert it.get_input_details()[0]["quantization"] == (pytest.approx(1 / 255), 0)
    for fp32 in ("tflite", "onnx", "tfjs"):
        assert by[(fp32, "fp32")].parity["max_px"] < 0.01
