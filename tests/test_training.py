"""Training: loss, schedule, resume after a kill mid-epoch, exact batch replay, strategies."""

from __future__ import annotations

import hashlib
import json
import os
import signal
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lprnet.data.pipeline import make_dataset
from lprnet.errors import LprnetError
from lprnet.stopsignals import stop_signals_interrupt
from lprnet.training.config import TrainConfig
from lprnet.training.loss import landmark_weighted_mask, weighted_posmap_loss
from lprnet.training.trainer import HalvingSchedule, WarmupCosine, train

pytestmark = pytest.mark.data


def test_weighted_loss_follows_the_mask() -> None:
    w = np.zeros((4, 4), np.float32)
    w[0, 0], w[1, 1] = 16, 4
    loss = weighted_posmap_loss(w)
    t = np.zeros((1, 4, 4, 3), np.float32)
    p = t.copy()
    p[0, 3, 3] = 1.0  # error where the weight is 0
    assert float(loss(t, p)[0]) == 0.0
    p[0, 0, 0, 0] = 0.5
    q = t.copy()
    q[0, 1, 1, 0] = 0.5
    assert float(loss(t, p)[0]) == pytest.approx(0.25 / 16)
    assert float(loss(t, p)[0]) == pytest.approx(4 * float(loss(t, q)[0]))


def test_euclidean_loss_weighs_the_error_length() -> None:
    w = np.full((2, 2), 16.0, np.float32)
    loss = weighted_posmap_loss(w, distance="euclidean")
    t = np.zeros((1, 2, 2, 3), np.float32)
    p = t.copy()
    p[0, 0, 0, :2] = 0.3, 0.4  # length 0.5, squared 0.25
    assert float(loss(t, p)[0]) == pytest.approx(0.5 / 4, rel=1e-3)
    assert float(weighted_posmap_loss(w)(t, p)[0]) == pytest.approx(0.25 / 4)
    # twice as far off costs twice, not four times; at zero error the gradient is finite
    assert float(loss(t, 2 * p)[0]) == pytest.approx(2 * float(loss(t, p)[0]), rel=1e-3)
    from lprnet.tfenv import tf

    x = tf.Variable(t)
    with tf.GradientTape() as tape:
        value = loss(t, x)
    assert np.isfinite(tape.gradient(value, x).numpy()).all()
    with pytest.raises(ValueError, match="squared"):
        weighted_posmap_loss(w, distance="l1")


def test_landmark_weight_moves_only_the_keypoint_pixels() -> None:
    w = np.full((4, 4), 3.0, np.float32)
    w[0, 0] = 0.0
    kp = np.array([[1, 2], [3, 0]])  # x, y of two keypoints: (1, 3) and (2, 0)
    heavy = landmark_weighted_mask(w, kp, 256.0)
    assert heavy[3, 1] == heavy[0, 2] == 256.0
    rest = np.ones_like(w, bool)
    rest[3, 1] = rest[0, 2] = False
    np.testing.assert_array_equal(heavy[rest], w[rest])
    # normalised by PRNet's 16, an error on the face costs what it cost before
    t = np.zeros((1, 4, 4, 3), np.float32)
    p = t.copy()
    p[0, 1, 1, 0] = 0.5
    assert float(weighted_posmap_loss(heavy, normaliser=16.0)(t, p)[0]) == pytest.approx(
        3 * 0.25 / 16 / 16
    )
    with pytest.raises(ValueError, match="landmark weight"):
        landmark_weighted_mask(w, kp, 0.0)


def test_learning_rate_halves_every_five_epochs() -> None:
    s = HalvingSchedule(1e-4, steps_per_epoch=10, every=5)
    assert [float(s(k)) for k in (0, 49, 50, 99, 100)] == pytest.approx(
        [1e-4, 1e-4, 5e-5, 5e-5, 2.5e-5]
    )


