"""PRNet's training augmentation (paper, Sec. 4.1), in TensorFlow so it runs inside ``tf.data``.

One random 2D similarity ``M`` about the crop centre (rotation, scale, translation) warps the
image and, consistently, the position map's *values*: a posmap pixel ``(x, y, z)`` becomes
``(M (x, y), z * scale)``, so the augmented posmap still describes the augmented image. Then a
per-channel colour scale, optionally a contrast change and a grey conversion, with some
probability a synthetic occlusion (a random rectangle filled with a noise texture or a colour)
and, optionally, black strips along the crop's sides (where a real crop runs past its photo's
edge) and the faults of real photos (blur, sensor noise, JPEG compression) are applied to the
image only.

All randomness comes from stateless ops driven by one ``(2,)`` integer seed per example, so the
result is a pure function of ``(image, posmap, seed, config)``: the same seed gives the same
output on any machine and in any ``tf.data`` thread schedule.

Coordinates are crop pixels with pixel centres at integers (``0 .. n - 1``), x right, y down,
the convention of :mod:`lprnet.geometry.crop` and of ``ImageProjectiveTransformV3``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lprnet.tfenv import tf

#: Occluder fills (index drawn uniformly): i.i.d. noise, smoothed noise, one colour, a gradient.
FILLS = ("uniform_noise", "smooth_noise", "solid", "gradient")
#: Probability of each photo fault (blur, noise, JPEG) when its option is on.
QUALITY_PROB = 0.5


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges of PRNet's augmentation; every draw is uniform in its range.

    Set a range to a single value (e.g. ``rotation=0``, ``scale=(1, 1)``) to disable that part.

    Attributes
    ----------
    rotation : float
        Maximum absolute rotation, degrees (PRNet: 45).
    translation : float
        Maximum absolute shift along x and along y, as a fraction of the crop size (PRNet: 0.1).
    scale : (float, float)
        Range of the scale factor (PRNet: 0.9 to 1.2).
    color : (float, float)
        Range of the per-channel colour multiplier (PRNet: 0.6 to 1.4); the result is clipped to
        [0, 1].
    occlusion_prob : float
        Probability of one synthetic occlusion per example (0 disables it).
    occlusion_area : (float, float)
        Range of the occluder's area as a fraction of the crop area.
    occlusion_aspect : (float, float)
        Range of the occluder's height / width ratio (drawn log-uniformly).
    flip_prob : float
        Probability of a horizontal mirror (0 disables it; PRNet has none). Exact for this UV
        layout: BFM_UV is mirror-symmetric (``u(sym(i)) = 1 - u(i)`` to 3e-4 px at 256 over
        BFM_info's 26,720 symmetric vertex pairs), so the mirrored posmap is the mirrored
        columns with x -> n - 1 - x (14 of the 68 keypoint pixels, the midline ones and the
        mouth corners, are one UV pixel off their partner's mirror).
    fill : {"constant", "reflect"}
        What the warp shows outside the crop: black (PRNet's), or the crop mirrored at its
        border. A black border gives the zoom-out scale away (its width is ``(1 - s) n / 2``):
        networks trained so read it, and on real crops, which have none, regress to the mean
        scale of the borderless zoom-ins.
    contrast : (float, float)
        Range of a contrast factor about the image's mean luminance, after the colour scale
        (1 disables it).
    gray_prob : float
        Probability of replacing the image by its luminance (BT.601) in all three channels.
    border_prob : float
        Probability of black strips along the crop's sides, drawn independently of the
        similarity (so they say nothing about scale): each side gets one with probability 1/2,
        its width uniform in ``border_width``, a fraction of the crop side. Real crops run past
        their photo's edge (AFLW2000-3D's 450 px images are padded black).
    border_width : (float, float)
        Range of a strip's width, fraction of the crop side.
    blur_sigma : float
        With probability ``QUALITY_PROB``, a Gaussian blur of standard deviation uniform in
        ``[0, blur_sigma]`` crop pixels (0 disables it).
    noise_sd : float
        With probability ``QUALITY_PROB``, Gaussian noise of standard deviation uniform in
        ``[0, noise_sd]`` (image values in [0, 1]; 0 disables it).
    jpeg_quality : int
        With probability ``QUALITY_PROB``, a JPEG round trip at a quality uniform in
        ``[jpeg_quality, 100]`` (100 disables it). Blur, noise and JPEG come in the order a
        camera makes them, after the occlusion and before the black strips.
    """

    rotation: float = 45.0
    translation: float = 0.1
    scale: tuple[float, float] = (0.9, 1.2)
    color: tuple[float, float] = (0.6, 1.4)
    occlusion_prob: float = 0.5
    occlusion_area: tuple[float, float] = (0.02, 0.2)
    occlusion_aspect: tuple[float, float] = (0.3, 3.3)
    flip_prob: float = 0.0
    fill: str = "constant"
    contrast: tuple[float, float] = (1.0, 1.0)
    gray_prob: float = 0.0
    border_prob: float = 0.0
    border_width: tuple[float, float] = (0.05, 0.3)
    blur_sigma: float = 0.0
    noise_sd: float = 0.0
    jpeg_quality: int = 100

    def __post_init__(self) -> None:
        def check(name: str, lo: float, hi: float, low: float) -> None:
            if not low <= lo <= hi:
                raise ValueError(f"AugmentConfig.{name}: need {low} <= min <= max, got {lo, hi}")

        if self.rotation < 0 or self.translation < 0:
            raise ValueError("AugmentConfig: rotation and translation must be >= 0")
        check("scale", *self.scale, low=1e-3)
        check("color", *self.color, low=0.0)
        check("occlusion_area", *self.occlusion_area, low=0.0)
        check("occlusion_aspect", *self.occlusion_aspect, low=1e-3)
        check("contrast", *self.contrast, low=0.0)
        check("border_width", *self.border_width, low=0.0)
        if self.border_width[1] > 0.5:
            raise ValueError("AugmentConfig.border_width: max must be <= 0.5 (half the crop)")
        if not 0.0 <= self.occlusion_prob <= 1.0:
            raise ValueError(
                f"AugmentConfig.occlusion_prob must be in [0, 1]: {self.occlusion_prob}"
            )
        if self.fill not in ("constant", "reflect"):
            raise ValueError(f"AugmentConfig.fill must be 'constant' or 'reflect': {self.fill!r}")
        for name in ("flip_prob", "gray_prob", "border_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"AugmentConfig.{name} must be in [0, 1]: {getattr(self, name)}")
        if self.occlusion_area[1] > 1.0:
            raise ValueError("AugmentConfig.occlusion_area: max must be <= 1")
        if self.blur_sigma < 0 or self.noise_sd < 0:
            raise ValueError("AugmentConfig: blur_sigma and noise_sd must be >= 0")
        if not 1 <= self.jpeg_quality <= 100:
            raise ValueError(f"AugmentConfig.jpeg_quality must be in [1, 100]: {self.jpeg_quality}")

    @classmethod
    def geometry_only(cls) -> AugmentConfig:
        """Rotation, translation and scale as PRNet; no colour scale, no occlusion."""
        return cls(color=(1.0, 1.0), occlusion_prob=0.0)


def similarity_matrix(angle, scale, tx, ty, size):
    """The 2D similarity about the crop centre used to warp image *and* posmap.

    ``p' = scale * R(angle) (p - c) + c + (tx, ty)`` with ``c = ((size - 1) / 2,) * 2``.

    Parameters
    ----------
    angle : float or tensor (...)
        Rotation, degrees; positive turns the content clockwise on screen (y points down).
    scale : float or tensor (...)
        Scale factor.
    tx, ty : float or tensor (...)
        Shift, crop pixels.
    size : int or scalar tensor
        Crop side ``n``, pixels.

    Returns
    -------
    tensor (..., 3, 3) float32
        Homogeneous matrix mapping input crop pixels ``(x, y, 1)`` to output crop pixels.
    """
    angle, scale, tx, ty = (tf.cast(v, tf.float32) for v in (angle, scale, tx, ty))
    shape = tf.shape(angle + scale + tx + ty)
    angle, scale, tx, ty = (tf.broadcast_to(v, shape) for v in (angle, scale, tx, ty))
    c = (tf.cast(size, tf.float32) - 1.0) / 2.0
    rad = angle * (math.pi / 180.0)
    a = scale * tf.cos(rad)
    b = scale * tf.sin(rad)
    zero, one = tf.zeros_like(a), tf.ones_like(a)
    rows = [
        tf.stack([a, -b, c - a * c + b * c + tx], -1),
        tf.stack([b, a, c - b * c - a * c + ty], -1),
        tf.stack([zero, zero, one], -1),
    ]
    return tf.stack(rows, -2)


def _uniform(seed, lo: float, hi: float, shape=()):
    return tf.random.stateless_uniform(shape, seed, minval=lo, maxval=hi, dtype=tf.float32)


def random_similarity(seed, config: AugmentConfig, size: int):
    """Draw the augmentation's similarity for one example.

    Parameters
    ----------
    seed : tensor (2,) int32 or int64
    config : AugmentConfig
    size : int
        Crop side, pixels.

    Returns
    -------
    matrix : tensor (3, 3) float32
        See :func:`similarity_matrix`.
    scale : tensor () float32
        Its scale factor (multiplies z).
    """
    s = tf.random.experimental.stateless_split(seed, 4)
    angle = _uniform(s[0], -config.rotation, config.rotation)
    scale = _uniform(s[1], *config.scale)
    shift = _uniform(s[2], -config.translation * size, config.translation * size, (2,))
    return similarity_matrix(angle, scale, shift[0], shift[1], size), scale


def warp_image(image, matrix, size: int | None = None, fill: str = "constant"):
    """Warp images by a similarity (bilinear): ``out(M p) = image(p)``; outside the input,
    zero (``fill="constant"``) or the input mirrored at its border (``"reflect"``).

    Parameters
    ----------
    image : tensor (n, n, C) or (B, n, n, C) float32
    matrix : tensor (3, 3) or (B, 3, 3)
        Input -> output crop pixels, as from :func:`similarity_matrix`.
    size : int, optional
        Output side (default: the input's).

    Returns
    -------
    tensor, the shape of ``image`` (with ``size`` as side), float32
    """
    single = image.shape.rank == 3
    images = image[None] if single else image
    inv = tf.linalg.inv(tf.reshape(matrix, (-1, 3, 3)))  # output -> input pixels
    inv = inv / inv[:, 2:3, 2:3]
    transforms = tf.reshape(inv, (-1, 9))[:, :8]
    out_hw = tf.shape(images)[1:3] if size is None else tf.constant([size, size], tf.int32)
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=out_hw,
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode=fill.upper(),
    )
    return out[0] if single else out


