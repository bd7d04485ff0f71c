"""PRNet's weighted posmap loss, on the squared error (PRNet's) or on the distance."""

from __future__ import annotations

import numpy as np

from lprnet.tfenv import tf

#: What the loss weighs per pixel: PRNet's squared error or the error's length (the NME's unit).
DISTANCES = ("squared", "euclidean")

#: Added under the square root of the euclidean distance so its gradient stays finite at 0
#: (1e-4 of the posmap's normalised units, ~0.01 px at 128).
EUCLIDEAN_EPS = 1e-8


def weighted_posmap_loss(
    weight_mask: np.ndarray, normaliser: float | None = None, distance: str = "squared"
):
    """Per-example weighted error of normalised posmaps.

    Parameters
    ----------
    weight_mask : (n, n) array
        PRNet's UV weights (16 : 4 : 3 : 0, :attr:`lprnet.geometry.uv.UVLayout.weight_mask`);
        divided by ``normaliser`` (default: its maximum) so the loss is in the units of the
        posmap's error.
    normaliser : float, optional
        Keep PRNet's 16 here when the keypoint pixels weigh more than 16
        (:func:`landmark_weighted_mask`): the rest of the face then keeps its scale.
    distance : {"squared", "euclidean"}
        ``squared`` (PRNet): ``d = sum_c (p - t)^2``; ``euclidean``: ``d = sqrt(sum_c (p -
        t)^2)``, the error's length, what the NME averages: a face twice as far off weighs
        twice, not four times.

    Returns
    -------
    callable
        ``loss(target, prediction) -> (B,)``: mean over pixels of ``w * d``.
    """
    if distance not in DISTANCES:
        raise ValueError(f"loss distance must be one of {DISTANCES}, got {distance!r}")
    euclidean = distance == "euclidean"
    scale = float(np.max(weight_mask)) if normaliser is None else float(normaliser)
    w = tf.constant(np.asarray(weight_mask, np.float32) / scale)

    def loss(target, prediction):
        d = tf.reduce_sum(tf.square(prediction - target), axis=-1)
        if euclidean:
            d = tf.sqrt(d + EUCLIDEAN_EPS)
        return tf.reduce_mean(d * w, axis=[1, 2])

    return loss


def landmark_weighted_mask(
    weight_mask: np.ndarray, keypoint_pixels: np.ndarray, weight: float
) -> np.ndarray:
    """PRNet's mask with the 68 keypoint pixels re-weighted (PRNet: 16).

    The 68 pixels are 3% of PRNet's total weight at 128 (1,088 of 36,768), although the 2D NME
    is read only there; ``weight`` 256 gives them a third.

    Parameters
    ----------
    weight_mask : (n, n) array
    keypoint_pixels : (2, 68) int
        Rows ``x`` and ``y`` (:attr:`lprnet.geometry.uv.UVLayout.keypoint_pixels`).
    weight : float
        The keypoint pixels' weight, in the mask's units.

    Returns
    -------
    (n, n) float32
    """
    if weight <= 0:
        raise ValueError(f"landmark weight must be > 0, got {weight}")
    w = np.array(weight_mask, np.float32)
    kx, ky = np.asarray(keypoint_pixels)
    w[ky, kx] = weight
    return w
