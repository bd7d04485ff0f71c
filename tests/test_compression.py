"""Compression: pruning keeps its zeros through PQAT and int8 (Conv2DTranspose included)."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pytest

from export import tflite
from lprnet.compression import finetune, pqat, sparsity
from lprnet.errors import LprnetError
from lprnet.tfenv import tf
from lprnet.training.distill import blend_teacher

# isort: off
import tf_keras as keras
import tensorflow_model_optimization as tfmot

# isort: on

N = 32


def tiny_model(transpose: bool) -> keras.Model:
    """(1, 32, 32, 3) -> posmap contract with a Conv2D encoder and a ConvT or resize decoder."""
    tf.keras.utils.set_random_seed(0)
    inp = keras.Input((N, N, 3), name="image")
    x = keras.layers.Conv2D(16, 3, 2, padding="same", activation="relu", name="stem")(inp)
    x = keras.layers.DepthwiseConv2D(3, padding="same", name="dw")(x)
    x = keras.layers.Conv2D(32, 1, activation="relu", name="pw")(x)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="mid")(x)
    if transpose:
        x = keras.layers.Conv2DTranspose(16, 3, 2, padding="same", activation="relu", name="up")(x)
    else:
        x = keras.layers.UpSampling2D(2, name="up")(x)
        x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="up_conv")(x)
    x = keras.layers.Conv2D(3, 3, padding="same", name="head")(x)
    out = keras.layers.Activation("sigmoid", name="posmap")(x)
    return keras.Model(inp, out)


def _images(count: int = 8) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (count, N, N, 3), dtype=np.uint8)


def _weight_mask() -> np.ndarray:
    return np.ones((N, N), np.float32)


def test_prunable_layers_skip_stem_head_and_depthwise() -> None:
    model = tiny_model(transpose=True)
    assert sparsity.prunable_layers(model) == ["pw", "mid", "up"]


def test_prune_reaches_target_and_strip_keeps_outputs_shape() -> None:
    model = tiny_model(transpose=False)
    before = model.predict(_images(2) / 255.0, verbose=0)
    wrapped = sparsity.prune(model, 0.5, 0, 4)
    ds = finetune.distillation_dataset(_images(), tiny_model(False), batch_size=4, seed=0)
    cb = [tfmot.sparsity.keras.UpdatePruningStep()]
    loss = finetune.fit(wrapped, ds, 6, 1e-3, _weight_mask(), cb, progress=False)
    assert loss is not None and np.isfinite(loss)
    stripped = sparsity.strip(wrapped)
    report = sparsity.keras_sparsity(stripped)
    assert abs(report["pruned"] - 0.5) < 0.02, report
    assert set(report["layers"]) == {"pw", "mid", "up_conv"}
    assert 0.0 < report["overall"] < report["pruned"]  # stem, depthwise and head stay dense
    assert stripped.predict(_images(2) / 255.0, verbose=0).shape == before.shape


class _Interrupt(keras.callbacks.Callback):
    """Raise KeyboardInterrupt after batch ``at`` (as Ctrl-C would)."""

    def __init__(self, at: int):
        super().__init__()
        self.at = at

    def on_train_batch_end(self, batch, logs=None):
        if batch >= self.at:
            raise KeyboardInterrupt


def test_interrupted_prune_stage_resumes_from_its_backup(tmp_path) -> None:
    ds = finetune.distillation_dataset(_images(), tiny_model(False), batch_size=4, seed=0)
    backup = tmp_path / "backup-prune"

    def run(extra):
        wrapped = sparsity.prune(tiny_model(transpose=False), 0.5, 0, 6)
        cb = [tfmot.sparsity.keras.UpdatePruningStep(), *extra]
        finetune.fit(
            wrapped,
            ds,
            10,
            1e-3,
            _weight_mask(),
            cb,
            progress=False,
            schedule="cosine",
            backup_dir=backup,
            backup_every=3,
        )
        return wrapped

    with pytest.raises(KeyboardInterrupt):
        run([_Interrupt(at=7)])
    assert backup.is_dir()  # the backup of step 6 survives the interrupt

    seen: list[int] = []
    record = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))
    wrapped = run([record])
    assert seen == [6, 7, 8, 9], seen  # batches 7-10 (0-based 6-9): continued at step 6
    assert int(wrapped.optimizer.iterations.numpy()) == 10
    assert not backup.exists()  # deleted once the stage completed
    assert abs(sparsity.keras_sparsity(sparsity.strip(wrapped))["pruned"] - 0.5) < 0.02


def test_pqat_preserves_sparsity_into_int8_with_conv_transpose(tmp_path) -> None:
    """The custom scheme: 50% zeros in Conv2DTranspose survive QAT and the int8 file."""
    model = tiny_model(transpose=True)
    wrapped = sparsity.prune(model, 0.5, 0, 2)
    ds = finetune.distillation_dataset(_images(), tiny_model(True), batch_size=4, seed=1)
    finetune.fit(
        wrapped,
        ds,
        3,
        1e-3,
        _weight_mask(),
        [tfmot.sparsity.keras.UpdatePruningStep()],
        progress=False,
    )
    pruned = sparsity.strip(wrapped)
    qat = pqat.quantize_preserving_sparsity(pruned)
    finetune.fit(qat, ds, 10, 1e-2, _weight_mask(), progress=False)  # large lr: would refill
    calib = _images(8).astype(np.float32) / 255.0
    flat = tflite.convert(qat, "int8", calib)
    got = tflite.weight_sparsity(flat)
    # prune() wraps the model's own layers (its kernels are now pruned too): a fresh dense one
    dense = tflite.weight_sparsity(tflite.convert(tiny_model(True), "int8", calib))
    # the pruned layers hold 14,336 of the 15,344 int8 conv weights: 46.7% zeros at 50%
    assert got["weights"] == 15344
    assert got["sparsity"] > 0.45, got
    assert dense["sparsity"] < 0.05, dense
    # and LiteRT (XNNPACK) runs it: the Conv2DTranspose config makes a loadable int8 file
    from lprnet.inference.backends import load_model

    path = tflite.save(flat, tmp_path / "pqat.tflite")
    out = load_model(path).predict(calib[:2])
    np.testing.assert_allclose(out, qat.predict(calib[:2], verbose=0), atol=0.05)


def test_plain_tfmot_scheme_refuses_conv_transpose() -> None:
    """Why pqat.py exists: tfmot's own sparsity-preserving scheme rejects Conv2DTranspose."""
    from tensorflow_model_optimization.python.core.quantization.keras.collab_opts.prune_preserve import (  # noqa: E501
        default_8bit_prune_preserve_quantize_scheme as scheme,
    )

    annotated = tfmot.quantization.keras.quantize_annotate_model(tiny_model(transpose=True))
    with pytest.raises(RuntimeError, match="Conv2DTranspose.*not supported"):
        tfmot.quantization.keras.quantize_apply(
            annotated, scheme.Default8BitPrunePreserveQuantizeScheme()
        )