def transform_posmap(posmap, matrix, scale):
    """Move posmap values with the image: ``(x, y) -> M (x, y)``, ``z -> z * scale``.

    Pixels that are exactly 0 in all three channels (no face surface maps there) stay 0.

    Parameters
    ----------
    posmap : tensor (..., H, W, 3) float32, crop pixels
    matrix : tensor (3, 3) or (..., 3, 3)
    scale : tensor () or (...)
        The similarity's scale factor.

    Returns
    -------
    tensor, the shape of ``posmap``, float32
    """
    posmap = tf.convert_to_tensor(posmap, tf.float32)
    m = tf.convert_to_tensor(matrix, tf.float32)
    s = tf.cast(scale, tf.float32)
    zero = tf.zeros_like(s)
    # (x, y, z) -> (x, y, z) @ lin.T + shift, as one small matmul over the flattened pixels
    lin = tf.stack(
        [
            tf.stack([m[..., 0, 0], m[..., 0, 1], zero], -1),
            tf.stack([m[..., 1, 0], m[..., 1, 1], zero], -1),
            tf.stack([zero, zero, s], -1),
        ],
        -2,
    )
    shift = tf.stack([m[..., 0, 2], m[..., 1, 2], zero], -1)[..., None, :]
    shape = tf.shape(posmap)
    flat = tf.reshape(posmap, tf.concat([shape[:-3], [-1, 3]], 0))
    nonempty = tf.cast(tf.reduce_any(tf.not_equal(flat, 0.0), -1, keepdims=True), tf.float32)
    out = tf.linalg.matmul(flat, lin, transpose_b=True) + nonempty * shift
    return tf.reshape(out, shape)


