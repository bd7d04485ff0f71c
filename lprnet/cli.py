"""The ``lprnet`` command: one verb per pipeline stage."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from lprnet import __version__
from lprnet.errors import LprnetError
from lprnet.stopsignals import stop_signals_interrupt


def _add_data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="face-model data directory (default: $LPRNET_DATA)")


def add_geometry_args(p: argparse.ArgumentParser, scale: tuple[float, float]) -> None:
    """The augmentation's zoom and shift options (train and compress)."""
    p.add_argument("--aug-scale", type=float, nargs=2, default=list(scale), metavar=("MIN", "MAX"))
    p.add_argument(
        "--aug-shift",
        type=float,
        default=0.1,
        metavar="FRACTION",
        help="largest shift along x and y, a fraction of the crop (PRNet: 0.1)",
    )


def add_photometric_args(p: argparse.ArgumentParser) -> None:
    """The augmentation's contrast, grey, black-border and photo-fault options (train and
    compress)."""
    p.add_argument(
        "--aug-contrast",
        type=float,
        nargs=2,
        default=[1.0, 1.0],
        metavar=("MIN", "MAX"),
        help="contrast factor about the mean luminance (1 1: off)",
    )
    p.add_argument("--aug-gray", type=float, default=0.0, help="probability of a grey image")
    p.add_argument(
        "--aug-border",
        type=float,
        default=0.0,
        help="probability of black strips along the crop's sides (crops past a photo's edge)",
    )
    p.add_argument(
        "--aug-blur",
        type=float,
        default=0.0,
        metavar="SIGMA",
        help="half the images blurred, Gaussian sigma up to SIGMA crop pixels (0: off)",
    )
    p.add_argument(
        "--aug-noise",
        type=float,
        default=0.0,
        metavar="SD",
        help="half the images with Gaussian noise, sd up to SD of the [0, 1] range (0: off)",
    )
    p.add_argument(
        "--aug-jpeg",
        type=int,
        default=100,
        metavar="QUALITY",
        help="half the images JPEG-compressed at a quality from QUALITY to 100 (100: off)",
    )


def _report_shards(index: dict, what: str, out: Path) -> int:
    """Print what a shard build wrote and what it skipped (and why)."""
    print(f"{index['count']} {what} in {len(index['shards'])} shards -> {out}")
    for s in index["skipped"]:
        print(f"  skipped {s['name']}: {s['error']}")
    return 0


def _print_fit_report(out: Path) -> None:
    """The per-subset fit quality a 300W profile wrote to ``fit.json``."""
    report = json.loads((out / "fit.json").read_text())["by_subset"]
    print(f"{'3DMM fit NME (% of sqrt(w*h))':<32}{'faces':>7}{'mean':>8}{'median':>8}{'p90':>8}")
    for name, r in report.items():
        print(f"{name:<32}{r['faces']:>7}{r['mean']:>8.2f}{r['median']:>8.2f}{r['p90']:>8.2f}")


def _cmd_data_build(args: argparse.Namespace) -> int:
    from lprnet.data.build import build_shards

    if args.source == "300w":  # manual 2D landmarks: the fitted 3DMM gives the posmap
        from lprnet.synth.profile import profile_shards

        index = profile_shards(
            [args.dir],
            args.out,
            size=args.size,
            yaws=(),
            data_dir=args.data_dir,
            workers=args.workers,
            shard_size=args.shard_size,
            source="300w",
            subsets=args.subsets,
        )
        _print_fit_report(args.out)
        return _report_shards(index, "samples", args.out)
    index = build_shards(
        args.source,
        args.dir,
        args.out,
        size=args.size,
        shard_size=args.shard_size,
        workers=args.workers,
        data_dir=args.data_dir,
    )
    return _report_shards(index, "samples", args.out)


def _cmd_data_verify(args: argparse.Namespace) -> int:
    from lprnet.data.verify import verify_shards

    report = verify_shards(args.shards)
    print(f"{report['count']} samples in {report['shards']} shards: sha256 and decoding ok")
    return 0


def _add_subsets(p: argparse.ArgumentParser) -> None:
    from lprnet.data.w300 import SUBSETS

    p.add_argument(
        "--subsets",
        nargs="+",
        choices=SUBSETS,
        metavar="SUBSET",
        help=f"300W subset folders to read (default: all present of {', '.join(SUBSETS)})",
    )


