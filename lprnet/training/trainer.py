"""The training loop: tf.distribute, checkpoints every N steps, exact resume, validation NME.

Outputs in ``config.out``::

    config.json          the configuration (a resume must match it)
    checkpoints/         tf.train.Checkpoint of model, optimizer and step (latest 3)
    tensorboard/         loss, learning rate, validation NME per epoch
    best.keras           the model with the best validation NME so far (atomic replace)
    last.keras           the model at the end of the last finished epoch
    record.json          the training record: data, steps, per-epoch metrics, best epoch
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import tf_keras as keras
from tqdm import tqdm

from lprnet.errors import LprnetError
from lprnet.fileio import write_json
from lprnet.shipped import init_history, model_identity
from lprnet.tfenv import tf
from lprnet.training.config import TrainConfig


class HalvingSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """PRNet's learning rate: ``lr * 0.5 ** floor(step / (steps_per_epoch * every))``."""

    def __init__(self, lr: float, steps_per_epoch: int, every: int):
        self.lr, self.steps_per_epoch, self.every = lr, steps_per_epoch, every

    def __call__(self, step):
        period = tf.cast(self.steps_per_epoch * self.every, tf.float32)
        return self.lr * tf.pow(0.5, tf.floor(tf.cast(step, tf.float32) / period))

    def get_config(self) -> dict[str, Any]:
        return {"lr": self.lr, "steps_per_epoch": self.steps_per_epoch, "every": self.every}


class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from 0 to ``lr`` over ``warmup`` steps, then a cosine decay to
    ``lr * final`` at step ``total`` (and flat after it)."""

    def __init__(self, lr: float, warmup: int, total: int, final: float = 0.01):
        self.lr, self.warmup, self.total, self.final = lr, warmup, total, final

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warm = step / max(self.warmup, 1)
        t = tf.clip_by_value((step - self.warmup) / max(self.total - self.warmup, 1), 0.0, 1.0)
        cos = self.final + (1 - self.final) * 0.5 * (1 + tf.cos(math.pi * t))
        return self.lr * tf.where(step < self.warmup, warm, cos)

    def get_config(self) -> dict[str, Any]:
        return {"lr": self.lr, "warmup": self.warmup, "total": self.total, "final": self.final}


def make_schedule(config: TrainConfig, steps_per_epoch: int, total: int):
    """The learning-rate schedule of ``config.schedule`` (``halving``: PRNet's; ``cosine``:
    warm-up + cosine over the run's ``total`` steps)."""
    if config.schedule == "halving":
        return HalvingSchedule(config.lr, steps_per_epoch, config.lr_halve_every)
    if config.schedule == "cosine":
        return WarmupCosine(config.lr, config.warmup_steps, total)
    raise LprnetError(f"unknown --schedule {config.schedule!r}; choose halving or cosine")


def make_optimizer(config: TrainConfig, schedule):
    """Adam (PRNet's) or AdamW with decoupled ``weight_decay``."""
    if config.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=schedule)
    if config.optimizer == "adamw":
        return keras.optimizers.AdamW(learning_rate=schedule, weight_decay=config.weight_decay)
    raise LprnetError(f"unknown --optimizer {config.optimizer!r}; choose adam or adamw")


def load_initial_weights(model, init: str) -> None:
    """Start from the weights of a trained model (a ``.keras`` / ``.h5`` file or a shipped
    name such as ``lprnet_128``), layer by layer; a layer whose shapes differ is an error."""
    from lprnet.shipped import resolve_model

    path = resolve_model(init)
    if not path.exists():
        raise LprnetError(f"--init {init}: no such model file or shipped model")
    source = keras.models.load_model(path, compile=False)
    by_name = {layer.name: layer for layer in source.layers}
    moved = 0
    for layer in model.layers:
        if not layer.weights or layer.name not in by_name:
            continue
        src = by_name[layer.name].get_weights()
        if [w.shape for w in src] != [w.shape for w in layer.get_weights()]:
            raise LprnetError(f"--init {path}: layer {layer.name} has other shapes than the model")
        layer.set_weights(src)
        moved += 1
    if moved == 0:
        raise LprnetError(f"--init {path}: no layer of the model found in it (other design?)")


def _teacher(config: TrainConfig):
    """The frozen teacher of ``config.teacher`` (its flip test with ``teacher_flip``)."""
    from lprnet.shipped import resolve_model
    from lprnet.training.distill import flip_averaged

    path = resolve_model(config.teacher)
    try:
        teacher = keras.models.load_model(path, compile=False)
    except Exception as exc:
        raise LprnetError(f"--teacher {config.teacher}: not a tf_keras model file ({exc})") from exc
    teacher.trainable = False
    return flip_averaged(teacher) if config.teacher_flip else teacher


