"""benchmarks/aflw_conditions.py: crop conditions and their per-bin split."""

from __future__ import annotations

import numpy as np

from benchmarks.aflw_conditions import (
    black_share,
    is_gray,
    perturbations,
    perturbed,
    split_by_condition,
)


def test_black_share_and_gray() -> None:
    crop = np.full((10, 10, 3), 120, np.uint8)
    crop[:, :3] = 0
    crop[0, 5] = (2, 1, 0)  # at most BLACK_LEVEL in every channel: black
    assert black_share(crop) == 0.31
    assert is_gray(crop)
    crop[..., 0] = 200
    assert not is_gray(crop)


def test_split_by_condition_per_yaw_bin() -> None:
    yaws = [5, -20, 45, 50, 80]
    nme = [0.02, 0.04, 0.05, 0.07, 0.10]
    flags = [True, False, True, True, False]
    out = split_by_condition(yaws, nme, flags)
    assert [c["images"] for c in out["with"]] == [1, 2, 0]
    assert [c["images"] for c in out["without"]] == [1, 0, 1]
    assert out["with"][0]["nme"] == 2.0 and abs(out["with"][1]["nme"] - 6.0) < 1e-9
    assert out["with"][2]["nme"] is None and out["without"][1]["nme"] is None


def test_perturbations_are_what_they_say() -> None:
    rng = np.random.default_rng(0)
    images = (0.3 + 0.4 * rng.random((3, 32, 32, 3))).astype(np.float32)
    conds = perturbations()
    np.testing.assert_array_equal(perturbed(images, conds["clean"]), images)
    grey = perturbed(images, conds["grey"])
    assert np.allclose(grey[..., 0], grey[..., 2])
    border = perturbed(images, conds["black border (p=1)"])
    black = (border == 0).all(-1)
    assert black.any(axis=(1, 2)).sum() >= 2  # each side with p 1/2: most images get a strip
    np.testing.assert_array_equal(border[~black], images[~black])
    # deterministic
    np.testing.assert_array_equal(perturbed(images, conds["black border (p=1)"]), border)
