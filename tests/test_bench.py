"""Benchmark harness on tiny models: subjects, interleaved latency, report, regression gate."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from benchmarks import regression
from benchmarks.regression import Limits, compare, format_checks, parse_fraction
from lprnet.cli import main as cli
from lprnet.errors import LprnetError

N = 32


def _tiny(name: str, width: int):
    from lprnet.tfenv import tf

    # isort: off
    import tf_keras as keras

    # isort: on
    tf.keras.utils.set_random_seed(0)
    inp = keras.Input((N, N, 3), name="image")
    x = keras.layers.Conv2D(width, 3, 2, padding="same", activation="relu")(inp)
    x = keras.layers.Conv2D(width, 3, padding="same", activation="relu")(x)
    x = keras.layers.UpSampling2D(2)(x)
    x = keras.layers.Conv2D(3, 3, padding="same", activation="sigmoid")(x)
    return keras.Model(inp, x, name=name)


@pytest.fixture(scope="module")
def bench_report(tmp_path_factory):
    """A real run: tiny 'PRNet' and float models, exports to TFLite int8 / fp32 and ONNX."""
    from benchmarks.bench import run_bench
    from benchmarks.report import write_report
    from export.api import export_many

    root = tmp_path_factory.mktemp("bench")
    prnet = _tiny("big", 64)
    flt = _tiny("tiny", 8)
    prnet.save(root / "big.keras")
    flt.save(root / "tiny.keras")
    export_many(
        root / "tiny.keras",
        [("tflite", "int8"), ("tflite", "fp32"), ("onnx", "fp32")],
        root / "exports",
        calibration=8,
        parity=False,
        progress=False,
    )
    # the 'PRNet' in a runtime too: the like-for-like row
    export_many(
        root / "big.keras", [("tflite", "int8")], root / "exports", calibration=8, parity=False
    )
    report = run_bench(
        root / "exports",
        root / "out",
        float_model=str(root / "tiny.keras"),
        prnet=str(root / "big.keras"),
        threads=(1, 2),
        runs=10,
        measure_memory=False,
        progress=False,
    )
    paths = write_report(report, root / "out")
    return report, paths


def test_bench_measures_every_subject(bench_report) -> None:
    report, _ = bench_report
    rows = {r["key"]: r for r in report["rows"]}
    assert set(rows) == {
        "big-fp32-keras",
        "tiny-fp32-keras",
        "tiny-int8-tflite",
        "tiny-fp32-tflite",
        "tiny-fp32-onnx",
        "big-int8-tflite",
    }
    assert [r["role"] for r in report["rows"]][:2] == ["prnet", "float"]
    for r in report["rows"]:
        for t in ("1", "2"):
            lat = r["latency"][t]
            assert lat["runs"] == 10 and 0 < lat["median_ms"] <= lat["p90_ms"], (r["key"], lat)
        assert r["nme"] is not None and r["nme"] > 0
        assert r["bytes"] > r["gzip_bytes"] > 0
    # ratios measured in the same run: PRNet's own speed-up is exactly 1
    assert rows["big-fp32-keras"]["speedup_vs_prnet"]["1"] == pytest.approx(1.0)
    # model vs model in one runtime: int8 TFLite against the 'PRNet' int8 TFLite
    lfl = rows["tiny-int8-tflite"]["speedup_like_for_like"]
    assert lfl["vs"] == "big-int8-tflite"
    big, tiny = (
        rows[k]["latency"]["1"]["median_ms"] for k in ("big-int8-tflite", "tiny-int8-tflite")
    )
    assert lfl["1"] == pytest.approx(big / tiny)
    assert rows["tiny-fp32-keras"]["speedup_like_for_like"]["vs"] == "big-fp32-keras"
    assert rows["tiny-fp32-onnx"]["speedup_like_for_like"] is None  # no PRNet ONNX here
    assert rows["big-int8-tflite"]["params"] == rows["big-fp32-keras"]["params"]
    assert rows["tiny-fp32-keras"]["drift_vs_float"]["abs"] == 0.0
    # fp32 TFLite computes the same function as Keras: no NME drift to speak of
    assert abs(rows["tiny-fp32-tflite"]["drift_vs_float"]["rel"]) < 1e-3
    assert rows["tiny-int8-tflite"]["params"] == rows["tiny-fp32-keras"]["params"]
    assert rows["big-fp32-keras"]["gmac"] > rows["tiny-fp32-keras"]["gmac"]


def test_report_files(bench_report) -> None:
    report, paths = bench_report
    md = paths["markdown"].read_text()
    table = [line for line in md.splitlines() if line.startswith("| ")]
    assert len(table) == len(report["rows"]) + 1  # header + one line per row
    assert "| tiny | tflite | int8 |" in md and "Machine:" in md
    assert "Headline: tiny-int8-tflite is" in md and "than big-int8-tflite" in md
    assert json.loads(paths["json"].read_text())["rows"][0]["key"] == "big-fp32-keras"
    assert paths["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gate_passes_a_clean_run_and_fails_a_regression(bench_report, tmp_path) -> None:
    report, _ = bench_report
    base = tmp_path / "base.json"
    base.write_text(json.dumps(report))
    assert cli(["check-regression", "--baseline", str(base), "--candidate", str(base)]) == 0

    worse = copy.deepcopy(report)
    row = next(r for r in worse["rows"] if r["key"] == "tiny-int8-tflite")
    row["nme"] *= 1.05  # +5% relative NME
    cand = tmp_path / "cand.json"
    cand.write_text(json.dumps(worse))
    args = ["check-regression", "--baseline", str(base), "--candidate", str(cand)]
    assert cli([*args, "--max-nme-drift", "2%"]) == 1
    assert cli([*args, "--max-nme-drift", "6%"]) == 0


def _report(nme: float, ms: float, prnet_ms: float, size: int) -> dict:
    def row(key, role, nme, ms, size):
        return {
            "key": key,
            "role": role,
            "nme": nme,
            "bytes": size,
            "latency": {"1": {"median_ms": ms}},
        }

    return {
        "schema": "lprnet.bench/1",
        "settings": {"headline_set": "aflw2000", "faces": {"embedded": 234, "aflw2000": 995}},
        "rows": [row("p", "prnet", 5.0, prnet_ms, 10**7), row("m", "artifact", nme, ms, size)],
    }


def test_compare_each_limit() -> None:
    base = _report(6.0, 1.0, 50.0, 1000)
    ok = compare(base, _report(6.1, 1.0, 50.0, 1000), Limits())
    assert all(c["ok"] for c in ok)
    bad = compare(base, _report(6.2, 1.0, 50.0, 1000), Limits(max_nme_drift=0.02))
    assert [c["check"] for c in bad if not c["ok"]] == ["nme"]
    # a machine twice as slow for every model is not a regression: ratios to PRNet
    slow = compare(base, _report(6.0, 2.0, 100.0, 1000), Limits())
    assert all(c["ok"] for c in slow)
    slower = compare(base, _report(6.0, 2.0, 50.0, 1000), Limits())
    assert [c["check"] for c in slower if not c["ok"]] == ["latency 1T"]
    big = compare(base, _report(6.0, 1.0, 50.0, 1100), Limits())
    assert [c["check"] for c in big if not c["ok"]] == ["size"]
    lost = copy.deepcopy(base)
    lost["rows"] = lost["rows"][:1]
    gone = compare(base, lost, Limits())
    assert [c["check"] for c in gone if not c["ok"]] == ["present"]
    assert "FAILED: the candidate has no such row" in format_checks(gone)
    assert "REGRESSED" in format_checks(bad)


def _failed(base: dict, cand: dict) -> list[tuple[str, str]]:
    return [(c["key"], c["check"]) for c in compare(base, cand, Limits()) if not c["ok"]]


@pytest.mark.parametrize("value", [None, float("nan"), "6.0", True])
def test_gate_fails_closed_on_a_missing_nme(value) -> None:
    base = _report(6.0, 1.0, 50.0, 1000)
    cand = copy.deepcopy(base)
    cand["rows"][1]["nme"] = value
    assert _failed(base, cand) == [("m", "nme")]
    assert _failed(cand, base) == [("m", "nme")]  # a baseline without the number gates nothing
    del cand["rows"][1]["nme"]
    assert _failed(base, cand) == [("m", "nme")]


def test_gate_fails_closed_on_missing_latency_and_every_null() -> None:
    base = _report(6.0, 1.0, 50.0, 1000)
    cand = copy.deepcopy(base)
    cand["rows"][1]["latency"] = {}
    assert _failed(base, cand) == [("m", "latency 1T")]
    cand["rows"][1]["latency"] = {"1": {"error": "timed out"}}
    assert _failed(base, cand) == [("m", "latency 1T")]
    # what an all-null candidate used to pass as "all checks passed"
    nulls = copy.deepcopy(base)
    for r in nulls["rows"]:
        r.update(nme=None, bytes=None, latency={"1": {"median_ms": None}})
    failed = _failed(base, nulls)
    assert ("p", "nme") in failed and ("m", "nme") in failed and ("m", "latency 1T") in failed
    assert ("m", "size") in failed


def test_gate_fails_on_an_empty_baseline_and_another_headline_set() -> None:
    base = _report(6.0, 1.0, 50.0, 1000)
    empty = {**copy.deepcopy(base), "rows": []}
    assert _failed(empty, base) == [("report", "rows")]
    other = copy.deepcopy(base)
    other["settings"] = {"headline_set": "embedded", "faces": {"embedded": 234}}
    assert _failed(other, base) == [("report", "headline set"), ("report", "headline set")]
    fewer = copy.deepcopy(base)
    fewer["settings"]["faces"]["aflw2000"] = 332
    assert _failed(base, fewer) == [("report", "headline set")]
    schema = {**copy.deepcopy(base), "schema": "lprnet.bench/2"}
    assert _failed(base, schema) == [("report", "schema")]
    unlabelled = copy.deepcopy(base)
    del unlabelled["settings"]
    assert ("report", "headline set") in _failed(unlabelled, unlabelled)


def test_gate_cli_exit_codes_name_the_reason(tmp_path, capsys) -> None:
    base = _report(6.0, 1.0, 50.0, 1000)
    nulls = copy.deepcopy(base)
    nulls["rows"][1]["nme"] = None
    (tmp_path / "b.json").write_text(json.dumps(base))
    (tmp_path / "c.json").write_text(json.dumps(nulls))
    args = ["check-regression", "--baseline", str(tmp_path / "b.json")]
    assert cli([*args, "--candidate", str(tmp_path / "c.json")]) == 1
    assert "candidate value missing, null or not a number" in capsys.readouterr().out
    off = ["--max-nme-drift", "off", "--max-latency-increase", "off", "--max-size-increase", "off"]
    assert cli([*args, "--candidate", str(tmp_path / "b.json"), *off]) == 1
    assert "no check was made" in capsys.readouterr().out
    norole = copy.deepcopy(base)
    del norole["rows"][1]["role"]
    (tmp_path / "r.json").write_text(json.dumps(norole))
    assert cli([*args, "--candidate", str(tmp_path / "r.json")]) == 2
    assert "rows[1] has no 'role'" in capsys.readouterr().err
    (tmp_path / "x.json").write_text('{"schema": "lprnet.bench/1", "rows": 3}')
    assert cli([*args, "--candidate", str(tmp_path / "x.json")]) == 2
    assert "rows: expected a list" in capsys.readouterr().err


def test_parse_fraction_and_bad_reports(tmp_path) -> None:
    assert parse_fraction("2%") == pytest.approx(0.02)
    assert parse_fraction("0.5") == 0.5
    with pytest.raises(LprnetError, match="fraction"):
        parse_fraction("two")
    junk = tmp_path / "junk.json"
    junk.write_text("{}")
    with pytest.raises(LprnetError, match="not a `lprnet bench` report"):
        regression.load_report(junk)
    assert cli(["check-regression", "--baseline", str(junk), "--candidate", str(junk)]) == 2


def test_latency_reports_a_broken_model_instead_of_crashing(tmp_path) -> None:
    from benchmarks.latency import measure

    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a flatbuffer")
    res = measure({"bad": str(bad)}, threads=(1,), runs=2)
    assert "error" in res["bad"]["1"]


def test_memory_probe(bench_report) -> None:
    from benchmarks.memory import peak_memory

    report, _ = bench_report
    path = next(r["path"] for r in report["rows"] if r["key"] == "tiny-int8-tflite")
    mem = peak_memory(path)
    assert mem["peak_mb"] >= mem["baseline_mb"] > 10, mem  # Python + LiteRT imported
    assert 0 < mem["model_mb"] < 200, mem
    assert np.isfinite(mem["model_mb"])


def test_a_crashing_or_hanging_subject_is_a_failed_row_and_the_rest_is_measured(
    monkeypatch,
) -> None:
    from bench_faults import faulty_worker

    from benchmarks import latency

    monkeypatch.setattr(latency, "LOAD_TIMEOUT_S", 5.0)
    models = {k: f"/x/{k}" for k in ("a", "crash", "b", "crash-run", "hang", "bad", "c")}
    res = latency.measure(models, threads=(1, 2), runs=4, per_round=2, worker=faulty_worker)
    for key in ("a", "b", "c"):
        for t in ("1", "2"):
            assert res[key][t]["runs"] == 4 and res[key][t]["median_ms"] == 1.0 + int(t)
    for t in ("1", "2"):
        assert "died" in res["crash"][t]["error"] and "died" in res["crash-run"][t]["error"]
        assert "no answer in 5 s" in res["hang"][t]["error"]
        assert res["bad"][t]["error"] == "ValueError: not a model"


def test_rows_that_were_not_measured_say_why(bench_report) -> None:
    from benchmarks.report import markdown

    report = copy.deepcopy(bench_report[0])
    why = "/usr/bin/chromium: no browser (apt-get install -y chromium)"
    for r in report["rows"][2:4]:
        r["latency"]["1"] = {"error": why}
    report["rows"][4]["accuracy"] = {"error": "RuntimeError: broken"}
    md = markdown(report)
    assert "Not measured" in md
    line = next(x for x in md.splitlines() if why in x)
    assert report["rows"][2]["key"] in line and report["rows"][3]["key"] in line
    assert "RuntimeError: broken" in md


def test_a_subject_that_cannot_be_evaluated_is_a_failed_row(tmp_path) -> None:
    from benchmarks.accuracy import evaluate_subjects, headline
    from benchmarks.subjects import Subject

    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a flatbuffer")
    fields = Subject.__dataclass_fields__
    s = Subject(**{k: None for k in fields if k not in ("key", "path", "trained")},
                key="bad", path=bad, trained=True)  # fmt: skip
    from lprnet.evaluation import embedded_faces

    res = evaluate_subjects([s], {"embedded": embedded_faces()[:2]}, progress=False)
    assert "error" in res["bad"] and headline(res["bad"], "embedded") is None


def test_webcam_rows_in_the_report(bench_report) -> None:
    from benchmarks.report import markdown

    report = copy.deepcopy(bench_report[0])
    assert report["webcam"] == []  # no TF.js subject: no webcam rows, no section
    assert "Webcam loop" not in markdown(report)
    timings = {"detect": 0.0, "model": 12.34, "total": 20.06}
    report["webcam"] = [
        {"key": "m-tfjs", "backend": "wasm", "threads": 2, "mode": "tracking", "fps": 31.24,
         "frames": 300, "detector_runs": 11, "ms_per_frame": timings},
        {"key": "m-tfjs", "error": "needs a photo with a face: set LPRNET_DATA or give --data-dir"},
    ]  # fmt: skip
    md = markdown(report)
    assert "| m-tfjs | wasm | 2 | tracking | 31.2 | 300 | 11 | 0.0 / 12.3 / 20.1 |" in md
    assert "not measured: needs a photo with a face" in md


def test_a_registered_design_gets_its_own_size_a_compressed_variant_the_floats() -> None:
    from benchmarks.bench import _design_facts

    params, gmac = _design_facts("lprnet_128_uv64")
    assert 0.7e6 < params < 0.8e6 and gmac == pytest.approx(0.272, abs=0.002)
    assert _design_facts("lprnet_128_pqat") is None  # a QAT export: the float network's shape
