"""AFLW2000-3D diagnostics: NME by |yaw| x |pitch| cell, the label floor of our labelling, and
two models compared image by image."""

from __future__ import annotations

import pytest

from benchmarks.aflw_paired import paired
from benchmarks.aflw_pose_breakdown import pose_cells


def test_cells_split_by_absolute_yaw_and_pitch() -> None:
    yaws = [5.0, -10.0, 45.0, -80.0, 20.0]
    pitches = [-3.0, 8.0, 15.0, -35.0, 25.0]
    nme = [0.02, 0.04, 0.05, 0.09, 0.07]
    cells = pose_cells(yaws, pitches, nme)
    frontal = cells["yaw 0-30, pitch 0-10"]
    assert frontal["images"] == 2 and frontal["nme"] == pytest.approx(3.0)
    assert cells["yaw 30-60, pitch 10-20"] == {"images": 1, "nme": pytest.approx(5.0)}
    assert cells["yaw 60-90, pitch 30-90"] == {"images": 1, "nme": pytest.approx(9.0)}
    assert cells["all yaw, pitch 20-30"] == {"images": 1, "nme": pytest.approx(7.0)}
    # an empty cell has no mean rather than a zero
    assert cells["yaw 60-90, pitch 0-10"] == {"images": 0, "nme": None}
    assert sum(c["images"] for k, c in cells.items() if k.startswith("all yaw")) == 5


def test_paired_difference_over_the_shared_images() -> None:
    a = {"x": (5.0, 0.04), "y": (10.0, 0.05), "z": (45.0, 0.06), "only_a": (80.0, 0.5)}
    b = {"x": (5.0, 0.03), "y": (10.0, 0.04), "z": (45.0, 0.07)}
    out = paired(a, b)
    assert out["images"] == 3
    diff = out["difference"]
    assert diff["all"]["mean"] == pytest.approx(-1 / 3) and diff["all"]["count"] == 3
    assert diff["all"]["b_better"] == pytest.approx(2 / 3)
    assert diff["[0, 30]"] == {"mean": pytest.approx(-1.0), "se": 0.0, "b_better": 1.0, "count": 2}
    # one image: no standard error; an empty bin: nothing to say, and no protocol mean
    assert diff["(30, 60]"]["se"] is None and diff["(60, 90]"]["count"] == 0
    assert not out["a"]["defined"] and out["b"]["bins"]["[0, 30]"]["mean"] == pytest.approx(3.5)
    with pytest.raises(SystemExit, match="no image"):
        paired(a, {})


@pytest.mark.data
def test_label_floor_fits_the_hand_landmarks(data_dir) -> None:
    """Our labelling of the hand re-annotation follows it (the fit) and differs from 3DDFA's
    pts68 by more than the fit: the two label sets disagree."""
    import dataclasses

    import numpy as np

    from benchmarks.aflw_reannotated import label_predictor, reannotated_faces
    from lprnet.evaluation import aflw2000_benchmark

    faces = aflw2000_benchmark(data_dir / "AFLW2000", data_dir)[:6]
    manual = reannotated_faces(faces, data_dir / "aflw2000-3d-gt")
    predict = label_predictor(faces, manual, data_dir)
    for face, hand in zip(faces, manual, strict=True):
        lm = predict(dataclasses.replace(face, params=None)).landmarks[:, :2]
        norm = np.sqrt(np.prod(np.ptp(hand.gt_landmarks[:, :2], 0)))
        to_hand = np.linalg.norm(lm - hand.gt_landmarks[:, :2], axis=1).mean() / norm
        to_fits = np.linalg.norm(lm - face.gt_landmarks[:, :2], axis=1).mean() / norm
        assert to_hand < 0.03, (face.name, to_hand)
        assert to_hand < to_fits, face.name


@pytest.mark.data
def test_flip_test_benchmark_scores_both_ways(data_dir, tmp_path) -> None:
    """benchmarks/flip_test.py on the four AFLW2000-3D samples: both ways scored on the same
    images, a LiteRT file timed both ways, and the table printed from the result."""
    import json

    from benchmarks.flip_test import main
    from export.api import export_model

    tflite = export_model("lprnet_128", "tflite", "fp32", tmp_path / "e", parity=False).path
    out = tmp_path / "flip.json"
    args = [str(tflite), "--aflw", str(data_dir / "samples" / "aflw2000"), "--runs", "3"]
    assert main([*args, "--data-dir", str(data_dir), "--json", str(out)]) == 0
    (row,) = json.loads(out.read_text())["models"].values()
    plain, flip = row["plain"], row["flip"]
    for way in (plain, flip):
        assert way["nme_2d_sparse"]["count"] == 4 and way["nme_2d_sparse"]["mean"] is None
        assert way["latency_1t"]["median_ms"] > 0
    assert plain["nme_2d_sparse"]["bins"] != flip["nme_2d_sparse"]["bins"]
