"""``lprnet pipeline``: the main job, running every stage that exists so far.

With a data directory: face-geometry checks against PRNet's published UV data, shards of the
sample folders (built, verified), the offline data engine (texture bank, synthetic faces,
profiled photos, a contact sheet of each) and the AFLW2000-3D protocol on the samples. Always
(no data directory needed): the shipped models on the embedded evaluation set. Later stages
(compress, export, benchmark) join here as they land. Writes ``report.md`` and ``report.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from lprnet.assets import asset_path, data_dir
from lprnet.errors import AssetNotFoundError
from lprnet.fileio import atomic_open, write_json


def geometry_checks(root: str | None) -> dict[str, Any]:
    """Compare the UV layout built from BFM_UV.mat with PRNet's uv-data files."""
    from lprnet.geometry.bfm import load_face_model
    from lprnet.geometry.uv import UVLayout, uv_layout

    model = load_face_model(root)
    layout = uv_layout(model, 256)
    ref_kpt = np.loadtxt(asset_path("prnet_uv_kpt_ind", root)).astype(np.int64)
    ref_mask = np.zeros(256 * 256, bool)
    ref_mask[np.loadtxt(asset_path("prnet_face_ind", root)).astype(np.int64)] = True
    ref_mask = ref_mask.reshape(256, 256)
    ours = layout.face_mask
    prnet_layout = UVLayout(model, 256)
    prnet_layout.__dict__["face_mask"] = ref_mask
    ref_w = cv2.imread(str(asset_path("prnet_weight_mask", root)), cv2.IMREAD_GRAYSCALE)
    ref_enm = (ref_w >= 53) & (ref_w <= 128)
    enm = layout.weight_mask == 4
    return {
        "face_model": model.name,
        "keypoints_equal_prnet": bool(np.array_equal(layout.keypoint_pixels, ref_kpt)),
        "face_mask_pixels": int(ours.sum()),
        "prnet_face_mask_pixels": int(ref_mask.sum()),
        "face_mask_iou": float((ours & ref_mask).sum() / (ours | ref_mask).sum()),
        "eyes_nose_mouth_overlap": float((enm & ref_enm).sum() / ref_enm.sum()),
        "grid_triangles": len(layout.grid_triangles),
        "grid_triangles_on_prnet_mask": len(prnet_layout.grid_triangles),
    }


def data_engine(out: Path, base: Path, root: str | None, count: int = 32) -> dict[str, Any]:
    """Texture bank from the data dir's photos, ``count`` synthetic faces and the profiled views
    of the photos at 128, each with a contact sheet."""
    from lprnet.data.preview import contact_sheet
    from lprnet.synth.bank import build_texture_bank
    from lprnet.synth.generate import synth_shards
    from lprnet.synth.profile import profile_shards

    photos = [p for p in (base / "photos", base / "samples") if p.is_dir()]
    bank = build_texture_bank(photos, out / "textures", root, progress=False)
    synth = synth_shards(
        count, out / "shards" / "synth-128", size=128, textures=out / "textures", data_dir=root
    )
    profile = profile_shards(photos, out / "shards" / "profile-128", size=128, data_dir=root)
    sheets = {}
    for name in ("synth-128", "profile-128"):
        sheets[name] = str(
            contact_sheet(
                out / "shards" / name, out / f"preview-{name}.png", count=16, data_dir=root
            )
        )
        print(f"  {name}: contact sheet {sheets[name]}")
    return {
        "textures": bank["textures"],
        "synth": synth["count"],
        "profile": profile["count"],
        "sheets": sheets,
    }


def data_stages(out: Path, base: Path, root: str | None, report: dict[str, Any]) -> list[str]:
    """The stages that need the data directory; returns report sections (Markdown)."""
    from lprnet.data.build import build_shards
    from lprnet.data.verify import verify_shards
    from lprnet.evaluation import aflw2000_faces, evaluate, fit_reference, format_table
    from lprnet.geometry.bfm import load_face_model

    print("[data 1/4] face geometry vs PRNet's uv-data")
    report["geometry"] = geometry_checks(root)
    for k, v in report["geometry"].items():
        print(f"  {k}: {v}")
    sections = [
        "## Geometry vs PRNet uv-data\n\n"
        + "".join(f"- {k}: {v}\n" for k, v in report["geometry"].items())
    ]

    print("[data 2/4] shards of the sample folders")
    report["shards"] = {}
    for source, folder in (("aflw2000", "samples/aflw2000"), ("300wlp", "samples/300w-lp")):
        if not (base / folder).is_dir():
            print(f"  {base / folder} absent: skipped")
            continue
        for size in (128, 256):
            dest = out / "shards" / f"{source}-{size}"
            index = build_shards(source, base / folder, dest, size=size, workers=0, data_dir=root)
            report["shards"][f"{source}-{size}"] = {
                **verify_shards(dest),
                "skipped": index["skipped"],
            }
            print(f"  {dest}: {index['count']} samples, verified")

    print("[data 3/4] offline training data: textures, synthetic faces, profiled photos")
    syn = report["synthetic"] = data_engine(out, base, root)
    sections.append(
        "## Shards\n\n"
        + "".join(f"- {k}: {v['count']} samples\n" for k, v in report["shards"].items())
        + f"- synthetic (128): {syn['synth']} samples from {syn['textures']} textures\n"
        + f"- profiled photos (128): {syn['profile']} views\n"
    )

    print("[data 4/4] AFLW2000-3D protocol on the samples (bfm-fit reference)")
    if (base / "samples/aflw2000").is_dir():
        model = load_face_model(root)
        result = evaluate(
            aflw2000_faces(base / "samples/aflw2000"), fit_reference(model, 256), model
        )
        report["eval_bfm_fit"] = {k: v for k, v in result.items() if k != "per_image"}
        table = format_table(result)
        print(table)
        sections.append(f"## AFLW2000-3D samples, bfm-fit reference\n\n```\n{table}\n```\n")
    return sections


def model_stages(out: Path, report: dict[str, Any]) -> list[str]:
    """The shipped models on the embedded set (needs no data directory)."""
    from lprnet.evaluation import embedded_faces, evaluate, format_table
    from lprnet.predictors import load_predictor
    from lprnet.shipped import SHIPPED

    sections = []
    faces = embedded_faces()
    for name, path in SHIPPED.items():
        if not path.is_file():
            print(f"[model] {name}: not shipped yet, skipped")
            continue
        print(f"[model] {name} on the embedded set ({len(faces)} crops)")
        result = evaluate(faces, load_predictor(name, None), None)
        report.setdefault("eval_embedded", {})[name] = {
            k: v for k, v in result.items() if k != "per_image"
        }
        table = format_table(result)
        print(table)
        sections.append(f"## {name} on the embedded set\n\n```\n{table}\n```\n")
    return sections


def run_pipeline(out: Path, data_root: str | None = None) -> dict:
    """Run every stage that can run here and write ``report.md`` / ``report.json``."""
    out.mkdir(parents=True, exist_ok=True)
    try:
        base = data_dir(data_root)
    except AssetNotFoundError as exc:
        base = None
        print(f"no data directory ({exc.args[0].splitlines()[0]}): data stages skipped")
    report: dict[str, Any] = {"data_dir": str(base) if base else None}
    sections = data_stages(out, base, data_root, report) if base else []
    sections += model_stages(out, report)
    write_json(out / "report.json", report)
    with atomic_open(out / "report.md") as f:
        f.write("# lprnet pipeline report\n\n" + "\n".join(sections))
    print(f"report: {out / 'report.md'}")
    return report
