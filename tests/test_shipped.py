"""The shipped L-PRNet: its file matches its record, it keeps its accuracy, it predicts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from lprnet import shipped
from lprnet.evaluation import embedded_faces, evaluate
from lprnet.predictors import load_predictor
from lprnet.shipped import SHIPPED


@pytest.fixture(scope="module")
def record() -> dict:
    path = SHIPPED["lprnet_128"]
    assert path.is_file(), "lprnet_128 is shipped with the package"
    return json.loads(path.with_suffix(".record.json").read_text())


def test_file_matches_its_training_record(record) -> None:
    path = SHIPPED["lprnet_128"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == record["sha256"]
    assert record["model"]["name"] == "lprnet_128"
    assert record["training"]["steps"] > 0 and record["training"]["data"]


@pytest.mark.parametrize("name", ["prnet_256", "lprnet_128_pruned", "lprnet_128_pqat"])
def test_other_shipped_files_match_their_records(name) -> None:
    from lprnet.shipped import COMPRESSED, PACKED, RESOURCES

    stored = PACKED.get(name, SHIPPED[name])
    record = json.loads((RESOURCES / f"{name}.record.json").read_text())
    assert record["file"] == stored.name
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == record["sha256"]
    if name in COMPRESSED:  # a compress run's report: how it was fine-tuned, and from what
        assert record["compress"]["training_signal"].startswith("shards")  # not evaluation images
        assert record["compress"]["config"]["sparsity"] >= 0.5
        assert record["compress"]["headline"]["set"] == "aflw2000"
    else:
        assert record["model"]["params"] > 0 and record["training"]


def test_the_int8_model_phones_get_is_pruned() -> None:
    """android_assets/ holds the pruning-aware fine-tuned, sparsity-preserving QAT model:
    >= 45% of its conv weights are exactly zero, and its record states its AFLW2000-3D drift
    against the float model it was pruned from (the issue's <= 2% is not met yet: see
    docs/compression.md)."""
    from export.android import DEFAULT_DIR
    from export.tflite import weight_sparsity
    from lprnet.shipped import INT8_DEFAULT, RESOURCES

    (model,) = DEFAULT_DIR.glob("*.tflite")
    assert model.name == f"{INT8_DEFAULT}-int8.tflite" == "lprnet_128_pqat-int8.tflite"
    assert weight_sparsity(model)["sparsity"] >= 0.45
    record = json.loads((RESOURCES / f"{INT8_DEFAULT}.record.json").read_text())
    stages = record["compress"]["stages"]
    assert stages["pqat_int8"]["sparsity"]["sparsity"] >= 0.45
    flt, q = (stages[k]["eval_aflw2000"]["nme_2d_sparse"]["mean"] for k in ("float", "pqat_int8"))
    assert stages["pqat_int8"]["nme_2d_drift_rel"] == pytest.approx((q - flt) / flt)
    assert stages["pqat_int8"]["eval_aflw2000"]["nme_2d_sparse"]["count"] == 995
    assert record["compress"]["calibration"].endswith("un-augmented training crops")


@pytest.mark.slow
def test_prnet_reference_reproduces_its_record() -> None:
    """The packed fp16 PRNet, rebuilt as float32, gives the NME its record states."""
    record = json.loads(SHIPPED["prnet_256"].with_suffix(".record.json").read_text())
    res = evaluate(embedded_faces(), load_predictor("prnet_256", None), None, progress=False)
    nme = record["eval_embedded"]["nme_2d_sparse"]["mean"]
    assert res["summary"]["nme_2d_sparse"]["mean"] == pytest.approx(nme, abs=0.05)


@pytest.mark.slow
def test_embedded_set_accuracy_is_what_the_record_says(record) -> None:
    """Re-measure: the committed weights must reproduce the committed number (no drift)."""
    res = evaluate(embedded_faces(), load_predictor("lprnet_128", None), None, progress=False)
    nme = res["summary"]["nme_2d_sparse"]["mean"]
    assert nme == pytest.approx(record["eval_embedded"]["nme_2d_sparse"]["mean"], abs=0.05)
    assert nme < 10.0  # percent; a broken export / crop / UV table would be far above


@pytest.mark.slow
@pytest.mark.data
def test_predict_with_the_shipped_model(data_dir, tmp_path) -> None:
    from lprnet.inference.reconstructor import Reconstructor

    faces = Reconstructor("lprnet_128").reconstruct(
        data_dir / "photos" / "misc" / "grace_hopper.jpg"
    )
    assert len(faces) == 1
    face = faces[0]
    left, top, right, bottom = face.box[:4]
    inside = (
        (face.landmarks[:, 0] > left)
        & (face.landmarks[:, 0] < right)
        & (face.landmarks[:, 1] > top)
        & (face.landmarks[:, 1] < bottom + 0.3 * (bottom - top))
    )
    assert inside.mean() > 0.9  # the 68 points sit on the detected face
    assert abs(face.pose[1]) < 25  # Grace Hopper faces the camera


def test_packed_fp16_weights_rebuild_the_model(tmp_path, monkeypatch) -> None:
    """A model shipped as float16 weights resolves to a cached float32 .keras that matches."""
    import numpy as np
    import tf_keras

    monkeypatch.setenv("LPRNET_CACHE", str(tmp_path / "cache"))
    original = tf_keras.models.load_model(shipped.SHIPPED["lprnet_128"], compile=False)
    packed = shipped.pack(original, tmp_path / "lprnet_128.fp16.npz")
    assert packed.stat().st_size < 0.6 * shipped.SHIPPED["lprnet_128"].stat().st_size
    monkeypatch.setitem(shipped.PACKED, "lprnet_128", packed)
    path = shipped.resolve_model("lprnet_128")
    assert path.parent == tmp_path / "cache" / "models" and path.suffix == ".keras"
    rebuilt = tf_keras.models.load_model(path, compile=False)
    from export.parity import embedded_crops
    from lprnet.geometry.uv_tables import uv_tables

    x = embedded_crops(128, 8).images  # faces in [0, 1]: where the parity bound is measured
    diff = np.abs(rebuilt(x).numpy() - original(x).numpy()) * 128 * 1.1
    # on the face's UV pixels: outside them the loss weight is 0 and the output means nothing
    # (the retrained lprnet_128 moves up to 2.8 px there, 0.21 px on the face)
    face = diff.reshape(len(x), -1, 3)[:, uv_tables(128).face_indices]
    assert face.max() < 1.0, face.max()  # crop pixels: the fp16 export parity bound
    assert shipped.resolve_model("lprnet_128") == path  # cached, not rebuilt


def test_pipeline_notices_a_pruned_model_from_another_float(tmp_path: Path, monkeypatch) -> None:
    from lprnet.pipeline import _pruned_from_shipped_float

    float_sha = hashlib.sha256(b"float weights").hexdigest()
    monkeypatch.setattr(shipped, "RESOURCES", tmp_path)
    (tmp_path / "lprnet_128.record.json").write_text(json.dumps({"sha256": float_sha}))
    record = tmp_path / "lprnet_128_pruned.record.json"
    for sha, same in ((float_sha, True), ("0" * 64, False)):
        record.write_text(json.dumps({"float_source": {"sha256": sha}}))
        assert _pruned_from_shipped_float("lprnet_128_pruned") is same


def test_pipeline_continues_only_a_qat_of_the_shipped_pruned_model(
    tmp_path: Path, monkeypatch
) -> None:
    from lprnet.pipeline import _qat_of_shipped_pruned

    float_sha = hashlib.sha256(b"float weights").hexdigest()
    monkeypatch.setattr(shipped, "RESOURCES", tmp_path)
    (tmp_path / "lprnet_128.record.json").write_text(json.dumps({"sha256": float_sha}))
    record = tmp_path / "lprnet_128_pqat.record.json"
    pruned_record = tmp_path / "lprnet_128_pruned.record.json"
    own_run = {"config": {"pruned": None}, "seconds": {"prune": 1.0}}
    for pruned, sha, shipped_pruned_from, same in (
        ("lprnet_128_pruned", float_sha, {}, True),
        ("lprnet_128_pruned", "0" * 64, {}, False),  # QAT of a pruning of another float
        (None, float_sha, {}, False),  # pruned in its own run, not the shipped pruned file
        (None, float_sha, own_run, True),  # ... shipped from that run with it
        (None, "0" * 64, own_run, False),
    ):
        config = {"pruned": pruned}
        compress = own_run if shipped_pruned_from and pruned is None else {"config": config}
        record.write_text(json.dumps({"float_source": {"sha256": sha}, "compress": compress}))
        pruned_record.write_text(json.dumps({"compress": shipped_pruned_from}))
        assert _qat_of_shipped_pruned("lprnet_128_pqat", "lprnet_128_pruned") is same
