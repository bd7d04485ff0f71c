"""Building blocks shared by the posmap networks (tf_keras)."""

from __future__ import annotations

import tf_keras as keras
from tf_keras import layers

from lprnet.tfenv import tf  # noqa: F401  (legacy Keras before tf_keras)

BN_MOMENTUM = 0.99
BN_EPSILON = 1e-3


def conv_bn_relu(x, filters: int, kernel: int, stride: int, name: str):
    """Conv (no bias) + BatchNorm + ReLU."""
    x = layers.Conv2D(filters, kernel, stride, padding="same", use_bias=False, name=f"{name}_conv")(
        x
    )
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON, name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def separable_block(x, filters: int, stride: int, name: str):
    """MobileNet v1 block: depthwise 3x3 + BN + ReLU, pointwise 1x1 + BN + ReLU."""
    x = layers.DepthwiseConv2D(3, stride, padding="same", use_bias=False, name=f"{name}_dw")(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON, name=f"{name}_dw_bn")(x)
    x = layers.ReLU(name=f"{name}_dw_relu")(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pw")(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON, name=f"{name}_pw_bn")(x)
    return layers.ReLU(name=f"{name}_pw_relu")(x)


def residual_block(x, name: str):
    """``relu(x + BN(pointwise(relu(BN(depthwise 3x3(x))))))`` with the last BN's scale starting
    at 0: for a non-negative ``x`` (a ReLU output) the block starts as the identity, so it adds
    capacity to a trained network without changing its output when the weights move by name."""
    filters = int(x.shape[-1])
    y = layers.DepthwiseConv2D(3, 1, padding="same", use_bias=False, name=f"{name}_dw")(x)
    y = layers.BatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON, name=f"{name}_dw_bn")(y)
    y = layers.ReLU(name=f"{name}_dw_relu")(y)
    y = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pw")(y)
    y = layers.BatchNormalization(
        momentum=BN_MOMENTUM, epsilon=BN_EPSILON, gamma_initializer="zeros", name=f"{name}_pw_bn"
    )(y)
    x = layers.Add(name=f"{name}_add")([x, y])
    return layers.ReLU(name=f"{name}_relu")(x)


def posmap_head(x, name: str = "head", output: str = "posmap"):
    """3x3 conv with bias to the 3 posmap channels, sigmoid (targets are posmap / (n * 1.1))."""
    x = layers.Conv2D(3, 3, padding="same", name=f"{name}_conv")(x)
    return layers.Activation("sigmoid", name=output)(x)


def image_input(size: int) -> keras.Input:
    """(size, size, 3) RGB in [0, 1]."""
    return keras.Input((size, size, 3), name="image")