def test_distillation_dataset_is_deterministic_and_checks_shape() -> None:
    teacher = tiny_model(False)
    a = next(iter(finetune.distillation_dataset(_images(), teacher, 4, seed=3)))
    b = next(iter(finetune.distillation_dataset(_images(), teacher, 4, seed=3)))
    np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())
    np.testing.assert_allclose(a[1].numpy(), teacher(a[0]).numpy(), atol=1e-6)
    with pytest.raises(LprnetError, match=r"expected \(N, n, n, 3\)"):
        finetune.distillation_dataset(np.zeros((4, 32, 16, 3), np.uint8), teacher)


def test_teacher_blend_is_the_weighted_target() -> None:
    x = tf.random.stateless_uniform((2, 4, 4, 3), (0, 1))
    y = tf.zeros((2, 4, 4, 3))
    teacher = keras.Sequential([keras.layers.Lambda(lambda t: t * 2.0 + 1.0)])
    ds = tf.data.Dataset.from_tensors((x, y))
    assert blend_teacher(ds, teacher, 0.0) is ds
    _, target = next(iter(blend_teacher(ds, teacher, 0.25)))
    np.testing.assert_allclose(target.numpy(), 0.25 * (x.numpy() * 2.0 + 1.0), rtol=1e-6)
    with pytest.raises(LprnetError, match="teacher weight"):
        blend_teacher(ds, teacher, 1.5)


