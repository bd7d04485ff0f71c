"""benchmarks/training_curve.py reads run records and shipped records alike."""

from __future__ import annotations

import json
import math

from benchmarks.training_curve import curve, main


def _epochs() -> list[dict]:
    return [
        {"epoch": 1, "step": 10, "val_nme_2d": 5.0, "aflw_nme_2d": 7.0},
        {"epoch": 2, "step": 20, "val_nme_2d": 4.5},
    ]


def test_run_and_shipped_records_give_the_same_curve() -> None:
    run = {"config": {"batch_size": 16}, "epochs": _epochs()}
    shipped = {"training": {"batch_size": 16, "epochs": _epochs()}}
    for record in (run, shipped):
        c = curve(record, start=1000)
        assert c["samples"] == [1160, 1320] and c["val"] == [5.0, 4.5]
        assert c["aflw"][0] == 7.0 and math.isnan(c["aflw"][1])


def test_cli_plots_a_chain_of_stages(tmp_path, capsys) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "record.json").write_text(
        json.dumps({"config": {"batch_size": 16}, "epochs": _epochs()})
    )
    (tmp_path / "stage_6.record.json").write_text(
        json.dumps({"training": {"batch_size": 16, "epochs": _epochs()}})
    )
    out = tmp_path / "c.png"
    args = [str(tmp_path / "stage_6.record.json"), f"{tmp_path / 'run' / 'record.json'}:320"]
    assert main([*args, "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = capsys.readouterr().out
    assert "stage_6" in text and "run" in text and "640" in text


def test_projection_meets_a_target_on_a_log_linear_curve() -> None:
    from benchmarks.training_curve import projection, stage_end

    points = [(1000, 6.0), (2000, 5.5), (4000, 5.0)]  # -0.5 a doubling
    fit = projection(points, [4.0, 7.0])
    assert math.isclose(fit["per_doubling"], -0.5)
    assert math.isclose(fit["samples"][4.0], 16000) and math.isclose(fit["samples"][7.0], 250)
    assert projection([(1000, 5.0), (2000, 5.5)], [4.0])["samples"][4.0] is None  # rising
    shipped = {
        "training": {"batch_size": 16, "epochs": _epochs()},
        "eval_aflw2000": {"nme_2d_sparse": {"mean": 5.25}},
    }
    assert stage_end(shipped, start=1000) == (1320, 5.25)
    assert stage_end({"training": {"batch_size": 16, "epochs": _epochs()}}) is None
