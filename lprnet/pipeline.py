"""``lprnet pipeline``: the main job, the whole edge pipeline in one command.

Always (no data directory needed, from the shipped weights and the embedded set): compress the
shipped L-PRNet (a short sparsity-preserving QAT continuing the shipped one of its pruned
checkpoint, distilled on the embedded set), export every
format and precision with parity checks, benchmark everything against PRNet (latency at 1/2/4
threads up to the machine's cores, memory, NME and drift), and refresh ``android_assets/`` with
the most accurate int8 model. With a data directory first: face-geometry checks against PRNet's
published UV data, shards of the sample folders (built, verified), the offline data engine
(texture bank, synthetic faces, profiled photos, a contact sheet of each) and the AFLW2000-3D
protocol on the samples, whose AFLW2000-3D folder the benchmark then also uses. Writes
``report.md`` and ``report.json``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lprnet.assets import asset_path, data_dir
from lprnet.console import StageLog
from lprnet.errors import AssetNotFoundError
from lprnet.fileio import atomic_open, write_json


def geometry_checks(root: str | None) -> dict[str, Any]:
    """Compare the UV layout built from BFM_UV.mat with PRNet's uv-data files."""
    import cv2
    import numpy as np

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


def data_engine(
    out: Path, base: Path, root: str | None, count: int = 32, log: StageLog | None = None
) -> dict[str, Any]:
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
        (log or StageLog(True)).detail(f"  {name}: contact sheet {sheets[name]}")
    return {
        "textures": bank["textures"],
        "synth": synth["count"],
        "profile": profile["count"],
        "sheets": sheets,
    }


def data_stages(
    out: Path, base: Path, root: str | None, report: dict[str, Any], log: StageLog
) -> list[str]:
    """The stages that need the data directory; returns report sections (Markdown)."""
    from lprnet.data.build import build_shards
    from lprnet.data.verify import verify_shards
    from lprnet.evaluation import aflw2000_faces, evaluate, fit_reference, format_table
    from lprnet.geometry.bfm import load_face_model

    log.stage("[data 1/4] face geometry vs PRNet's uv-data")
    report["geometry"] = geometry_checks(root)
    for k, v in report["geometry"].items():
        log.detail(f"  {k}: {v}")
    log.done(f"{len(report['geometry'])} checks")
    sections = [
        "## Geometry vs PRNet uv-data\n\n"
        + "".join(f"- {k}: {v}\n" for k, v in report["geometry"].items())
    ]

    log.stage("[data 2/4] shards of the sample folders")
    report["shards"] = {}
    for source, folder in (("aflw2000", "samples/aflw2000"), ("300wlp", "samples/300w-lp")):
        if not (base / folder).is_dir():
            log.note(f"{base / folder} absent: skipped")
            continue
        for size in (128, 256):
            dest = out / "shards" / f"{source}-{size}"
            index = build_shards(source, base / folder, dest, size=size, workers=0, data_dir=root)
            report["shards"][f"{source}-{size}"] = {
                **verify_shards(dest),
                "skipped": index["skipped"],
            }
            log.detail(f"  {dest}: {index['count']} samples, verified")
    log.done(f"{len(report['shards'])} shard sets built and verified")

    log.stage("[data 3/4] offline training data: textures, synthetic faces, profiled photos")
    syn = report["synthetic"] = data_engine(out, base, root, log=log)
    log.done(f"{syn['synth']} synthetic faces, {syn['profile']} profiled views")
    sections.append(
        "## Shards\n\n"
        + "".join(f"- {k}: {v['count']} samples\n" for k, v in report["shards"].items())
        + f"- synthetic (128): {syn['synth']} samples from {syn['textures']} textures\n"
        + f"- profiled photos (128): {syn['profile']} views\n"
    )

    log.stage("[data 4/4] AFLW2000-3D protocol on the samples (bfm-fit reference)")
    if (base / "samples/aflw2000").is_dir():
        model = load_face_model(root)
        result = evaluate(
            aflw2000_faces(base / "samples/aflw2000"), fit_reference(model, 256), model
        )
        report["eval_bfm_fit"] = {k: v for k, v in result.items() if k != "per_image"}
        table = format_table(result)
        log.detail(table)
        log.done(f"{len(result.get('per_image', []))} images evaluated")
        sections.append(f"## AFLW2000-3D samples, bfm-fit reference\n\n```\n{table}\n```\n")
    return sections


