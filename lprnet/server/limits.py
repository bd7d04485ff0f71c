"""What the server accepts: body size, pixel count, smallest side; safe image decoding.

An upload is checked in this order, each failure a 4xx :class:`ApiError`:

1. body bytes <= ``max_bytes`` (413 ``too_large``), checked while the body is read;
2. a JPEG / PNG / WebP / BMP header that parses and data that is complete
   (:mod:`lprnet.server.imageheader`; 422 ``not_an_image`` / ``corrupt_image`` /
   ``truncated_image``, 415 ``unsupported_image_format``);
3. declared ``width * height <= max_pixels`` (413 ``too_many_pixels``: a decompression bomb is
   refused before anything is decoded) and ``min(width, height) >= min_side`` (422
   ``image_too_small``);
4. OpenCV decodes it to the declared size (422 ``corrupt_image``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lprnet.errors import LprnetError
from lprnet.server.errors import ApiError
from lprnet.server.imageheader import HeaderError, ImageHeader, read_header

#: HeaderError kind -> (HTTP status, error code).
_HEADER_ERRORS = {
    "not_an_image": (422, "not_an_image"),
    "unsupported": (415, "unsupported_image_format"),
    "corrupt": (422, "corrupt_image"),
    "truncated": (422, "truncated_image"),
}


@dataclass(frozen=True)
class Limits:
    """Upload limits.

    Attributes
    ----------
    max_bytes : int
        Largest image file accepted, bytes (default 16 MiB).
    max_pixels : int
        Largest ``width * height`` accepted (default 25 M: a 6000x4000 photo fits).
    min_side : int
        Smallest width or height accepted, pixels (default 32).
    """

    max_bytes: int = 16 * 1024 * 1024
    max_pixels: int = 25_000_000
    min_side: int = 32

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_pixels", "min_side"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise LprnetError(f"{name.replace('_', '-')} must be an integer >= 1, got {value}")


def check_image(data: bytes, limits: Limits) -> ImageHeader:
    """Check an upload against the limits from its header alone (nothing is decoded).

    Raises
    ------
    ApiError
        413 for too many bytes or pixels, 415 for a format that is not decoded, 422 for bytes
        that are not an image, a corrupt or truncated file, or an image under ``min_side``.
    """
    if len(data) > limits.max_bytes:
        raise too_large(len(data), limits.max_bytes)
    try:
        header = read_header(data)
    except HeaderError as exc:
        status, code = _HEADER_ERRORS[exc.kind]
        raise ApiError(status, code, str(exc)) from None
    if header.pixels > limits.max_pixels:
        raise ApiError(
            413,
            "too_many_pixels",
            f"the {header.format} image is {header.width}x{header.height} = {header.pixels:,} "
            f"pixels; the limit is {limits.max_pixels:,}",
        )
    if min(header.width, header.height) < limits.min_side:
        raise ApiError(
            422,
            "image_too_small",
            f"the image is {header.width}x{header.height} pixels; "
            f"both sides must be >= {limits.min_side}",
        )
    return header


def too_large(size: int, limit: int) -> ApiError:
    """413 ``too_large`` for a body of ``size`` bytes (``size`` may be a lower bound)."""
    return ApiError(
        413, "too_large", f"the image is over the {limit:,}-byte limit (got >= {size:,} bytes)"
    )


def decode_image(data: bytes, header: ImageHeader) -> np.ndarray:
    """Decode a checked upload to RGB.

    Parameters
    ----------
    data : bytes
        A file that passed :func:`check_image`.
    header : ImageHeader
        Its header.

    Returns
    -------
    (H, W, 3) uint8
        RGB, EXIF orientation applied (so H, W may be the header's swapped).

    Raises
    ------
    ApiError
        422 ``corrupt_image`` when OpenCV cannot decode it, or decodes another size.
    """
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None or bgr.ndim != 3 or bgr.shape[2] != 3:
        raise ApiError(
            422, "corrupt_image", f"the {header.format} image cannot be decoded (corrupt data)"
        )
    if sorted(bgr.shape[:2]) != sorted((header.height, header.width)):
        raise ApiError(
            422,
            "corrupt_image",
            f"the {header.format} header says {header.width}x{header.height} but the data "
            f"decodes to {bgr.shape[1]}x{bgr.shape[0]}",
        )
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
