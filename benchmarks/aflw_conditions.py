"""Which real-photo conditions cost accuracy? AFLW2000-3D NME split by what the crop looks like,
and the same conditions put on the validation views.

    python benchmarks/aflw_conditions.py MODEL [MODEL ...] [--aflw DIR] [--val SHARDS ...]
        [--val-examples N] [--data-dir DIR] [--json OUT]

AFLW2000-3D's 450 px images are padded black where the photo ended, and many are grey: the
protocol's crop (1.6 x the ground-truth box, black outside the image) then shows black strips
that 300W's photos, and so the rebuilt 300W-LP, almost never have. Part 1 splits the protocol's
per-image 68-point 2D NME by yaw bin into crops with a black border (more than
``BLACK_SHARE`` of the 128 px crop's pixels at most ``BLACK_LEVEL``) or not, and grey or colour
images. Part 2 is the causal check on faces the network never trained on: the validation views
scored clean, then with black strips along their sides, grey, and a higher contrast (the
training augmentation's own functions, fixed seeds), and with the photo-quality faults the
training set has no augmentation for (sensor noise, JPEG, blur, low resolution). Part 3 compares
the high-frequency level of the crops (Immerkaer's noise estimate, which texture raises too):
AFLW2000-3D's protocol crops against the validation views; part 1 also splits by it. Diagnostic
only: the protocol number stays the mean of the yaw-bin means.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

#: A crop pixel is "black" when no channel exceeds this (uint8).
BLACK_LEVEL = 2
#: A crop "has a black border" when more than this share of its pixels is black.
BLACK_SHARE = 0.05
#: An image is grey when its channels differ by less than this on average (uint8 levels).
GRAY_LEVEL = 1.0
#: A crop is "noisy" when its Immerkaer noise estimate exceeds this (uint8 grey levels).
NOISE_LEVEL = 3.0


def black_share(crop: np.ndarray) -> float:
    """Share of a crop's pixels that are black.

    Parameters
    ----------
    crop : (n, n, 3) uint8

    Returns
    -------
    float in [0, 1]
    """
    return float((crop.max(-1) <= BLACK_LEVEL).mean())


def is_gray(image: np.ndarray) -> bool:
    """Whether an (H, W, 3) uint8 image has (nearly) equal channels."""
    img = image.astype(np.int16)
    diff = np.abs(img[..., 0] - img[..., 1]).mean() + np.abs(img[..., 1] - img[..., 2]).mean()
    return bool(diff < GRAY_LEVEL)


def noise_sigma(gray: np.ndarray) -> float:
    """Immerkaer's (1996) fast noise estimate: the mean absolute response to the difference of
    two Laplacians, scaled to the standard deviation of white Gaussian noise.

    Parameters
    ----------
    gray : (H, W) grey levels (any dtype; uint8 scale)

    Returns
    -------
    float, grey levels (texture adds to it: a high-frequency level, not only noise)
    """
    import cv2

    k = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    r = np.abs(cv2.filter2D(np.asarray(gray, np.float32), -1, k))[1:-1, 1:-1]
    return float(np.sqrt(np.pi / 2) * r.mean() / 6)


def _gray(images: np.ndarray) -> np.ndarray:
    """(..., 3) RGB -> (...) luma, same scale."""
    return np.asarray(images, np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def split_by_condition(yaws, nme, flags) -> dict[str, list[dict[str, float | int | None]]]:
    """Mean NME (percent) and count per yaw bin for images with and without a condition.

    Parameters
    ----------
    yaws : (M,) degrees (the sign is ignored)
    nme : (M,) NME as fractions
    flags : (M,) bool, the condition

    Returns
    -------
    dict
        ``{"with": [...], "without": [...]}``, one ``{"images", "nme"}`` per protocol yaw bin
        (``nme`` is None for an empty cell).
    """
    from lprnet.metrics import YAW_BINS, yaw_bin

    bin_of, e, f = yaw_bin(yaws), 100.0 * np.asarray(nme, np.float64), np.asarray(flags, bool)
    out: dict[str, list[dict[str, float | int | None]]] = {"with": [], "without": []}
    for i in range(len(YAW_BINS)):
        b = bin_of == i
        for key, m in (("with", b & f), ("without", b & ~f)):
            mean = float(e[m].mean()) if m.any() else None
            out[key].append({"images": int(m.sum()), "nme": mean})
    return out


def crop_conditions(faces) -> dict[str, tuple[bool, bool, float]]:
    """``name -> (black border, grey, noise sigma)`` of each face's protocol crop (128 px, black
    outside the image, as the predictors crop it); the same for every model, so computed once."""
    from lprnet.geometry import crop

    out = {}
    for face in faces:
        image = face.image()
        center, size = crop.box_from_landmarks(face.gt_landmarks)
        c = crop.warp_image(image, crop.crop_matrix(center, size, 128), 128)
        out[face.name] = (black_share(c) > BLACK_SHARE, is_gray(image), noise_sigma(_gray(c)))
    return out


def aflw_split(model_name: str, faces, conditions, data_dir: str) -> dict:
    """Part 1 for one model: the per-image NME split by black border and by grey
    (``conditions`` from :func:`crop_conditions`)."""
    from lprnet.evaluation import evaluate
    from lprnet.predictors import load_predictor

    rows = evaluate(faces, load_predictor(model_name, None, data_dir=data_dir), progress=False)
    rows = rows["per_image"]
    yaws = [r["yaw"] for r in rows]
    nme = [r["nme_2d_sparse"] for r in rows]
    black, gray, sigma = zip(*(conditions[r["name"]] for r in rows), strict=True)
    return {
        "images": len(nme),
        "black_border": split_by_condition(yaws, nme, black),
        "gray": split_by_condition(yaws, nme, gray),
        "noisy": split_by_condition(yaws, nme, np.array(sigma) > NOISE_LEVEL),
    }


def perturbations() -> dict:
    """The validation views' conditions: name -> AugmentConfig (photometric and border only)."""
    from dataclasses import replace

    from lprnet.data.augment import AugmentConfig

    none = AugmentConfig(
        rotation=0.0, translation=0.0, scale=(1.0, 1.0), color=(1.0, 1.0), occlusion_prob=0.0
    )
    return {
        "clean": none,
        "black border (p=1)": replace(none, border_prob=1.0),
        "grey": replace(none, gray_prob=1.0),
        "contrast x1.6": replace(none, contrast=(1.6, 1.6)),
        "grey, contrast x1.6": replace(none, gray_prob=1.0, contrast=(1.6, 1.6)),
    }