@dataclass
class EdgeSettings:
    """The edge stages' budget (defaults fit the 10-minute main job on 2 cores).

    Thread counts above the machine's cores are skipped: oversubscribed timings say nothing.
    """

    prune_steps: int = 80
    qat_steps: int = 40
    runs: int = 20
    threads: tuple[int, ...] = (1, 2, 4)
    parity_crops: int = 64
    refresh_assets: bool = True
    formats: tuple[str, ...] = ()  # export formats; empty: every one of the registry
    memory: bool = True
    from_pruned: bool = True  # QAT from the shipped lprnet_128_pruned, not a pruning here
    from_qat: bool = True  # and continue the long run's QAT of it (lprnet_128_pqat)
    verbose: bool = False  # print the tables and library output on the terminal too


REPO = Path(__file__).resolve().parents[1]


def usable_threads(threads: tuple[int, ...], cores: int) -> tuple[int, ...]:
    """The thread counts worth timing on ``cores`` cores (at least one thread)."""
    return tuple(t for t in threads if t <= cores) or (1,)


#: Android gets a pruning-aware fine-tuned int8 model: at least this many zero conv weights.
ASSET_MIN_SPARSITY = 0.45


def best_int8(
    bench: dict[str, Any], failed: Collection[str] = (), min_sparsity: float = 0.0
) -> dict[str, Any] | None:
    """The int8 TFLite row of a bench report with the lowest NME, among the artifacts whose
    parity did not fail (``failed``: their file names) and with at least ``min_sparsity`` zero
    conv weights (:data:`ASSET_MIN_SPARSITY` for what Android gets)."""
    rows = [
        r
        for r in bench["rows"]
        if r["format"] == "tflite"
        and r["precision"] == "int8"
        and r["nme"] is not None
        and Path(r["path"]).name not in failed
        and (r.get("sparsity") or 0.0) >= min_sparsity
    ]
    return min(rows, key=lambda r: r["nme"]) if rows else None


def _record(name: str) -> dict:
    import json

    from lprnet.shipped import RESOURCES

    return json.loads((RESOURCES / f"{name}.record.json").read_text())


def _pruned_from_shipped_float(pruned: str) -> bool:
    """Whether the shipped ``pruned`` model's record names the shipped float's sha256.

    Both come from the records: the float's own record holds its file's sha256 (tested).
    """
    return _record(pruned).get("float_source", {}).get("sha256") == _record("lprnet_128")["sha256"]


def _qat_of_shipped_pruned(qat: str, pruned: str) -> bool:
    """Whether the shipped QAT checkpoint ``qat`` was trained from the shipped ``pruned`` one
    of the shipped float: its record's compress config names it, or both were shipped from
    the same compress run (their records hold the same report)."""
    record = _record(qat)
    compress = record.get("compress", {})
    same_run = bool(compress) and compress == _record(pruned).get("compress")
    from_pruned = compress.get("config", {}).get("pruned") == pruned or same_run
    same_float = record.get("float_source", {}).get("sha256") == _record("lprnet_128")["sha256"]
    return from_pruned and same_float


