"""The HTTP server: every bad-input class, the good path, meshes, a full queue, no 500s.

Most tests run a tiny posmap network (a 32 px ONNX graph made here with onnx.helper: no
TensorFlow) behind the real detector; the queue tests use a blocking fake engine; one test
serves a tiny int8 TFLite model with embedded metadata. Requests go through httpx's ASGI
transport (no sockets); :func:`test_serve_command_on_loopback` starts ``lprnet serve`` for real.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from png_bytes import png_bytes

from lprnet.inference.reconstructor import Face, Reconstructor
from lprnet.server.app import create_app
from lprnet.server.glb import read_glb
from lprnet.server.limits import Limits
from lprnet.server.schemas import ErrorResponse, ReconstructResponse

N = 32
REPO = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- #
# models, clients, images
# --------------------------------------------------------------------------- #
def tiny_onnx(path: Path, n: int = N) -> Path:
    """A (1, n, n, 3) -> (1, n, n, 3) posmap network: sigmoid(image + random bias)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    bias = np.random.default_rng(0).normal(0, 0.1, (1, n, n, 3)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Add", ["image", "bias"], ["sum"]),
            helper.make_node("Sigmoid", ["sum"], ["posmap"]),
        ],
        "tiny",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, n, n, 3])],
        [helper.make_tensor_value_info("posmap", TensorProto.FLOAT, [1, n, n, 3])],
        [numpy_helper.from_array(bias, "bias")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


class Client:
    """A synchronous face on httpx.AsyncClient + ASGITransport, on one event loop."""

    def __init__(self, app):
        self.app = app
        self.loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self.http = httpx.AsyncClient(transport=transport, base_url="http://test")

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def get(self, url: str, **kw) -> httpx.Response:
        return self.run(self.http.get(url, **kw))

    def post(self, url: str = "/v1/reconstruct", **kw) -> httpx.Response:
        return self.run(self.http.post(url, **kw))

    def close(self) -> None:
        self.run(self.http.aclose())
        self.loop.close()
        self.app.state.pool.close()


def encode(ext: str, image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(ext, image)
    assert ok
    return buf.tobytes()


def noise(width: int, height: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), np.uint8)


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    return error


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    return tiny_onnx(tmp_path_factory.mktemp("server") / "tiny.onnx")


@pytest.fixture(scope="module")
def client(model_file):
    limits = Limits(max_bytes=200_000, max_pixels=1_000_000, min_side=16)
    c = Client(create_app(model_file, workers=1, queue=4, limits=limits))
    yield c
    assert c.app.state.internal_errors == 0
    c.close()


@pytest.fixture(scope="module")
def photo(data_dir) -> bytes:
    return (data_dir / "photos" / "misc" / "grace_hopper.jpg").read_bytes()


# --------------------------------------------------------------------------- #
# the good path
# --------------------------------------------------------------------------- #
def test_health_models_and_openapi(client, model_file):
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["workers"] == 1 and health["capacity"] == 5
    (model,) = client.get("/v1/models").json()["models"]
    assert model["format"] == "onnx" and model["resolution"] == N
    assert model["file"] == model_file.name and model["precision"] == "fp32"
    assert model["metadata"] is None and model["metadata_source"] == "backend"
    schema = client.get("/openapi.json").json()
    op = schema["paths"]["/v1/reconstruct"]["post"]
    assert {"multipart/form-data", "image/jpeg"} <= set(op["requestBody"]["content"])
    assert {"200", "413", "415", "422", "503"} <= set(op["responses"])
    assert "ReconstructResponse" in schema["components"]["schemas"]
    assert "/healthz" in schema["paths"] and "/v1/models" in schema["paths"]


@pytest.mark.data
def test_photo_returns_faces_like_the_library(client, photo, model_file):
    raw = client.post(content=photo, headers={"content-type": "image/jpeg"})
    multipart = client.post(files={"image": ("photo.jpg", photo, "image/jpeg")})
    for response in (raw, multipart):
        assert response.status_code == 200, response.text
        body = ReconstructResponse.model_validate(response.json())
        assert body.image.format == "jpeg"
        assert (body.image.width, body.image.height) == (512, 600)
        assert body.model.format == "onnx" and len(body.faces) >= 1
        for face in body.faces:
            assert len(face.landmarks) == 68 and all(len(p) == 3 for p in face.landmarks)
            left, top, right, bottom = face.box
            assert 0 <= left < right <= 512 and 0 <= top < bottom <= 600

    def untimed(r):
        return [{k: v for k, v in f.items() if k != "timings_ms"} for f in r.json()["faces"]]

    assert untimed(raw) == untimed(multipart)
    # the same numbers as the library on the same pixels
    rgb = cv2.cvtColor(cv2.imdecode(np.frombuffer(photo, np.uint8), 1), cv2.COLOR_BGR2RGB)
    faces = Reconstructor(model_file).reconstruct(rgb)
    served = raw.json()["faces"]
    assert len(served) == len(faces)
    np.testing.assert_allclose(served[0]["landmarks"], faces[0].landmarks, atol=0.006)
    np.testing.assert_allclose(
        [served[0]["pose"][k] for k in ("pitch", "yaw", "roll")], faces[0].pose, atol=0.006
    )
    assert raw.json()["model"]["flip_test"] is False


@pytest.mark.data
def test_flip_test_server_answers_like_the_flip_test_library(model_file, photo):
    c = Client(create_app(model_file, workers=1, queue=1, flip_test=True))
    try:
        (model,) = c.get("/v1/models").json()["models"]
        response = c.post(content=photo, headers={"content-type": "image/jpeg"})
    finally:
        c.close()
    assert model["flip_test"] is True and response.json()["model"]["flip_test"] is True
    rgb = cv2.cvtColor(cv2.imdecode(np.frombuffer(photo, np.uint8), 1), cv2.COLOR_BGR2RGB)
    flip = Reconstructor(model_file, flip_test=True).reconstruct(rgb)
    plain = Reconstructor(model_file).reconstruct(rgb)
    served = response.json()["faces"][0]["landmarks"]
    np.testing.assert_allclose(served, flip[0].landmarks, atol=0.006)
    assert np.abs(np.asarray(served) - plain[0].landmarks).max() > 0.01


@pytest.mark.data
def test_meshes(client, photo, model_file):
    rgb = cv2.cvtColor(cv2.imdecode(np.frombuffer(photo, np.uint8), 1), cv2.COLOR_BGR2RGB)
    face = Reconstructor(model_file).reconstruct(rgb)[0]
    m, t = len(face.points), len(face.triangles)
    got = {}
    for fmt, media in (("obj", "model/obj"), ("ply", "application/x-ply"), ("glb", "model/gltf")):
        r = client.post(params={"mesh": fmt}, content=photo, headers={"content-type": "image/jpeg"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith(media)
        assert f'filename="face_0.{fmt}"' in r.headers["content-disposition"]
        got[fmt] = r.content
    lines = got["obj"].decode().splitlines()
    verts = np.array([[float(v) for v in ln.split()[1:]] for ln in lines if ln.startswith("v ")])
    faces = [ln for ln in lines if ln.startswith("f ")]
    assert verts.shape == (m, 6) and len(faces) == t
    np.testing.assert_allclose(verts[:, :3], face.points, atol=1e-3)
    header = got["ply"].split(b"end_header\n", 1)[0].decode()
    assert header.startswith("ply\nformat binary_little_endian 1.0")
    assert f"element vertex {m}\n" in header and f"element face {t}\n" in header
    assert len(got["ply"]) == len(header) + len("end_header\n") + m * 15 + t * 13
    doc, binary = read_glb(got["glb"])
    prim = doc["meshes"][0]["primitives"][0]
    assert doc["accessors"][prim["attributes"]["POSITION"]]["count"] == m
    assert doc["accessors"][prim["indices"]]["count"] == 3 * t
    assert doc["buffers"][0]["byteLength"] == len(binary)


# --------------------------------------------------------------------------- #
# every bad-input class
# --------------------------------------------------------------------------- #
def test_not_an_image(client):
    for body in (b"hello, world", np.random.default_rng(1).bytes(5000), b"%PDF-1.7\n" * 20):
        assert_error(client.post(content=body, headers={"content-type": "image/png"}), 422,
                     "not_an_image")  # fmt: skip
    r = client.post(files={"image": ("notes.txt", b"just text", "text/plain")})
    assert_error(r, 422, "not_an_image")


def test_truncated_images(client):
    for ext in (".jpg", ".png", ".webp", ".bmp"):
        data = encode(ext, noise(100, 80))
        for cut in (len(data) // 2, len(data) - 5):
            r = client.post(content=data[:cut], headers={"content-type": "image/jpeg"})
            assert_error(r, 422, "truncated_image")
    r = client.post(content=b"\xff\xd8\xff", headers={"content-type": "image/jpeg"})
    assert_error(r, 422, "truncated_image")


def test_corrupt_image(client):
    jpeg = encode(".jpg", noise(64, 64))
    sos = jpeg.find(b"\xff\xda")
    r = client.post(content=jpeg[:sos] + b"\xff\xd9", headers={"content-type": "image/jpeg"})
    assert_error(r, 422, "corrupt_image")


def test_empty_bodies(client):
    assert_error(client.post(content=b""), 400, "empty_body")
    assert_error(client.post(content=b"", headers={"content-type": "image/jpeg"}), 400,
                 "empty_body")  # fmt: skip
    assert_error(client.post(files={"image": ("empty.jpg", b"", "image/jpeg")}), 400,
                 "empty_body")  # fmt: skip


def test_huge_file(client):
    big = encode(".bmp", noise(300, 300))  # 270 KB > the 200 KB limit
    error = assert_error(client.post(content=big, headers={"content-type": "image/bmp"}), 413,
                         "too_large")  # fmt: skip
    assert "200,000" in error["message"]
    assert_error(client.post(files={"image": ("big.bmp", big, "image/bmp")}), 413, "too_large")

    # a body without Content-Length is cut off at the limit, not read to the end
    sent = []

    async def stream():
        for _ in range(10_000):  # 10 MB if read to the end
            sent.append(1)
            yield b"\x00" * 1000

    r = client.post(content=stream(), headers={"content-type": "application/octet-stream"})
    assert_error(r, 413, "too_large")
    assert len(sent) <= 202


def test_decompression_bomb(client):
    import zlib

    rows = b"".join(b"\x00" + bytes(1100) for _ in range(1100))
    bomb = png_bytes(1100, 1100, zlib.compress(rows, 9))  # 1.21 MP in ~1.3 KB
    assert len(bomb) < 5_000
    error = assert_error(client.post(content=bomb, headers={"content-type": "image/png"}), 413,
                         "too_many_pixels")  # fmt: skip
    assert "1100x1100" in error["message"]
    # headers alone claiming 60000 x 60000 (PNG) and 65000 x 65000 (JPEG): never decoded
    assert_error(client.post(content=png_bytes(60_000, 60_000)), 413, "too_many_pixels")
    jpeg = bytearray(encode(".jpg", noise(40, 40)))
    sof = jpeg.find(b"\xff\xc0")
    jpeg[sof + 5 : sof + 9] = struct.pack(">HH", 65000, 65000)
    assert_error(client.post(content=bytes(jpeg)), 413, "too_many_pixels")


def test_tiny_images(client):
    for ext in (".png", ".jpg", ".bmp", ".webp"):
        one = encode(ext, noise(1, 1))
        assert_error(client.post(content=one, headers={"content-type": "image/png"}), 422,
                     "image_too_small")  # fmt: skip
    assert_error(client.post(content=encode(".png", noise(400, 8))), 422, "image_too_small")


def test_no_face(client):
    for image in (np.full((240, 320, 3), 128, np.uint8), noise(200, 160, seed=5)):
        error = assert_error(client.post(content=encode(".png", image)), 422, "no_face")
        assert "no face" in error["message"]
        r = client.post(params={"mesh": "glb"}, content=encode(".jpg", image))
        assert_error(r, 422, "no_face")


def test_unsupported_types_fields_and_parameters(client):
    assert_error(client.post(content=b"{}", headers={"content-type": "application/json"}), 415,
                 "unsupported_media_type")  # fmt: skip
    tiff = encode(".tif", noise(64, 64))
    assert_error(client.post(content=tiff, headers={"content-type": "image/tiff"}), 415,
                 "unsupported_image_format")  # fmt: skip
    png = encode(".png", noise(64, 64))
    assert_error(client.post(files={"photo": ("a.png", png, "image/png")}), 422,
                 "missing_image_field")  # fmt: skip
    assert_error(client.post(data={"image": "not a file"}, files={"x": ("a", b"1")}), 422,
                 "missing_image_field")  # fmt: skip
    r = client.post(content=b"--xyz\r\n\r\n", headers={"content-type": "multipart/form-data"})
    assert_error(r, 400, "bad_multipart")
    r = client.post(params={"mesh": "stl"}, content=png)
    error = assert_error(r, 422, "invalid_parameter")
    assert "mesh" in error["message"]
    assert_error(client.get("/v1/reconstruct"), 405, "method_not_allowed")
    assert_error(client.get("/v2/nothing"), 404, "not_found")


# --------------------------------------------------------------------------- #
# a full queue
# --------------------------------------------------------------------------- #
class FakeModel:
    name, format, resolution = "fake", "test", N


class BlockingEngine:
    """Returns one fixed face, after ``gate`` opens."""

    model = FakeModel()

    def __init__(self, gate: threading.Event):
        self.gate = gate

    def reconstruct(self, rgb: np.ndarray) -> list[Face]:
        assert self.gate.wait(10), "the test never opened the gate"
        lm = np.column_stack([np.linspace(10, 50, 68), np.linspace(20, 60, 68), np.zeros(68)])
        return [
            Face(
                box=np.array([10.0, 20.0, 50.0, 60.0]),
                score=float("inf"),
                crop_matrix=np.eye(3),
                posmap=np.zeros((N, N, 3), np.float32),
                landmarks=lm,
                points=lm,
                triangles=np.array([[0, 1, 2]]),
                colors=np.full((68, 3), 0.5, np.float32),
                pose=np.array([1.0, float("nan"), 3.0]),
                timings={"detect": 1.0, "crop": 0.1, "model": 2.0, "post": 0.5},
            )
        ]


def test_full_queue_answers_503_and_loop_stays_free():
    gate = threading.Event()
    app = create_app(workers=1, queue=1, engine_factory=lambda: BlockingEngine(gate))
    client = Client(app)
    png = encode(".png", noise(64, 64))

    async def scenario():
        post = client.http.post
        first = asyncio.create_task(post("/v1/reconstruct", content=png))
        second = asyncio.create_task(post("/v1/reconstruct", content=png))
        for _ in range(500):  # the event loop answers while both requests wait on the gate
            health = (await client.http.get("/healthz")).json()
            if health["in_flight"] == 2:
                break
            await asyncio.sleep(0.01)
        assert health["in_flight"] == 2 and health["capacity"] == 2
        third = await post("/v1/reconstruct", content=png)
        gate.set()
        return third, await first, await second

    try:
        third, first, second = client.run(scenario())
        error = assert_error(third, 503, "busy")
        assert int(third.headers["retry-after"]) >= 1 and "retry" in error["message"]
        for r in (first, second):
            assert r.status_code == 200, r.text
            body = ReconstructResponse.model_validate(r.json())
            face = body.faces[0]  # NaN / inf from the model -> null, not a 500
            assert face.pose.yaw is None and face.score is None and face.pose.roll == 3.0
        later = client.post(content=png)
        assert later.status_code == 200
        assert app.state.internal_errors == 0
    finally:
        gate.set()
        client.close()


# --------------------------------------------------------------------------- #
# no input finds a 500
# --------------------------------------------------------------------------- #
def _seed_images() -> list[bytes]:
    img = noise(48, 40, seed=9)
    return [encode(ext, img) for ext in (".jpg", ".png", ".webp", ".bmp")] + [
        encode(".png", noise(1, 1)),
        encode(".tif", img),
        png_bytes(70_000, 3),
    ]


SEEDS = _seed_images()
PRINTABLE = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)


@st.composite
def bodies(draw) -> bytes:
    kind = draw(st.sampled_from(["random", "seed", "truncated", "mutated", "header"]))
    if kind == "random":
        return draw(st.binary(max_size=600))
    seed = draw(st.sampled_from(SEEDS))
    if kind == "seed":
        return seed
    if kind == "truncated":
        return seed[: draw(st.integers(0, len(seed)))]
    if kind == "mutated":
        at = draw(st.integers(0, len(seed) - 1))
        return seed[:at] + draw(st.binary(min_size=1, max_size=16)) + seed[at + 16 :]
    width, height = draw(st.integers(0, 2**32 - 1)), draw(st.integers(0, 2**32 - 1))
    return png_bytes(width, height)


@given(
    body=bodies(),
    content_type=st.one_of(
        st.none(),
        st.sampled_from(
            [
                "image/jpeg",
                "image/png",
                "application/octet-stream",
                "multipart/form-data",
                "multipart/form-data; boundary=xyz",
                "text/plain",
                "image/",
            ]
        ),
        PRINTABLE,
    ),
    wrap=st.sampled_from(["raw", "multipart", "raw-multipart"]),
    field=st.sampled_from(["image", "file", ""]),
    mesh=st.sampled_from([None] * 6 + ["obj", "ply", "glb", "", "OBJ", "o bj%00"]),
    extra=st.dictionaries(PRINTABLE, PRINTABLE, max_size=2),
)
@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_input_gets_a_500(client, body, content_type, wrap, field, mesh, extra):
    params = dict(extra)
    if mesh is not None:
        params["mesh"] = mesh
    headers = {} if content_type is None else {"content-type": content_type}
    if wrap == "raw":
        r = client.post(params=params, content=body, headers=headers)
    elif wrap == "multipart":
        r = client.post(params=params, files={field or "image": ("x", body, content_type)})
    else:  # a hand-made multipart body, possibly not matching the declared boundary
        part = (
            b'--xyz\r\nContent-Disposition: form-data; name="' + field.encode() + b'"; '
            b'filename="x"\r\n\r\n' + body + b"\r\n--xyz--\r\n"
        )
        r = client.post(params=params, content=part, headers=headers)
    assert r.status_code < 500, (r.status_code, r.text)
    assert client.app.state.internal_errors == 0
    if r.status_code >= 400:
        error = ErrorResponse.model_validate(r.json()).error
        event(f"{r.status_code} {error.code}")  # --hypothesis-show-statistics
    else:
        if r.headers["content-type"].startswith("application/json"):
            ReconstructResponse.model_validate(r.json())
        event(f"200 {r.headers['content-type']}")


# --------------------------------------------------------------------------- #
# other artifacts, the command
# --------------------------------------------------------------------------- #
def test_int8_tflite_with_embedded_metadata(tmp_path):
    metadata = pytest.importorskip("export.metadata")
    tflite = pytest.importorskip("export.tflite")
    # isort: off
    from lprnet.tfenv import tf  # noqa: F401
    import tf_keras as keras

    # isort: on
    keras.utils.set_random_seed(0)
    inp = keras.Input((N, N, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
    net = keras.Model(inp, keras.layers.Conv2D(3, 3, padding="same", activation="sigmoid")(x))
    calib = np.random.default_rng(0).random((8, N, N, 3), dtype=np.float32)
    flat = tflite.convert(net, "int8", calib)
    meta = metadata.model_metadata(metadata.ModelInfo("tiny_net", N), "tflite", "int8")
    path = tmp_path / "tiny-int8.tflite"
    path.write_bytes(metadata.embed_tflite(flat, meta))
    client = Client(create_app(path, workers=2, queue=2))
    try:
        (model,) = client.get("/v1/models").json()["models"]
        assert (model["name"], model["format"], model["precision"]) == ("tiny_net", "tflite",
                                                                        "int8")  # fmt: skip
        assert model["metadata_source"] == "embedded"
        assert model["metadata"]["schema"] == "lprnet.model/1"
        assert model["metadata"]["input"]["shape"] == [1, N, N, 3]
        assert_error(client.post(content=encode(".png", noise(80, 60))), 422, "no_face")
    finally:
        client.close()


@pytest.mark.slow
@pytest.mark.data
def test_shipped_model_finds_annotated_landmarks(data_dir):
    """The shipped L-PRNet behind the server: served landmarks near the photos' annotations."""
    from lprnet.data.landmarks import find_landmarked_faces

    photos = [
        f for f in find_landmarked_faces(data_dir / "photos") if f.source != "dlib-xml"
    ]  # one annotated face each (plus maybe unannotated others)
    assert len(photos) >= 3
    client = Client(create_app("lprnet_128", workers=1, queue=2))
    try:
        nmes = []
        for photo in photos:
            r = client.post(content=photo.image_path.read_bytes())
            assert r.status_code == 200, (photo.image_path, r.text)
            truth = photo.landmarks[:, :2]
            size = np.sqrt(np.prod(truth.max(0) - truth.min(0)))
            nmes.append(
                min(
                    np.linalg.norm(np.array(f["landmarks"])[:, :2] - truth, axis=1).mean() / size
                    for f in r.json()["faces"]
                )
                * 100
            )
        # measured 6.3-8.3% (NME by the landmark box's sqrt(w * h)); a wrong crop or read-out
        # is far off
        assert max(nmes) < 12 and np.mean(nmes) < 10, nmes
    finally:
        client.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_command_errors_are_one_line(tmp_path, capsys):
    from lprnet.cli import main

    assert main(["serve", "--model", str(tmp_path / "missing.onnx")]) == 2
    err = capsys.readouterr().err
    assert "missing.onnx" in err and "Traceback" not in err
    (tmp_path / "bad.tflite").write_bytes(b"not a model")
    assert main(["serve", "--model", str(tmp_path / "bad.tflite")]) == 2
    assert main(["serve", "--model", str(tmp_path / "bad.tflite"), "--max-bytes", "0"]) == 2
    assert "max-bytes" in capsys.readouterr().err


def test_serve_command_on_loopback(model_file):
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "lprnet.cli", "serve", "--model", str(model_file),
           "--port", str(port), "--workers", "1", "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                    assert json.load(r)["status"] == "ok"
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.monotonic() < deadline, "the server did not start in 60 s"
                time.sleep(0.2)
        png = encode(".png", np.full((100, 100, 3), 200, np.uint8))
        r = httpx.post(f"{base}/v1/reconstruct", content=png, timeout=30)
        assert_error(r, 422, "no_face")
        with urllib.request.urlopen(f"{base}/openapi.json", timeout=5) as r:
            assert "/v1/reconstruct" in json.load(r)["paths"]
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0].decode()
    assert proc.returncode in (0, -15), out
    assert "Traceback" not in out, out
