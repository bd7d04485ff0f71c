"""android_assets/: the int8 .tflite fed exactly what the README's Kotlin feeds it, vs Keras."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from export.android import (
    DEFAULT_DIR,
    app_crop,
    app_landmarks,
    check_android_assets,
    write_android_assets,
)
from export.manifest import sha256_file
from export.metadata import read_tflite
from export.registry import FORMATS
from lprnet.errors import LprnetError

INT8 = FORMATS["tflite"].parity["int8"]


def _spec(folder: Path) -> dict:
    (path,) = folder.glob("*.json")
    return json.loads(path.read_text())


def test_committed_assets_are_consistent() -> None:
    spec = _spec(DEFAULT_DIR)
    model = DEFAULT_DIR / spec["model_file"]
    assert model.name.startswith("lprnet_128") and model.name.endswith("-int8.tflite")
    assert (
        sha256_file(model) == spec["model_sha256"] and model.stat().st_size == spec["model_bytes"]
    )
    meta = read_tflite(model)
    assert {k: spec[k] for k in meta} == meta  # the JSON holds the embedded metadata
    assert meta["input"]["dtype"] == meta["output"]["dtype"] == "uint8"
    assert meta["input"]["quantization"] == {"scale": pytest.approx(1 / 255), "zero_point": 0}
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(model))
    dtypes = {np.dtype(t["dtype"]).name for t in it.get_tensor_details()}
    assert dtypes <= {"int8", "uint8", "int32"}  # full integer: no float tensor anywhere
    uv = spec["uv"]
    n = spec["input"]["shape"][1]
    assert len(uv["keypoints"]) == 68 and max(uv["face_indices"]) < n * n
    assert max(max(t) for t in uv["triangles"]) == len(uv["face_indices"]) - 1
    readme = (DEFAULT_DIR / "README.md").read_text()
    for text in ("setUseXNNPACK(true)", "setNumThreads", spec["model_file"], spec["model_sha256"]):
        assert text in readme


def test_app_bytes_path_matches_keras_within_the_int8_threshold() -> None:
    r = check_android_assets(DEFAULT_DIR, count=16)
    assert r["images"] == 16
    assert r["nme_vs_keras_pct"] <= INT8.nme_pct
    assert abs(r["nme_app_pct"] - r["nme_keras_pct"]) <= INT8.nme_pct
    assert r["nme_keras_pct"] < 10.0  # the trained model finds the faces


def test_app_bytes_path_equals_the_backend_on_the_same_crop() -> None:
    """Raw camera bytes in == the backend's float path (input scale is exactly 1/255)."""
    from ai_edge_litert.interpreter import Interpreter

    from lprnet.data.embedded import load_embedded_set
    from lprnet.geometry import crop
    from lprnet.inference.backends import load_model

    spec = _spec(DEFAULT_DIR)
    path = DEFAULT_DIR / spec["model_file"]
    it = Interpreter(model_path=str(path))
    it.allocate_tensors()
    s = load_embedded_set()
    frame, gt = s.image(3), s.landmarks[3]
    center, size = crop.box_from_landmarks(gt)
    n = spec["input"]["shape"][1]
    crop_u8 = app_crop(frame, center, size, n)
    app = app_landmarks(it, spec, crop_u8.tobytes(), center, size)
    pos = load_model(path).predict(crop_u8[None].astype(np.float32) / 255.0)[0] * (n * 1.1)
    kx, ky = np.array(spec["uv"]["keypoints"]).T
    ref = crop.from_crop(pos[ky, kx], crop.crop_matrix(center, size, n))
    np.testing.assert_allclose(app, ref, atol=1e-3)


def test_write_android_assets_from_a_tiny_model(tmp_path) -> None:
    from test_export_formats import tiny_model

    from export.api import export_model

    model = tiny_model()
    art = export_model(model, "tflite", "int8", tmp_path / "exports", calibration=16, parity=False)
    files = write_android_assets(tmp_path / "assets", art.path)
    assert [f.name for f in files] == [
        "tiny_upsample-int8.tflite",
        "tiny_upsample.json",
        "README.md",
    ]
    spec = _spec(tmp_path / "assets")
    assert spec["uv_resolution"] == 32 and spec["name"] == "tiny_upsample"
    r = check_android_assets(tmp_path / "assets", count=8, keras_model=model)
    assert r["nme_vs_keras_pct"] <= INT8.nme_pct


def test_android_assets_refuse_a_float_model(tmp_path) -> None:
    from test_export_formats import tiny_model

    from export.api import export_model

    art = export_model(tiny_model(), "tflite", "fp32", tmp_path, parity=False)
    with pytest.raises(LprnetError, match="need an int8 TFLite with uint8 input"):
        write_android_assets(tmp_path / "assets", art.path)


def _tiny_int8(folder: Path, seed: int) -> tuple[object, Path]:
    from test_export_formats import tiny_model

    from export.api import export_model

    model = tiny_model(seed=seed)
    art = export_model(model, "tflite", "int8", folder, calibration=8, parity=False)
    return model, Path(art.path)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_crash_in_the_asset_refresh_leaves_the_old_set_whole(tmp_path, monkeypatch) -> None:
    import export.android as android

    _, first = _tiny_int8(tmp_path / "a", 0)
    _, second = _tiny_int8(tmp_path / "b", 1)
    assets = tmp_path / "assets"
    write_android_assets(assets, first)
    before = _snapshot(assets)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:  # interrupted while the new set is being written
        m.setattr(android, "readme", crash)
        with pytest.raises(KeyboardInterrupt):
            write_android_assets(assets, second)
    assert _snapshot(assets) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "assets", "b"]  # no staging left

    real, calls = android.os.replace, []

    def die_on_second(src, dst):  # killed between moving the old set aside and the new in
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(src, dst)

    with monkeypatch.context() as m:
        m.setattr(android.os, "replace", die_on_second)
        with pytest.raises(KeyboardInterrupt):
            write_android_assets(assets, second)
    android._recover(assets)  # what the next refresh does first
    assert _snapshot(assets) == before
    write_android_assets(assets, second)
    assert _snapshot(assets) != before and len(list(tmp_path.glob(".assets*"))) == 0


def test_a_parity_failed_artifact_is_never_released(tmp_path) -> None:
    from export.manifest import read_manifest, update_manifest

    _, good = _tiny_int8(tmp_path / "ok", 0)
    assets = tmp_path / "assets"
    write_android_assets(assets, good)
    before = _snapshot(assets)
    _, bad = _tiny_int8(tmp_path / "bad", 1)
    (entry,) = read_manifest(bad.parent)["artifacts"]
    update_manifest(bad.parent, {**entry, "parity": {"passed": False, "max_px": 9.0}})
    with pytest.raises(LprnetError, match="failed the parity check"):
        write_android_assets(assets, bad)
    assert _snapshot(assets) == before
