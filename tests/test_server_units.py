"""Server building blocks without HTTP: image headers, limits, the worker pool, the GLB writer."""

from __future__ import annotations

import struct
import threading
import time
import zlib

import cv2
import numpy as np
import pytest
from png_bytes import png_bytes

from lprnet.errors import LprnetError
from lprnet.server.errors import ApiError
from lprnet.server.glb import glb_bytes, read_glb
from lprnet.server.imageheader import HeaderError, read_header
from lprnet.server.limits import Limits, check_image, decode_image
from lprnet.server.pool import PoolBusy, WorkerPool


def encode(ext: str, width: int, height: int, channels: int = 3, params=()) -> bytes:
    """A random image of that size encoded by OpenCV."""
    rng = np.random.default_rng(width * 1000 + height)
    shape = (height, width) if channels == 1 else (height, width, channels)
    ok, buf = cv2.imencode(ext, rng.integers(0, 256, shape, np.uint8), list(params))
    assert ok
    return buf.tobytes()


# --------------------------------------------------------------------------- #
# image headers
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "ext, fmt, channels, params",
    [
        (".jpg", "jpeg", 3, ()),
        (".jpg", "jpeg", 1, ()),
        (".jpg", "jpeg", 3, (cv2.IMWRITE_JPEG_PROGRESSIVE, 1)),
        (".png", "png", 3, ()),
        (".png", "png", 4, ()),
        (".webp", "webp", 3, (cv2.IMWRITE_WEBP_QUALITY, 80)),  # lossy: VP8
        (".webp", "webp", 3, (cv2.IMWRITE_WEBP_QUALITY, 101)),  # lossless: VP8L
        (".webp", "webp", 4, (cv2.IMWRITE_WEBP_QUALITY, 80)),  # lossy + alpha: VP8X
        (".bmp", "bmp", 3, ()),
        (".bmp", "bmp", 1, ()),
    ],
)
@pytest.mark.parametrize("width, height", [(37, 23), (200, 301)])
def test_header_sizes_match_opencv(ext, fmt, channels, params, width, height):
    data = encode(ext, width, height, channels, params)
    header = read_header(data)
    assert (header.format, header.width, header.height) == (fmt, width, height)
    rgb = decode_image(data, header)
    assert rgb.shape == (height, width, 3) and rgb.dtype == np.uint8


