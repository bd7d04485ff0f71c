"""L-PRNet: 128x128 posmap networks for the edge.

* ``lprnet_128_seed``: the seed design (3x3 conv s2, 8 depthwise-separable blocks to 4x4x512,
  transposed-conv decoder 512-256-128-64-32 -> 3, sigmoid): ~4.5 M parameters, 79% of them in
  the first two transposed convs.
* ``lprnet_128``: the shipped design. A width-scaled MobileNet encoder to 4x4, and a decoder of
  nearest-neighbour x2 upsampling with additive skip connections from the encoder (U-Net
  style): depthwise-separable blocks at 8 and 16 px, dense 3x3 convs at 32, 64 and 128 px where
  the posmap's detail is drawn (0.76 M parameters, 0.381 GMAC). Only ops that LiteRT int8 with
  XNNPACK, TF.js and ONNX all run fully: no Conv2DTranspose (slow in TF.js, and no BatchNorm
  after it, see stack notes), no dynamic shapes.
* ``lprnet_128_uv64``: ``lprnet_128`` without its 128 px decoder step: the posmap is drawn at
  64 px and upsampled bilinearly to 128 (0.27 GMAC, -29%; the 128 px step holds 30% of the
  MACs and most of the memory traffic, which the browser's wasm runtime pays for). The posmap
  is smooth: the fitted 3DMM's own posmap at 64 upsampled to 128 scores 1.37% against 1.32% at
  128 on AFLW2000-3D (a quarter of it), far below any network's error.
* ``lprnet_128_uv64_sep``: ``lprnet_128_uv64`` whose decoder is separable at every step (two
  blocks at 32 and 64 px in place of one dense 3x3 conv, 0.145 GMAC): 18.8 vs 31.9 ms in TF.js
  wasm, but 7.82 vs 7.46% on AFLW2000-3D after a 2,500-step fine-tune and no faster webcam loop
  on the 2-core machine (docs/web_demo.md); registered, not shipped.
* ``lprnet_128_slim``: the first shipped design, separable blocks at every decoder step (0.63 M,
  0.099 GMAC); ``_slim_w075`` / ``_slim_w125`` / ``_slim_noskip`` vary it (ablation rows).
* ``lprnet_128_wide``: the slim design with a wider stem and low-resolution decoder (1.33 M
  parameters, 0.343 GMAC), an ablation row: does decoder capacity at 8-32 px buy accuracy?
* ``lprnet_128_deep``: ``lprnet_128`` with residual separable blocks at 4 and 8 px (two after
  each of the encoder's 8 and 4 px stages, one after the decoder's 8 px step), where the face's
  global shape is decided: 1.28 M parameters (+0.52 M) for 0.399 GMAC (+5%). Each block starts
  as the identity, so ``--init lprnet_128`` starts it at the trained network's exact output:
  a capacity experiment on real faces that needs no training from scratch.
"""

from __future__ import annotations

from lprnet.models.layers import (
    conv_bn_relu,
    image_input,
    keras,
    layers,
    posmap_head,
    residual_block,
    separable_block,
)

#: Encoder of the seed: (filters, stride) of the 8 separable blocks after the stem.
SEED_ENCODER = [(32, 1), (64, 2), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1)]
SEED_DECODER = [512, 256, 128, 64, 32]


def lprnet_128_seed(size: int = 128) -> keras.Model:
    """The L-PRNet seed design (baseline row of the ablation)."""
    inp = image_input(size)
    x = conv_bn_relu(inp, 32, 3, 2, "stem")
    for i, (f, s) in enumerate(SEED_ENCODER):
        x = separable_block(x, f, s, f"enc{i}")
    for i, f in enumerate(SEED_DECODER):
        x = layers.Conv2DTranspose(f, 3, 2, padding="same", activation="relu", name=f"dec{i}")(x)
    x = layers.Conv2DTranspose(3, 3, 1, padding="same", name="head_convt")(x)
    x = layers.Activation("sigmoid", name="posmap")(x)
    return keras.Model(inp, x, name="lprnet_128_seed")


def _scaled(channels: int, width: float) -> int:
    return max(8, int(round(channels * width / 8)) * 8)


#: Encoder stages of lprnet_128: (filters, number of blocks) per resolution 64, 32, 16, 8, 4.
ENCODER = [(32, 1), (64, 2), (128, 2), (256, 2), (384, 2)]
#: Decoder channels at 8, 16, 32, 64, 128 px.
DECODER = [256, 128, 96, 48, 24]