def save_model_atomic(model, path: Path, **kwargs) -> None:
    """``model.save(**kwargs)`` to a temporary name, then rename over ``path``."""
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    model.save(tmp, **kwargs)
    os.replace(tmp, path)


def _check_config(out: Path, config: TrainConfig, resume: bool) -> None:
    saved = out / "config.json"
    has_ckpt = (out / "checkpoints" / "checkpoint").is_file()
    if has_ckpt and not resume:
        raise LprnetError(
            f"{out} already holds a run: pass --resume to continue it, or a new --out"
        )
    if resume and saved.is_file():
        old = json.loads(saved.read_text())
        # --epochs (and --max-steps) may grow: that extends a run on the same schedule
        keys = (
            "model",
            "batch_size",
            "seed",
            "train",
            "lr",
            "lr_halve_every",
            "steps_per_epoch",
            "augment",
            "schedule",
            "warmup_steps",
            "optimizer",
            "weight_decay",
            "init",
            "flip_prob",
            "landmark_weight",
            "loss",
            "aug_scale",
            "aug_shift",
            "aug_rotation",
            "aug_fill",
            "aug_contrast",
            "aug_gray",
            "aug_border",
            "aug_blur",
            "aug_noise",
            "aug_jpeg",
        )
        new = json.loads(json.dumps(config.to_dict()))
        # a run saved before a setting existed ran with its default
        default = json.loads(json.dumps(TrainConfig().to_dict()))
        diff = [k for k in keys if old.get(k, default.get(k)) != new.get(k)]
        if diff:
            raise LprnetError(f"--resume with different settings than {saved}: {', '.join(diff)}")


