"""Per-layer pruning targets: the greedy allocation, the sensitivity scan, per-layer tfmot."""

from __future__ import annotations

import numpy as np
import pytest
from test_compression import _images, _weight_mask, tiny_model

from lprnet.compression import allocation, finetune, sparsity

# isort: off
import tensorflow_model_optimization as tfmot

# isort: on

LEVELS = allocation.LEVELS


def test_allocation_prunes_the_big_insensitive_layer_and_meets_the_target() -> None:
    sizes = {"big": 9000, "small": 1000}
    costs = {
        "big": [0.01 * s for s in LEVELS],  # cheap per zeroed weight
        "small": [10.0 * s for s in LEVELS],
    }
    out = allocation.allocate(sizes, costs, 0.5)
    assert out["big"] > out["small"]
    mean = sum(out[k] * sizes[k] for k in sizes) / sum(sizes.values())
    assert 0.5 <= mean < 0.5 + 0.1 * 9000 / 10000
    # equal layers with the same convex cost: both pruned to the target
    convex = [s**2 for s in LEVELS]
    flat = allocation.allocate({"a": 100, "b": 100}, {"a": convex, "b": convex}, 0.4)
    assert flat == {"a": 0.4, "b": 0.4}


def test_allocation_makes_costs_monotone_and_checks_its_input() -> None:
    # a measured dip (noise) is read as its monotone envelope
    dip = [0.0, 1.0, 2.0, 0.1, 4.0, 5.0, 6.0, 7.0, 8.0]
    env = list(np.maximum.accumulate(dip))
    sizes = {"a": 100, "b": 100}
    for target in (0.1, 0.2, 0.5):
        got = allocation.allocate(sizes, {"a": dip, "b": [x * 0.9 for x in dip]}, target)
        assert got == allocation.allocate(sizes, {"a": env, "b": [x * 0.9 for x in env]}, target)
    with pytest.raises(ValueError, match="expected 9 values"):
        allocation.allocate({"a": 1}, {"a": [0.0, 1.0]}, 0.5)
    with pytest.raises(ValueError, match="target sparsity"):
        allocation.allocate({"a": 1}, {"a": list(LEVELS)}, 0.95)


def test_magnitude_prune_zeros_the_smallest_weights() -> None:
    k = np.array([[0.5, -0.1], [0.05, -2.0]])
    np.testing.assert_array_equal(allocation.magnitude_prune(k, 0.5), [[0.5, 0.0], [0.0, -2.0]])
    np.testing.assert_array_equal(allocation.magnitude_prune(k, 0.0), k)


def test_sensitivity_scan_restores_the_model_and_grows_with_sparsity() -> None:
    model = tiny_model(transpose=False)
    images = (_images(4) / 255.0).astype(np.float32)
    before = model.predict(images, verbose=0)
    names = sparsity.prunable_layers(model)
    scan = allocation.sensitivity(model, names, images, _weight_mask(), progress=False)
    assert set(scan) == set(names)
    for row in scan.values():
        assert len(row) == len(LEVELS) and row[0] == 0.0
        assert row[-1] > row[1] >= 0.0
    np.testing.assert_array_equal(model.predict(images, verbose=0), before)


def test_prune_takes_a_target_per_layer() -> None:
    model = tiny_model(transpose=False)
    wrapped = sparsity.prune(model, {"pw": 0.25, "mid": 0.75, "up_conv": 0.0}, 0, 4)
    ds = finetune.distillation_dataset(_images(), tiny_model(False), batch_size=4, seed=0)
    cb = [tfmot.sparsity.keras.UpdatePruningStep()]
    finetune.fit(wrapped, ds, 6, 1e-3, _weight_mask(), cb, progress=False)
    layers = sparsity.keras_sparsity(sparsity.strip(wrapped))["layers"]
    assert abs(layers["pw"] - 0.25) < 0.02 and abs(layers["mid"] - 0.75) < 0.02, layers
    assert layers["up_conv"] < 0.01
    with pytest.raises(ValueError, match="not prunable"):
        sparsity.prune(tiny_model(False), {"stem": 0.5})


def test_compress_layer_targets_scan_once_and_meet_the_sparsity(tmp_path) -> None:
    from lprnet.compression.compress import CompressConfig, layer_targets

    model = tiny_model(transpose=True)
    images = (_images(4) / 255.0).astype(np.float32)
    assert (
        layer_targets(CompressConfig(sparsity=0.5), tmp_path, model, images, _weight_mask()) == 0.5
    )
    config = CompressConfig(sparsity=0.5, allocation="sensitivity")
    targets = layer_targets(config, tmp_path, model, images, _weight_mask(), progress=False)
    sizes = {k: model.get_layer(k).kernel.shape.num_elements() for k in targets}
    assert sum(targets[k] * sizes[k] for k in sizes) / sum(sizes.values()) >= 0.5
    scan = tmp_path / "sensitivity.json"
    assert scan.is_file()
    mtime = scan.stat().st_mtime_ns  # a resumed run reads the scan back: same targets
    assert layer_targets(config, tmp_path, model, images, _weight_mask()) == targets
    assert scan.stat().st_mtime_ns == mtime


def test_compress_refuses_a_sparsity_the_allocation_cannot_reach(tmp_path) -> None:
    from lprnet.compression.compress import CompressConfig, compress
    from lprnet.errors import LprnetError

    src = tmp_path / "tiny.keras"
    tiny_model(transpose=False).save(src)
    config = CompressConfig(model=str(src), sparsity=0.9, allocation="sensitivity")
    with pytest.raises(LprnetError, match="at most 80% zeros"):
        compress(config, tmp_path / "out", progress=False)
