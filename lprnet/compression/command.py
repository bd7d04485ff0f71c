"""The ``lprnet compress`` verb."""

from __future__ import annotations

import argparse
from pathlib import Path


def _cmd_compress(args: argparse.Namespace) -> int:
    from lprnet.cli import parse_source
    from lprnet.compression.compress import CompressConfig, compress, format_report

    config = CompressConfig(
        model=args.model,
        sparsity=args.sparsity,
        prune_steps=args.prune_steps,
        qat_steps=args.qat_steps,
        batch_size=args.batch_size,
        lr=args.lr,
        qat_lr=args.qat_lr,
        data=[list(parse_source(s)) for s in args.data],
        calibration=args.calibration,
        seed=args.seed,
        pruned=args.pruned,
        qat_init=args.qat_init,
        width=args.width,
        schedule=args.schedule,
        fill=args.aug_fill,
        aug_scale=list(args.aug_scale),
        aug_shift=args.aug_shift,
        flip_prob=args.flip_prob,
        contrast=list(args.aug_contrast),
        gray_prob=args.aug_gray,
        border_prob=args.aug_border,
        blur_sigma=args.aug_blur,
        noise_sd=args.aug_noise,
        jpeg_quality=args.aug_jpeg,
        landmark_weight=args.landmark_weight,
        loss=args.loss,
        distill=args.distill,
        allocation=args.allocation,
        ramp=args.prune_ramp,
        teacher_flip=args.teacher_flip,
    )
    report = compress(config, args.out, aflw_dir=args.aflw, data_dir=args.data_dir)
    print(format_report(report))
    ks = report["keras_sparsity"]
    print(
        f"pruned layers {100 * ks['pruned']:.1f}% zeros, whole model {100 * ks['overall']:.1f}%;"
        f" fine-tuned on {report['training_signal']}; report: {Path(args.out) / 'report.json'}"
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``compress`` verb (see :mod:`lprnet.compression.compress`)."""
    from lprnet.cli import add_geometry_args, add_photometric_args
    from lprnet.compression.compress import RAMP

    p = subparsers.add_parser(
        "compress",
        help="pruning-aware fine-tuning + sparsity-preserving QAT -> int8 TFLite",
        description="Prune (tfmot, polynomial decay) and fine-tune, sparsity-preserving QAT, "
        "int8 conversion; compared with post-training int8. Rerun to resume.",
    )
    p.add_argument("--model", default="lprnet_128", help="shipped name or .keras file")
    p.add_argument("--out", required=True, type=Path, help="output folder (resumable)")
    p.add_argument("--sparsity", type=float, default=0.5, help="target sparsity (default 0.5)")
    p.add_argument(
        "--width",
        type=float,
        default=1.0,
        help="< 1: channel pruning instead of zeros: the same network at this width, from the "
        "strongest filters, fine-tuned --prune-steps (with --sparsity 0)",
    )
    p.add_argument("--prune-steps", type=int, default=1000)
    p.add_argument(
        "--prune-ramp",
        type=float,
        default=RAMP,
        help="fraction of --prune-steps over which sparsity grows to its target; the rest "
        f"fine-tune at it (default {RAMP})",
    )
    p.add_argument("--qat-steps", type=int, default=500)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-4, help="pruning fine-tune learning rate")
    p.add_argument("--qat-lr", type=float, default=2e-5)
    p.add_argument(
        "--schedule",
        choices=("constant", "cosine"),
        default="constant",
        help="learning rate of each stage: constant, or cosine-decayed to 0",
    )
    p.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="SHARDS[:WEIGHT]",
        help="training shards (repeatable); without: distillation on the embedded set",
    )
    p.add_argument(
        "--pruned",
        help="a pruned float checkpoint of --model (shipped name or file): skip pruning, "
        "start the sparsity-preserving QAT from it (--model stays the float reference)",
    )
    p.add_argument(
        "--qat-init",
        help="with --pruned: a QAT checkpoint of it (.h5 or a shipped name such as "
        "lprnet_128_pqat) to continue the QAT from, its weights and activation ranges",
    )
    p.add_argument(
        "--calibration",
        type=int,
        default=200,
        help="int8 calibration crops: from --data when given, else the embedded set's "
        "calibration split (never the crops the report scores)",
    )
    p.add_argument("--aug-fill", choices=("constant", "reflect"), default="reflect")
    add_geometry_args(p, scale=(0.9, 1.1))
    p.add_argument("--flip-prob", type=float, default=0.5)
    add_photometric_args(p)
    p.add_argument(
        "--landmark-weight",
        type=float,
        default=16.0,
        help="loss weight of the 68 keypoint pixels (PRNet: 16; lprnet train's option)",
    )
    p.add_argument(
        "--loss",
        default="squared",
        choices=["squared", "euclidean"],
        help="per pixel, the squared error or its length (lprnet train's option)",
    )
    p.add_argument(
        "--distill",
        type=float,
        default=0.0,
        metavar="W",
        help="with --data: blend the float teacher's prediction into the target, "
        "(1 - W) * label + W * teacher (default 0: labels only)",
    )
    p.add_argument(
        "--teacher-flip",
        action="store_true",
        help="with --distill: the teacher is the float model's flip test (the crop and its "
        "mirror image averaged), not one run of it",
    )
    p.add_argument(
        "--allocation",
        choices=("uniform", "sensitivity"),
        default="uniform",
        help="spread --sparsity evenly over the pruned layers, or per layer from a sensitivity "
        "scan on the calibration crops (big, insensitive layers give more)",
    )
    p.add_argument("--aflw", help="also evaluate every stage on this AFLW2000-3D folder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", help="face-model data directory (default: $LPRNET_DATA)")
    p.set_defaults(func=_cmd_compress)
    return p
