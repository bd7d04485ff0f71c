"""Every format x precision of the export table on tiny posmap networks: converts, matches Keras
within the table's threshold, carries its metadata, and is listed in the manifest by sha256."""

from __future__ import annotations

import json

import numpy as np
import pytest

from export import parity as par
from export.api import Artifact, export_many, export_model
from export.manifest import read_manifest, sha256_file, verify_entry
from export.metadata import read_metadata
from export.registry import FORMATS, Parity
from lprnet.errors import LprnetError

N = 32  # the UV tables are packaged at 32 px


def tiny_model(kind: str = "upsample", seed: int = 0):
    """A (1, 32, 32, 3) -> (1, 32, 32, 3) sigmoid posmap net with L-PRNet's op types."""
    # isort: off
    from lprnet.tfenv import tf
    import tf_keras as keras
    from tf_keras import layers

    # isort: on
    tf.keras.utils.set_random_seed(seed)
    inp = keras.Input((N, N, 3), name="image")
    x = layers.Conv2D(8, 3, 2, padding="same", use_bias=False)(inp)  # 16
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.SeparableConv2D(16, 3, 2, padding="same", activation="relu")(x)  # 8
    if kind == "upsample":
        x = layers.UpSampling2D(2)(x)
        x = layers.DepthwiseConv2D(3, padding="same", activation="relu")(x)
        x = layers.Conv2D(8, 1, activation="relu")(x)
        x = layers.UpSampling2D(2)(x)
        x = layers.Conv2D(3, 3, padding="same")(x)
    else:
        x = layers.Conv2DTranspose(8, 3, 2, padding="same", activation="relu")(x)
        x = layers.Conv2DTranspose(3, 3, 2, padding="same")(x)
    out = layers.Activation("sigmoid", name="posmap")(x)
    model = keras.Model(inp, out, name=f"tiny_{kind}")
    # spread the outputs over (0, 1) like a trained posmap net instead of ~0.5 everywhere
    w = model.layers[-2].get_weights()
    model.layers[-2].set_weights([w[0] * 8.0, w[1]])
    return model


ALL = [(f.name, p) for f in FORMATS.values() for p in f.precisions]


@pytest.fixture(scope="module")
def crops():
    return par.embedded_crops(N, 24)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, crops) -> dict[tuple[str, str], Artifact]:
    out = tmp_path_factory.mktemp("exports")
    arts = export_many(
        tiny_model("upsample"), ALL, out, calibration=16, parity_images=crops, progress=False
    )
    return {(a.format, a.precision): a for a in arts}


@pytest.mark.parametrize("fmt, precision", ALL)
def test_each_format_matches_keras_within_its_threshold(exported, fmt, precision) -> None:
    art = exported[(fmt, precision)]
    r = art.parity
    t = FORMATS[fmt].parity[precision]
    assert r["passed"], r
    assert r["max_px"] <= t.max_px and r["mean_px"] <= t.mean_px
    assert r["nme_vs_keras_pct"] <= t.nme_pct
    assert r["images"] == 24
    if precision in ("int8", "uint8"):
        assert r["mean_px"] > 0  # really quantised
    if precision == "fp32":
        assert r["max_px"] < 0.01


@pytest.mark.parametrize("fmt, precision", ALL)
def test_metadata_round_trips_from_the_artifact(exported, fmt, precision) -> None:
    art = exported[(fmt, precision)]
    meta = read_metadata(art.path)
    assert meta == json.loads(json.dumps(art.metadata))
    assert meta["schema"] == "lprnet.model/1"
    assert (meta["format"], meta["precision"], meta["name"]) == (fmt, precision, "tiny_upsample")
    assert meta["input"]["shape"] == [1, N, N, 3] and meta["uv_resolution"] == N
    assert meta["output"]["posmap_scale"] == pytest.approx(N * 1.1)
    assert len(meta["keypoints_uv"]) == 68
    quantised_io = fmt == "tflite" and precision == "int8"
    assert (meta["input"]["dtype"] == "uint8") == quantised_io
    assert (meta["output"]["quantization"] is not None) == quantised_io
    if quantised_io:
        assert meta["input"]["quantization"]["zero_point"] == 0


def test_artifact_names_follow_the_contract(exported) -> None:
    names = {a.name for a in exported.values()}
    assert {
        "tiny_upsample-int8.tflite",
        "tiny_upsample-fp32.onnx",
        "tiny_upsample-int8.onnx",
        "tiny_upsample-uint8-tfjs",
    } <= names
    tfjs = exported[("tfjs", "uint8")].path
    assert (tfjs / "model.json").is_file() and list(tfjs.glob("*.bin"))
    uv = json.loads((tfjs / "lprnet.json").read_text())["uv"]
    assert len(uv["keypoints"]) == 68
    assert max(max(t) for t in uv["triangles"]) < len(uv["face_indices"])


def test_manifest_lists_every_file_with_its_sha256(exported) -> None:
    art = next(iter(exported.values()))
    manifest = read_manifest(art.manifest.parent)
    assert {a["name"] for a in manifest["artifacts"]} == {a.name for a in exported.values()}
    for entry in manifest["artifacts"]:
        assert entry["files"] and not verify_entry(art.manifest.parent, entry)
        for f in entry["files"]:
            path = art.manifest.parent / f["path"]
            assert sha256_file(path) == f["sha256"] and path.stat().st_size == f["bytes"]
        assert entry["parity"]["passed"] and entry["bytes"] == sum(
            f["bytes"] for f in entry["files"]
        )


