"""Training configuration (``lprnet train`` options), saved with every run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class TrainConfig:
    """PRNet's recipe by default: batch 16, Adam 1e-4 halved every 5 epochs, weighted MSE.

    Attributes
    ----------
    model : str
        Registered model name (``lprnet model summary``).
    train : list of (path, weight)
        Shard folders and their mixing weights.
    val : list of str
        Shard folders for the validation NME each epoch (held-out synthetic / profiled).
    aflw_dir : str, optional
        An AFLW2000-3D folder (or subset): the 3DDFA-protocol NME each epoch.
    steps_per_epoch : int, optional
        Default: training examples / batch size.
    max_steps : int, optional
        Stop at this global step (a time-boxed run); resumable like any other stop.
    checkpoint_every : int
        Steps between checkpoints (a killed run loses at most this many).
    schedule : {"halving", "cosine"}
        ``halving``: ``lr`` halved every ``lr_halve_every`` epochs (PRNet's); ``cosine``: linear
        warm-up over ``warmup_steps``, then cosine decay to 1% of ``lr`` at the last step.
    optimizer : {"adam", "adamw"}
        AdamW uses the decoupled ``weight_decay``.
    init : str, optional
        Start from the weights of this model file or shipped model (fine-tuning).
    teacher : str, optional
        A model file or shipped model whose prediction is blended into the target:
        ``(1 - distill) * label + distill * teacher(x)`` (:mod:`lprnet.training.distill`).
    distill : float
        The teacher's weight in the target, in [0, 1] (0: the labels only).
    teacher_flip : bool
        The teacher is the model's flip test (the crop and its mirror image averaged).
    flip_prob : float
        Probability of mirroring a training example (:class:`lprnet.data.augment.AugmentConfig`).
    landmark_weight : float
        Loss weight of the 68 keypoint pixels (PRNet's 16; the face is 3, eyes / nose / mouth 4).
    loss : {"squared", "euclidean"}
        Per pixel, PRNet's squared error or its length
        (:func:`lprnet.training.loss.weighted_posmap_loss`).
    aug_scale : (float, float)
        Range of the augmentation's scale (PRNet: 0.9-1.2).
    aug_shift : float
        Largest shift along x and along y, a fraction of the crop size (PRNet: 0.1).
    aug_rotation : float
        Largest rotation, degrees (PRNet: 45).
    aug_fill : {"constant", "reflect"}
        What the augmentation's warp shows outside the crop (see
        :class:`lprnet.data.augment.AugmentConfig`).
    aug_contrast, aug_gray, aug_border :
        Contrast range, probability of a grey image, probability of black strips along the
        crop's sides (``contrast``, ``gray_prob``, ``border_prob`` of ``AugmentConfig``).
    aug_blur, aug_noise, aug_jpeg :
        The photo faults: largest blur sigma (crop pixels), largest noise sd, lowest JPEG
        quality (``blur_sigma``, ``noise_sd``, ``jpeg_quality`` of ``AugmentConfig``).
    jit_compile : bool
        Compile the training step with XLA.
    strategy : {"auto", "default", "mirrored", "multiworker"}
        ``auto``: MultiWorkerMirroredStrategy when ``TF_CONFIG`` is set, MirroredStrategy with
        several GPUs, else the default strategy.
    """

    model: str = "lprnet_128"
    train: list[tuple[str, float]] = field(default_factory=list)
    val: list[str] = field(default_factory=list)
    aflw_dir: str | None = None
    out: str = "runs/train"
    epochs: int = 20
    steps_per_epoch: int | None = None
    max_steps: int | None = None
    batch_size: int = 16
    lr: float = 1e-4
    lr_halve_every: int = 5
    schedule: str = "halving"
    warmup_steps: int = 0
    optimizer: str = "adam"
    weight_decay: float = 1e-4
    init: str | None = None
    teacher: str | None = None
    distill: float = 0.0
    teacher_flip: bool = False
    jit_compile: bool = False
    flip_prob: float = 0.0
    landmark_weight: float = 16.0
    loss: str = "squared"
    aug_scale: tuple[float, float] = (0.9, 1.2)
    aug_shift: float = 0.1
    aug_rotation: float = 45.0
    aug_fill: str = "constant"
    aug_contrast: tuple[float, float] = (1.0, 1.0)
    aug_gray: float = 0.0
    aug_border: float = 0.0
    aug_blur: float = 0.0
    aug_noise: float = 0.0
    aug_jpeg: int = 100
    seed: int = 0
    augment: bool = True
    checkpoint_every: int = 500
    val_examples: int = 256
    strategy: str = "auto"
    data_dir: str | None = None

    def augment_config(self):
        """The training augmentation (:class:`lprnet.data.augment.AugmentConfig`)."""
        from lprnet.data.augment import AugmentConfig

        return AugmentConfig(
            flip_prob=self.flip_prob,
            scale=tuple(self.aug_scale),
            translation=self.aug_shift,
            rotation=self.aug_rotation,
            fill=self.aug_fill,
            contrast=tuple(self.aug_contrast),
            gray_prob=self.aug_gray,
            border_prob=self.aug_border,
            blur_sigma=self.aug_blur,
            noise_sd=self.aug_noise,
            jpeg_quality=self.aug_jpeg,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
