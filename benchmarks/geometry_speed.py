"""Speed of the geometry hot paths and of shard building, on this machine.

    python benchmarks/geometry_speed.py [--data-dir DIR] [--json out.json]

Reports the median and p90 (ms) of: rendering a posmap from vertices (target: well under 10 ms at
256), reading landmarks / face points back, head pose, building one layout, and the throughput of
`lprnet data build` on the AFLW2000-3D samples (serial).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from timing import time_ms

from lprnet.machine import describe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from lprnet.assets import data_dir
    from lprnet.data.build import build_shards
    from lprnet.geometry import posmap as pm
    from lprnet.geometry.bfm import load_face_model
    from lprnet.geometry.uv import UVLayout

    model = load_face_model(args.data_dir)
    rng = np.random.default_rng(0)
    verts = model.mean.reshape(-1, 3) * 1e-3 + rng.normal(size=(model.n_vertices, 3))
    results: dict[str, dict] = {}
    for n in (128, 256):
        t = time.perf_counter()
        layout = UVLayout(model, n)
        _ = layout.render_matrix, layout.face_mask, layout.weight_mask, layout.grid_triangles
        results[f"layout_build_{n}"] = {"once_ms": (time.perf_counter() - t) * 1e3}
        pos = pm.render_posmap(verts, layout)
        results[f"render_posmap_{n}"] = time_ms(
            lambda layout=layout: pm.render_posmap(verts, layout)
        )
        results[f"landmarks_{n}"] = time_ms(
            lambda pos=pos, layout=layout: pm.landmarks(pos, layout)
        )
        results[f"face_points_{n}"] = time_ms(
            lambda pos=pos, layout=layout: pm.face_points(pos, layout)
        )
        results[f"head_pose_{n}"] = time_ms(
            lambda pos=pos, layout=layout: pm.head_pose(pos, layout), 20
        )

    samples = data_dir(args.data_dir) / "samples" / "aflw2000"
    if samples.is_dir():
        with tempfile.TemporaryDirectory() as tmp:
            for size in (128, 256):
                t = time.perf_counter()
                idx = build_shards(
                    "aflw2000",
                    samples,
                    Path(tmp) / str(size),
                    size=size,
                    workers=0,
                    data_dir=args.data_dir,
                    progress=False,
                )
                dt = time.perf_counter() - t
                results[f"data_build_{size}_serial"] = {"samples_per_s": idx["count"] / dt}

    machine = describe()
    print(f"machine: {machine}")
    for name, r in results.items():
        print(f"{name:<28} " + "  ".join(f"{k}={v:.3f}" for k, v in r.items()))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "results": results}, indent=2))


if __name__ == "__main__":
    main()