def _occluder(seed, size: int, box):
    """A (size, size, 3) fill texture in [0, 1], of a random kind from :data:`FILLS`.

    ``box = (x0, y0, w, h)`` (pixels, float tensors): the gradient runs across this rectangle.
    """
    s = tf.random.experimental.stateless_split(seed, 5)
    kind = tf.random.stateless_uniform((), s[0], 0, len(FILLS), dtype=tf.int32)

    def uniform_noise():
        return _uniform(s[1], 0.0, 1.0, (size, size, 3))

    def smooth_noise():  # noise on a coarse random grid, bilinearly upsampled to the crop
        cells = tf.random.stateless_uniform((), s[2], 3, 25, dtype=tf.int32)
        low = tf.random.stateless_uniform(
            tf.stack([cells, cells, 3]), s[1], 0.0, 1.0, dtype=tf.float32
        )
        return tf.image.resize(low, (size, size), method="bilinear")

    def solid():
        return tf.broadcast_to(_uniform(s[3], 0.0, 1.0, (1, 1, 3)), (size, size, 3))

    def gradient():  # linear blend of two colours along a random direction across the box
        colours = _uniform(s[3], 0.0, 1.0, (2, 3))
        angle = _uniform(s[4], 0.0, 2.0 * math.pi)
        x0, y0, w, h = box
        r = tf.range(size, dtype=tf.float32)
        u = (r - x0 + 0.5) / w - 0.5  # -0.5 .. 0.5 across the box
        v = (r - y0 + 0.5) / h - 0.5
        c, sn = tf.cos(angle), tf.sin(angle)
        t = (u[None, :] * c + v[:, None] * sn) / (tf.abs(c) + tf.abs(sn)) + 0.5
        t = tf.clip_by_value(t, 0.0, 1.0)[..., None]
        return colours[0] * (1.0 - t) + colours[1] * t

    return tf.switch_case(kind, [uniform_noise, smooth_noise, solid, gradient])


