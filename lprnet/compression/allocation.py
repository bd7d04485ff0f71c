"""Per-layer pruning targets: how much of each layer to zero for a whole-network sparsity.

Uniform pruning zeros the same fraction of every layer. A layer's cost of losing weights is not
uniform: the 4 and 8 px layers of the L-PRNet hold two thirds of its weights and little of its
detail, the 32-128 px decoder little weight and all of it. The **sensitivity** allocation
(Distiller's sensitivity analysis, allocated greedily) measures, one layer at a time, how far
the network's posmap moves from the float model's when that layer alone is magnitude-pruned to
each level of a grid, on training crops (never an evaluation image), and then raises, one
grid step at a time, the layer whose next step costs least per zeroed weight, until the
pruned layers hold the target fraction of zeros.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

#: The sparsity grid of the sensitivity scan (and the most one layer is given).
LEVELS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def allocate(
    sizes: Mapping[str, int],
    costs: Mapping[str, Sequence[float]],
    target: float,
    levels: Sequence[float] = LEVELS,
) -> dict[str, float]:
    """Per-layer sparsity reaching ``target`` zeros over the layers at the least summed cost.

    Parameters
    ----------
    sizes : dict
        Layer name -> number of kernel weights.
    costs : dict
        Layer name -> cost at each of ``levels`` (e.g. the output deviation with that layer
        alone pruned to that level); the first level must be 0 (no pruning). Non-monotone
        measurements are made monotone (a level costs at least what a lower one does).
    target : float
        Fraction of zeros over all the layers of ``sizes``, in [0, max(levels)].
    levels : sequence of float
        The sparsity grid, increasing, starting at 0.

    Returns
    -------
    dict
        Layer name -> sparsity (one of ``levels``); the weighted mean is >= ``target`` and
        exceeds it by less than one grid step of one layer.
    """
    grid = np.asarray(levels, np.float64)
    if grid[0] != 0.0 or np.any(np.diff(grid) <= 0):
        raise ValueError(f"levels must increase from 0, got {list(levels)}")
    if not 0.0 <= target <= grid[-1]:
        raise ValueError(f"target sparsity must be in [0, {grid[-1]:g}], got {target}")
    names = list(sizes)
    missing = [n for n in names if n not in costs or len(costs[n]) != len(grid)]
    if missing:
        raise ValueError(f"costs: expected {len(grid)} values for layers {missing}")
    n = np.array([sizes[k] for k in names], np.float64)
    c = np.maximum.accumulate(np.array([costs[k] for k in names], np.float64), axis=1)
    at = np.zeros(len(names), int)
    need = target * n.sum()
    while (grid[at] * n).sum() < need - 1e-9:
        open_ = at < len(grid) - 1
        step = np.where(open_, at + 1, at)
        gain = (grid[step] - grid[at]) * n  # weights zeroed by the next step
        price = np.where(open_, (c[np.arange(len(n)), step] - c[np.arange(len(n)), at]), np.inf)
        pick = int(np.argmin(np.where(open_, price / np.maximum(gain, 1e-12), np.inf)))
        at[pick] += 1
    return {k: float(grid[i]) for k, i in zip(names, at, strict=True)}


def magnitude_prune(kernel: np.ndarray, fraction: float) -> np.ndarray:
    """``kernel`` with its ``fraction`` smallest-magnitude weights set to 0 (tfmot's criterion
    within one layer)."""
    k = np.asarray(kernel)
    count = int(round(fraction * k.size))
    if count <= 0:
        return k.copy()
    flat = k.ravel().copy()
    flat[np.argsort(np.abs(flat), kind="stable")[:count]] = 0
    return flat.reshape(k.shape)


def sensitivity(
    model,
    layers: Sequence[str],
    images: np.ndarray,
    weight_mask: np.ndarray,
    levels: Sequence[float] = LEVELS,
    batch_size: int = 32,
    progress: bool = True,
) -> dict[str, list[float]]:
    """Output deviation of ``model`` with each of ``layers`` alone magnitude-pruned per level.

    Parameters
    ----------
    model : tf_keras.Model
        The float network (its kernels are restored after each measurement).
    layers : sequence of str
        Names of the layers to scan.
    images : (N, S, S, 3) float32 in [0, 1]
        Training crops (never the images a report scores).
    weight_mask : (S, S) array
        The loss weight per posmap pixel (the fine-tuning loss's mask).
    levels : sequence of float

    Returns
    -------
    dict
        Layer name -> the weighted mean squared posmap deviation from the unpruned output at
        each level (model output units; 0 at level 0).
    """
    from tqdm import tqdm

    w = np.asarray(weight_mask, np.float64)[None, :, :, None]

    def predict() -> np.ndarray:
        outs = [
            model(images[i : i + batch_size], training=False).numpy()
            for i in range(0, len(images), batch_size)
        ]
        return np.concatenate(outs).astype(np.float64)

    ref = predict()
    result: dict[str, list[float]] = {}
    bar = tqdm(total=len(layers) * (len(levels) - 1), desc="sensitivity", disable=not progress)
    for name in layers:
        layer = model.get_layer(name)
        kernel = layer.kernel.numpy()
        row = [0.0]
        for level in levels[1:]:
            layer.kernel.assign(magnitude_prune(kernel, level))
            dev = predict() - ref
            row.append(float((w * dev**2).sum() / (w.sum() * dev.shape[0] * dev.shape[-1])))
            bar.update(1)
        layer.kernel.assign(kernel)
        result[name] = row
    bar.close()
    return result