def _default_photo_roots(data_dir: str | None) -> list[Path]:
    from lprnet.assets import data_dir as resolve

    root = resolve(data_dir)
    return [p for p in (root / "photos", root / "samples") if p.is_dir()]


def _ensure_textures(textures: Path, data_dir: str | None) -> None:
    if (textures / "bank.json").is_file():
        return
    if textures.exists():
        raise LprnetError(
            f"--textures {textures}: not a texture bank (no bank.json in it); "
            "give a bank folder or a new path to build one"
        )
    from lprnet.synth.bank import build_texture_bank

    roots = _default_photo_roots(data_dir)
    print(f"no texture bank in {textures}: building it from {', '.join(map(str, roots))}")
    build_texture_bank(roots, textures, data_dir)


def _cmd_data_textures(args: argparse.Namespace) -> int:
    from lprnet.synth.bank import build_texture_bank

    roots = args.photos or _default_photo_roots(args.data_dir)
    info = build_texture_bank(roots, args.out, args.data_dir)
    print(
        f"{info['textures']} textures from {info['faces']} faces in {info['photos']} photos "
        f"-> {args.out}"
    )
    return 0


def _cmd_data_synth(args: argparse.Namespace) -> int:
    from lprnet.synth.generate import synth_shards

    _ensure_textures(args.textures, args.data_dir)
    index = synth_shards(
        args.count,
        args.out,
        size=args.size,
        seed=args.seed,
        textures=args.textures,
        data_dir=args.data_dir,
        workers=args.workers,
        shard_size=args.shard_size,
    )
    return _report_shards(index, "synthetic samples", args.out)


def _cmd_data_profile(args: argparse.Namespace) -> int:
    from lprnet.synth.profile import profile_shards

    roots = args.photos or _default_photo_roots(args.data_dir)
    index = profile_shards(
        roots,
        args.out,
        size=args.size,
        yaws=args.yaws,
        data_dir=args.data_dir,
        workers=args.workers,
        shard_size=args.shard_size,
        source=args.source,
        subsets=args.subsets,
        flip=args.flip,
        pitches=args.pitches,
    )
    if args.source == "300w":
        _print_fit_report(args.out)
    return _report_shards(index, "profiled views", args.out)


def _cmd_data_preview(args: argparse.Namespace) -> int:
    from lprnet.data.preview import contact_sheet

    if args.yaw_histogram:
        from lprnet.data.preview import yaw_histogram

        counts = yaw_histogram([args.shards], args.out)
        print(f"wrote {args.out}; views by |yaw| bin: {counts}")
        return 0
    path = contact_sheet(
        args.shards,
        args.out,
        count=args.count,
        augment=args.augment,
        seed=args.seed,
        data_dir=args.data_dir,
        prefix=args.names,
        every=args.every,
    )
    print(f"wrote {path}")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from lprnet.errors import AssetNotFoundError
    from lprnet.evaluation import aflw2000_benchmark, evaluate, format_table
    from lprnet.fileio import write_json
    from lprnet.geometry.bfm import load_face_model
    from lprnet.predictors import load_predictor

    if args.data == "embedded":
        from lprnet.evaluation import embedded_faces

        faces = embedded_faces(args.dir)
        try:  # the face model is optional here: the embedded set carries its dense truth
            model = load_face_model(args.data_dir)
        except AssetNotFoundError:
            model = None
    else:
        if args.dir is None:
            raise LprnetError("--data aflw2000 needs the AFLW2000-3D folder")
        model = load_face_model(args.data_dir)
        skipped: list[str] = []
        faces = aflw2000_benchmark(args.dir, args.data_dir, args.pts68, args.pose, skipped)
    predictor = load_predictor(args.model, model, args.resolution, args.data_dir, args.flip_test)
    result = evaluate(faces, predictor, model)
    if args.data == "aflw2000":
        result["skipped"] = skipped + result["skipped"]
    where = args.dir or "(shipped)"
    label = f"{args.model} (flip test)" if args.flip_test else args.model
    result = {"model": label, "data": f"{args.data} {where}", **result}
    print(f"{label} on {args.data} {where} ({result['images']} images)")
    print(format_table(result, references=args.data == "aflw2000"))
    if args.json:
        write_json(args.json, result)
        print(f"wrote {args.json}")
    return 0


