"""The ``lprnet export`` verb: a model -> TFLite / TF.js / ONNX artifacts, parity, manifest.

Wire it into the CLI with :func:`register` (``register(subparsers)`` adds ``export``).

Exit status 0 when every artifact was written and passed parity; 2 (:class:`LprnetError`) for
an unsupported format / precision, an unusable model, or a parity failure (the table is
printed first, and the failing artifact stays on disk, marked failed in the manifest).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from export.runtime import TFJS_RUNTIMES
from lprnet.errors import LprnetError


def targets(fmt: str, precision: str | None) -> tuple[list[tuple[str, str]], list[str]]:
    """``(format, precision)`` pairs a ``--format`` / ``--precision`` request means.

    ``all`` expands over the table; None is each format's default precision (the first it
    lists); with ``--format all``, formats without the requested precision are skipped
    (returned as notes); a single format must support it.
    """
    from export.registry import FORMATS, check

    formats = list(FORMATS) if fmt == "all" else [fmt]
    pairs, skipped = [], []
    for name in formats:
        f = FORMATS.get(name)
        if f is None:
            check(name, precision)  # raises, listing the formats
        if precision is None:
            pairs.append((name, f.precisions[0]))
        elif precision == "all":
            pairs += [(name, p) for p in f.precisions]
        elif precision in f.precisions:
            pairs.append((name, precision))
        elif fmt == "all":
            skipped.append(f"{name} has no {precision} (supports {', '.join(f.precisions)})")
        else:
            check(name, precision)  # raises with the supported precisions
    if not pairs:
        raise LprnetError(f"no format supports precision {precision!r}")
    return pairs, skipped


def format_table(artifacts) -> str:
    """The parity table (Markdown) of exported artifacts."""
    head = (
        "| artifact | size | export s | max px | mean px | NME vs Keras % | NME % (Keras) "
        "| parity |\n|---|---:|---:|---:|---:|---:|---:|---|"
    )
    rows = [head]
    for a in artifacts:
        r = a.parity
        size = f"{a.bytes / 1e6:.2f} MB"
        if r is None:
            rows.append(f"| {a.name} | {size} | {a.seconds:.1f} | - | - | - | - | not run |")
            continue
        nme = (
            f"{r['nme_artifact_pct']:.3f} ({r['nme_keras_pct']:.3f})"
            if "nme_artifact_pct" in r
            else "-"
        )
        rows.append(
            f"| {a.name} | {size} | {a.seconds:.1f} | {r['max_px']:.4g} | {r['mean_px']:.4g} "
            f"| {r['nme_vs_keras_pct']:.4g} | {nme} | {'ok' if r['passed'] else 'FAILED'} |"
        )
    return "\n".join(rows)


def _cmd_export(args: argparse.Namespace) -> int:
    from export import parity as par
    from export.api import export_many

    pairs, skipped = targets(args.format, args.precision)
    for note in skipped:
        print(f"skipped: {note}")
    artifacts = export_many(
        args.model,
        pairs,
        args.out,
        calibration=args.calibration,
        parity=not args.no_parity,
        strict=False,
        io_dtype=args.io_dtype,
        opset=args.opset,
        tfjs_runtime=args.tfjs_runtime,
    )
    first = artifacts[0]
    if first.parity is not None:
        print(f"parity against Keras on {first.parity['source']}:")
    print(format_table(artifacts))
    for a in artifacts:
        if a.format == "tfjs" and a.parity is not None:
            print(f"{a.name} ran on {a.parity['runtime']}")
    for a in artifacts:
        if a.format == "tflite":
            from export.tflite import weight_sparsity

            w = weight_sparsity(a.path)
            print(f"{a.name}: {w['sparsity']:.2%} of {w['weights']:,} weights are zero")
    print(f"manifest: {first.manifest}")
    failed = [a for a in artifacts if a.parity is not None and not a.parity["passed"]]
    for a in failed:
        par.check(a.parity, a.path)  # raises: the CLI prints it and exits 2
    return 0


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``export`` verb to the CLI's subparsers; returns its parser."""
    from export.registry import ALL_PRECISIONS, FORMATS

    p = subparsers.add_parser(
        "export",
        help="export a model to TFLite / TF.js / ONNX with a parity check and a manifest",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument(
        "--model",
        default="lprnet_128",
        help="a shipped model's name or a .keras / .h5 file (default: lprnet_128)",
    )
    p.add_argument("--format", default="tflite", choices=[*FORMATS, "all"])
    p.add_argument(
        "--precision",
        default=None,
        choices=[*ALL_PRECISIONS, "all"],
        help="default: the format's first; "
        + "; ".join(f"{f.name}: {', '.join(f.precisions)}" for f in FORMATS.values()),
    )
    p.add_argument("--out", type=Path, default=Path("exports"), help="output folder")
    p.add_argument(
        "--io-dtype",
        choices=FORMATS["tflite"].options["io_dtype"],
        default=None,
        help="int8 TFLite input / output type (default uint8: camera bytes in)",
    )
    p.add_argument(
        "--opset", choices=FORMATS["onnx"].options["opset"], default=None, help="ONNX opset"
    )
    p.add_argument(
        "--calibration",
        type=int,
        default=None,
        metavar="N",
        help="int8 calibration crops from the embedded set (default 200)",
    )
    p.add_argument("--no-parity", action="store_true", help="skip the parity check")
    p.add_argument(
        "--tfjs-runtime",
        choices=TFJS_RUNTIMES,
        default="auto",
        help="TF.js parity: TF.js itself in Node (wasm; auto when installed) or the graph "
        "re-run in TensorFlow",
    )
    p.set_defaults(func=_cmd_export)
    return p


__all__ = ["format_table", "register", "targets"]
