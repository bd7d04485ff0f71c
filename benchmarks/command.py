"""The ``lprnet bench`` and ``lprnet check-regression`` verbs."""

from __future__ import annotations

import argparse
from pathlib import Path


def _threads(text: str) -> list[int]:
    from lprnet.errors import LprnetError

    try:
        values = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise LprnetError(f"--threads: expected e.g. 1,2,4, got {text!r}") from None
    if not values or min(values) < 1:
        raise LprnetError(f"--threads: expected positive counts, got {text!r}")
    return values


def _pair(text: str) -> tuple[str, str]:
    from lprnet.errors import LprnetError

    fmt, sep, precision = text.partition(":")
    if not sep or not fmt or not precision:
        raise LprnetError(
            f"--prnet-exports: expected FORMAT:PRECISION (e.g. tflite:int8), got {text!r}"
        )
    return fmt, precision


def _cmd_bench(args: argparse.Namespace) -> int:
    from benchmarks.bench import run_bench
    from benchmarks.report import markdown, write_report

    report = run_bench(
        args.exports,
        args.out,
        float_model=args.float,
        prnet=args.prnet,
        threads=_threads(args.threads),
        runs=args.runs,
        aflw_dir=args.aflw,
        data_dir=args.data_dir,
        measure_memory=not args.no_memory,
        prnet_exports=[_pair(t) for t in args.prnet_exports],
    )
    paths = write_report(report, args.out)
    print(markdown(report))
    print("report: " + ", ".join(str(p) for p in paths.values()))
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from benchmarks.regression import Limits, compare, format_checks, load_report, parse_fraction

    def limit(text):
        return None if text is None or str(text).lower() == "off" else parse_fraction(text)

    limits = Limits(
        limit(args.max_nme_drift), limit(args.max_latency_increase), limit(args.max_size_increase)
    )
    checks = compare(load_report(args.baseline), load_report(args.candidate), limits)
    failed = [c for c in checks if not c["ok"]]
    print(format_checks(checks, only_failed=args.only_failed))
    unmade = [c for c in failed if "reason" in c]
    if failed:
        print(
            f"{len(failed)} of {len(checks)} checks failed"
            + (f" ({len(unmade)} could not be made: {unmade[0]['reason']})" if unmade else "")
        )
        return 1
    if not checks:
        print("no check was made (every limit is off): nothing gated")
        return 1
    print(f"all {len(checks)} checks passed")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``bench`` and ``check-regression``."""
    p = subparsers.add_parser(
        "bench",
        help="latency, memory and accuracy of PRNet, the float L-PRNet and every export",
    )
    p.add_argument("--exports", type=Path, help="an export folder (with manifest.json)")
    p.add_argument("--out", type=Path, default=Path("runs/bench"), help="report folder")
    p.add_argument("--float", default="lprnet_128", help="float L-PRNet (.keras or name)")
    p.add_argument("--prnet", default="prnet_256", help="PRNet reference (.keras or name)")
    p.add_argument("--threads", default="1,2,4", help="thread counts (default 1,2,4)")
    p.add_argument("--runs", type=int, default=50, help="timed runs per model and threads")
    p.add_argument("--aflw", help="AFLW2000-3D folder: NME there (else the embedded set)")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory probes")
    p.add_argument(
        "--prnet-exports",
        nargs="*",
        default=["tflite:fp32", "tflite:int8", "onnx:fp32"],
        metavar="FORMAT:PRECISION",
        help="export PRNet to these first (into --exports) for the like-for-like rows "
        "(default: tflite:fp32 tflite:int8 onnx:fp32; none: give the flag alone)",
    )
    p.add_argument("--data-dir", help="face-model data directory (default: $LPRNET_DATA)")
    p.set_defaults(func=_cmd_bench)

    p = subparsers.add_parser(
        "check-regression",
        help="compare two bench reports; non-zero exit when NME, latency or size regressed",
    )
    p.add_argument("--baseline", required=True, type=Path)
    p.add_argument("--candidate", required=True, type=Path)
    p.add_argument("--max-nme-drift", default="2%", help="relative NME increase (or off)")
    p.add_argument("--max-latency-increase", default="25%", help="relative (or off)")
    p.add_argument("--max-size-increase", default="5%", help="relative (or off)")
    p.add_argument("--only-failed", action="store_true", help="print only regressed checks")
    p.set_defaults(func=_cmd_check)
