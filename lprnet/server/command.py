"""The ``lprnet serve`` verb: the HTTP reconstruction server (FastAPI on uvicorn).

Wire it into the CLI with :func:`register` (``register(subparsers)`` adds ``serve``).
"""

from __future__ import annotations

import argparse
import os

from lprnet.errors import LprnetError
from lprnet.inference.detect import DETECTORS
from lprnet.server.limits import Limits
from lprnet.shipped import INT8_DEFAULT


def default_workers() -> int:
    """One worker per core, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


def _cmd_serve(args: argparse.Namespace) -> int:
    from lprnet.optional import require

    uvicorn = require("uvicorn", "lprnet serve")
    require("fastapi", "lprnet serve")
    require("multipart", "lprnet serve (uploads)")
    from lprnet.server.app import create_app

    if not 1 <= args.port <= 65535:
        raise LprnetError(f"--port must be in 1..65535, got {args.port}")
    if args.max_connections < 1:
        raise LprnetError(f"--max-connections must be >= 1, got {args.max_connections}")
    limits = Limits(max_bytes=args.max_bytes, max_pixels=args.max_pixels, min_side=args.min_side)
    app = create_app(
        args.model,
        workers=args.workers,
        queue=args.queue,
        threads=args.threads,
        limits=limits,
        detector=args.detector,
        data_dir=args.data_dir,
        flip_test=args.flip_test,
    )
    info = app.state.model_info
    print(
        f"lprnet serve: {info['file']} ({info['format']} {info['precision']}, "
        f"{info['resolution']} px) on http://{args.host}:{args.port} "
        f"({args.workers} workers, queue {args.queue}); API at /docs and /openapi.json",
        flush=True,
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        limit_concurrency=args.max_connections,
        timeout_keep_alive=5,
        server_header=False,
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``serve`` verb to the CLI's subparsers; returns its parser."""
    defaults = Limits()
    p = subparsers.add_parser(
        "serve",
        help="HTTP server: POST an image, get 3D faces or a mesh back",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument(
        "--model",
        default=None,
        help="posmap network (.tflite, .onnx, .keras, .h5) or a shipped name; default: the "
        f"shipped {INT8_DEFAULT} as int8 TFLite (exported and cached on first use)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="inference threads, each with its own model (default: cores, at most 4)",
    )
    p.add_argument(
        "--queue", type=int, default=16, help="requests waiting for a worker before 503s"
    )
    p.add_argument("--threads", type=int, default=1, help="CPU threads per worker's runtime")
    p.add_argument(
        "--flip-test",
        action="store_true",
        help="average each crop's posmap with its mirror image's: more accurate, twice the "
        "model time",
    )
    p.add_argument(
        "--max-bytes", type=int, default=defaults.max_bytes, help="largest upload, bytes"
    )
    p.add_argument(
        "--max-pixels", type=int, default=defaults.max_pixels, help="largest width * height"
    )
    p.add_argument(
        "--min-side", type=int, default=defaults.min_side, help="smallest width / height"
    )
    p.add_argument(
        "--max-connections",
        type=int,
        default=64,
        help="concurrent connections uvicorn accepts (bounds upload memory)",
    )
    p.add_argument("--detector", default="auto", choices=DETECTORS, help="face detector")
    p.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    p.add_argument("--data-dir", help="face-model data directory (default: $LPRNET_DATA)")
    p.set_defaults(func=_cmd_serve)
    return p


__all__ = ["register"]