@pytest.mark.slow
def test_compress_end_to_end_and_resume(tmp_path) -> None:
    """The whole recipe on a tiny model, distilled on the embedded set; a rerun resumes."""
    from lprnet.compression.compress import CompressConfig, compress, format_report

    src = tmp_path / "tiny.keras"
    tiny_model(transpose=True).save(src)
    config = CompressConfig(model=str(src), prune_steps=6, qat_steps=4, calibration=8)
    report = compress(config, tmp_path / "out", progress=False)
    stages = report["stages"]
    assert list(stages) == ["float", "ptq_int8", "pruned_float", "pqat_int8"]
    assert stages["pqat_int8"]["sparsity"]["sparsity"] > 0.3
    assert stages["ptq_int8"]["sparsity"]["sparsity"] < 0.05
    assert report["training_signal"].startswith("distillation")
    assert "| pqat_int8 |" in format_report(report)
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    assert saved["stages"]["pqat_int8"]["bytes"] == stages["pqat_int8"]["bytes"]
    mtime = (tmp_path / "out" / "tiny_pqat.h5").stat().st_mtime_ns
    again = compress(config, tmp_path / "out", progress=False)  # resumes: nothing retrained
    assert (tmp_path / "out" / "tiny_pqat.h5").stat().st_mtime_ns == mtime
    assert again["seconds_this_call"] == [] and again["seconds"] == report["seconds"]
    with pytest.raises(LprnetError, match="other settings"):
        compress(CompressConfig(model=str(src), sparsity=0.6), tmp_path / "out")
    with pytest.raises(LprnetError, match="loss"):
        compress(CompressConfig(model=str(src), loss="euclidean"), tmp_path / "out")
    centred = CompressConfig(model=str(src), aug_shift=0.03, aug_scale=[0.95, 1.05])
    aug = centred.augment_config()
    assert (aug.translation, aug.scale, aug.rotation) == (0.03, (0.95, 1.05), 45.0)
    # from a shipped-style pruned checkpoint: no pruning stage, its zeros carried into int8
    pruned = tmp_path / "out" / "tiny_pruned.keras"
    config = CompressConfig(
        model=str(src), pruned=str(pruned), qat_steps=2, calibration=8, loss="euclidean"
    )
    short = compress(config, tmp_path / "short", progress=False)
    assert set(short["seconds_this_call"]) == {"ptq", "pqat", "convert"}  # no pruning
    assert not (tmp_path / "short" / "tiny_pruned.keras").exists()
    assert short["stages"]["pruned_float"]["file"] == "tiny_pruned.keras"
    assert short["stages"]["pqat_int8"]["sparsity"]["sparsity"] > 0.3
    with pytest.raises(LprnetError, match="--pruned"):
        compress(CompressConfig(model=str(src), pruned="nope.keras"), tmp_path / "bad")
    # continuing that QAT (--qat-init): its weights and ranges are where the new one starts
    from lprnet.compression.compress import load_qat
    from lprnet.compression.ranges import range_variables

    qat_file = tmp_path / "short" / "tiny_pqat.h5"
    start = load_qat(qat_file, keras.models.load_model(pruned, compile=False))
    ranges = {k: float(v["max"].numpy()) for k, v in range_variables(start).items()}
    assert ranges and max(ranges.values()) < 5.99  # not tfmot's fresh [-6, 6]
    config = CompressConfig(
        model=str(src), pruned=str(pruned), qat_init=str(qat_file), qat_steps=1, calibration=8
    )
    cont = compress(config, tmp_path / "cont", progress=False)
    assert cont["stages"]["pqat_int8"]["sparsity"]["sparsity"] > 0.3
    with pytest.raises(LprnetError, match="needs --pruned"):
        compress(CompressConfig(model=str(src), qat_init=str(qat_file)), tmp_path / "bad")
    with pytest.raises(LprnetError, match="wraps no layer"):
        load_qat(qat_file, tiny_model(transpose=False))


def test_prune_ramp_sets_where_sparsity_reaches_its_target(tmp_path, monkeypatch) -> None:
    """--prune-ramp: the polynomial decay ends at that fraction of the pruning steps; a run
    folder written before the option existed resumes as the default ramp."""
    from lprnet.compression.compress import RAMP, CompressConfig, compress

    src = tmp_path / "tiny.keras"
    tiny_model(transpose=False).save(src)
    seen = []

    class Stop(Exception):
        pass

    def spy(model, targets, begin, end):
        seen.append((begin, end))
        raise Stop

    monkeypatch.setattr(sparsity, "prune", spy)
    config = CompressConfig(model=str(src), prune_steps=40, ramp=0.25, calibration=8)
    with pytest.raises(Stop):
        compress(config, tmp_path / "ramp", progress=False)
    assert seen == [(0, 10)]
    with pytest.raises(LprnetError, match="--prune-ramp"):
        compress(CompressConfig(model=str(src), ramp=0.0), tmp_path / "bad")
    with pytest.raises(LprnetError, match="--teacher-flip"):  # no teacher blend to flip
        compress(CompressConfig(model=str(src), teacher_flip=True), tmp_path / "bad")
    old = tmp_path / "old"  # config.json of a run from before --prune-ramp
    old.mkdir()
    written = json.loads(json.dumps(asdict(CompressConfig(model=str(src), calibration=8))))
    del written["ramp"]
    (old / "config.json").write_text(json.dumps(written))
    with pytest.raises(Stop):
        compress(CompressConfig(model=str(src), calibration=8), old, progress=False)
    assert seen[-1] == (0, int(RAMP * 1000))


