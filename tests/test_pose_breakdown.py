"""benchmarks/aflw_pose_breakdown.py: per-image NME split by |yaw| x |pitch| cell."""

from __future__ import annotations

import pytest

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
