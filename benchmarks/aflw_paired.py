"""Two models on the same AFLW2000-3D images, image by image: is B really better than A?

    python benchmarks/aflw_paired.py A.json B.json [--metric nme_2d_sparse] [--json OUT]

A and B are ``lprnet eval --data aflw2000 ... --json`` results. Two stages of one network err
on mostly the same faces, so their protocol means differ by less than either's spread over the
images; the per-image difference B - A has a far smaller standard error than the two means
have. Prints, over the images both scored and by yaw bin, the mean difference (points of NME)
with its standard error and the share of images on which B is better, beside each model's
protocol mean (the mean of the yaw-bin means) on those images.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _rows(path: Path, metric: str) -> dict[str, tuple[float, float]]:
    """``name -> (yaw, metric)`` of one eval result; a clear error when it has no per-image rows."""
    try:
        result = json.loads(path.read_text())
        rows = result["per_image"]
    except (OSError, ValueError, KeyError) as exc:
        msg = f"{path}: not an `lprnet eval --json` result with per_image rows ({exc})"
        raise SystemExit(msg) from None
    return {r["name"]: (float(r["yaw"]), float(r[metric])) for r in rows if metric in r}


def paired(a: dict, b: dict) -> dict:
    """Per-image comparison of two ``name -> (yaw, value)`` maps (values as fractions).

    Returns
    -------
    dict
        ``images`` (the names both have), ``a`` / ``b`` (:func:`lprnet.metrics.summarize_by_yaw`
        of each on those images, percent), and ``difference``: for ``all`` and each yaw bin,
        ``mean`` and ``se`` of ``b - a`` in points of NME, ``b_better`` (share of images) and
        ``count``.
    """
    from lprnet import metrics

    names = sorted(set(a) & set(b))
    if not names:
        raise SystemExit("the two results share no image")
    yaw = np.array([a[n][0] for n in names])
    va = np.array([a[n][1] for n in names])
    vb = np.array([b[n][1] for n in names])
    d = 100.0 * (vb - va)
    bins = metrics.yaw_bin(yaw)

    def stats(sel: np.ndarray) -> dict:
        x = d[sel]
        se = float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else None
        return {
            "mean": float(x.mean()) if len(x) else None,
            "se": se,
            "b_better": float((x < 0).mean()) if len(x) else None,
            "count": int(len(x)),
        }

    diff = {"all": stats(np.ones(len(d), bool))}
    for k, label in enumerate(metrics.YAW_BINS):
        diff[label] = stats(bins == k)
    return {
        "images": len(names),
        "a": metrics.summarize_by_yaw(va, yaw),
        "b": metrics.summarize_by_yaw(vb, yaw),
        "difference": diff,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("a", type=Path, help="eval result of the reference model")
    p.add_argument("b", type=Path, help="eval result of the model compared with it")
    p.add_argument("--metric", default="nme_2d_sparse", help="per-image metric (default: 2D NME)")
    p.add_argument("--json", type=Path, help="write the comparison here")
    args = p.parse_args(argv)
    out = paired(_rows(args.a, args.metric), _rows(args.b, args.metric))
    out = {"a": str(args.a), "b": str(args.b), "metric": args.metric, **out}
    print(f"{args.metric}, {out['images']} images both scored; B - A in points of NME")
    for name in ("a", "b"):
        s = out[name]
        mean = f"{s['mean']:.3f}" if s["defined"] else "undefined (a yaw bin is empty)"
        bins = " / ".join(f"{b['mean']:.2f}" for b in s["bins"].values())
        print(f"  {name.upper()} {getattr(args, name)}: protocol mean {mean} ({bins})")
    for label, s in out["difference"].items():
        if s["count"]:
            se = "" if s["se"] is None else f" +- {s['se']:.3f}"
            better = f"B better on {100 * s['b_better']:.0f}% of {s['count']}"
            print(f"  {label:>9}: {s['mean']:+.3f}{se}  {better}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