def test_a_run_of_other_weights_is_not_resumed(tmp_path, monkeypatch) -> None:
    """A run folder resumes only on the files it began with: --model rewritten since (a
    re-shipped name) would leave its int8 and pruned stage files stale."""
    from lprnet.compression.compress import CompressConfig, compress

    src = tmp_path / "tiny.keras"
    tiny_model(transpose=False).save(src)

    class Stop(Exception):
        pass

    def spy(*args):
        raise Stop

    monkeypatch.setattr(sparsity, "prune", spy)
    config = CompressConfig(model=str(src), prune_steps=4, calibration=8)
    for _ in range(2):  # the second call resumes (same settings, same file)
        with pytest.raises(Stop):
            compress(config, tmp_path / "run", progress=False)
    tiny_model(transpose=True).save(src)
    with pytest.raises(LprnetError, match=r"other weights \(--model: the file changed"):
        compress(config, tmp_path / "run", progress=False)


def test_calibration_never_draws_on_the_scored_split() -> None:
    from export.api import calibration_images
    from export.parity import embedded_crops
    from lprnet.data.embedded import load_embedded_set, split_indices
    from lprnet.evaluation import embedded_faces

    assert split_indices(10, "calibration").tolist() == [0, 4, 8]
    assert split_indices(10, "score").tolist() == [1, 2, 3, 5, 6, 7, 9]
    with pytest.raises(ValueError, match="split must be one of"):
        split_indices(10, "test")
    s = load_embedded_set()
    scored = [f.name for f in embedded_faces()]
    calib = s.names[s.indices("calibration")].tolist()
    assert len(scored) + len(calib) == len(s) and not set(scored) & set(calib)
    x = calibration_images(N)  # the exporter's default int8 calibration
    assert len(x) == len(calib)
    np.testing.assert_array_equal(x, embedded_crops(N, split="calibration").images)
    assert "calibration crops" in embedded_crops(N, 4, split="calibration").source


@pytest.mark.data
def test_compress_calibrates_on_training_shards(shards128) -> None:
    from lprnet.compression.compress import CompressConfig, calibration_images

    shards = shards128
    x = calibration_images(CompressConfig(data=[[str(shards), 1.0]], calibration=3), N)
    assert x.shape == (3, N, N, 3) and x.dtype == np.float32 and 0 <= x.min() < x.max() <= 1
    e = calibration_images(CompressConfig(calibration=3), N)
    assert e.shape == (3, N, N, 3) and not np.array_equal(x, e)
    with pytest.raises(LprnetError, match="--calibration"):
        calibration_images(CompressConfig(calibration=0), N)


def test_stage_files_name_the_recipe(tmp_path) -> None:
    from lprnet.compression.compress import CompressConfig, compress, stage_files

    pruned = stage_files(tmp_path, "m", 0.5)
    assert pruned["tag"] == "pqat" and pruned["int8"].name == "m_pqat-int8.tflite"
    qat_only = stage_files(tmp_path, "m", 0.0)
    assert qat_only["tag"] == "qat" and qat_only["qat"].name == "m_qat.h5"
    with pytest.raises(LprnetError, match=r"--sparsity must be in \[0, 1\)"):
        compress(CompressConfig(sparsity=1.0), tmp_path / "x")
    thin = stage_files(tmp_path, "m", 0.0, 0.5)
    assert thin["pruned"].name == "m_w0.5.keras" and thin["int8"].name == "m_w0.5_qat-int8.tflite"
    with pytest.raises(LprnetError, match="separate recipes"):
        compress(CompressConfig(width=0.5), tmp_path / "x")
    with pytest.raises(LprnetError, match="--width must be in"):
        compress(CompressConfig(sparsity=0, width=0), tmp_path / "x")