def occlude(image, seed, config: AugmentConfig):
    """Random erasing: with ``config.occlusion_prob``, fill one random rectangle with a texture.

    Parameters
    ----------
    image : tensor (n, n, 3) float32 in [0, 1]
    seed : tensor (2,) int
    config : AugmentConfig

    Returns
    -------
    tensor (n, n, 3) float32 in [0, 1]
    """
    size = image.shape[0]
    if config.occlusion_prob <= 0.0 or config.occlusion_area[1] <= 0.0:
        return image
    s = tf.random.experimental.stateless_split(seed, 6)
    apply = _uniform(s[0], 0.0, 1.0) < config.occlusion_prob
    area = _uniform(s[1], *config.occlusion_area) * float(size * size)
    lo, hi = (math.log(a) for a in config.occlusion_aspect)
    aspect = tf.exp(_uniform(s[2], lo, hi))
    h = tf.clip_by_value(tf.round(tf.sqrt(area * aspect)), 1.0, float(size))
    w = tf.clip_by_value(tf.round(tf.sqrt(area / aspect)), 1.0, float(size))
    y0 = tf.floor(_uniform(s[3], 0.0, 1.0) * (float(size) - h + 1.0))
    x0 = tf.floor(_uniform(s[4], 0.0, 1.0) * (float(size) - w + 1.0))
    r = tf.range(size, dtype=tf.float32)
    rows = (r >= y0) & (r < y0 + h)
    cols = (r >= x0) & (r < x0 + w)
    inside = (rows[:, None] & cols[None, :])[..., None]

    def fill():
        return tf.where(inside, _occluder(s[5], size, (x0, y0, w, h)), image)

    return tf.cond(apply, fill, lambda: image)


def photometric(image, seed, config: AugmentConfig):
    """Contrast about the mean luminance (``config.contrast``), then with ``config.gray_prob``
    the luminance in all three channels.

    Parameters
    ----------
    image : tensor (n, n, 3) float32 in [0, 1]
    seed : tensor (2,) int
    config : AugmentConfig

    Returns
    -------
    tensor (n, n, 3) float32 in [0, 1]
    """
    s = tf.random.experimental.stateless_split(seed, 2)
    luma = tf.constant([0.299, 0.587, 0.114], tf.float32)
    if tuple(config.contrast) != (1.0, 1.0):
        mean = tf.reduce_mean(tf.tensordot(image, luma, 1))
        factor = _uniform(s[0], *config.contrast)
        image = tf.clip_by_value((image - mean) * factor + mean, 0.0, 1.0)
    if config.gray_prob > 0:
        gray = tf.repeat(tf.tensordot(image, luma, 1)[..., None], 3, axis=-1)
        image = tf.where(_uniform(s[1], 0.0, 1.0) < config.gray_prob, gray, image)
    return image


