"""benchmarks/aflw_conditions.py: crop conditions and their per-bin split."""

from __future__ import annotations

import numpy as np

from benchmarks.aflw_conditions import (
    black_share,
    degradations,
    degraded,
    is_gray,
    noise_sigma,
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


def test_noise_sigma_reads_white_noise_and_ignores_ramps() -> None:
    rng = np.random.default_rng(0)
    ramp = np.add.outer(np.arange(128.0), 0.5 * np.arange(128.0))  # a plane: no second derivative
    assert noise_sigma(ramp) < 1e-3
    for sd in (2.0, 5.0):
        assert abs(noise_sigma(ramp + rng.normal(0.0, sd, ramp.shape)) - sd) < 0.05 * sd


def test_degradations_are_what_they_say() -> None:
    rng = np.random.default_rng(1)
    smooth = np.linspace(0.2, 0.8, 64, dtype=np.float32)
    images = np.repeat(np.add.outer(smooth, smooth)[None, ..., None] / 2, 3, axis=-1)
    images = np.concatenate([images, (0.3 + 0.4 * rng.random((1, 64, 64, 3))).astype(np.float32)])
    faults = degradations()
    for name, fault in faults.items():
        out = degraded(images, fault)
        assert out.shape == images.shape and out.dtype == np.float32, name
        assert 0.0 <= out.min() and out.max() <= 1.0, name
        np.testing.assert_array_equal(degraded(images, fault), out)  # seeded
    noisy = degraded(images, faults["noise sd 0.04"])
    assert abs(noise_sigma(255 * noisy[0, ..., 0]) - 255 * 0.04) < 1.0
    # blur and low resolution take detail out of the random image; JPEG changes it
    for name in ("blur sigma 1.5 px", "low res 32 px"):
        out = degraded(images, faults[name])
        assert noise_sigma(255 * out[1, ..., 0]) < 0.5 * noise_sigma(255 * images[1, ..., 0])
    assert not np.allclose(degraded(images, faults["JPEG q20"])[1], images[1], atol=1e-3)