def parse_source(spec: str) -> tuple[str, float]:
    path, _, weight = spec.partition(":")
    try:
        return path, float(weight) if weight else 1.0
    except ValueError:
        raise LprnetError(f"--data {spec}: expected FOLDER or FOLDER:WEIGHT") from None


def _cmd_train(args: argparse.Namespace) -> int:
    from lprnet.training.config import TrainConfig
    from lprnet.training.trainer import train

    config = TrainConfig(
        model=args.model,
        train=[parse_source(s) for s in args.data],
        val=args.val or [],
        aflw_dir=args.aflw,
        out=str(args.out),
        epochs=args.epochs,
        steps_per_epoch=args.steps_per_epoch,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        lr=args.lr,
        lr_halve_every=args.lr_halve_every,
        schedule=args.schedule,
        warmup_steps=args.warmup_steps,
        optimizer=args.optimizer,
        weight_decay=args.weight_decay,
        init=args.init,
        teacher=args.teacher,
        distill=args.distill,
        teacher_flip=args.teacher_flip,
        jit_compile=args.jit,
        flip_prob=args.flip_prob,
        landmark_weight=args.landmark_weight,
        loss=args.loss,
        aug_scale=tuple(args.aug_scale),
        aug_shift=args.aug_shift,
        aug_rotation=args.aug_rotation,
        aug_fill=args.aug_fill,
        aug_contrast=tuple(args.aug_contrast),
        aug_gray=args.aug_gray,
        aug_border=args.aug_border,
        aug_blur=args.aug_blur,
        aug_noise=args.aug_noise,
        aug_jpeg=args.aug_jpeg,
        val_examples=args.val_examples,
        seed=args.seed,
        augment=not args.no_augment,
        checkpoint_every=args.checkpoint_every,
        strategy=args.strategy,
        data_dir=args.data_dir,
    )
    record = train(config, resume=args.resume)
    best = [e for e in record["epochs"] if e.get("is_best")]
    print(f"{record.get('steps', 0)} steps; best epoch: {best[-1] if best else 'none'}")
    print(f"models and record in {args.out}")
    return 0


def _cmd_model_ship(args: argparse.Namespace) -> int:
    from lprnet.shipped import COMPRESSED, THIN, ship

    if args.name in COMPRESSED or args.name in THIN:  # the products of a compress run
        from lprnet.compression.compress import format_report
        from lprnet.compression.ship import ship_compressed

        thin = args.name if args.name in THIN else None
        rec = ship_compressed(args.run, args.notes, thin=thin)
        what = rec["file"] if thin else f"lprnet_128_pruned and {rec['file']}"
        print(f"shipped {what} from {args.run}:")
        print(format_report(rec["compress"]))
        return 0
    rec = ship(args.run, args.name, aflw_dir=args.aflw, data_dir=args.data_dir, notes=args.notes)
    emb = rec["eval_embedded"]["nme_2d_sparse"]["mean"]
    print(
        f"shipped {rec['file']} ({rec['model']['params']:,} params); embedded-set NME "
        f"{emb:.2f}%"
        + (
            f", AFLW2000 NME {rec['eval_aflw2000']['nme_2d_sparse']['mean']:.2f}%"
            if "eval_aflw2000" in rec
            else ""
        )
    )
    return 0


def _cmd_model_summary(args: argparse.Namespace) -> int:
    from lprnet.models.registry import build_model, model_names, summary

    names = model_names() if args.name == "all" else [args.name]
    w = max(18, *(len(n) + 2 for n in names))
    print(f"{'model':<{w}}{'input':>12}{'params':>12}{'GMAC':>8}")
    for name in names:
        s = summary(build_model(name))
        print(f"{name:<{w}}{s['input']:>12}{s['params']:>12,}{s['gmac']:>8.3f}")
    return 0


def _cmd_uv_tables(args: argparse.Namespace) -> int:
    from lprnet.geometry.uv_tables import export_shipped

    for path in export_shipped(args.data_dir):
        print(f"wrote {path}")
    return 0


