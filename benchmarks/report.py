"""The benchmark report: one row per subject as Markdown, JSON and a latency-vs-NME plot."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lprnet.fileio import atomic_open, write_json


def _f(x: float | None, fmt: str, empty: str = "-") -> str:
    return empty if x is None else format(x, fmt)


def _pct(d: dict | None) -> str:
    return "-" if d is None else f"{100 * d['rel']:+.1f}%"


def _format(row: dict[str, Any]) -> str:
    js = row.get("extra", {}).get("js")
    return f"{row['format']} ({js})" if js else row["format"]


def markdown(report: dict[str, Any]) -> str:
    """The ultralytics-style table plus the machine and the settings."""
    threads = report["settings"]["threads"]
    ds = report["settings"]["headline_set"]
    head = (
        "| model | format | precision | size KB | gzip KB | sparsity | NME % "
        "| drift vs float | drift vs PRNet | "
        + " | ".join(f"ms {t}T" for t in threads)
        + f" | speed-up vs PRNet Keras ({threads[0]}T) | vs PRNet, same runtime + precision"
        f" ({threads[0]}T) | peak MB |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in report["rows"]:
        lat = r["latency"]
        ms = [_f(lat.get(str(t), {}).get("median_ms"), ".2f") for t in threads]
        sp = r["speedup_vs_prnet"].get(str(threads[0]))
        lfl = (r.get("speedup_like_for_like") or {}).get(str(threads[0]))
        lines.append(
            f"| {r['model']}{'' if r['trained'] else ' (untrained)'} | {_format(r)} "
            f"| {r['precision']} | {r['bytes'] / 1024:.0f} | {r['gzip_bytes'] / 1024:.0f} "
            f"| {_f(None if r['sparsity'] is None else 100 * r['sparsity'], '.1f')}"
            f"{'' if r['sparsity'] is None else '%'} "
            f"| {_f(r['nme'], '.2f')} | {_pct(r['drift_vs_float'])} "
            f"| {_pct(r['drift_vs_prnet'])} | "
            + " | ".join(ms)
            + f" | {_f(sp, '.1f')}{'' if sp is None else 'x'} "
            f"| {_f(lfl, '.1f')}{'' if lfl is None else 'x'} "
            f"| {_f(r['memory'].get('peak_mb'), '.0f')} |"
        )
    m = report["machine"]
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    missing = not_measured(report)
    notes = [
        "",
        f"NME: mean 2D sparse NME (%) on the {ds} set ({report['settings']['faces'][ds]} faces); "
        "drift relative to the float L-PRNet and to PRNet measured in this run. ms: batch-1 "
        f"median of {report['settings']['runs']} interleaved runs (p90 in the JSON). "
        "Speed-up: PRNet fp32 Keras median / the row's median, same thread count, same run "
        "(runtime and model differ); same runtime + precision: the PRNet export timed in the "
        "same runtime at the same precision (the model-vs-model ratio).",
        *headline_speedup(report),
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['os']}, Python {m['python']}; {pk}; "
        f"load average at start {m.get('load_average')}.",
    ]
    notes += webcam_table(report)
    if missing:
        notes += ["", "Not measured (a dash in the table):"]
        notes += [f"- {what}: {why}" for what, why in missing]
    return "\n".join(lines + notes) + "\n"


def _camera_fps(rows: list[dict]) -> str:
    """The fake camera's rate(s) of the measured rows (30 in reports written before it was
    recorded)."""
    rates = sorted({r.get("camera_fps", 30) for r in rows if "error" not in r})
    return " / ".join(f"{r:g}" for r in rates) or "-"


def webcam_table(report: dict[str, Any]) -> list[str]:
    """The web demo's webcam loop: frames per second per model, backend and mode."""
    rows = report.get("webcam") or []
    if not rows:
        return []
    out = [
        "",
        f"Webcam loop of the web demo (headless Chromium, fake {_camera_fps(rows)} fps camera "
        "playing a photo, 640x480): frames per second end to end, with the tracking loop "
        "(detector when the track is lost and every 30th frame) and with the detector on every "
        "frame; ms of the last frame.",
        "",
        "| model | backend | threads | mode | fps | frames | detector runs "
        "| ms detect / model / total |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['key']} | - | - | - | - | - | - | not measured: {r['error']} |")
            continue
        t = r.get("ms_per_frame") or {}
        ms = " / ".join(_f(t.get(k), ".1f") for k in ("detect", "model", "total"))
        out.append(
            f"| {r['key']} | {r['backend']} | {r['threads']} | {r['mode']} | {r['fps']:.1f} "
            f"| {r['frames']} | {r['detector_runs']} | {ms} |"
        )
    return out


