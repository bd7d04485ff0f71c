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
    seed: int = 0
    augment: bool = True
    checkpoint_every: int = 500
    val_examples: int = 256
    strategy: str = "auto"
    data_dir: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
