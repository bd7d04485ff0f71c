"""``lprnet data synth``: N synthetic samples into shards, deterministic per (seed, index).

Each sample draws from ``np.random.default_rng([seed, index])`` alone, so the shard bytes depend
only on the seed, the count, the size and the texture bank: not on worker count or interruptions.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np

from lprnet.data import shards
from lprnet.data.build import check_size, write_shards
from lprnet.synth.faces import SynthConfig


@dataclass(frozen=True)
class SynthJob:
    size: int
    seed: int
    textures: str
    data_dir: str | None
    cfg: SynthConfig = field(default_factory=SynthConfig)


@lru_cache(maxsize=2)
def _resources(size: int, textures: str, data_dir: str | None):
    from lprnet.geometry.bfm import load_face_model
    from lprnet.geometry.fitting import load_param_prior
    from lprnet.geometry.uv import uv_layout
    from lprnet.synth.bank import load_backgrounds
    from lprnet.synth.texture import TEXTURE_SIZE, TextureBank, vertex_albedo

    model = load_face_model(data_dir)
    bank = TextureBank.load(textures)
    tex_layout = uv_layout(model, TEXTURE_SIZE)
    albedos = [vertex_albedo(t, tex_layout) for t in bank.textures]
    prior = load_param_prior(data_dir)
    return model, uv_layout(model, size), albedos, load_backgrounds(textures), prior


def _encode_synth(index: int, job: SynthJob) -> tuple[str, dict[str, Any] | None, str]:
    from lprnet.synth.faces import synth_sample

    name = f"synth-s{job.seed}-{index:07d}"
    try:
        model, layout, albedos, backgrounds, prior = _resources(
            job.size, job.textures, job.data_dir
        )
        rng = np.random.default_rng([job.seed, index])
        sample = synth_sample(rng, model, layout, albedos, prior, backgrounds, job.cfg, name)
        return name, shards.encode_sample(sample, "synth"), ""
    except Exception as exc:  # listed in index.json, never fatal
        return name, None, f"{type(exc).__name__}: {exc}"


def bank_digest(textures: str | os.PathLike) -> str:
    """Identity of a texture bank (its bank.json), recorded in the shards' index."""
    return hashlib.sha256((Path(textures) / "bank.json").read_bytes()).hexdigest()[:16]


def synth_shards(
    count: int,
    out: str | os.PathLike,
    size: int = 256,
    seed: int = 0,
    textures: str | os.PathLike = "cache/textures",
    data_dir: str | None = None,
    workers: int | None = None,
    shard_size: int = 500,
    progress: bool = True,
    cfg: SynthConfig | None = None,
) -> dict[str, Any]:
    """Write ``count`` synthetic samples of ``size`` to shard folder ``out`` (resumable)."""
    from lprnet.synth.texture import TextureBank

    check_size(size)
    TextureBank.load(textures)  # fail early with a clear message
    job = SynthJob(size, seed, str(Path(textures).resolve()), data_dir, cfg or SynthConfig())
    header = {"source": "synth", "size": size, "seed": seed, "textures": bank_digest(textures)}
    return write_shards(
        list(range(count)),
        [str(i) for i in range(count)],
        partial(_encode_synth, job=job),
        out,
        header=header,
        shard_size=shard_size,
        workers=workers,
        progress=progress,
    )