@pytest.mark.slow
def test_channel_pruned_recipe_is_a_thinner_int8(tmp_path, monkeypatch) -> None:
    import lprnet.evaluation
    from lprnet.compression.compress import CompressConfig, compress
    from lprnet.models.lprnet import lprnet_128

    few = lprnet.evaluation.embedded_faces()[:8]
    monkeypatch.setattr(lprnet.evaluation, "embedded_faces", lambda: few)
    tf.keras.utils.set_random_seed(0)
    model = lprnet_128(32)
    rng = np.random.default_rng(0)
    for layer in model.layers:  # BN statistics as training leaves them (live ReLUs)
        if isinstance(layer, keras.layers.BatchNormalization):
            c = layer.get_weights()[0].shape[0]
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, c),
                    rng.uniform(0, 0.3, c),
                    0 * rng.normal(size=c),
                    np.ones(c),
                ]
            )
    src = tmp_path / "lprnet_128.keras"
    model.save(src)
    config = CompressConfig(
        model=str(src), sparsity=0, width=0.5, prune_steps=2, qat_steps=1, calibration=4
    )
    report = compress(config, tmp_path / "out", progress=False)
    stages = report["stages"]
    assert list(stages) == ["float", "ptq_int8", "thin_float", "qat_int8"]
    assert stages["thin_float"]["file"] == "lprnet_128_w0.5.keras"
    assert stages["qat_int8"]["bytes"] < 0.45 * stages["ptq_int8"]["bytes"]
    assert {"thin", "qat", "convert"} <= set(report["seconds"])

    # `lprnet model ship OUT --name lprnet_128_w050` ships the thin float with the report
    from lprnet import shipped
    from lprnet.compression.ship import ship_compressed

    target = tmp_path / "resources" / "lprnet_128_w050.keras"
    target.parent.mkdir()
    monkeypatch.setitem(shipped.SHIPPED, "lprnet_128_w050", target)
    record = ship_compressed(tmp_path / "out", notes="test", thin="lprnet_128_w050")
    assert target.is_file() and record["stage"] == "pruned"
    assert record["compress"]["config"]["width"] == 0.5
    assert (target.parent / "lprnet_128_w050.record.json").is_file()
    with pytest.raises(LprnetError, match="magnitude-pruned run"):
        ship_compressed(tmp_path / "out")  # a --width run is not a PQAT to ship


def test_a_model_file_is_scored_once_per_image_set(tmp_path, monkeypatch) -> None:
    """The sweep compresses one float model five times: its float and PTQ rows are scored once."""
    import lprnet.evaluation as evaluation
    import lprnet.predictors as predictors
    from lprnet.compression import compress as comp

    calls = []
    monkeypatch.setattr(comp, "_EVALUATED", {})
    monkeypatch.setattr(predictors, "load_predictor", lambda path, _: path)
    monkeypatch.setattr(evaluation, "compact_summary", lambda res: {"nme": res})

    def fake_evaluate(faces, predictor, face_model, progress):
        calls.append((faces, predictor))
        return len(calls)

    monkeypatch.setattr(evaluation, "evaluate", fake_evaluate)
    a, b, copy_of_a = (tmp_path / n for n in ("a.tflite", "b.tflite", "c.tflite"))
    a.write_bytes(b"model a")
    b.write_bytes(b"model b")
    copy_of_a.write_bytes(b"model a")
    first = comp._evaluate(a, "faces", "embedded:4")
    first["nme"] = -1  # callers get a copy
    assert comp._evaluate(copy_of_a, "faces", "embedded:4") == {"nme": 1}  # same bytes
    assert comp._evaluate(a, "aflw", "aflw2000:/x:995") == {"nme": 2}  # another set
    assert comp._evaluate(b, "faces", "embedded:4") == {"nme": 3}
    assert len(calls) == 3


def test_the_sweep_scans_sensitivity_once(tmp_path) -> None:
    """A later sensitivity point reuses the scan of an earlier one; uniform points and a point
    with its own scan are left alone."""
    from benchmarks.compression_sweep import share_sensitivity_scan

    share_sensitivity_scan(tmp_path, tmp_path / "s0.3", "sensitivity")
    assert not (tmp_path / "s0.3").exists()  # nothing to share yet: the point scans
    (tmp_path / "s0.3").mkdir()
    (tmp_path / "s0.3" / "sensitivity.json").write_text('{"costs": 1}')
    share_sensitivity_scan(tmp_path, tmp_path / "s0.5", "sensitivity")
    assert (tmp_path / "s0.5" / "sensitivity.json").read_text() == '{"costs": 1}'
    share_sensitivity_scan(tmp_path, tmp_path / "w0.5", "uniform")
    assert not (tmp_path / "w0.5").exists()
    (tmp_path / "s0.5" / "sensitivity.json").write_text('{"costs": 2}')
    share_sensitivity_scan(tmp_path, tmp_path / "s0.5", "sensitivity")
    assert (tmp_path / "s0.5" / "sensitivity.json").read_text() == '{"costs": 2}'


