"""The export table, its refusals, the ``lprnet export`` verb and the export cache."""

from __future__ import annotations

import json

import pytest

from export.command import format_table, targets
from export.registry import (
    ALL_PRECISIONS,
    FORMATS,
    applicable_options,
    artifact_name,
    check,
    exporter,
    get_format,
)
from lprnet.cli import main
from lprnet.errors import LprnetError


def test_table_is_complete_and_consistent() -> None:
    assert set(FORMATS) == {"keras", "tflite", "tfjs", "onnx"}
    for f in FORMATS.values():
        assert set(f.parity) == set(f.precisions) == set(f.description)
        assert set(f.precisions) <= set(ALL_PRECISIONS)
        assert callable(exporter(f.name))
        for p in f.precisions:
            t = f.parity[p]
            assert 0 < t.mean_px <= t.max_px and t.nme_pct > 0
    assert FORMATS["tflite"].precisions == ("int8", "fp32", "fp16")
    assert FORMATS["tflite"].defaults == {"io_dtype": "uint8"}
    assert FORMATS["tfjs"].is_directory and not FORMATS["onnx"].is_directory
    assert all(int(v) >= 13 for v in FORMATS["onnx"].options["opset"])


@pytest.mark.parametrize(
    "fmt, precision, match",
    [
        ("tfjs", "int8", r"no integer compute.*tfjs supports uint8, fp32, fp16"),
        ("onnx", "fp16", r"onnx supports fp32, int8"),
        ("keras", "int8", r"keras supports fp32"),
        ("tflite", "dynamic", r"never exported.*tflite supports int8, fp32, fp16"),
        ("coreml", "fp32", r"unknown export format 'coreml'; supported: keras, tflite"),
    ],
)
def test_unsupported_combinations_are_refused(fmt, precision, match) -> None:
    with pytest.raises(LprnetError, match=match):
        check(fmt, precision)


def test_options_are_checked() -> None:
    assert check("tflite", "int8", io_dtype="int8").name == "tflite"
    with pytest.raises(LprnetError, match="io_dtype must be one of uint8, int8"):
        check("tflite", "int8", io_dtype="float32")
    with pytest.raises(LprnetError, match="applies to int8 TFLite only"):
        check("tflite", "fp32", io_dtype="int8")
    with pytest.raises(LprnetError, match="onnx has no option 'io_dtype'"):
        check("onnx", "int8", io_dtype="int8")
    with pytest.raises(LprnetError, match="opset must be one of"):
        check("onnx", "fp32", opset="11")
    opts = {"io_dtype": "int8", "opset": "13"}
    assert applicable_options("tflite", "int8", opts) == {"io_dtype": "int8"}
    assert applicable_options("tflite", "fp32", opts) == {}
    assert applicable_options("onnx", "int8", opts) == {"opset": "13"}


def test_artifact_names() -> None:
    assert artifact_name("lprnet_128", "tflite", "int8") == "lprnet_128-int8.tflite"
    assert artifact_name("lprnet_128", "tflite", "int8", io_dtype="uint8") == (
        "lprnet_128-int8.tflite"
    )
    assert artifact_name("m", "tflite", "int8", io_dtype="int8") == "m-int8-int8io.tflite"
    assert artifact_name("lprnet_128", "tfjs", "uint8") == "lprnet_128-uint8-tfjs"
    assert artifact_name("lprnet_128", "onnx", "fp32", opset="13") == "lprnet_128-fp32-13opset.onnx"
    assert get_format("keras").suffix == ".keras"


def test_cli_targets_expand_all() -> None:
    pairs, skipped = targets("all", "all")
    assert pairs == [(f.name, p) for f in FORMATS.values() for p in f.precisions]
    assert not skipped
    pairs, skipped = targets("all", "int8")
    assert pairs == [("tflite", "int8"), ("onnx", "int8")]
    assert len(skipped) == 2 and "tfjs has no int8" in " ".join(skipped)
    assert targets("tfjs", "all")[0] == [("tfjs", "uint8"), ("tfjs", "fp32"), ("tfjs", "fp16")]
    assert targets("tfjs", None)[0] == [("tfjs", "uint8")]
    assert targets("all", None)[0] == [
        ("keras", "fp32"),
        ("tflite", "int8"),
        ("tfjs", "uint8"),
        ("onnx", "fp32"),
    ]
    with pytest.raises(LprnetError, match="tfjs supports"):
        targets("tfjs", "int8")