def degradations() -> dict:
    """Photo-quality faults: name -> f((n, n, 3) float image in [0, 1], rng) -> same."""
    import cv2

    def noise(sd):
        return lambda x, rng: np.clip(x + rng.normal(0.0, sd, x.shape), 0.0, 1.0)

    def jpeg(quality):
        def f(x, rng):
            u8 = np.ascontiguousarray((x * 255.0 + 0.5).astype(np.uint8)[..., ::-1])
            ok, buf = cv2.imencode(".jpg", u8, [cv2.IMWRITE_JPEG_QUALITY, quality])
            return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].astype(np.float32) / 255.0

        return f

    def low_res(side):
        def f(x, rng):
            n = x.shape[0]
            small = cv2.resize(x, (side, side), interpolation=cv2.INTER_AREA)
            return cv2.resize(small, (n, n), interpolation=cv2.INTER_LINEAR)

        return f

    return {
        "noise sd 0.02": noise(0.02),
        "noise sd 0.04": noise(0.04),
        "JPEG q50": jpeg(50),
        "JPEG q20": jpeg(20),
        "blur sigma 1.5 px": lambda x, rng: cv2.GaussianBlur(x, (0, 0), 1.5),
        "low res 32 px": low_res(32),
    }


def degraded(images: np.ndarray, fault, seed: int = 0) -> np.ndarray:
    """Apply one of :func:`degradations` to (B, n, n, 3) float images (seeded)."""
    rng = np.random.default_rng(seed)
    return np.stack([fault(x, rng) for x in images]).astype(np.float32)