def black_border(image, seed, config: AugmentConfig):
    """With ``config.border_prob``, black strips along the sides (left, right, top, bottom:
    each with probability 1/2, width uniform in ``config.border_width`` of the side).

    Parameters
    ----------
    image : tensor (n, n, C) float32
    seed : tensor (2,) int
    config : AugmentConfig

    Returns
    -------
    tensor (n, n, C) float32
    """
    if config.border_prob <= 0:
        return image
    size = image.shape[0]
    s = tf.random.experimental.stateless_split(seed, 3)
    apply = _uniform(s[0], 0.0, 1.0) < config.border_prob
    sides = _uniform(s[1], 0.0, 1.0, (4,)) < 0.5
    lo, hi = config.border_width
    widths = tf.where(sides, tf.round(_uniform(s[2], lo, hi, (4,)) * size), 0.0)
    r = tf.range(size, dtype=tf.float32)
    cols = (r >= widths[0]) & (r < size - widths[1])
    rows = (r >= widths[2]) & (r < size - widths[3])
    keep = (rows[:, None] & cols[None, :])[..., None]
    return tf.where(apply & ~keep, tf.zeros_like(image), image)


def _gaussian_blur(image, sigma, radius: int):
    """Separable Gaussian blur of an (n, n, C) image (reflected border), ``sigma`` a tensor."""
    x = tf.range(-radius, radius + 1, dtype=tf.float32)
    k = tf.exp(-0.5 * tf.square(x / tf.maximum(sigma, 1e-3)))
    k = k / tf.reduce_sum(k)
    channels = image.shape[-1]
    padded = tf.pad(image[None], [[0, 0], [radius, radius], [radius, radius], [0, 0]], "REFLECT")
    kx = tf.tile(tf.reshape(k, (1, -1, 1, 1)), (1, 1, channels, 1))
    ky = tf.tile(tf.reshape(k, (-1, 1, 1, 1)), (1, 1, channels, 1))
    out = tf.nn.depthwise_conv2d(padded, kx, (1, 1, 1, 1), "VALID")
    return tf.nn.depthwise_conv2d(out, ky, (1, 1, 1, 1), "VALID")[0]


def photo_faults(image, seed, config: AugmentConfig):
    """The faults of real photos, each with probability ``QUALITY_PROB``: a Gaussian blur
    (``config.blur_sigma``), sensor noise (``config.noise_sd``), a JPEG round trip
    (``config.jpeg_quality``).

    Parameters
    ----------
    image : tensor (n, n, 3) float32 in [0, 1]
    seed : tensor (2,) int
    config : AugmentConfig

    Returns
    -------
    tensor (n, n, 3) float32 in [0, 1]
    """
    s = tf.random.experimental.stateless_split(seed, 7)

    def apply(k):
        return _uniform(s[k], 0.0, 1.0) < QUALITY_PROB

    if config.blur_sigma > 0:
        sigma = _uniform(s[3], 0.0, config.blur_sigma)
        radius = max(1, math.ceil(3 * config.blur_sigma))
        image = tf.cond(apply(0), lambda: _gaussian_blur(image, sigma, radius), lambda: image)
    if config.noise_sd > 0:
        sd = _uniform(s[4], 0.0, config.noise_sd)

        def noisy():
            noise = tf.random.stateless_normal(tf.shape(image), s[5]) * sd
            return tf.clip_by_value(image + noise, 0.0, 1.0)

        image = tf.cond(apply(1), noisy, lambda: image)
    if config.jpeg_quality < 100:  # encoded only for the images that get it (input pipeline)
        q = tf.cast(tf.floor(_uniform(s[6], config.jpeg_quality, 101.0)), tf.int32)

        def jpeg():
            out = tf.image.adjust_jpeg_quality(image, tf.minimum(q, 100))
            return tf.reshape(out, tf.shape(image))

        image = tf.cond(apply(2), jpeg, lambda: image)
    return image


