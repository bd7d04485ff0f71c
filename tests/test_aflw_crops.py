"""benchmarks/aflw_crops.py: the protocol crop against the detector's, on the same images."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.aflw_crops import landmark_box, match_detection


def test_match_detection_takes_the_overlapping_box() -> None:
    lm = np.array([[10.0, 20.0, 0.0], [50.0, 70.0, 1.0], [30.0, 40.0, 2.0]])
    np.testing.assert_array_equal(landmark_box(lm), [10, 20, 50, 70])
    boxes = np.array([[200, 200, 260, 260, 0.99], [12, 18, 52, 66, 0.7], [0, 0, 30, 30, 0.9]])
    assert match_detection(boxes, lm) == 1
    assert match_detection(boxes[[0]], lm) is None  # no overlap: not this face
    assert match_detection(np.zeros((0, 5)), lm) is None


@pytest.mark.data
def test_protocol_row_is_what_eval_reads(data_dir, tmp_path) -> None:
    """The protocol crop through the Reconstructor scores what ``lprnet eval`` scores; the
    detector's crops are scored on the same images and differ."""
    from benchmarks.aflw_crops import main
    from lprnet.evaluation import aflw2000_benchmark, evaluate
    from lprnet.predictors import load_predictor

    root = data_dir / "samples" / "aflw2000"
    out = tmp_path / "crops.json"
    args = ["--aflw", str(root), "--data-dir", str(data_dir), "--refine", "1"]
    main(["lprnet_128", *args, "--json", str(out)])
    result = json.loads(out.read_text())
    assert result["images"] + len(result["missed"]) == 4 and result["images"] >= 3
    rows = result["lprnet_128"]
    assert list(rows) == [
        "protocol (ground-truth landmarks)",
        "detector",
        "detector + 1 re-crop",
    ]
    faces = [f for f in aflw2000_benchmark(root, data_dir) if f.name not in result["missed"]]
    ref = evaluate(faces, load_predictor("lprnet_128", None), progress=False)
    bins = ref["summary"]["nme_2d_sparse"]["bins"]
    protocol = rows["protocol (ground-truth landmarks)"]["bins"]
    for label, b in bins.items():
        if np.isnan(b["mean"]):
            assert protocol[label] is None  # an empty bin
        else:
            assert protocol[label] == pytest.approx(b["mean"], abs=1e-4)
    assert rows["detector"]["bins"] != protocol
