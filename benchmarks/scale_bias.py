"""Does a posmap network read the face's size, or a cue of the augmentation? Size bias by zoom.

    python benchmarks/scale_bias.py MODEL.keras SHARDS [--scales 1 0.97 0.94 0.9] [--batches 4]

The validation crops are zoomed by each scale (the training augmentation's similarity, no
rotation / shift / colour), once with a black fill outside the crop and once mirrored, and the
network's inner-landmark (17-67) box is compared with the target's: ``pred/target`` is the
ratio of their sqrt(w * h), ``nme`` the 68-point NME over the target box. A network that sees
the face answers ~1.0 at every scale; one that reads the black frame is right only where there
is one (zoom < 1) and predicts its mean size elsewhere (the real, frameless crops).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def measure(model, shards: str, scale: float, fill: str, batches: int) -> tuple[float, float]:
    """(mean pred/target inner size ratio, mean NME %) on ``batches`` batches of 16."""
    from lprnet.data.augment import AugmentConfig
    from lprnet.data.pipeline import make_dataset
    from lprnet.geometry.bfm import load_face_model
    from lprnet.geometry.uv import uv_layout

    size = int(model.input_shape[1])
    kx, ky = uv_layout(load_face_model(), size).keypoint_pixels
    cfg = AugmentConfig(
        rotation=0.0 if scale == 1.0 else 1e-3,  # 1e-3 deg forces the warp at scale 1 too
        translation=0.0,
        scale=(scale, scale),
        color=(1.0, 1.0),
        occlusion_prob=0.0,
        fill=fill,
    )
    ds = make_dataset([(shards, 1.0)], batch_size=16, size=size, config=cfg, seed=1, repeat=False)
    ratio, nme = [], []
    for k, (img, tgt) in enumerate(ds):
        if k == batches:
            break
        for a, b in zip(model(img, training=False).numpy(), tgt.numpy(), strict=True):
            p, t = a[ky, kx, :2], b[ky, kx, :2]
            ratio.append(np.sqrt(np.prod(np.ptp(p[17:], 0)) / np.prod(np.ptp(t[17:], 0))))
            nme.append(np.linalg.norm(p - t, axis=1).mean() / np.sqrt(np.prod(np.ptp(t, 0))))
    return float(np.mean(ratio)), 100 * float(np.mean(nme))


def main(argv: list[str] | None = None) -> int:
    import tf_keras

    from lprnet.tfenv import tf  # noqa: F401  (TF_USE_LEGACY_KERAS before tf_keras loads)

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", help="a .keras posmap network")
    p.add_argument("shards", help="validation shard folder")
    p.add_argument("--scales", type=float, nargs="+", default=[1.0, 0.97, 0.94, 0.9])
    p.add_argument("--batches", type=int, default=4)
    args = p.parse_args(argv)
    model = tf_keras.models.load_model(args.model, compile=False)
    print(f"{'zoom':>6}{'fill':>10}{'pred/target':>14}{'NME %':>8}")
    for fill in ("constant", "reflect"):
        for s in args.scales:
            r, e = measure(model, args.shards, s, fill, args.batches)
            print(f"{s:>6.2f}{fill:>10}{r:>14.3f}{e:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