def _cmd_pipeline(args: argparse.Namespace) -> int:
    import os

    from lprnet.pipeline import EdgeSettings, run_pipeline

    edge = EdgeSettings(
        prune_steps=args.prune_steps,
        qat_steps=args.qat_steps,
        runs=args.runs,
        threads=tuple(int(t) for t in args.threads.split(",")),
        refresh_assets=not args.no_refresh_assets,
        formats=tuple(args.formats),
        memory=not args.no_memory,
        from_pruned=not args.prune_from_scratch,
        from_qat=not (args.prune_from_scratch or args.fresh_qat),
        verbose=args.verbose,
    )
    if args.verbose:  # library output too (lprnet.quiet and TensorFlow's C++ logs)
        os.environ["LPRNET_TF_VERBOSE"] = "1"
    run_pipeline(out=Path(args.out), data_root=args.data_dir, edge=edge, aflw=args.aflw)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lprnet", description=__doc__)
    parser.add_argument("--version", action="version", version=f"lprnet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="build and check training shards").add_subparsers(
        dest="data_command", required=True
    )
    p = data.add_parser("build", help="300W-LP / AFLW2000-3D folder -> TFRecord shards")
    p.add_argument("--source", required=True, choices=["300wlp", "aflw2000", "300w"])
    p.add_argument("dir", type=Path, help="dataset folder (e.g. 300W_LP/, AFLW2000/ or 300W/)")
    _add_subsets(p)
    p.add_argument("--out", required=True, type=Path, help="output shard folder")
    p.add_argument("--size", type=int, default=256, choices=[128, 256], help="crop / UV size")
    p.add_argument("--shard-size", type=int, default=500, help="samples per shard")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: cores)")
    _add_data_dir(p)
    p.set_defaults(func=_cmd_data_build)
    p = data.add_parser("textures", help="UV texture bank + backgrounds from landmarked photos")
    p.add_argument(
        "--photos", type=Path, nargs="*", help="folders (default: data dir photos/, " "samples/)"
    )
    p.add_argument("--out", type=Path, default=Path("cache/textures"))
    _add_data_dir(p)
    p.set_defaults(func=_cmd_data_textures)

    p = data.add_parser("synth", help="synthetic 3DMM faces -> shards")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--size", type=int, default=256, choices=[128, 256])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--textures",
        type=Path,
        default=Path("cache/textures"),
        help="texture bank (built from the data dir's photos when missing)",
    )
    p.add_argument("--shard-size", type=int, default=500)
    p.add_argument("--workers", type=int, default=None)
    _add_data_dir(p)
    p.set_defaults(func=_cmd_data_synth)

    p = data.add_parser("profile", help="3DDFA face profiling of landmarked photos -> shards")
    p.add_argument(
        "--photos", type=Path, nargs="*", help="folders (default: data dir photos/, " "samples/)"
    )
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--size", type=int, default=256, choices=[128, 256])
    p.add_argument(
        "--yaws",
        type=float,
        nargs="+",
        default=[0, 15, 30, 45, 60, 75, 90],
        help="absolute yaws (degrees) to turn each face to, both sides",
    )
    p.add_argument(
        "--pitches",
        type=float,
        nargs="+",
        default=[],
        help="absolute pitches (degrees): a face's views take them in turn (default: the "
        "photo's own pitch, as 300W-LP)",
    )
    p.add_argument(
        "--source",
        default="photos",
        choices=["photos", "300w"],
        help="photos: any landmark files below --photos; 300w: --photos are 300W downloads",
    )
    _add_subsets(p)
    p.add_argument(
        "--flip",
        default="off",
        choices=["off", "also", "only"],
        help="mirrored faces (300W-LP's _Flip folders): none, also, or only them",
    )
    p.add_argument("--shard-size", type=int, default=500)
    p.add_argument("--workers", type=int, default=None)
    _add_data_dir(p)
    p.set_defaults(func=_cmd_data_profile)

    p = data.add_parser("preview", help="contact sheet of samples with posmap landmarks")
    p.add_argument("shards", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--count", type=int, default=16)
    p.add_argument("--augment", action="store_true", help="show training augmentation")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--names", default="", help="only samples whose name starts with this")
    p.add_argument("--every", type=int, default=1, help="every k-th of those samples")
    p.add_argument(
        "--yaw-histogram", action="store_true", help="plot the yaw and pitch histograms instead"
    )
    _add_data_dir(p)
    p.set_defaults(func=_cmd_data_preview)

    p = data.add_parser("verify", help="check shard checksums and decode every sample")
    p.add_argument("shards", type=Path)
    p.set_defaults(func=_cmd_data_verify)

    p = sub.add_parser("eval", help="NME by yaw bin on AFLW2000-3D (3DDFA protocol)")
    p.add_argument(
        "--model", required=True, help="'bfm-fit' or a model file (.keras, .h5, .tflite, .onnx)"
    )
    p.add_argument("--data", required=True, choices=["aflw2000", "embedded"], help="benchmark")
    p.add_argument(
        "dir",
        type=Path,
        nargs="?",
        help="AFLW2000-3D folder (any subset of it); for embedded: another set file",
    )
    p.add_argument(
        "--pts68",
        type=Path,
        help="3DDFA's AFLW2000-3D.pts68.npy (default: the data dir's aflw2000-3d-gt/ copy)",
    )
    p.add_argument(
        "--pose",
        type=Path,
        help="yaw file for the bins (default: the data dir's AFLW2000-3D-new.pose.npy)",
    )
    p.add_argument("--resolution", type=int, default=256, help="UV size of bfm-fit")
    p.add_argument(
        "--flip-test",
        action="store_true",
        help="average each crop's posmap with its mirror image's (two model runs)",
    )
    p.add_argument("--json", type=Path, help="also write the result as JSON")
    _add_data_dir(p)
    p.set_defaults(func=_cmd_eval)

    model_sub = sub.add_parser("model", help="model registry").add_subparsers(
        dest="model_command", required=True
    )
    p = model_sub.add_parser("summary", help="parameters and multiply-accumulates of a model")
    p.add_argument("name", help="model name, or 'all'")
    p.set_defaults(func=_cmd_model_summary)
    p = model_sub.add_parser("ship", help="copy a run's best model into the package + record")
    p.add_argument(
        "run", type=Path, help="training run (lprnet train --out), or a compress run folder"
    )
    p.add_argument(
        "--name",
        required=True,
        help="shipped name: lprnet_128 or prnet_256 (a training run), lprnet_128_pqat (a "
        "compress run: ships lprnet_128_pruned with it unless --pruned gave it), "
        "lprnet_128_w050 (a --width 0.5 compress run)",
    )
    p.add_argument("--aflw", help="AFLW2000-3D folder to evaluate it on as well")
    p.add_argument("--notes", default="", help="free text for the record")
    _add_data_dir(p)
    p.set_defaults(func=_cmd_model_ship)

    p = sub.add_parser("train", help="train a posmap network (PRNet's recipe)")
    p.add_argument("--model", default="lprnet_128", help="registered model name")
    p.add_argument(
        "--data",
        action="append",
        required=True,
        metavar="SHARDS[:WEIGHT]",
        help="training shard folder with an optional mixing weight (repeatable)",
    )
    p.add_argument("--val", action="append", metavar="SHARDS", help="validation shard folder")
    p.add_argument("--aflw", help="AFLW2000-3D folder (or subset) for the protocol NME each epoch")
    p.add_argument("--out", type=Path, default=Path("runs/train"))
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--steps-per-epoch", type=int, help="default: examples / batch size")
    p.add_argument("--max-steps", type=int, help="stop at this step (resumable)")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--lr-halve-every", type=int, default=5, help="epochs (--schedule halving)")
    p.add_argument("--schedule", default="halving", choices=["halving", "cosine"])
    p.add_argument("--warmup-steps", type=int, default=0, help="linear warm-up (cosine)")
    p.add_argument("--optimizer", default="adam", choices=["adam", "adamw"])
    p.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW's decoupled decay")
    p.add_argument("--init", help="start from this model file or shipped model (fine-tune)")
    p.add_argument(
        "--teacher", help="model file or shipped model whose prediction --distill blends in"
    )
    p.add_argument(
        "--distill",
        type=float,
        default=0.0,
        metavar="W",
        help="target (1 - W) * label + W * teacher (needs --teacher)",
    )
    p.add_argument(
        "--teacher-flip",
        action="store_true",
        help="the teacher's flip test (the crop and its mirror image averaged) as the teacher",
    )
    p.add_argument("--jit", action="store_true", help="compile the training step with XLA")
    p.add_argument("--flip-prob", type=float, default=0.0, help="mirror augmentation")
    p.add_argument(
        "--landmark-weight",
        type=float,
        default=16.0,
        help="loss weight of the 68 keypoint pixels (PRNet: 16; face 3, eyes/nose/mouth 4)",
    )
    p.add_argument(
        "--loss",
        default="squared",
        choices=["squared", "euclidean"],
        help="per pixel, the squared error (PRNet) or its length (what the NME averages)",
    )
    add_geometry_args(p, scale=(0.9, 1.2))
    p.add_argument(
        "--aug-rotation",
        type=float,
        default=45.0,
        metavar="DEG",
        help="largest rotation (PRNet: 45)",
    )
    p.add_argument(
        "--aug-fill",
        default="constant",
        choices=["constant", "reflect"],
        help="outside the warped crop: black (PRNet) or mirrored (no scale cue)",
    )
    add_photometric_args(p)
    p.add_argument("--val-examples", type=int, default=256, help="validation views used")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--checkpoint-every", type=int, default=500, help="steps")
    p.add_argument(
        "--strategy", default="auto", choices=["auto", "default", "mirrored", "multiworker"]
    )
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    _add_data_dir(p)
    p.set_defaults(func=_cmd_train)

    from lprnet.inference.command import register as register_predict

    register_predict(sub)
    from lprnet.compression.command import register as register_compress

    register_compress(sub)
    from benchmarks.command import register as register_bench

    register_bench(sub)
    from export.command import register as register_export

    register_export(sub)
    from lprnet.demo.command import register as register_demo

    register_demo(sub)
    from lprnet.server.command import register as register_serve

    register_serve(sub)

    p = sub.add_parser("uv-tables", help="regenerate the packaged UV tables from the face model")
    _add_data_dir(p)
    p.set_defaults(func=_cmd_uv_tables)

    p = sub.add_parser(
        "pipeline",
        help="the main job: (data stages) -> compress -> export -> parity -> bench -> assets",
    )
    p.add_argument("--out", default="runs/pipeline", help="output folder")
    from lprnet.pipeline import EdgeSettings

    edge = EdgeSettings()
    p.add_argument("--prune-steps", type=int, default=edge.prune_steps, help="pruning steps")
    p.add_argument("--qat-steps", type=int, default=edge.qat_steps, help="PQAT steps")
    p.add_argument("--runs", type=int, default=edge.runs, help="timed runs per model and threads")
    p.add_argument(
        "--threads",
        default=",".join(map(str, edge.threads)),
        help="benchmark thread counts (those above the machine's cores are skipped)",
    )
    from export.registry import FORMATS

    p.add_argument(
        "--formats",
        nargs="+",
        choices=[f for f in FORMATS if f != "keras"],
        default=[],
        help="export and benchmark only these formats (default: every one)",
    )
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory probes")
    p.add_argument(
        "--verbose",
        action="store_true",
        help="print every stage's tables and the libraries' own output (default: one line "
        "per stage; the tables are in report.md)",
    )
    p.add_argument(
        "--prune-from-scratch",
        action="store_true",
        help="prune lprnet_128 here (--prune-steps) instead of starting the QAT from the "
        "shipped pruning-aware fine-tuned lprnet_128_pruned",
    )
    p.add_argument(
        "--fresh-qat",
        action="store_true",
        help="wrap lprnet_128_pruned for QAT afresh instead of continuing the long run's QAT "
        "of it (the shipped lprnet_128_pqat)",
    )
    p.add_argument(
        "--no-refresh-assets",
        action="store_true",
        help="write Android assets under --out instead of the repository's android_assets/",
    )
    p.add_argument(
        "--aflw",
        help="AFLW2000-3D folder the benchmark scores (default: the data dir's AFLW2000/, "
        "else its samples/aflw2000)",
    )
    _add_data_dir(p)
    p.set_defaults(func=_cmd_pipeline)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with stop_signals_interrupt():
            return args.func(args)
    except LprnetError as exc:
        print(f"lprnet: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lprnet: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    except json.JSONDecodeError as exc:
        print(f"lprnet: error: corrupt JSON file: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file the verb reads or writes: missing, unreadable, not allowed
        if exc.filename is None:
            raise
        print(f"lprnet: error: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
