"""Fine-tuning data and loop for compression.

Two sources of training signal:

* **shards** (:func:`shard_dataset`): the training TFRecords with their ground-truth posmaps,
  PRNet-augmented, when a user has them;
* **distillation** (:func:`distillation_dataset`): on a fresh machine, the embedded set's crops
  (no labels used), PRNet-augmented, with the float model's own prediction as the target. The
  pruned / quantised student learns to reproduce its float teacher.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from typing import Any

import numpy as np

from lprnet.data.augment import AugmentConfig, augment
from lprnet.errors import LprnetError
from lprnet.tfenv import tf

# isort: off
import tf_keras as keras

# isort: on

SourceSpec = str | os.PathLike | tuple[str | os.PathLike, float]


def shard_dataset(
    sources: SourceSpec | Sequence[SourceSpec],
    size: int,
    batch_size: int = 16,
    seed: int = 0,
    config: AugmentConfig | None = None,
) -> tf.data.Dataset:
    """Augmented ``(image, posmap / (size * 1.1))`` batches from training shards."""
    from lprnet.data.pipeline import make_dataset

    return make_dataset(
        sources, batch_size=batch_size, size=size, augment=True, seed=seed, config=config
    )


def shard_images(
    sources: SourceSpec | Sequence[SourceSpec], size: int, count: int, seed: int = 0
) -> np.ndarray:
    """``count`` un-augmented training crops, (count, size, size, 3) float32 in [0, 1].

    What int8 calibration takes when training shards are given: the distribution the model
    was trained on, and never an evaluation image.
    """
    from lprnet.data.pipeline import make_dataset

    if count < 1:
        raise LprnetError(f"--calibration must be >= 1, got {count}")
    ds = make_dataset(sources, batch_size=count, size=size, augment=False, seed=seed)
    images, _ = next(iter(ds))
    return images.numpy().astype(np.float32)


def distillation_dataset(
    images: np.ndarray,
    teacher: keras.Model,
    batch_size: int = 16,
    seed: int = 0,
    config: AugmentConfig | None = None,
) -> tf.data.Dataset:
    """Augmented crops with the teacher's prediction as the target.

    Parameters
    ----------
    images : (N, n, n, 3) uint8
        Face crops (RGB), e.g. ``load_embedded_set().images(n)``.
    teacher : tf_keras.Model
        The float network, (B, n, n, 3) in [0, 1] -> normalised posmap.
    batch_size, seed : int
        Element ``k`` of the stream is image ``hash(seed, k) mod N`` augmented with the
        stateless seed ``(seed, k)``: the stream is a pure function of ``seed``.

    Returns
    -------
    tf.data.Dataset
        Endless ``(image, target)`` batches, (B, n, n, 3) float32 each.
    """
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3 or images.shape[1] != images.shape[2]:
        raise LprnetError(f"distillation images: expected (N, n, n, 3), got {images.shape}")
    if len(images) == 0:
        raise LprnetError("distillation images: the set is empty")
    n = images.shape[1]
    config = config or AugmentConfig()
    table = tf.constant(images.astype(np.uint8))
    zeros = tf.zeros((n, n, 3), tf.float32)

    @tf.autograph.experimental.do_not_convert  # plain TF ops: nothing to convert (and no warning)
    def example(k):
        s = tf.stack([tf.constant(seed, tf.int64), k])
        i = tf.random.stateless_uniform([], s, 0, len(images), dtype=tf.int64)
        image, _ = augment(tf.gather(table, i), zeros, s, config)
        return image

    ds = tf.data.Dataset.range(2**62).map(example, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.batch(batch_size, drop_remainder=True)
    ds = ds.map(tf.autograph.experimental.do_not_convert(lambda x: (x, teacher(x, training=False))))
    return ds.prefetch(tf.data.AUTOTUNE)


class _Progress(keras.callbacks.Callback):
    """A tqdm bar over the steps of one ``fit`` call, with the running loss."""

    def __init__(self, steps: int, desc: str, enabled: bool):
        super().__init__()
        self.steps, self.desc, self.enabled = steps, desc, enabled
        self.bar: Any = None

    def on_train_begin(self, logs=None):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=self.steps, desc=self.desc, unit="step", disable=not self.enabled)

    def on_train_batch_end(self, batch, logs=None):
        # ``batch`` (0-based) starts where a resumed run restarts (BackupAndRestore)
        self.bar.update(max(1, int(batch) + 1 - self.bar.n))
        if logs and batch % 20 == 0:
            self.bar.set_postfix(loss=f"{logs.get('loss', float('nan')):.2e}")

    def on_train_end(self, logs=None):
        self.bar.close()


def fit(
    model: keras.Model,
    dataset: tf.data.Dataset,
    steps: int,
    lr: float,
    weight_mask: np.ndarray,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    desc: str = "fine-tune",
    progress: bool = True,
    schedule: str = "constant",
    backup_dir: str | os.PathLike | None = None,
    backup_every: int = 250,
    loss_normaliser: float | None = None,
    loss_distance: str = "squared",
) -> float | None:
    """Train ``steps`` batches with Adam on PRNet's weighted posmap loss, at ``lr`` throughout
    (``schedule="constant"``) or decayed to 0 along a cosine (``"cosine"``).

    ``loss_normaliser``: what the mask is divided by (default its maximum; PRNet's 16 for a mask
    whose keypoints weigh more, :func:`lprnet.training.loss.landmark_weighted_mask`);
    ``loss_distance``: its squared error or the error's length (``lprnet train --loss``).

    With ``backup_dir``, the model, the optimizer (its step drives the schedule and the pruning
    wrappers' step) and the position are checkpointed every ``backup_every`` steps, and a call
    that finds a backup there continues from it: an interrupted stage loses at most
    ``backup_every`` steps. The data stream restarts from its first batch on resume. The backup
    is deleted when the stage completes.

    Returns
    -------
    float or None
        The mean training loss over the steps (None for 0 steps).
    """
    from lprnet.training.loss import weighted_posmap_loss

    if steps < 1:
        return None
    if schedule not in ("constant", "cosine"):
        raise LprnetError(f"fine-tune schedule must be constant or cosine, got {schedule!r}")
    rate = keras.optimizers.schedules.CosineDecay(lr, int(steps)) if schedule == "cosine" else lr
    model.compile(
        optimizer=keras.optimizers.Adam(rate),
        loss=weighted_posmap_loss(weight_mask, loss_normaliser, loss_distance),
    )
    backup = []
    if backup_dir is not None:  # first: it restores before the others read the step
        backup = [keras.callbacks.BackupAndRestore(str(backup_dir), save_freq=int(backup_every))]
    history = model.fit(
        dataset,
        epochs=1,
        steps_per_epoch=int(steps),
        verbose=0,
        callbacks=[*backup, *callbacks, _Progress(int(steps), desc, progress)],
    )
    if backup_dir is not None:  # Keras removes the checkpoint, not the folder it was given
        shutil.rmtree(backup_dir, ignore_errors=True)
    return float(history.history["loss"][-1])