def perturbed(images: np.ndarray, config, seed: int = 0) -> np.ndarray:
    """Apply the photometric and border parts of ``config`` to (B, n, n, 3) float images."""
    from lprnet.data.augment import black_border, photometric
    from lprnet.tfenv import tf

    out = []
    for k, img in enumerate(images):
        s = tf.constant([seed, k], tf.int64)
        x = photometric(tf.constant(img), s, config)
        out.append(black_border(x, tf.random.experimental.stateless_fold_in(s, 1), config).numpy())
    return np.stack(out).astype(np.float32)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="+", help="shipped names or .keras files")
    p.add_argument("--aflw", help="AFLW2000-3D folder (default: DATA_DIR/AFLW2000)")
    p.add_argument("--val", nargs="*", default=[], help="validation shard folders (part 2)")
    p.add_argument("--val-examples", type=int, default=1403)
    p.add_argument("--data-dir", help="data directory (default: $LPRNET_DATA)")
    p.add_argument("--json", help="write the results here")
    args = p.parse_args(argv)

    import tf_keras

    from lprnet.assets import data_dir
    from lprnet.evaluation import aflw2000_benchmark
    from lprnet.geometry.bfm import load_face_model
    from lprnet.metrics import YAW_BINS
    from lprnet.shipped import resolve_model
    from lprnet.training.config import TrainConfig
    from lprnet.training.validation import Validator

    root = data_dir(args.data_dir)
    faces = aflw2000_benchmark(args.aflw or root / "AFLW2000", root)
    bins = ", ".join(YAW_BINS)
    result: dict = {
        "black_level": BLACK_LEVEL,
        "black_share": BLACK_SHARE,
        "noise_level": NOISE_LEVEL,
        "models": {},
    }
    conditions = crop_conditions(faces)
    validator, views = None, {}
    if args.val:
        cfg = TrainConfig(val=list(args.val), val_examples=args.val_examples)
        validator = Validator(cfg, load_face_model(str(root)), 128)
        views = {cond: perturbed(validator.images, c) for cond, c in perturbations().items()}
        views |= {cond: degraded(validator.images, f) for cond, f in degradations().items()}
        q = (25, 50, 75)
        result["noise_sigma_p25_50_75"] = {
            "aflw2000": [float(v) for v in np.percentile([c[2] for c in conditions.values()], q)],
            "validation": [
                float(v)
                for v in np.percentile([noise_sigma(_gray(x * 255.0)) for x in views["clean"]], q)
            ],
        }
        print("noise sigma (grey levels) p25 / 50 / 75:", result["noise_sigma_p25_50_75"])
    for name in args.models:
        res = {"aflw2000": aflw_split(name, faces, conditions, str(root))}
        print(f"{name}: AFLW2000-3D 68-point 2D NME % by yaw bin ({bins})")
        for cond in ("black_border", "gray", "noisy"):
            split = res["aflw2000"][cond]
            for key in ("with", "without"):
                cells = " / ".join(
                    "-" if c["nme"] is None else f"{c['nme']:.2f} ({c['images']})"
                    for c in split[key]
                )
                print(f"  {cond:12s} {key:8s} {cells}")
        if validator is not None:
            model = tf_keras.models.load_model(resolve_model(name), compile=False)
            res["validation"] = {}
            for cond, images in views.items():
                validator.images = images
                v = validator(model)
                res["validation"][cond] = {"nme": v["val_nme_2d"], "bins": v["val_nme_2d_bins"]}
                print(f"  validation {cond:22s} {v['val_nme_2d']:.2f}")
        result["models"][name] = res
    if args.json:
        from lprnet.fileio import write_json

        write_json(args.json, result)


if __name__ == "__main__":
    main()