def _slim_config(shards: Path, data_dir: Path, tmp_path: Path, **kw) -> TrainConfig:
    """A one-epoch run of the small slim design on the sample shards."""
    return TrainConfig(
        model="lprnet_128_slim",
        train=[(str(shards), 1.0)],
        out=str(tmp_path / "run"),
        epochs=1,
        data_dir=str(data_dir),
        **kw,
    )


def test_warmup_cosine_schedule() -> None:
    s = WarmupCosine(1e-3, warmup=10, total=110)
    lr = [float(s(k)) for k in (0, 5, 10, 60, 110, 200)]
    assert lr == pytest.approx([0.0, 5e-4, 1e-3, 1e-3 * (0.01 + 0.99 * 0.5), 1e-5, 1e-5])


def test_fine_tune_starts_from_init_weights(shards128, data_dir, tmp_path) -> None:
    """--init loads a trained model's weights layer by layer; a wrong design is refused."""
    from lprnet.models.registry import build_model
    from lprnet.training.trainer import load_initial_weights

    src = build_model("lprnet_128_slim")
    src.save(tmp_path / "src.keras")
    model = build_model("lprnet_128_slim")
    x = np.random.default_rng(0).random((1, 128, 128, 3), np.float32)
    assert not np.allclose(model(x).numpy(), src(x).numpy())
    load_initial_weights(model, str(tmp_path / "src.keras"))
    np.testing.assert_allclose(model(x).numpy(), src(x).numpy(), atol=1e-6)
    with pytest.raises(LprnetError, match="other shapes|no layer"):
        load_initial_weights(build_model("lprnet_128_slim_w075"), str(tmp_path / "src.keras"))
    cfg = _slim_config(
        shards128,
        data_dir,
        tmp_path,
        steps_per_epoch=2,
        init=str(tmp_path / "src.keras"),
        schedule="cosine",
        warmup_steps=1,
        optimizer="adamw",
        flip_prob=0.5,
        aug_fill="reflect",
        aug_scale=(0.9, 1.1),
        aug_shift=0.03,
        aug_rotation=30.0,
        aug_contrast=(0.7, 1.5),
        aug_gray=0.2,
        aug_border=0.3,
        aug_blur=1.0,
        aug_noise=0.02,
        aug_jpeg=40,
    )
    record = train(cfg, progress=False)
    assert record["steps"] == 2 and record["config"]["optimizer"] == "adamw"
    assert record["config"]["aug_border"] == 0.3 and record["config"]["aug_jpeg"] == 40
    aug = cfg.augment_config()
    assert (aug.translation, aug.rotation, aug.scale) == (0.03, 30.0, (0.9, 1.1))
    assert record["init"] == {"name": str(tmp_path / "src.keras")}
    # self-distillation from the starting model's flip test
    teach = _slim_config(
        shards128,
        data_dir,
        tmp_path / "teach",
        steps_per_epoch=2,
        init=str(tmp_path / "src.keras"),
        teacher=str(tmp_path / "src.keras"),
        distill=0.5,
        teacher_flip=True,
    )
    record = train(teach, progress=False)
    assert record["steps"] == 2 and record["config"]["teacher_flip"] is True
    # which teacher, by content: a shipped name may point at other weights later
    src_sha = hashlib.sha256((tmp_path / "src.keras").read_bytes()).hexdigest()
    assert record["teacher"] == {"name": str(tmp_path / "src.keras"), "sha256": src_sha}
    for bad in ({"distill": 0.5}, {"teacher": "lprnet_128"}, {"teacher_flip": True}):
        with pytest.raises(LprnetError, match="--teacher"):
            train(_slim_config(shards128, data_dir, tmp_path / "bad", **bad), progress=False)


