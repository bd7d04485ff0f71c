"""Frames per second of the web demo's webcam loop in headless Chromium, on this machine.

    python benchmarks/webcam_fps.py [--models lprnet_128 ...] [--precision uint8 ...] [--seconds 10]
        [--backends wasm] [--view-hz auto 0] [--camera-fps 60] [--json docs/webcam.json]

A photo (``photos/misc/grace_hopper.jpg`` of ``$LPRNET_DATA``) letterboxed into 640x480 plays
through Chromium's fake camera (60 fps, its maximum; ``--camera-fps``); the page's webcam loop
runs with the tracking loop and with the detector on every frame
(:func:`lprnet.demo.browser_bench.webcam_fps`), once per 3D view refresh rate (``?view_hz``:
``auto`` = the page's default, 10 a second, 4 on a software WebGL renderer; 0 = the 3D view is
not redrawn during the webcam; the landmarks are drawn on every frame either way). Prints the
table of the benchmark report's webcam section.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from benchmarks.report import webcam_table
from lprnet.demo.browser_bench import CAMERA_FPS
from lprnet.fileio import write_json
from lprnet.machine import describe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["lprnet_128"])
    parser.add_argument(
        "--precision", nargs="+", default=["uint8"], choices=["fp32", "fp16", "uint8"]
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--backends", nargs="+", default=["wasm"])
    parser.add_argument("--view-hz", nargs="+", default=["auto", "0"])
    parser.add_argument("--camera-fps", type=int, default=CAMERA_FPS, help="5-60 (Chromium)")
    parser.add_argument("--data-dir", default=os.environ.get("LPRNET_DATA"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not args.data_dir:
        parser.error("give --data-dir or set LPRNET_DATA (the photo played as the webcam)")

    from benchmarks.bench import WEBCAM_PHOTO
    from export.api import ensure_artifact
    from lprnet.demo.browser_bench import webcam_fps

    rows = []
    for model, precision in ((m, p) for m in args.models for p in args.precision):
        folder = ensure_artifact(model, "tfjs", precision)
        for hz in args.view_hz:
            for r in webcam_fps(
                folder,
                Path(args.data_dir) / WEBCAM_PHOTO,
                backends=tuple(args.backends),
                seconds=args.seconds,
                query="" if hz == "auto" else f"view_hz={float(hz):g}",
                camera_fps=args.camera_fps,
            ):
                key = f"{Path(model).stem} {precision}, 3D view {r['view_hz']:g} Hz"
                rows.append({"key": key, **r})
    report = {"machine": describe(), "source": "benchmarks/webcam_fps.py", "models": args.models,
              "precision": args.precision, "photo": WEBCAM_PHOTO, "webcam": rows}  # fmt: skip
    print("\n".join(webcam_table(report)))
    if args.json:
        write_json(args.json, report)
        print(json.dumps({"written": str(args.json)}))


if __name__ == "__main__":
    main()
