"""``lprnet bench``: measure the references and every exported artifact, write one report."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import accuracy, js_latency, latency, memory
from benchmarks.subjects import Subject, export_subjects, make_subject
from lprnet.errors import LprnetError

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
) -> dict[str, Any]:
    """Measure everything and write ``report.{json,md}`` and ``pareto.png`` into ``out``."""
    from lprnet.evaluation import aflw2000_benchmark, embedded_faces
    from lprnet.machine import describe

    say = print if progress else (lambda *a, **k: None)
    out = Path(out)
    machine = describe()
    t_start = time.perf_counter()
    prnet_s, float_s = reference_subjects(float_model, prnet, out)
    subjects = [prnet_s, float_s]
    if exports:
        if not (Path(exports) / "manifest.json").is_file():
            raise LprnetError(f"--exports {exports}: no manifest.json (run `lprnet export`)")
        subjects += export_subjects(exports, (float_s.params, float_s.gmac))
    keys = [s.key for s in subjects]
    if len(set(keys)) != len(keys):
        raise LprnetError(f"two subjects share a name: {keys}")

    say(f"latency: {len(subjects)} models x threads {list(threads)}, {runs} runs each")
    timed = {s.key: str(s.path) for s in subjects if s.format != "tfjs"}
    lat = latency.measure(timed, threads, runs, progress=say if progress else None)
    if any(s.format == "tfjs" for s in subjects):
        say("latency: TF.js wasm in Node and in headless Chromium")
        lat.update(js_latency.measure_js(subjects, runs))

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
        "seconds": round(time.perf_counter() - t_start, 1),
    }
