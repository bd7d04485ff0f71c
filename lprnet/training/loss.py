"""PRNet's weighted posmap loss."""

from __future__ import annotations

import numpy as np

from lprnet.tfenv import tf


def weighted_posmap_loss(weight_mask: np.ndarray, normaliser: float | None = None):
    """Per-example weighted squared error of normalised posmaps.

    Parameters
    ----------
    weight_mask : (n, n) array
        PRNet's UV weights (16 : 4 : 3 : 0, :attr:`lprnet.geometry.uv.UVLayout.weight_mask`);
        divided by ``normaliser`` (default: its maximum) so the loss is in the units of the
        posmap's squared error.
    normaliser : float, optional
        Keep PRNet's 16 here when the keypoint pixels weigh more than 16
        (:func:`landmark_weighted_mask`): the rest of the face then keeps its scale.

    Returns
    -------
    callable
        ``loss(target, prediction) -> (B,)``: mean over pixels of ``w * sum_c (p - t)^2``.
    """
    scale = float(np.max(weight_mask)) if normaliser is None else float(normaliser)
    w = tf.constant(np.asarray(weight_mask, np.float32) / scale)

    def loss(target, prediction):
        sq = tf.reduce_sum(tf.square(prediction - target), axis=-1)
        return tf.reduce_mean(sq * w, axis=[1, 2])

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