def test_activation_ranges_are_fixed_before_int8() -> None:
    """After a short QAT tfmot's ReLU ranges still start below 0 and the head's logits cover
    pixels the loss ignores: the fix starts ReLU ranges at 0, gives the head the weighted
    pixels' range, keeps the maxima, and makes the int8 file closer to the float model."""
    from lprnet.compression.ranges import fix_activation_ranges, head_logits_layer, range_variables

    model = tiny_model(transpose=False)  # nearest upsampling, as lprnet_128's decoder
    images = _images(16).astype(np.float32) / 255.0
    mask = np.zeros((N, N), np.float32)
    mask[:, N // 2 :] = 1.0  # the loss weighs the right half only

    def int8_error(qat) -> float:
        from ai_edge_litert.interpreter import Interpreter

        it = Interpreter(model_content=tflite.convert(qat, "int8", images, io_dtype="float32"))
        it.allocate_tensors()
        errs = []
        for x in images[:4]:
            it.set_tensor(it.get_input_details()[0]["index"], x[None])
            it.invoke()
            y = it.get_tensor(it.get_output_details()[0]["index"])[0]
            errs.append(np.abs(y - model(x[None]).numpy()[0])[:, N // 2 :].mean())
        return float(np.mean(errs))

    def short_qat():  # one training-mode pass: the input quantizer learns [0, 1]
        qat = pqat.quantize_preserving_sparsity(model)
        qat(images, training=True)
        return qat

    before = short_qat()
    start = {k: float(v["min"].numpy()) for k, v in range_variables(before).items()}
    assert start and min(start.values()) < 0  # tfmot's [-6, 6] start
    err_before = int8_error(before)
    qat = short_qat()
    assert head_logits_layer(model) == "head"
    fixed = fix_activation_ranges(qat, model, images, mask)
    logits = keras.Model(model.input, model.get_layer("head").output)(images).numpy()
    weighted = logits[:, :, N // 2 :]
    assert fixed["head"] == pytest.approx(
        [min(weighted.min(), 0), max(weighted.max(), 0)], abs=1e-4
    )
    relus = [k for k in fixed if k != "head"]
    assert relus and all(fixed[k][0] == 0.0 and fixed[k][1] > 5.9 for k in relus)  # max kept
    assert fix_activation_ranges(qat, model, images, mask) == fixed  # a rerun sets the same
    assert int8_error(qat) < 0.7 * err_before  # measured: 0.0025 against 0.0050
    with pytest.raises(LprnetError, match="has no layer"):
        fix_activation_ranges(qat, tiny_model(transpose=True), images, mask)


def test_shipping_a_run_from_the_shipped_pruned_checkpoint_keeps_that_checkpoint(
    tmp_path, monkeypatch
) -> None:
    """A ``--pruned`` run has no pruned file of its own: it ships its QAT model only, and the
    shipped pruned float (and its record) stay as they were."""
    from lprnet import shipped
    from lprnet.compression import ship

    run = tmp_path / "run"
    run.mkdir()
    config = {"sparsity": 0.5, "width": 1.0, "pruned": "lprnet_128_pruned"}
    (run / "report.json").write_text(json.dumps({"config": config, "source": "lprnet_128.keras"}))
    (run / "lprnet_128_pqat.h5").write_bytes(b"qat")
    targets = {k: tmp_path / "res" / f"{k}.bin" for k in ("lprnet_128_pqat", "lprnet_128_pruned")}
    targets["lprnet_128_pqat"].parent.mkdir()
    targets["lprnet_128_pruned"].write_bytes(b"pruned float")
    for k, v in targets.items():
        monkeypatch.setitem(shipped.SHIPPED, k, v)
    monkeypatch.setattr(ship, "SHIPPED", shipped.SHIPPED)
    record = ship.ship_compressed(run, notes="qat of the shipped checkpoint")
    assert record["stage"] == "qat" and targets["lprnet_128_pqat"].read_bytes() == b"qat"
    assert targets["lprnet_128_pruned"].read_bytes() == b"pruned float"
    assert not (tmp_path / "res" / "lprnet_128_pruned.record.json").exists()