def headline_speedup(report: dict[str, Any]) -> list[str]:
    """The like-for-like headline: the best int8 TFLite L-PRNet against PRNet int8 TFLite in
    the same LiteRT process (one line, or none when either was not measured)."""
    t = str(report["settings"]["threads"][0])
    rows = [
        r
        for r in report["rows"]
        if r["format"] == "tflite"
        and r["precision"] == "int8"
        and (r.get("speedup_like_for_like") or {}).get(t)
        and r["nme"] is not None
    ]
    if not rows:
        return []
    best = min(rows, key=lambda r: r["nme"])
    lfl = best["speedup_like_for_like"]
    return [
        f"Headline: {best['key']} is {lfl[t]:.1f}x faster than {lfl['vs']} ({t} thread, "
        "LiteRT + XNNPACK int8 both)."
    ]


def not_measured(report: dict[str, Any]) -> list[tuple[str, str]]:
    """``(what, why)`` for every latency or accuracy the report lacks, one line per reason
    (e.g. every browser row of a machine without Chromium shares one)."""
    reasons: dict[str, list[str]] = {}
    for r in report["rows"]:
        for t, v in r["latency"].items():
            if "error" in v:
                reasons.setdefault(v["error"], []).append(f"{r['key']} latency {t}T")
        acc = r.get("accuracy") or {}
        if "error" in acc:
            reasons.setdefault(acc["error"], []).append(f"{r['key']} accuracy")
    return [(", ".join(what), why) for why, what in reasons.items()]


def pareto_plot(report: dict[str, Any], path: str | os.PathLike) -> Path | None:
    """Latency (1 thread, log scale) against NME, one labelled point per measured subject."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = str(report["settings"]["threads"][0])
    pts = [
        (r["latency"][t]["median_ms"], r["nme"], f"{r['model']} {_format(r)} {r['precision']}")
        for r in report["rows"]
        if r["nme"] is not None and "median_ms" in r["latency"].get(t, {})
    ]
    if not pts:
        return None
    fig, ax = plt.subplots(figsize=(10, 5), dpi=120)
    markers = "osD^v<>PXh*"
    for i, (ms, nme, label) in enumerate(pts):  # numbered points, the names in the legend
        ax.scatter(ms, nme, s=36, marker=markers[i % len(markers)], label=f"{i + 1}. {label}")
        ax.annotate(str(i + 1), (ms, nme), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.set_xscale("log")
    ax.set_xlabel(f"batch-1 latency, ms ({t} thread, median)")
    ax.set_ylabel(f"NME 2D % ({report['settings']['headline_set']} set)")
    ax.set_title("lprnet: latency vs accuracy (lower left is better)")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format="png")
    plt.close(fig)
    return path


def write_report(report: dict[str, Any], out: str | os.PathLike) -> dict[str, Path]:
    """``report.json``, ``report.md`` and ``pareto.png`` in ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "report.json", report)
    with atomic_open(out / "report.md", "w") as f:
        f.write(markdown(report))
    paths = {"json": out / "report.json", "markdown": out / "report.md"}
    png = pareto_plot(report, out / "pareto.png")
    if png:
        paths["plot"] = png
    return paths
