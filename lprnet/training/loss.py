"""PRNet's weighted posmap loss."""

from __future__ import annotations

import numpy as np

from lprnet.tfenv import tf


def weighted_posmap_loss(weight_mask: np.ndarray):
    """Per-example weighted squared error of normalised posmaps.

    Parameters
    ----------
    weight_mask : (n, n) array
        PRNet's UV weights (16 : 4 : 3 : 0, :attr:`lprnet.geometry.uv.UVLayout.weight_mask`);
        divided by its maximum so the loss is in the units of the posmap's squared error.

    Returns
    -------
    callable
        ``loss(target, prediction) -> (B,)``: mean over pixels of ``w * sum_c (p - t)^2``.
    """
    w = tf.constant(np.asarray(weight_mask, np.float32) / float(np.max(weight_mask)))

    def loss(target, prediction):
        sq = tf.reduce_sum(tf.square(prediction - target), axis=-1)
        return tf.reduce_mean(sq * w, axis=[1, 2])

    return loss