def test_a_chain_of_fine_tunes_keeps_every_stage_history(tmp_path, monkeypatch) -> None:
    """Each stage's record holds the stage before it (its schedule and epochs) as it was
    when the stage started, even after that shipped name is re-shipped."""
    from lprnet import shipped

    monkeypatch.setattr(shipped, "RESOURCES", tmp_path)
    epochs = [{"epoch": 1, "step": 10, "val_nme_2d": 5.0}]
    first = {"steps": 10, "batch_size": 16, "lr": 2e-4, "schedule": "cosine", "epochs": epochs}
    (tmp_path / "lprnet_128.record.json").write_text(
        json.dumps({"sha256": "ab", "training": {**first, "init": {"name": "synthetic"}}})
    )
    stage = shipped.init_history("lprnet_128")
    assert stage == {"name": "lprnet_128", "sha256": "ab", **first, "init": {"name": "synthetic"}}
    run = tmp_path / "run"
    run.mkdir()
    cfg = {"train": [["shards", 1.0]], "batch_size": 16, "lr": 1e-4, "init": "lprnet_128"}
    (run / "record.json").write_text(
        json.dumps({"config": cfg, "steps": 4, "epochs": epochs, "init": stage})
    )
    (tmp_path / "lprnet_128.record.json").write_text(json.dumps({"training": {"steps": 99}}))
    second = shipped.init_history(str(run / "best.keras"))
    assert second["epochs"] == epochs and second["init"] == stage  # not the re-shipped one


def test_skip_replays_the_same_batches(shards128: Path) -> None:
    full = list(make_dataset(shards128, batch_size=2, seed=3).take(3))
    resumed = next(iter(make_dataset(shards128, batch_size=2, seed=3, skip=4)))
    np.testing.assert_array_equal(resumed[0].numpy(), full[2][0].numpy())
    np.testing.assert_array_equal(resumed[1].numpy(), full[2][1].numpy())


def _config(shards: Path, out: Path, data_dir: Path, **kw) -> TrainConfig:
    base = dict(
        model="lprnet_128",
        train=[(str(shards), 1.0)],
        val=[str(shards)],
        out=str(out),
        aflw_dir=str(data_dir / "samples" / "aflw2000"),
        epochs=2,
        steps_per_epoch=3,
        batch_size=2,
        checkpoint_every=2,
        val_examples=4,
        data_dir=str(data_dir),
    )
    return TrainConfig(**{**base, **kw})


class Killed(BaseException):
    """Like SIGKILL for the trainer: nothing catches it, nothing is saved on the way out."""


def test_killed_mid_epoch_resumes_to_the_same_step_count(shards128, data_dir, tmp_path) -> None:
    config = _config(shards128, tmp_path / "run", data_dir)

    def kill_at_5(step: int) -> None:
        if step == 5:  # mid-epoch 2; last checkpoint at step 4
            raise Killed

    with pytest.raises(Killed):
        train(config, progress=False, on_step=kill_at_5)
    record = train(config, resume=True, progress=False)
    assert record["steps"] == 6
    assert [e["epoch"] for e in record["epochs"]] == [1, 2]
    # the four AFLW2000-3D samples fill two yaw bins: no protocol mean (null), a 2-bin one apart
    undefined = [e["val_nme_2d"] is None or np.isnan(e["val_nme_2d"]) for e in record["epochs"]]
    assert all(undefined), record["epochs"]
    assert all(np.isfinite(e["val_nme_2d_present"]) for e in record["epochs"])
    assert all(np.isfinite(e["aflw_nme_2d_present"]) for e in record["epochs"])
    assert (tmp_path / "run" / "best.keras").is_file()
    assert json.loads((tmp_path / "run" / "record.json").read_text())["steps"] == 6
    # a finished run resumed again does nothing and says so through the same record
    assert train(config, resume=True, progress=False)["steps"] == 6


