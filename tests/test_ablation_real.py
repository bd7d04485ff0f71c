"""benchmarks/ablation_real.py tabulates training runs of the registered designs."""

from __future__ import annotations

import json

import pytest

from benchmarks.ablation_real import main, run_row

BINS = ("[0, 30]", "(30, 60]", "(60, 90]")


def _record(name: str, vals: list[float]) -> dict:
    epochs = [{"epoch": k + 1, "step": 10 * (k + 1), "val_nme_2d": v} for k, v in enumerate(vals)]
    return {
        "model": {"name": name, "params": 758059, "gmac": 0.380749824},
        "config": {"epochs": 5},
        "steps_per_epoch": 10,
        "steps": 10 * len(vals),
        "epochs": epochs,
    }


def _aflw(mean: float) -> dict:
    """An ``lprnet eval --json`` summary: each metric's mean, yaw-bin means and counts."""

    def metric(m: float) -> dict:
        bins = {k: {"count": 3, "mean": m + d} for k, d in zip(BINS, (-1, 0, 1), strict=True)}
        return {"mean": m, "bins": bins, "count": 9}

    names = ("nme_2d_sparse", "nme_3d_sparse", "nme_3d_dense")
    return {"summary": {k: metric(mean + d) for k, d in zip(names, (0, 2, 3), strict=True)}}


def test_row_reads_the_best_epoch_and_the_protocol_bins() -> None:
    row = run_row(_record("lprnet_128", [9.0, 7.256, 7.5]), _aflw(8.0))
    assert row["val"] == [9.0, 7.26, 7.5] and row["best_epoch"] == 2
    assert row["steps"] == 30 and row["planned_steps"] == 50
    assert row["params_m"] == 0.76 and row["gmac"] == 0.381
    assert row["aflw"] == {"mean": 8.0, "[0, 30]": 7.0, "(30, 60]": 8.0, "(60, 90]": 9.0}
    assert row["aflw_3d"] == {"sparse": 10.0, "dense": 11.0}
    assert run_row(_record("x", [5.0]), None)["aflw"] is None


def test_cli_pads_unfinished_runs_and_writes_json(tmp_path, capsys) -> None:
    done, partial = tmp_path / "lprnet_128", tmp_path / "lprnet_128_seed"
    for run, vals in ((done, [9.0, 8.0]), (partial, [9.5])):
        run.mkdir()
        (run / "record.json").write_text(json.dumps(_record(run.name, vals)))
    (done / "aflw.json").write_text(json.dumps(_aflw(6.0)))
    out = tmp_path / "rows.json"
    assert main([str(done), str(partial), "--json", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].startswith("| `lprnet_128` | 0.76 M | 0.381 | 9.00 | 8.00 | 5.00 |")
    assert lines[3].endswith("| 9.50 | - | - | - | - | - | - | - |")
    assert [r["model"] for r in json.loads(out.read_text())["runs"]] == [done.name, partial.name]


def test_cli_names_a_folder_that_is_not_a_run(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit):
        main([str(tmp_path)])
    assert "no record.json" in capsys.readouterr().err
