"""PRNet's resfcn256 (Feng et al., ECCV 2018), exactly as the official ``predictor.py``.

Encoder: 4x4 conv 16, then 10 residual blocks (16 -> 512 channels, 256 -> 8 px); decoder:
17 transposed convs (4x4, BN + ReLU, no bias), the last with a sigmoid. ~13.37 M parameters,
~4.13 GMAC. Input RGB / 255 at 256x256, output posmap / (256 * 1.1).
"""

from __future__ import annotations

from lprnet.models.layers import BN_EPSILON, BN_MOMENTUM, image_input, keras, layers


def _bn(name: str):
    return layers.BatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON, name=name)


def _conv(x, filters: int, kernel: int, stride: int, name: str, bn_relu: bool = True):
    x = layers.Conv2D(filters, kernel, stride, padding="same", use_bias=False, name=name)(x)
    if bn_relu:
        x = _bn(f"{name}_bn")(x)
        x = layers.ReLU(name=f"{name}_relu")(x)
    return x


def res_block(x, filters: int, stride: int, name: str):
    """PRNet's resBlock: 1x1 (f/2) -> 4x4 (f/2, stride) -> 1x1 (f, linear) + shortcut, BN, ReLU."""
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(
            filters, 1, stride, padding="same", use_bias=False, name=f"{name}_shortcut"
        )(x)
    x = _conv(x, filters // 2, 1, 1, f"{name}_conv1")
    x = _conv(x, filters // 2, 4, stride, f"{name}_conv2")
    x = _conv(x, filters, 1, 1, f"{name}_conv3", bn_relu=False)
    x = layers.Add(name=f"{name}_add")([x, shortcut])
    x = _bn(f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


#: (filters, stride) of the encoder's residual blocks and the decoder's transposed convs.
ENCODER = [
    (32, 2),
    (32, 1),
    (64, 2),
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
]
DECODER = [
    (512, 1),
    (256, 2),
    (256, 1),
    (256, 1),
    (128, 2),
    (128, 1),
    (128, 1),
    (64, 2),
    (64, 1),
    (64, 1),
    (32, 2),
    (32, 1),
    (16, 2),
    (16, 1),
    (3, 1),
    (3, 1),
    (3, 1),
]


def prnet_256(size: int = 256) -> keras.Model:
    """The full PRNet at ``size`` x ``size`` (256 in the paper)."""
    inp = image_input(size)
    x = _conv(inp, 16, 4, 1, "enc_conv")
    for i, (f, s) in enumerate(ENCODER):
        x = res_block(x, f, s, f"enc_res{i}")
    for i, (f, s) in enumerate(DECODER):
        last = i == len(DECODER) - 1
        x = layers.Conv2DTranspose(f, 4, s, padding="same", use_bias=False, name=f"dec_convt{i}")(x)
        x = _bn(f"dec_convt{i}_bn")(x)
        x = layers.Activation(
            "sigmoid" if last else "relu", name="posmap" if last else f"dec{i}_relu"
        )(x)
    return keras.Model(inp, x, name="prnet_256")
