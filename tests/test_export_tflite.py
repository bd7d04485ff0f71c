"""TFLite export: fixed batch 1, full-integer int8 that LiteRT runs fully in int8."""

from __future__ import annotations

import numpy as np
import pytest

from export import tflite
from lprnet.data.embedded import load_embedded_set
from lprnet.errors import LprnetError
from lprnet.inference.backends import load_model
from lprnet.models.registry import build_model


@pytest.fixture(scope="module")
def model_and_images():
    from lprnet.tfenv import tf

    tf.keras.utils.set_random_seed(0)
    model = build_model("lprnet_128")
    images = load_embedded_set().images(128)[:16].astype(np.float32) / 255.0
    return model, images


def _graph(path) -> tuple[set[str], set[str]]:
    """(op names, tensor dtypes) of a .tflite file."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path))
    ops = {op["op_name"] for op in it._get_ops_details()}
    return ops, {np.dtype(t["dtype"]).name for t in it.get_tensor_details()}


def test_int8_is_fully_integer_and_matches_keras(model_and_images, tmp_path) -> None:
    model, images = model_and_images
    path = tflite.save(tflite.convert(model, "int8", images), tmp_path / "m.tflite")
    ops, dtypes = _graph(path)
    assert dtypes <= {"int8", "uint8", "int32"}, dtypes  # no float tensor anywhere
    assert "DEQUANTIZE" not in ops, ops
    assert "SHAPE" not in ops and "STRIDED_SLICE" not in ops  # fixed batch 1
    lite = load_model(path)
    assert lite.resolution == 128
    ref = model(images[:4], training=False).numpy()
    got = lite.predict(images[:4])
    assert np.abs(got - ref).max() < 0.05 and np.abs(got - ref).mean() < 0.01


def test_fp32_matches_keras(model_and_images, tmp_path) -> None:
    model, images = model_and_images
    path = tflite.save(tflite.convert(model, "fp32"), tmp_path / "m.tflite")
    ref = model(images[:2], training=False).numpy()
    np.testing.assert_allclose(load_model(path).predict(images[:2]), ref, atol=1e-5)


def test_bad_requests_are_refused(model_and_images) -> None:
    model, _ = model_and_images
    with pytest.raises(LprnetError, match="needs calibration"):
        tflite.convert(model, "int8")
    with pytest.raises(LprnetError, match="precision must be one of"):
        tflite.convert(model, "int4")


def test_metadata_entry_leaves_the_model_unchanged(tmp_path) -> None:
    from test_export_formats import tiny_model

    from export.metadata import ModelInfo, embed_tflite, model_metadata, read_tflite

    model = tiny_model()
    images = np.random.default_rng(0).uniform(0, 1, (2, 32, 32, 3)).astype(np.float32)
    plain = tflite.convert(model, "int8", images)
    meta = model_metadata(ModelInfo("tiny", 32), "tflite", "int8")
    tagged = embed_tflite(plain, meta)
    assert read_tflite(plain) is None and read_tflite(tagged) == meta
    again = embed_tflite(tagged, {**meta, "precision": "changed"})  # replaced, not duplicated
    assert read_tflite(again)["precision"] == "changed"
    assert abs(len(again) - len(tagged)) < 64
    a = load_model(tflite.save(plain, tmp_path / "a.tflite")).predict(images[:2])
    b = load_model(tflite.save(again, tmp_path / "b.tflite")).predict(images[:2])
    np.testing.assert_array_equal(a, b)
    ops_a, _ = _graph(tmp_path / "a.tflite")
    ops_b, _ = _graph(tmp_path / "b.tflite")
    assert ops_a == ops_b


def test_weight_sparsity_counts_zero_weights() -> None:
    from test_export_formats import tiny_model

    model = tiny_model()
    conv = model.layers[1]  # the first Conv2D: 3 * 3 * 3 * 8 = 216 weights
    (w,) = conv.get_weights()
    w[..., :4] = 0.0  # half of its output channels
    conv.set_weights([w])
    images = np.random.default_rng(0).uniform(0, 1, (4, 32, 32, 3)).astype(np.float32)
    total = sum(
        int(np.prod(v.shape))
        for layer in model.layers
        for v in layer.weights
        if "kernel" in v.name and "bias" not in v.name
    )
    for precision in ("int8", "fp32"):
        fb = tflite.convert(model, precision, images if precision == "int8" else None)
        s = tflite.weight_sparsity(fb)
        assert s["weights"] == total
        assert 108 <= s["zeros"] < 108 + 0.05 * total, s