def edge_stages(
    out: Path,
    report: dict[str, Any],
    aflw_dir: str | None,
    data_root: str | None,
    settings: EdgeSettings,
    log: StageLog | None = None,
) -> list[str]:
    """compress -> export every format (parity) -> benchmark -> Android assets / demo model."""
    log = log or StageLog(settings.verbose)
    from benchmarks.bench import run_bench
    from benchmarks.report import headline_speedup, markdown, write_report
    from export.api import export_many
    from export.command import format_table, targets
    from export.parity import embedded_crops
    from lprnet.compression.compress import CompressConfig, compress, format_report
    from lprnet.shipped import INT8_DEFAULT, SHIPPED

    pruned = "lprnet_128_pruned" if settings.from_pruned else None
    if pruned and not SHIPPED[pruned].is_file():
        log.note(f"no shipped {pruned}: pruning in this run")
        pruned = None
    if pruned and not _pruned_from_shipped_float(pruned):
        log.note(
            f"the shipped {pruned} was pruned from an earlier lprnet_128: its QAT here distils "
            "towards, and its drift is measured against, the float shipped now"
        )
    qat_init = "lprnet_128_pqat" if pruned and settings.from_qat else None
    if qat_init and not (SHIPPED[qat_init].is_file() and _qat_of_shipped_pruned(qat_init, pruned)):
        log.note(f"the shipped {qat_init} is not a QAT of the shipped {pruned}: a fresh QAT")
        qat_init = None
    start = (
        f"from the shipped {pruned} (the long run's pruning-aware fine-tune)"
        if pruned
        else f"50% pruning ({settings.prune_steps} steps)"
    )
    how = f"continuing the long run's QAT ({qat_init})" if qat_init else "sparsity-preserving QAT"
    log.stage(
        f"[edge 1/4] compress lprnet_128: {start} + {how} "
        f"({settings.qat_steps} steps), distilled on the embedded set's calibration split"
    )
    config = CompressConfig(
        prune_steps=settings.prune_steps,
        qat_steps=settings.qat_steps,
        pruned=pruned,
        qat_init=qat_init,
    )
    comp = compress(config, out / "compress", aflw_dir=None, data_dir=data_root)
    report["compress"] = comp
    comp_table = format_report(comp)
    log.detail(comp_table)
    pq = comp["stages"]["pqat_int8"]
    log.done(
        f"PQAT int8: NME drift {100 * pq['nme_2d_drift_rel']:+.1f}% vs float, "
        f"{100 * pq['sparsity']['sparsity']:.1f}% zeros, {pq['gzip_bytes'] / 1024:.0f} KB gzip"
    )
    log.wrote("compression", out / "compress" / "report.json")

    log.stage("[edge 2/4] export every format and precision, parity against Keras")
    exports = out / "exports"
    pairs, _ = targets("all", "all")
    pairs = [p for p in pairs if p[0] != "keras" and p[0] in (settings.formats or (p[0],))]
    crops = embedded_crops(128, settings.parity_crops)
    arts = export_many("lprnet_128", pairs, exports, strict=False, parity_images=crops)
    # the shipped int8 default and this job's own: named apart (artifacts are named by model)
    job = out / "compress" / "lprnet_128_pqat_job.h5"
    for src in ("lprnet_128_pqat.h5", "lprnet_128_pqat.record.json"):
        shutil.copyfile(out / "compress" / src, job.with_name(src.replace("pqat", "pqat_job")))
    for qat in (INT8_DEFAULT, job):
        arts += export_many(qat, [("tflite", "int8")], exports, strict=False, parity_images=crops)
    parity_table = format_table(arts)
    log.detail(parity_table)
    failed = [a.name for a in arts if a.parity and not a.parity["passed"]]
    report["exports"] = {"artifacts": [a.name for a in arts], "parity_failed": failed}
    log.done(
        f"{len(arts)} artifacts, "
        + (f"parity failed: {', '.join(failed)}" if failed else "all passed parity")
    )
    log.wrote("exports", exports / "manifest.json")

    cores = os.cpu_count() or 1
    threads = usable_threads(settings.threads, cores)
    skipped = sorted(set(settings.threads) - set(threads))
    log.stage(
        "[edge 3/4] benchmark: latency, memory, accuracy, drift"
        + (f" (skipping {skipped} threads: {cores} cores)" if skipped else "")
    )
    bench = run_bench(
        exports,
        out / "bench",
        threads=threads,
        runs=settings.runs,
        aflw_dir=aflw_dir,
        data_dir=data_root,
        measure_memory=settings.memory,
        progress=log.verbose,
    )
    paths = write_report(bench, out / "bench")
    bench_md = markdown(bench)
    log.detail(bench_md)
    report["bench"] = {k: str(v) for k, v in paths.items()}
    best = best_int8(
        bench, {Path(a.path).name for a in arts if a.parity and not a.parity["passed"]}
    )
    log.done(
        f"{len(bench['rows'])} rows on the {bench['settings']['headline_set']} set"
        + (f"; best int8 TFLite {best['key']}: NME {best['nme']:.2f}%" if best else "")
        + "".join(f"; {line}" for line in headline_speedup(bench))
    )
    for what, path in paths.items():
        log.wrote(f"benchmark {what}", path)

    log.stage("[edge 4/4] Android assets and the web demo's model")
    report["assets"] = refresh_assets(
        out, bench, arts, settings.refresh_assets, aflw_dir=aflw_dir, data_root=data_root, log=log
    )
    return [
        f"## Compression (lprnet compress)\n\n{comp_table}\n",
        f"## Export parity (lprnet export)\n\n{parity_table}\n",
        f"## Benchmark (lprnet bench)\n\n{bench_md}\n![pareto](bench/pareto.png)\n",
    ]