def mirror_posmap(posmap, width):
    """TensorFlow's :func:`lprnet.geometry.posmap.mirror_posmap`: the (..., n, n, 3) posmap
    of the mirrored crop, UV columns reversed and ``x -> width - x``."""
    posmap = tf.reverse(tf.convert_to_tensor(posmap, tf.float32), [-2])
    return tf.concat([width - posmap[..., :1], posmap[..., 1:]], axis=-1)


def mirror(image, posmap):
    """The horizontally mirrored example: image columns reversed, posmap columns reversed with
    x -> n - 1 - x (all-zero pixels stay zero). Exact for a mirror-symmetric UV layout."""
    posmap = tf.convert_to_tensor(posmap, tf.float32)
    valid = tf.reverse(tf.reduce_any(posmap != 0, axis=-1, keepdims=True), [-2])
    flipped = mirror_posmap(posmap, image.shape[1] - 1)
    return image[:, ::-1], tf.where(valid, flipped, tf.zeros_like(flipped))


def augment(image, posmap, seed, config: AugmentConfig | None = None):
    """PRNet's augmentation of one example: similarity warp, colour scale, occlusion, and an
    optional mirror (``config.flip_prob``), contrast, grey and black border strips.

    Parameters
    ----------
    image : tensor (n, n, 3) uint8 (0..255) or float (0..1)
        The crop, RGB. Its static shape must be known.
    posmap : tensor (n, n, 3) float32
        Position map in crop pixels (x right, y down, z toward the camera).
    seed : tensor (2,) int32 or int64
        Per-example stateless seed; the output is a pure function of it.
    config : AugmentConfig, optional
        Defaults to PRNet's ranges.

    Returns
    -------
    image : tensor (n, n, 3) float32 in [0, 1]
        Warped (bilinear, black outside), colour-scaled and possibly occluded.
    posmap : tensor (n, n, 3) float32
        ``(M (x, y), z * scale)``; pixels that were all-zero stay zero.
    """
    config = config or AugmentConfig()
    image = tf.convert_to_tensor(image)
    if image.dtype == tf.uint8:
        image = tf.cast(image, tf.float32) / 255.0
    else:
        image = tf.cast(image, tf.float32)
    size = image.shape[0]
    if size is None or image.shape[1] != size:
        raise ValueError(f"augment: image needs a static square shape, got {image.shape}")
    seed = tf.cast(seed, tf.int64)  # int32 and int64 seeds of equal value draw the same
    s = tf.random.experimental.stateless_split(seed, 3)
    if config.flip_prob > 0:  # its own stream: the other draws are those of flip_prob=0
        u = tf.random.stateless_uniform((), tf.random.experimental.stateless_fold_in(seed, 7))
        image, posmap = tf.cond(
            u < config.flip_prob,
            lambda: mirror(image, posmap),
            lambda: (image, tf.convert_to_tensor(posmap, tf.float32)),
        )

    matrix, scale = random_similarity(s[0], config, size)
    geometric = config.rotation > 0 or config.translation > 0 or tuple(config.scale) != (1.0, 1.0)
    if geometric:
        image = warp_image(image, matrix, fill=config.fill)
        posmap = transform_posmap(posmap, matrix, scale)
    else:
        posmap = tf.convert_to_tensor(posmap, tf.float32)

    if tuple(config.color) != (1.0, 1.0):
        gains = _uniform(s[1], *config.color, (1, 1, 3))
        image = tf.clip_by_value(image * gains, 0.0, 1.0)

    # new parts draw from their own streams: a config without them augments as before
    image = photometric(image, tf.random.experimental.stateless_fold_in(seed, 11), config)
    image = occlude(image, s[2], config)
    # the photo's own faults, then the padding past its edge (clean black, as in AFLW2000-3D)
    image = photo_faults(image, tf.random.experimental.stateless_fold_in(seed, 17), config)
    image = black_border(image, tf.random.experimental.stateless_fold_in(seed, 13), config)
    return image, posmap


__all__ = [
    "FILLS",
    "AugmentConfig",
    "augment",
    "black_border",
    "mirror",
    "occlude",
    "photo_faults",
    "photometric",
    "random_similarity",
    "similarity_matrix",
    "transform_posmap",
    "warp_image",
]