def lprnet_128(
    size: int = 128,
    width: float = 1.0,
    skips: bool = True,
    stem: int = 16,
    encoder: list[tuple[int, int]] = ENCODER,
    decoder: list[int] = DECODER,
    decoder_blocks: tuple[int, ...] = (1, 1, 1, 1, 1),
    dense_from: int = 2,
    encoder_residual: tuple[int, ...] = (0, 0, 0, 0, 0),
    decoder_residual: tuple[int, ...] = (0, 0, 0, 0, 0),
    name: str | None = None,
) -> keras.Model:
    """The L-PRNet family: separable encoder + upsample/separable decoder with skips.

    ``encoder`` is (filters, blocks) per resolution 64, 32, 16, 8, 4 px; ``decoder`` the channels
    at 8, 16, 32, 64, 128 px and ``decoder_blocks`` the blocks at each of them: separable, or
    dense 3x3 conv + BN + ReLU from decoder step ``dense_from`` on (5: none). A ``decoder``
    shorter than 5 steps stops below 128 px: the posmap is drawn there and upsampled
    bilinearly to ``size`` (``lprnet_128_uv64``). ``encoder_residual`` / ``decoder_residual``
    add that many identity-initialised :func:`residual_block` after each encoder stage /
    decoder step (``lprnet_128_deep``).
    """
    inp = image_input(size)
    x = conv_bn_relu(inp, _scaled(stem, width), 3, 2, "stem")  # 64
    features = []
    for stage, (f, n) in enumerate(encoder):
        for b in range(n):
            stride = 2 if (b == 0 and stage > 0) else 1
            x = separable_block(x, _scaled(f, width), stride, f"enc{stage}_{b}")
        for r in range(encoder_residual[stage]):
            x = residual_block(x, f"enc{stage}_res{r}")
        features.append(x)  # 64, 32, 16, 8, 4 px
    for i, (f, blocks) in enumerate(zip(decoder, decoder_blocks, strict=True)):
        f = _scaled(f, width)
        x = layers.UpSampling2D(2, interpolation="nearest", name=f"dec{i}_up")(x)
        x = layers.Conv2D(f, 1, use_bias=False, name=f"dec{i}_proj")(x)
        x = layers.BatchNormalization(name=f"dec{i}_proj_bn")(x)
        if skips and i < 4:
            skip = features[3 - i]  # 8, 16, 32, 64 px
            if skip.shape[-1] != f:
                skip = layers.Conv2D(f, 1, use_bias=False, name=f"dec{i}_skip")(skip)
                skip = layers.BatchNormalization(name=f"dec{i}_skip_bn")(skip)
            x = layers.Add(name=f"dec{i}_add")([x, skip])
        x = layers.ReLU(name=f"dec{i}_relu")(x)
        for b in range(blocks):
            suffix = str(b) if b else ""
            if i >= dense_from:
                x = conv_bn_relu(x, f, 3, 1, f"dec{i}_conv{suffix}")
            else:
                x = separable_block(x, f, 1, f"dec{i}_sep{suffix}")
        for r in range(decoder_residual[i]):
            x = residual_block(x, f"dec{i}_res{r}")
    factor = size // int(x.shape[1])
    if factor == 1:
        out = posmap_head(x)
    else:  # drawn at a lower UV resolution: its own head, then bilinear upsampling to size
        low = posmap_head(x, name=f"head{int(x.shape[1])}", output=f"posmap{int(x.shape[1])}")
        out = layers.UpSampling2D(factor, interpolation="bilinear", name="posmap")(low)
    if name is None:
        width_tag = f"_w{width:g}" if width != 1.0 else ""
        name = f"lprnet_128{width_tag}{'' if skips else '_noskip'}"
    return keras.Model(inp, out, name=name)


#: ``lprnet_128_uv64``: the posmap drawn at 64 px (no 128 px decoder step), upsampled to 128.
UV64 = dict(decoder=DECODER[:4], decoder_blocks=(1, 1, 1, 1), name="lprnet_128_uv64")

#: ``lprnet_128_uv64_sep``: ``lprnet_128_uv64`` with separable blocks in place of the dense 3x3
#: convs at 32 and 64 px (two each), which hold most of its time in TF.js' wasm backend.
UV64_SEP = dict(UV64, decoder_blocks=(1, 1, 2, 2), dense_from=5, name="lprnet_128_uv64_sep")


#: ``lprnet_128_deep``: ``lprnet_128`` plus identity-initialised residual blocks at 4 and 8 px.
DEEP = dict(
    encoder_residual=(0, 0, 0, 2, 2), decoder_residual=(1, 0, 0, 0, 0), name="lprnet_128_deep"
)


#: ``lprnet_128_slim``: the first shipped design, a separable block at every decoder step
#: (192, 128, 64, 32, 16 channels at 8 to 128 px).
SLIM = dict(decoder=[192, 128, 64, 32, 16], dense_from=5)


#: ``lprnet_128_wide``: the slim design with a wider stem and low-resolution decoder (384 and
#: 256 channels at 8 and 16 px, two separable blocks at 8, 16 and 32 px), where the seed keeps
#: its capacity.
WIDE = dict(
    SLIM,
    stem=24,
    decoder=[384, 256, 128, 64, 32],
    decoder_blocks=(2, 2, 2, 1, 1),
    name="lprnet_128_wide",
)