def test_existing_run_needs_resume_and_same_settings(shards128, data_dir, tmp_path) -> None:
    config = _config(shards128, tmp_path / "run", data_dir, epochs=1, steps_per_epoch=2)
    train(config, progress=False)
    with pytest.raises(LprnetError, match="--resume"):
        train(config, progress=False)
    with pytest.raises(LprnetError, match="batch_size"):
        train(
            _config(shards128, tmp_path / "run", data_dir, batch_size=4),
            resume=True,
            progress=False,
        )
    with pytest.raises(LprnetError, match="aug_border"):
        train(replace(config, aug_border=0.3), resume=True, progress=False)
    with pytest.raises(LprnetError, match="aug_noise"):
        train(replace(config, aug_noise=0.02), resume=True, progress=False)
    with pytest.raises(LprnetError, match="aug_shift"):
        train(replace(config, aug_shift=0.03), resume=True, progress=False)
    with pytest.raises(LprnetError, match="loss"):
        train(replace(config, loss="euclidean"), resume=True, progress=False)
    # a finished run extended with more epochs continues on the same schedule
    longer = train(replace(config, epochs=2), resume=True, progress=False)
    assert longer["steps"] == 4 and longer["config"]["epochs"] == 2
    assert [e["epoch"] for e in longer["epochs"]] == [1, 2]


def test_graceful_interrupt_saves_a_checkpoint(shards128, data_dir, tmp_path) -> None:
    config = _config(shards128, tmp_path / "run", data_dir, checkpoint_every=100)

    def interrupt(step: int) -> None:
        if step == 1:
            raise KeyboardInterrupt

    with pytest.raises(LprnetError, match="interrupted at step 1"):
        train(config, progress=False, on_step=interrupt)
    assert (tmp_path / "run" / "checkpoints" / "ckpt-1.index").is_file()


def test_sigterm_saves_a_checkpoint_like_ctrl_c(shards128, data_dir, tmp_path) -> None:
    config = _config(shards128, tmp_path / "run", data_dir, checkpoint_every=100)
    before = signal.getsignal(signal.SIGTERM)

    def terminate(step: int) -> None:
        if step == 2:
            os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(LprnetError, match="interrupted at step 2"), stop_signals_interrupt():
        train(config, progress=False, on_step=terminate)
    assert (tmp_path / "run" / "checkpoints" / "ckpt-2.index").is_file()
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.slow
def test_mirrored_strategy_on_cpu(shards128, data_dir, tmp_path) -> None:
    config = _config(
        shards128, tmp_path / "run", data_dir, epochs=1, steps_per_epoch=2, strategy="mirrored"
    )
    assert train(config, progress=False)["steps"] == 2


def test_ship_a_run_with_its_record(shards128, data_dir, tmp_path, monkeypatch) -> None:
    from lprnet import shipped

    config = _config(shards128, tmp_path / "run", data_dir, epochs=1, steps_per_epoch=2)
    train(config, progress=False)
    target = tmp_path / "pkg" / "lprnet_128.keras"
    target.parent.mkdir()
    monkeypatch.setitem(shipped.SHIPPED, "lprnet_128", target)
    rec = shipped.ship(
        tmp_path / "run",
        "lprnet_128",
        aflw_dir=config.aflw_dir,
        data_dir=str(data_dir),
        notes="test",
    )
    assert target.is_file() and rec["training"]["steps"] == 2
    assert rec["training"]["data"][0]["samples"] == 4
    saved = json.loads(target.with_suffix(".record.json").read_text())
    assert saved["eval_embedded"]["nme_2d_sparse"]["count"] == 234  # the score split
    assert saved["eval_aflw2000"]["nme_2d_sparse"]["count"] == 4
    assert "nme_3d_dense" in saved["eval_aflw2000"]
    assert saved["sha256"] == rec["sha256"]
    with pytest.raises(LprnetError, match="--name must be one of"):
        shipped.ship(tmp_path / "run", "resnet")


def test_jit_that_cannot_compile_is_one_clear_error(shards128, data_dir, tmp_path) -> None:
    """XLA on CPU has no ResizeNearestNeighborGrad (the decoder's upsampling): --jit says so
    in one line instead of a TensorFlow traceback."""
    cfg = _slim_config(shards128, data_dir, tmp_path, steps_per_epoch=1, jit_compile=True)
    with pytest.raises(LprnetError, match="--jit: XLA cannot compile"):
        train(cfg, progress=False)