def train(
    config: TrainConfig, resume: bool = False, progress: bool = True, on_step=None
) -> dict[str, Any]:
    """Train (or resume) a posmap network; returns the training record.

    ``on_step(step)`` is called after every step (tests use it to simulate a kill).
    """
    from lprnet.data.pipeline import count_examples, make_dataset
    from lprnet.geometry.bfm import load_face_model
    from lprnet.geometry.uv import uv_layout
    from lprnet.models.registry import build_model, summary
    from lprnet.training.distill import blend_teacher
    from lprnet.training.loss import landmark_weighted_mask, weighted_posmap_loss
    from lprnet.training.strategy import is_chief, make_strategy
    from lprnet.training.validation import Validator

    if not config.train:
        raise LprnetError("no training data: give --data SHARDS[:WEIGHT] at least once")
    if (config.distill > 0) != (config.teacher is not None) or not 0 <= config.distill <= 1:
        raise LprnetError("--teacher and --distill W (0 < W <= 1) go together")
    if config.teacher_flip and not config.teacher:
        raise LprnetError("--teacher-flip needs --teacher")
    out = Path(config.out)
    _check_config(out, config, resume)
    chief = is_chief()
    if chief:
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "config.json", config.to_dict())
    examples = count_examples(config.train)
    spe = config.steps_per_epoch or max(1, examples // config.batch_size)
    total = config.epochs * spe
    if config.max_steps is not None:
        total = min(total, config.max_steps)

    face_model = load_face_model(config.data_dir)
    strategy = make_strategy(config.strategy)
    with strategy.scope():
        model = build_model(config.model)
        schedule = make_schedule(config, spe, total)
        optimizer = make_optimizer(config, schedule)
        best = tf.Variable(math.inf, dtype=tf.float32, trainable=False, name="best_nme")
    size = int(model.input_shape[1])
    layout = uv_layout(face_model, size)
    mask = landmark_weighted_mask(
        layout.weight_mask, layout.keypoint_pixels, config.landmark_weight
    )
    loss_fn = weighted_posmap_loss(
        mask, normaliser=float(np.max(layout.weight_mask)), distance=config.loss
    )
    ckpt_dir = out / "checkpoints" if chief else out / f"worker_tmp_{os.getpid()}"
    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, best=best)
    manager = tf.train.CheckpointManager(checkpoint, str(ckpt_dir), max_to_keep=3)
    if resume and manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).expect_partial()
    elif config.init:
        load_initial_weights(model, config.init)
    step = int(optimizer.iterations.numpy())
    record_path = out / "record.json"
    record = (
        json.loads(record_path.read_text())
        if resume and record_path.is_file()
        else {
            "model": summary(model),
            "config": config.to_dict(),
            "examples": examples,
            "steps_per_epoch": spe,
            "epochs": [],
            "train_seconds": 0.0,
            # the starting point's own history, read now: a shipped name may be re-shipped later
            **({"init": init_history(config.init)} if config.init else {}),
            **({"teacher": model_identity(config.teacher)} if config.teacher else {}),
        }
    )
    record["config"] = config.to_dict()  # an extended run records its new length
    if step >= total:
        return record

    dataset = make_dataset(
        config.train,
        batch_size=config.batch_size,
        size=size,
        augment=config.augment,
        config=config.augment_config(),
        seed=config.seed,
        repeat=True,
        skip=step * config.batch_size,
    )
    if config.distill:
        dataset = blend_teacher(dataset, _teacher(config), config.distill)
    iterator = iter(strategy.experimental_distribute_dataset(dataset))
    validator = Validator(config, face_model, size)
    writer = tf.summary.create_file_writer(str(out / "tensorboard")) if chief else None

    @tf.function(jit_compile=config.jit_compile or None)
    def train_step(batch):
        def replica_step(image, target):
            with tf.GradientTape() as tape:
                per_example = loss_fn(target, model(image, training=True))
                loss = tf.nn.compute_average_loss(per_example, global_batch_size=config.batch_size)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=False))
            return loss

        losses = strategy.run(replica_step, args=batch)
        return strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

    bar = tqdm(
        total=total, initial=step, unit="step", desc=f"train {config.model}", disable=not progress
    )
    started, running = time.perf_counter(), []
    try:
        while step < total:
            loss = float(_run_step(train_step, next(iterator), config.jit_compile))
            step += 1
            running.append(loss)
            bar.update(1)
            if step % 20 == 0:
                bar.set_postfix(loss=f"{np.mean(running[-20:]):.5f}")
                if writer:
                    with writer.as_default(step=step):
                        tf.summary.scalar("loss", np.mean(running[-20:]))
                        tf.summary.scalar("lr", schedule(step))
            if step % config.checkpoint_every == 0:
                manager.save(checkpoint_number=step)
            if step % spe == 0 or step == total:
                epoch_metrics = _end_epoch(step, spe, running, model, validator, best, writer)
                record["epochs"].append(epoch_metrics)
                running = []
                if chief:
                    if epoch_metrics.get("is_best"):
                        save_model_atomic(model, out / "best.keras")
                    save_model_atomic(model, out / "last.keras")
                manager.save(checkpoint_number=step)
                record["train_seconds"] += time.perf_counter() - started
                started = time.perf_counter()
                record["steps"] = step
                if chief:
                    write_json(record_path, record)
            if on_step is not None:
                on_step(step)
    except KeyboardInterrupt:
        manager.save(checkpoint_number=step)
        bar.close()
        raise LprnetError(
            f"interrupted at step {step}: checkpoint saved; run the same command with --resume"
        ) from None
    bar.close()
    record["steps"] = step
    if chief:
        write_json(record_path, record)
    return record


def _run_step(train_step, batch, jit: bool):
    """One training step; an XLA compile failure becomes one clear line."""
    if not jit:
        return train_step(batch)
    try:
        return train_step(batch)
    except tf.errors.InvalidArgumentError as exc:
        if "XLA" not in str(exc) and "jit" not in str(exc).lower():
            raise
        first = next((ln for ln in str(exc).splitlines() if "unsupported" in ln.lower()), "")
        raise LprnetError(
            "--jit: XLA cannot compile this model's training step here "
            f"({first.strip()[:300] or type(exc).__name__}); run without --jit"
        ) from None


def _end_epoch(step, spe, losses, model, validator, best, writer) -> dict[str, Any]:
    metrics = {
        "epoch": math.ceil(step / spe),
        "step": step,
        "train_loss": float(np.mean(losses)) if losses else None,
    }
    metrics.update(validator(model))
    # the checkpoint is chosen on the validation shards (AFLW2000-3D only without them), by the
    # protocol mean, or by the mean of the bins present when a bin is empty
    keys = ("val_nme_2d", "val_nme_2d_present", "aflw_nme_2d", "aflw_nme_2d_present")
    finite = [
        metrics[k] for k in keys if isinstance(metrics.get(k), float) and math.isfinite(metrics[k])
    ]
    score = finite[0] if finite else None
    if score is not None and score < float(best.numpy()):
        best.assign(score)
        metrics["is_best"] = True
    if writer:
        with writer.as_default(step=step):
            for k, v in metrics.items():
                if isinstance(v, float) and k != "epoch":
                    tf.summary.scalar(f"epoch/{k}", v)
    tqdm.write(
        " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items())
    )
    return metrics