def test_manifest_check_notices_a_changed_file(tmp_path, crops) -> None:
    art = export_model(tiny_model(), "onnx", "fp32", tmp_path, parity_images=crops)
    entry = read_manifest(tmp_path)["artifacts"][0]
    assert not verify_entry(tmp_path, entry)
    art.path.write_bytes(art.path.read_bytes() + b"\0")
    assert verify_entry(tmp_path, entry) == [f"{art.name}: sha256 differs from the manifest"]


def test_conv_transpose_model_exports_to_every_format(tmp_path, crops) -> None:
    targets = [("tflite", "int8"), ("tfjs", "uint8"), ("onnx", "int8")]
    arts = export_many(
        tiny_model("transpose", seed=1), targets, tmp_path, 16, parity_images=crops, progress=False
    )
    for a in arts:
        assert a.parity["passed"], a.parity
        assert a.parity["mean_px"] > 0


def test_tflite_int8_io_option(tmp_path, crops) -> None:
    art = export_model(
        tiny_model(), "tflite", "int8", tmp_path, 16, io_dtype="int8", parity_images=crops
    )
    assert art.name == "tiny_upsample-int8-int8io.tflite"
    meta = read_metadata(art.path)
    assert meta["input"]["dtype"] == "int8" and meta["input"]["quantization"]["zero_point"] == -128
    assert art.parity["passed"]


def test_parity_failure_raises_and_is_recorded(tmp_path, crops, monkeypatch) -> None:
    monkeypatch.setitem(FORMATS["tflite"].parity, "int8", Parity(1e-9, 1e-9, 1e-9))
    with pytest.raises(LprnetError, match="parity check failed against Keras"):
        export_model(tiny_model(), "tflite", "int8", tmp_path, 16, parity_images=crops)
    (entry,) = read_manifest(tmp_path)["artifacts"]
    assert entry["parity"]["passed"] is False


def test_parity_detects_a_different_model(tmp_path, crops) -> None:
    art = export_model(tiny_model(seed=0), "onnx", "fp32", tmp_path, parity_images=crops)
    other = par.reference_outputs(tiny_model(seed=5), crops.images)
    result = par.measure(art.path, other, crops, "onnx", "fp32")
    assert not result["passed"]
    with pytest.raises(LprnetError, match="max_px"):
        par.check(result, art.path)


def test_compare_units_are_crop_pixels() -> None:
    rng = np.random.default_rng(0)
    ref = rng.uniform(0.2, 0.8, (2, N, N, 3))
    out = ref.copy()
    out[..., 0] += 1.0 / (N * 1.1)  # one crop pixel in x everywhere
    r = par.compare(ref, out)
    assert r["max_px"] == pytest.approx(1.0) and r["mean_px"] == pytest.approx(1.0)
    assert r["nme_vs_keras_pct"] > 0


def test_quantisation_aware_model_goes_to_tflite_but_not_tfjs(tmp_path, crops) -> None:
    import tensorflow_model_optimization as tfmot

    qat = tfmot.quantization.keras.quantize_model(tiny_model("upsample"))
    with pytest.raises(LprnetError, match="TF.js cannot convert a quantisation-aware"):
        export_model(qat, "tfjs", "uint8", tmp_path, parity=False)
    art = export_model(qat, "tflite", "int8", tmp_path, 16, parity_images=crops)
    assert art.parity["passed"] and read_metadata(art.path)["input"]["dtype"] == "uint8"


@pytest.mark.parametrize("precision", FORMATS["tfjs"].precisions)
def test_tfjs_graph_rerun_in_tensorflow_matches_tfjs_in_node(exported, crops, precision) -> None:
    """Both TF.js parity runners agree on the exported folder (Node one only where installed)."""
    from export.tfjs import TfjsGraphModel
    from export.tfjs_node import TfjsNodeModel, find_node_modules

    art = exported[("tfjs", precision)]
    graph = TfjsGraphModel(art.path).predict(crops.images)
    ref = par.reference_outputs(tiny_model("upsample"), crops.images)
    result = par.compare(ref, graph, crops.landmarks)
    t = FORMATS["tfjs"].parity[precision]
    assert result["max_px"] <= t.max_px and result["mean_px"] <= t.mean_px
    if find_node_modules() is None:
        pytest.skip("no node + @tensorflow/tfjs (npm install in web_demo/)")
    node = TfjsNodeModel(art.path).predict(crops.images)
    assert np.abs(node - graph).max() * N * 1.1 < 0.01  # crop pixels


def test_onnx_nearest_resize_uses_no_deprecated_mode(tmp_path, crops) -> None:
    """tf2onnx writes ``tf_half_pixel_for_nn`` (onnxruntime warns per node and session); the
    exporter rewrites it to the equivalent asymmetric + floor, and parity still holds."""
    import onnx

    art = export_model(tiny_model(), "onnx", "fp32", tmp_path, parity_images=crops)
    modes = {
        onnx.helper.get_attribute_value(a)
        for n in onnx.load(str(art.path)).graph.node
        if n.op_type == "Resize"
        for a in n.attribute
        if a.name == "coordinate_transformation_mode"
    }
    assert modes == {b"asymmetric"} and art.parity["max_px"] < 1e-4


def test_tfjs_kernel_profile_covers_the_model(exported) -> None:
    from benchmarks.tfjs_kernels import by_op, profile
    from export.tfjs_node import find_node_modules

    if find_node_modules() is None:
        pytest.skip("needs node (TF.js in Node)")
    p = profile(exported[("tfjs", "uint8")].path, runs=2)
    ops = by_op(p["kernels"])
    assert p["wall_ms"] > 0 and "FusedConv2D" in ops  # the tiny model's convolutions
    assert list(ops.values()) == sorted(ops.values(), reverse=True)
    assert all(not k["name"].endswith("__op") for k in p["kernels"])  # fused ops once
