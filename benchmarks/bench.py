"""``lprnet bench``: measure the references and every exported artifact, write one report."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import accuracy, js_latency, latency, memory
from benchmarks.subjects import Subject, export_subjects, make_subject
from lprnet.assets import data_dir as find_data_dir
from lprnet.errors import AssetNotFoundError, LprnetError

SCHEMA = "lprnet.bench/1"


def reference_subjects(float_model: str, prnet: str, work: Path) -> tuple[Subject, Subject]:
    """(PRNet fp32 Keras, float L-PRNet Keras). Without trained PRNet weights an untrained
    ``prnet_256`` stands in for latency (its accuracy is not reported)."""
    from lprnet.shipped import resolve_model

    prnet_path = resolve_model(prnet)
    trained = prnet_path.is_file()
    if not trained:
        if prnet != "prnet_256":
            raise LprnetError(f"--prnet {prnet}: no such file")
        from lprnet.models.registry import build_model
        from lprnet.training.trainer import save_model_atomic

        prnet_path = work / "prnet_256-untrained.keras"
        if not prnet_path.is_file():
            work.mkdir(parents=True, exist_ok=True)
            save_model_atomic(build_model("prnet_256"), prnet_path)
    float_path = resolve_model(float_model)
    if not float_path.is_file():
        raise LprnetError(f"--float {float_model}: no such file")
    name = "prnet_256" if prnet == "prnet_256" else prnet_path.stem
    ref = make_subject(prnet_path, name, "keras", "fp32", "prnet", trained=trained)
    flt = make_subject(float_path, float_path.stem, "keras", "fp32", "float")
    return ref, flt


#: The photo the webcam rows play through Chromium's fake camera (in the data directory).
WEBCAM_PHOTO = "photos/misc/grace_hopper.jpg"


def run_bench(
    exports: str | os.PathLike | None,
    out: str | os.PathLike,
    float_model: str = "lprnet_128",
    prnet: str = "prnet_256",
    threads: Sequence[int] = latency.THREADS,
    runs: int = 50,
    aflw_dir: str | None = None,
    data_dir: str | None = None,
    measure_memory: bool = True,
    progress: bool = True,
    prnet_exports: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """Measure everything and write ``report.{json,md}`` and ``pareto.png`` into ``out``.

    ``prnet_exports``: (format, precision) pairs PRNet is first exported to (into ``exports``,
    parity-checked; kept when already there), so that L-PRNet rows get a same-runtime,
    same-precision PRNet row to be compared with (:func:`like_for_like`).
    """
    from lprnet.evaluation import aflw2000_benchmark, embedded_faces
    from lprnet.machine import describe

    say = print if progress else (lambda *a, **k: None)
    out = Path(out)
    machine = describe()
    t_start = time.perf_counter()
    if exports and not (Path(exports) / "manifest.json").is_file():
        raise LprnetError(f"--exports {exports}: no manifest.json (run `lprnet export`)")
    if prnet_exports and exports:
        from export.api import export_many
        from export.manifest import read_manifest

        have = {
            (a["model"]["name"], a["format"], a["precision"])
            for a in read_manifest(exports)["artifacts"]
        }
        todo = [p for p in prnet_exports if (Path(prnet).stem, *p) not in have]
        if todo:
            say(f"exporting {prnet} to {', '.join(f'{f} {p}' for f, p in todo)}")
            export_many(prnet, todo, exports, strict=False, progress=progress)
    prnet_s, float_s = reference_subjects(float_model, prnet, out)
    subjects = [prnet_s, float_s]
    if exports:
        facts = {s.model: (s.params, s.gmac) for s in (prnet_s, float_s)}
        # an export of a QAT / pruned L-PRNet has the float network's shape; a registered
        # design (lprnet_128_uv64) its own
        for name in _lprnet_variants(exports):
            facts.setdefault(name, _design_facts(name) or facts[float_s.model])
        subjects += export_subjects(exports, facts)
    keys = [s.key for s in subjects]
    if len(set(keys)) != len(keys):
        raise LprnetError(f"two subjects share a name: {keys}")

    say(f"latency: {len(subjects)} models x threads {list(threads)}, {runs} runs each")
    timed = {s.key: str(s.path) for s in subjects if s.format != "tfjs"}
    lat = latency.measure(timed, threads, runs, progress=say if progress else None)
    webcam: list[dict] = []
    if any(s.format == "tfjs" for s in subjects):
        say("latency: TF.js wasm in Node and in headless Chromium")
        lat.update(js_latency.measure_js(subjects, runs))
        try:  # the data directory the face model is found in
            photo = find_data_dir(data_dir) / WEBCAM_PHOTO
        except AssetNotFoundError:
            photo = None
        say("webcam loop: the demo page on a fake camera, tracking and detecting every frame")
        webcam = js_latency.measure_webcam(subjects, str(photo) if photo else None)

    mem: dict[str, dict] = {}
    if measure_memory:
        for s in subjects:
            if s.format == "tfjs":
                continue  # JavaScript engines: not this process tree's memory
            say(f"memory: {s.key}")
            mem[s.key] = memory.peak_memory(str(s.path), threads=1)

    faces = {"embedded": embedded_faces()}
    face_model = None
    if aflw_dir:
        from lprnet.geometry.bfm import load_face_model

        skipped: list[str] = []
        faces["aflw2000"] = aflw2000_benchmark(aflw_dir, data_dir, skipped=skipped)
        for line in skipped:
            say(f"aflw2000: skipped {line}")
        face_model = load_face_model(data_dir)
    acc = accuracy.evaluate_subjects(subjects, faces, face_model, progress)
    # the AFLW2000-3D protocol is the headline when there is enough of it (not the 4 samples)
    headline_set = "aflw2000" if len(faces.get("aflw2000", [])) >= 100 else "embedded"

    def nme(key: str) -> float | None:
        return accuracy.headline(acc.get(key), headline_set)

    ref_ms = lat.get(prnet_s.key, {})
    rows = []
    for s in subjects:
        row = s.to_dict()
        row["latency"] = lat.get(s.key, {})
        row["memory"] = mem.get(s.key, {})
        row["accuracy"] = acc.get(s.key)
        row["nme"] = nme(s.key)
        row["drift_vs_float"] = accuracy.drift(row["nme"], nme(float_s.key))
        row["drift_vs_prnet"] = accuracy.drift(row["nme"], nme(prnet_s.key))
        row["speedup_vs_prnet"] = {
            t: ref_ms[t]["median_ms"] / v["median_ms"]
            for t, v in row["latency"].items()
            if "median_ms" in v and "median_ms" in ref_ms.get(t, {})
        }
        rows.append(row)
    like_for_like(rows, prnet_s.model)
    return {
        "schema": SCHEMA,
        "machine": machine,
        "settings": {
            "threads": list(threads),
            "runs": runs,
            "headline_set": headline_set,
            "faces": {k: len(v) for k, v in faces.items()},
            "exports": None if exports is None else str(exports),
        },
        "rows": rows,
        "webcam": webcam,
        "seconds": round(time.perf_counter() - t_start, 1),
    }


def _design_facts(name: str) -> tuple[int, float] | None:
    """(params, GMAC) of a registered model design, None for another name."""
    from lprnet.models.registry import build_model, model_names, summary

    if name not in model_names():
        return None
    s = summary(build_model(name))
    return int(s["params"]), float(s["gmac"])


def _lprnet_variants(exports: str | os.PathLike) -> set[str]:
    """Model names in an export folder other than PRNet's (QAT, pruned L-PRNets)."""
    from export.manifest import read_manifest

    return {
        a["model"]["name"]
        for a in read_manifest(exports)["artifacts"]
        if not a["model"]["name"].startswith("prnet")
    }


def like_for_like(rows: list[dict[str, Any]], prnet_model: str) -> None:
    """Give every L-PRNet row the speed-up over the PRNet row of the same runtime and
    precision (``speedup_like_for_like = {"vs": key, "<threads>": ratio}``), when the report
    has one: the model-vs-model number, unlike ``speedup_vs_prnet`` (vs PRNet in Keras)."""
    prnet = {
        (r["format"], r["precision"], r["runtime"]): r for r in rows if r["model"] == prnet_model
    }
    for r in rows:
        ref = prnet.get((r["format"], r["precision"], r["runtime"]))
        if r["model"] == prnet_model or ref is None:
            r["speedup_like_for_like"] = None
            continue
        ratios = {
            t: ref["latency"][t]["median_ms"] / v["median_ms"]
            for t, v in r["latency"].items()
            if "median_ms" in v and "median_ms" in ref["latency"].get(t, {})
        }
        r["speedup_like_for_like"] = {"vs": ref["key"], **ratios} if ratios else None