def refresh_assets(
    out: Path,
    bench: dict,
    arts: list,
    in_repo: bool,
    aflw_dir: str | None = None,
    data_root: str | None = None,
    log: StageLog | None = None,
) -> dict[str, Any]:
    """Write the best int8 TFLite to ``android_assets/`` (in the repository when ``in_repo``
    and this is a source checkout, else under ``out``) and make sure the web demo's TF.js
    model is exported. Android assets are replaced only by a model at least as accurate as the
    one there."""
    from export.android import write_android_assets

    log = log or StageLog(True)

    android = (
        REPO / "android_assets"
        if in_repo and (REPO / "android_assets").is_dir()
        else (out / "android_assets")
    )
    failed = {Path(a.path).name for a in arts if a.parity and not a.parity["passed"]}
    best = best_int8(bench, failed, ASSET_MIN_SPARSITY)
    result: dict[str, Any] = {"android_dir": str(android)}
    if best is None:
        log.done(
            f"no pruned (>= {ASSET_MIN_SPARSITY:.0%} zeros) int8 TFLite with a measured NME: "
            "Android assets left as they are"
        )
        return result
    current = _asset_nme(android, bench, aflw_dir, data_root)
    if current is not None and current < best["nme"]:
        log.note(f"android_assets keep their model: NME {current:.2f}% < {best['nme']:.2f}%")
        result["android"] = {"kept": True, "nme": current, "candidate_nme": best["nme"]}
    else:
        write_android_assets(android, best["path"])
        log.note(f"android_assets <- {Path(best['path']).name} (NME {best['nme']:.2f}%)")
        result["android"] = {"kept": False, "model": Path(best["path"]).name, "nme": best["nme"]}
    from export.api import ensure_artifact
    from lprnet.shipped import WEB_DEFAULT

    demo = ensure_artifact(WEB_DEFAULT, "tfjs", "uint8")  # what `lprnet demo` serves
    log.done(f"web demo model: {demo}")
    log.wrote("android assets", android)
    log.wrote("web demo model", demo)
    result["web_demo_model"] = str(demo)
    return result


def _asset_nme(folder: Path, bench: dict, aflw_dir: str | None, data_root: str | None):
    """The NME of the int8 model in an Android assets folder on the bench report's headline
    set (the same images and number the candidate is ranked by), or None if it has none."""
    from benchmarks.accuracy import HEADLINE
    from lprnet.evaluation import aflw2000_benchmark, embedded_faces, evaluate
    from lprnet.predictors import load_predictor

    models = sorted(folder.glob("*.tflite")) if folder.is_dir() else []
    if not models:
        return None
    if bench["settings"]["headline_set"] == "aflw2000" and aflw_dir:
        faces = aflw2000_benchmark(aflw_dir, data_root)
    else:
        faces = embedded_faces()
    res = evaluate(faces, load_predictor(str(models[0]), None), None, progress=False)
    return float(res["summary"][HEADLINE]["mean"])


def run_pipeline(
    out: Path,
    data_root: str | None = None,
    edge: EdgeSettings | None = None,
    aflw: str | None = None,
) -> dict:
    """Run every stage that can run here and write ``report.md`` / ``report.json``.

    ``aflw``: the AFLW2000-3D folder the benchmark scores (default: the data directory's
    ``AFLW2000/``, else its four ``samples/aflw2000``).
    """
    out.mkdir(parents=True, exist_ok=True)
    edge = edge or EdgeSettings()
    log = StageLog(edge.verbose)
    try:
        base = data_dir(data_root)
    except AssetNotFoundError as exc:
        base = None
        print(f"no data directory ({exc.args[0].splitlines()[0]}): data stages skipped")
    report: dict[str, Any] = {"data_dir": str(base) if base else None}
    sections = data_stages(out, base, data_root, report, log) if base else []
    # the benchmark: the data dir's AFLW2000-3D images when it has them, else its four samples
    found = [base / d for d in ("AFLW2000", "samples/aflw2000") if base and (base / d).is_dir()]
    aflw_dir = aflw or (str(found[0]) if found else None)
    sections += edge_stages(out, report, aflw_dir, data_root, edge, log)
    write_json(out / "report.json", report)
    with atomic_open(out / "report.md") as f:
        f.write("# lprnet pipeline report\n\n" + "\n".join(sections))
    log.wrote("report", out / "report.md")
    log.wrote("report data", out / "report.json")
    log.summary()
    return report