def test_cli_refuses_with_exit_2(capsys) -> None:
    assert main(["export", "--format", "onnx", "--precision", "fp16", "--out", "unused"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lprnet: error: onnx cannot be exported at precision 'fp16'")
    assert "Traceback" not in err


def test_cli_refuses_a_missing_or_non_keras_model(tmp_path, capsys) -> None:
    assert main(["export", "--model", str(tmp_path / "nope.keras"), "--out", str(tmp_path)]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "m.onnx"
    bad.write_bytes(b"x")
    assert main(["export", "--model", str(bad), "--out", str(tmp_path)]) == 2
    assert "needs the Keras model" in capsys.readouterr().err


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory):
    from test_export_formats import tiny_model

    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    tiny_model().save(path)
    return path


def test_cli_exports_prints_the_parity_table_and_writes_the_manifest(
    tiny_file, tmp_path, capsys
) -> None:
    out = tmp_path / "exports"
    argv = ["export", "--model", str(tiny_file), "--format", "all", "--precision", "int8"]
    assert main([*argv, "--out", str(out), "--calibration", "8"]) == 0
    text = capsys.readouterr().out
    assert "skipped: keras has no int8" in text
    assert "| tiny-int8.tflite |" in text and "| tiny-int8.onnx |" in text
    assert "parity against Keras on embedded set (312 of 312 crops at 32 px)" in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert {a["name"] for a in manifest["artifacts"]} == {"tiny-int8.tflite", "tiny-int8.onnx"}
    assert all(a["parity"]["passed"] for a in manifest["artifacts"])
    assert manifest["artifacts"][0]["model"]["source_sha256"]


def test_format_table_marks_failures() -> None:
    from types import SimpleNamespace

    art = SimpleNamespace(
        name="m-int8.tflite",
        bytes=2_000_000,
        seconds=1.5,
        parity={"max_px": 9.0, "mean_px": 2.0, "nme_vs_keras_pct": 7.0, "passed": False},
    )
    table = format_table([art])
    assert "| m-int8.tflite | 2.00 MB | 1.5 | 9 | 2 | 7 | - | FAILED |" in table


def test_ensure_artifact_exports_once_then_reuses(tiny_file, tmp_path) -> None:
    from export.api import ensure_artifact

    cache = tmp_path / "cache"
    path = ensure_artifact(str(tiny_file), "onnx", "fp32", cache_dir=cache)
    assert path.name == "tiny-fp32.onnx" and path.is_file()
    assert path.parent.parent == cache and path.parent.name.startswith("tiny-")
    stamp = path.stat().st_mtime_ns
    assert ensure_artifact(str(tiny_file), "onnx", "fp32", cache_dir=cache) == path
    assert path.stat().st_mtime_ns == stamp  # reused, not exported again
    path.write_bytes(b"tampered")
    assert ensure_artifact(str(tiny_file), "onnx", "fp32", cache_dir=cache) == path
    assert path.read_bytes() != b"tampered"  # re-exported when the files no longer match


def test_ensure_artifact_uses_lprnet_cache(tiny_file, tmp_path, monkeypatch) -> None:
    from export.api import cache_root, ensure_artifact

    monkeypatch.setenv("LPRNET_CACHE", str(tmp_path))
    assert cache_root() == tmp_path / "exports"
    path = ensure_artifact(str(tiny_file), "tfjs", "uint8")
    assert path.is_dir() and (path / "model.json").is_file()
    assert tmp_path in path.parents
    with pytest.raises(LprnetError, match="tfjs supports"):
        ensure_artifact(str(tiny_file), "tfjs", "int8")
