"""Speed of the software renderer (lprnet.render) on the BFM mean face, on this machine.

    python benchmarks/render_speed.py [--data-dir DIR] [--repeat 50] [--json out.json]

The mean face (53,215 vertices, 105,954 triangles) is posed with ``pose_to_image`` at yaw 30
degrees, ~59% of the image wide (150 px at 256), and rendered at 128 and 256. Reports the median
and p90 (ms) of: the z-buffer alone (``rasterize_depth``), ``render`` of RGB attributes, vertex
normals, ``shade`` with a random light, ``visible_vertices`` on a given raster, and a whole
shaded frame (normals + random lighting + shade + render + composite over a background), with
and without back-face culling. Target: a whole shaded 256 frame well under 20 ms.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from timing import time_ms

from lprnet.machine import describe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", help="shared data directory (default: $LPRNET_DATA)")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from lprnet.geometry.bfm import load_face_model
    from lprnet.geometry.raster import rasterize_depth
    from lprnet.geometry.transform import pose_to_image
    from lprnet.render import (
        composite,
        random_lighting,
        render,
        shade,
        vertex_normals,
        visible_vertices,
    )

    model = load_face_model(args.data_dir)
    tris = model.triangles
    mean = model.mean.astype(np.float64).reshape(-1, 3)
    rng = np.random.default_rng(0)
    skin = np.array([0.78, 0.58, 0.48])
    albedo = np.clip(skin + rng.normal(0, 0.03, (model.n_vertices, 3)), 0, 1)
    results: dict[str, dict] = {}
    for size in (128, 256):
        scale = (150.0 / 256.0) * size / np.ptp(mean[:, 0])
        verts = pose_to_image(mean, [0.1, np.radians(30.0), 0.05, 0, 0, 0, scale], size)
        verts[:, :2] += size / 2 - (verts[:, :2].min(0) + verts[:, :2].max(0)) / 2
        background = rng.uniform(0, 1, (size, size, 3)).astype(np.float32)
        normals = vertex_normals(verts, tris)
        lighting = random_lighting(rng)
        colours = shade(albedo, normals, lighting)
        raster = rasterize_depth(verts[:, :2], verts[:, 2], tris, size, size)

        def frame(verts=verts, size=size, background=background, cull=False):
            light = random_lighting(rng)
            rgb = shade(albedo, vertex_normals(verts, tris), light)
            image, mask, _ = render(verts, tris, rgb, size, size, cull_backfaces=cull)
            return composite(image, mask, background, feather_px=1)

        cases = {
            "rasterize_depth": lambda v=verts, s=size: rasterize_depth(
                v[:, :2], v[:, 2], tris, s, s
            ),
            "rasterize_depth_cull": lambda v=verts, s=size: rasterize_depth(
                v[:, :2], v[:, 2], tris, s, s, cull_backfaces=True
            ),
            "render_rgb": lambda v=verts, s=size, c=colours: render(v, tris, c, s, s),
            "vertex_normals": lambda v=verts: vertex_normals(v, tris),
            "shade": lambda n=normals, li=lighting: shade(albedo, n, li),
            "visible_vertices_given_raster": lambda v=verts, s=size, r=raster: visible_vertices(
                v, tris, s, s, raster=r
            ),
            "shaded_frame": frame,
            "shaded_frame_cull": lambda f=frame: f(cull=True),
        }
        for name, fn in cases.items():
            results[f"{name}_{size}"] = time_ms(fn, args.repeat)

    machine = describe()
    print(f"machine: {machine}")
    print(f"mesh: {model.n_vertices} vertices, {len(tris)} triangles; repeat {args.repeat}")
    for name, r in results.items():
        print(f"{name:<36} " + "  ".join(f"{k}={v:.2f}" for k, v in r.items()))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "results": results}, indent=2))


if __name__ == "__main__":
    main()
