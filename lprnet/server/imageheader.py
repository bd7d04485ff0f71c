"""Image format, dimensions and completeness from the first bytes of a file, without decoding.

The server reads these before it lets OpenCV decode anything, so that a small file declaring a
huge image (a decompression bomb) is refused by its header. Only the formats whose headers are
parsed here are decoded at all: JPEG, PNG, WebP and BMP. Other signatures OpenCV would also
decode (TIFF, JPEG 2000, OpenEXR, Radiance HDR, PNM, PFM, Sun raster) are recognised and refused
as unsupported; GIF, AVIF and HEIC likewise.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

#: Formats decoded by the server, by the name :func:`read_header` reports.
SUPPORTED = ("jpeg", "png", "webp", "bmp")

#: Signatures recognised but not decoded: name -> leading bytes.
_UNSUPPORTED = (
    ("tiff", (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")),
    ("gif", (b"GIF87a", b"GIF89a")),
    ("jpeg2000", (b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51")),
    ("openexr", (b"v/1\x01",)),
    ("hdr", (b"#?RADIANCE", b"#?RGBE")),
    ("pfm", (b"PF\n", b"Pf\n", b"PF\r", b"Pf\r")),
    ("sunraster", (b"\x59\xa6\x6a\x95",)),
    ("pnm", tuple(f"P{k}".encode() for k in range(1, 8))),
)

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The IEND chunk whole: type and its (constant) CRC.
_PNG_IEND = b"IEND\xaeB`\x82"
#: JPEG start-of-frame markers (SOF0-SOF15 less DHT C4, JPG C8, DAC CC).
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
#: JPEG markers without a length field (TEM, RST0-7, SOI, EOI).
_STANDALONE = frozenset([0x01, *range(0xD0, 0xDA)])
_NOT_FF = re.compile(rb"[^\xff]")
#: Segments read before the frame header at most (real files have a few to a few dozen).
MAX_JPEG_SEGMENTS = 1000
#: Scans of a JPEG decoded at most: each progressive scan is a pass over the whole image, so a
#: file of thousands of tiny scans would hold a worker for minutes (libjpeg's own tools cap
#: this with -maxscans). Progressive encoders write about 10.
MAX_JPEG_SCANS = 100


class HeaderError(ValueError):
    """The bytes are not a readable image header.

    Attributes
    ----------
    kind : str
        ``"not_an_image"`` (no known signature), ``"unsupported"`` (a known format that is not
        decoded), ``"corrupt"`` (a known signature with an impossible header) or ``"truncated"``
        (the data ends before the header or the image data does).
    """

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class ImageHeader:
    """What an image file's header declares.

    Attributes
    ----------
    format : str
        One of :data:`SUPPORTED`.
    width, height : int
        Pixels, both >= 1.
    """

    format: str
    width: int
    height: int

    @property
    def pixels(self) -> int:
        """``width * height``."""
        return self.width * self.height


def read_header(data: bytes) -> ImageHeader:
    """Parse the header of a JPEG, PNG, WebP or BMP file and check the data is complete.

    Parameters
    ----------
    data : bytes
        The whole file.

    Returns
    -------
    ImageHeader

    Raises
    ------
    HeaderError
        Unknown bytes, an unsupported format, a corrupt header, or a file that ends early
        (JPEG without its end-of-image marker, PNG without IEND, WebP / BMP shorter than their
        declared sizes).
    """
    if not data:
        raise HeaderError("not_an_image", "the body is empty")
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg(data)
    if data.startswith(_PNG_SIGNATURE):
        return _png(data)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _webp(data)
    if data.startswith(b"BM"):
        return _bmp(data)
    for name, signatures in _UNSUPPORTED:
        if any(data.startswith(s) for s in signatures):
            raise HeaderError(
                "unsupported",
                f"{name} images are not accepted; send {', '.join(SUPPORTED)}",
            )
    if data[4:12] in (b"ftypavif", b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavis"):
        raise HeaderError(
            "unsupported", f"AVIF / HEIC images are not accepted; send {', '.join(SUPPORTED)}"
        )
    raise HeaderError(
        "not_an_image",
        f"the body is not an image (no {', '.join(SUPPORTED)} signature in its first bytes)",
    )


def _dims(fmt: str, width: int, height: int) -> ImageHeader:
    if width < 1 or height < 1:
        raise HeaderError("corrupt", f"{fmt} header declares an empty image ({width}x{height})")
    return ImageHeader(fmt.lower(), int(width), int(height))


def _truncated(fmt: str, what: str) -> HeaderError:
    return HeaderError("truncated", f"truncated {fmt} image: the data ends before {what}")


def _jpeg(data: bytes) -> ImageHeader:
    i, n = 2, len(data)
    header = None
    for _ in range(MAX_JPEG_SEGMENTS):  # bounded: each step is a few C-level searches
        if i >= n:
            break
        if data[i] != 0xFF:  # stray bytes between segments: libjpeg skips them too
            i = data.find(b"\xff", i)
            if i < 0:
                break
        fill = _NOT_FF.search(data, i)  # marker fill bytes
        if fill is None:
            break
        i = fill.start()
        marker = data[i]
        i += 1
        if marker in _STANDALONE:
            if marker == 0xD9:
                raise HeaderError("corrupt", "corrupt JPEG: end of image before any frame")
            continue
        if i + 2 > n:
            break
        (length,) = struct.unpack(">H", data[i : i + 2])
        if length < 2:
            raise HeaderError("corrupt", f"corrupt JPEG: segment length {length} at byte {i}")
        if marker in _SOF_MARKERS:
            if i + 7 > n:
                break
            height, width = struct.unpack(">HH", data[i + 3 : i + 7])
            if height == 0:
                raise HeaderError("unsupported", "JPEG with the height in a DNL marker")
            header = _dims("JPEG", width, height)
            i += length
            break
        if marker == 0xDA:
            raise HeaderError("corrupt", "corrupt JPEG: scan data before the frame header")
        i += length
    else:
        raise HeaderError(
            "corrupt", f"corrupt JPEG: no frame header in its first {MAX_JPEG_SEGMENTS} segments"
        )
    if header is None:
        raise _truncated("JPEG", "its frame header")
    # entropy-coded data stuffs 0xFF as FF 00: every FF DA after the frame header starts a scan
    scans = data.count(b"\xff\xda", i)
    if scans > MAX_JPEG_SCANS:
        raise HeaderError(
            "unsupported", f"JPEG with {scans} scans (at most {MAX_JPEG_SCANS} are decoded)"
        )
    if data.rfind(b"\xff\xd9", i) < 0:
        raise _truncated("JPEG", "its end-of-image marker")
    return header


def _png(data: bytes) -> ImageHeader:
    if len(data) < 33:
        raise _truncated("PNG", "its IHDR chunk")
    length, kind = struct.unpack(">I4s", data[8:16])
    if kind != b"IHDR" or length != 13:
        raise HeaderError("corrupt", "corrupt PNG: the first chunk is not a 13-byte IHDR")
    width, height = struct.unpack(">II", data[16:24])
    header = _dims("PNG", width, height)
    if data.rfind(_PNG_IEND, 33) < 0:
        raise _truncated("PNG", "its IEND chunk")
    return header


def _webp(data: bytes) -> ImageHeader:
    if len(data) < 30:
        raise _truncated("WebP", "its first chunk")
    (riff_size,) = struct.unpack("<I", data[4:8])
    if riff_size + 8 > len(data):
        raise _truncated("WebP", f"the {riff_size + 8} bytes its RIFF header declares")
    chunk = data[12:16]
    body = data[20:]
    if chunk == b"VP8 ":
        if body[3:6] != b"\x9d\x01\x2a":
            raise HeaderError("corrupt", "corrupt WebP: no VP8 key-frame start code")
        width, height = struct.unpack("<HH", body[6:10])
        return _dims("WebP", width & 0x3FFF, height & 0x3FFF)
    if chunk == b"VP8L":
        if body[0] != 0x2F:
            raise HeaderError("corrupt", "corrupt WebP: no VP8L signature byte")
        (bits,) = struct.unpack("<I", body[1:5])
        return _dims("WebP", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X":
        width = int.from_bytes(body[4:7], "little") + 1
        height = int.from_bytes(body[7:10], "little") + 1
        if body[0] & 0x02:
            raise HeaderError("unsupported", "animated WebP images are not accepted")
        return _dims("WebP", width, height)
    raise HeaderError("corrupt", f"corrupt WebP: unknown first chunk {chunk!r}")


def _bmp(data: bytes) -> ImageHeader:
    if len(data) < 26:
        raise _truncated("BMP", "its info header")
    (offset, info_size) = struct.unpack("<II", data[10:18])
    if info_size == 12:
        width, height = struct.unpack("<HH", data[18:22])
        bits, compression = struct.unpack("<H", data[24:26])[0], 0
    elif 40 <= info_size <= 124:
        if len(data) < 34:
            raise _truncated("BMP", "its info header")
        width, height, _, bits, compression = struct.unpack("<iiHHI", data[18:34])
        height = abs(height)  # negative: rows stored top-down
    else:
        raise HeaderError("corrupt", f"corrupt BMP: info header of {info_size} bytes")
    header = _dims("BMP", width, height)
    if bits not in (1, 4, 8, 16, 24, 32):
        raise HeaderError("corrupt", f"corrupt BMP: {bits} bits per pixel")
    if compression in (0, 3):  # BI_RGB / BI_BITFIELDS: rows of known size
        row = (width * bits + 31) // 32 * 4
        if offset + row * height > len(data):
            raise _truncated("BMP", f"its {height} rows of pixels")
    return header