@pytest.mark.parametrize("ext", [".jpg", ".png", ".webp", ".bmp"])
def test_truncated_files_are_refused(ext):
    data = encode(ext, 120, 90)
    for cut in (len(data) // 2, len(data) - 3):
        with pytest.raises(HeaderError) as info:
            read_header(data[:cut])
        assert info.value.kind == "truncated", (ext, cut, str(info.value))


def test_unknown_and_unsupported_signatures():
    with pytest.raises(HeaderError) as info:
        read_header(b"")
    assert info.value.kind == "not_an_image"
    for junk in (b"hello world", np.random.default_rng(0).bytes(300), b"\x89PNX" + bytes(40)):
        with pytest.raises(HeaderError) as info:
            read_header(junk)
        assert info.value.kind == "not_an_image"
    for ext in (".tif", ".ppm", ".pgm", ".hdr", ".ras"):
        with pytest.raises(HeaderError) as info:
            read_header(encode(ext, 40, 40, 1 if ext == ".pgm" else 3))
        assert info.value.kind == "unsupported", ext
    with pytest.raises(HeaderError) as info:
        read_header(b"GIF89a" + bytes(20))
    assert info.value.kind == "unsupported" and "gif" in str(info.value)


def test_corrupt_headers():
    jpeg = encode(".jpg", 64, 48)
    sof = jpeg.find(b"\xff\xc0")
    zero = bytearray(jpeg)
    zero[sof + 7 : sof + 9] = b"\x00\x00"  # width 0
    with pytest.raises(HeaderError) as info:
        read_header(bytes(zero))
    assert info.value.kind == "corrupt"
    with pytest.raises(HeaderError) as info:  # frame header, then end of image: no scan
        read_header(jpeg[:2] + b"\xff\xd9")
    assert info.value.kind == "corrupt"
    bad_ihdr = bytearray(png_bytes(10, 10))
    bad_ihdr[12:16] = b"IHDX"
    with pytest.raises(HeaderError) as info:
        read_header(bytes(bad_ihdr))
    assert info.value.kind == "corrupt"
    with pytest.raises(HeaderError) as info:
        read_header(png_bytes(0, 10))
    assert info.value.kind == "corrupt"


def test_pathological_jpegs_are_refused_fast():
    """Header parsing runs on the event loop: it must stay cheap whatever the bytes."""
    cases = {
        "truncated": b"\xff\xd8" + b"\xff" * 4_000_000,  # one endless run of fill bytes
        "corrupt": b"\xff\xd8" + b"\xff\xe0\x00\x02" * 1_000_000,  # 4 MB of empty segments
    }
    jpeg = encode(".jpg", 64, 48)
    cases["unsupported"] = jpeg[:-2] + b"\xff\xda\x00\x02" * 150 + b"\xff\xd9"  # 150+ scans
    for kind, data in cases.items():
        start = time.perf_counter()
        with pytest.raises(HeaderError) as info:
            read_header(data)
        assert info.value.kind == kind, (kind, str(info.value))
        assert time.perf_counter() - start < 0.5, kind


def test_bmp_top_down_rows():
    data = bytearray(encode(".bmp", 50, 40))
    (height,) = struct.unpack("<i", data[22:26])
    data[22:26] = struct.pack("<i", -height)
    header = read_header(bytes(data))
    assert (header.width, header.height) == (50, 40)


# --------------------------------------------------------------------------- #
# limits
# --------------------------------------------------------------------------- #
def test_limits_check_before_decoding():
    limits = Limits(max_bytes=100_000, max_pixels=10_000, min_side=8)
    # a real bomb: 2000 x 2000 grey zeros compress to a few KB
    rows = b"".join(b"\x00" + bytes(2000) for _ in range(2000))
    bomb = png_bytes(2000, 2000, zlib.compress(rows, 9))
    assert len(bomb) < 10_000
    with pytest.raises(ApiError) as info:
        check_image(bomb, limits)
    assert (info.value.status, info.value.code) == (413, "too_many_pixels")
    assert "2000x2000" in info.value.message
    with pytest.raises(ApiError) as info:
        check_image(encode(".png", 4, 90), limits)
    assert (info.value.status, info.value.code) == (422, "image_too_small")
    with pytest.raises(ApiError) as info:
        check_image(bytes(100_001), limits)
    assert (info.value.status, info.value.code) == (413, "too_large")
    header = check_image(encode(".png", 90, 100), limits)
    assert (header.width, header.height) == (90, 100)
    for bad in (0, -1, 1.5):
        with pytest.raises(LprnetError, match="max-pixels"):
            Limits(max_pixels=bad)


def test_decode_refuses_what_opencv_cannot_read():
    jpeg = encode(".jpg", 64, 48)
    sos = jpeg.find(b"\xff\xda")
    header = read_header(jpeg)
    with pytest.raises(ApiError) as info:  # frame header, no scan data
        decode_image(jpeg[:sos] + b"\xff\xd9", header)
    assert (info.value.status, info.value.code) == (422, "corrupt_image")
    with pytest.raises(ApiError) as info:  # header lies about the size
        decode_image(jpeg, type(header)("jpeg", 65, 48))
    assert info.value.code == "corrupt_image" and "65x48" in info.value.message


# --------------------------------------------------------------------------- #
# worker pool
# --------------------------------------------------------------------------- #
def test_pool_states_are_per_thread_and_queue_is_bounded():
    made: list[int] = []

    def make_state():
        made.append(threading.get_ident())
        return {"thread": threading.get_ident()}

    pool = WorkerPool(make_state, workers=2, queue=1)
    try:
        assert len(set(made)) == 2 and pool.capacity == 3
        # each job sees the state of the thread it runs on
        seen = [pool.submit(lambda s: (s["thread"], threading.get_ident())).result(5)]
        assert all(a == b for a, b in seen)
        gate = threading.Event()
        futures = [pool.submit(lambda s: gate.wait(5)) for _ in range(3)]
        with pytest.raises(PoolBusy) as info:
            pool.submit(lambda s: None)
        assert info.value.retry_after >= 1 and pool.admitted == 3
        gate.set()
        assert all(f.result(5) for f in futures)
        deadline = time.monotonic() + 5
        while pool.admitted and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pool.admitted == 0 and pool.completed == 4
        assert pool.service_ms is not None
        with pytest.raises(ZeroDivisionError):  # a job's exception reaches its caller
            pool.submit(lambda s: 1 / 0).result(5)
    finally:
        pool.close()


def test_pool_reports_a_failed_state():
    def make_state():
        raise LprnetError("model.tflite: cannot load")

    with pytest.raises(LprnetError, match="cannot load"):
        WorkerPool(make_state, workers=2, queue=0)


# --------------------------------------------------------------------------- #
# GLB
# --------------------------------------------------------------------------- #
def test_glb_round_trip():
    rng = np.random.default_rng(3)
    verts = rng.uniform(0, 100, (7, 3))
    tris = np.array([[0, 1, 2], [2, 3, 4], [4, 5, 6]])
    colors = rng.uniform(0, 1, (7, 3))
    data = glb_bytes(verts, tris, colors)
    assert data[:4] == b"glTF" and len(data) % 4 == 0
    doc, binary = read_glb(data)
    assert doc["asset"]["version"] == "2.0" and doc["buffers"][0]["byteLength"] == len(binary)
    prim = doc["meshes"][0]["primitives"][0]

    def array(index, dtype):
        acc = doc["accessors"][index]
        view = doc["bufferViews"][acc["bufferView"]]
        assert view["byteOffset"] % 4 == 0
        raw = binary[view["byteOffset"] : view["byteOffset"] + view["byteLength"]]
        return np.frombuffer(raw, dtype).reshape(acc["count"], -1)

    pos = array(prim["attributes"]["POSITION"], "<f4")
    np.testing.assert_allclose(pos, verts * [1, -1, 1], rtol=1e-6)
    acc = doc["accessors"][prim["attributes"]["POSITION"]]
    np.testing.assert_allclose(acc["min"], pos.min(0))
    np.testing.assert_allclose(acc["max"], pos.max(0))
    np.testing.assert_allclose(array(prim["attributes"]["COLOR_0"], "<f4"), colors, rtol=1e-6)
    idx = array(prim["indices"], "<u4").reshape(-1, 3)
    np.testing.assert_array_equal(idx, tris)
    with pytest.raises(ValueError):
        glb_bytes(verts, np.array([[0, 1, 7]]))
    with pytest.raises(ValueError):
        read_glb(data[:-4])
