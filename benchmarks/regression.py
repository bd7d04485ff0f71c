"""``lprnet check-regression``: compare a candidate benchmark report with a baseline.

Rows are matched by key (``<model>-<precision>-<format>``). A row regresses when its NME grows
by more than ``max_nme_drift`` (relative), its median latency at any measured thread count by
more than ``max_latency_increase`` (relative), or its size by more than ``max_size_increase``
(relative) — or when the candidate lost a row the baseline had. Latency is compared as the
ratio to PRNet in the same report when both reports measured PRNet (robust to a slower CI
machine), else in milliseconds.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lprnet.errors import LprnetError


@dataclass(frozen=True)
class Limits:
    """Largest accepted relative increases (0.02 = 2%); None disables a check."""

    max_nme_drift: float | None = 0.02
    max_latency_increase: float | None = 0.25
    max_size_increase: float | None = 0.05


def parse_fraction(text: str) -> float:
    """``"2%"`` -> 0.02, ``"0.02"`` -> 0.02."""
    t = str(text).strip()
    try:
        return float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise LprnetError(f"expected a fraction like 2% or 0.02, got {text!r}") from None


def load_report(path: str | os.PathLike) -> dict[str, Any]:
    """A ``lprnet bench`` report.json, checked for its schema."""
    path = Path(path)
    try:
        report = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise LprnetError(f"{path}: not a readable benchmark report ({exc})") from exc
    if not isinstance(report, dict) or "rows" not in report or "schema" not in report:
        raise LprnetError(f"{path}: not a `lprnet bench` report (no schema / rows)")
    return report


def _latency(report: dict, row: dict) -> dict[str, float]:
    """Per thread count: the ratio to PRNet in the same report when measured, else ms."""
    ref = next((r for r in report["rows"] if r["role"] == "prnet"), None)
    out = {}
    for t, v in row.get("latency", {}).items():
        if "median_ms" not in v:
            continue
        base = (ref or {}).get("latency", {}).get(t, {}).get("median_ms")
        out[t] = v["median_ms"] / base if base else v["median_ms"]
    return out


def compare(baseline: dict, candidate: dict, limits: Limits) -> list[dict[str, Any]]:
    """One check per (row, quantity): ``{key, check, baseline, candidate, change, limit, ok}``."""
    cand = {r["key"]: r for r in candidate["rows"]}
    checks = []

    def add(key, what, b, c, limit):
        if limit is None or b is None or c is None:
            return
        change = (c - b) / b if b else 0.0
        checks.append(
            {
                "key": key,
                "check": what,
                "baseline": b,
                "candidate": c,
                "change": change,
                "limit": limit,
                "ok": change <= limit,
            }
        )

    for b in baseline["rows"]:
        key = b["key"]
        if key not in cand:
            checks.append(
                {
                    "key": key,
                    "check": "present",
                    "baseline": 1,
                    "candidate": 0,
                    "change": -1.0,
                    "limit": 0.0,
                    "ok": False,
                }
            )
            continue
        c = cand[key]
        add(key, "nme", b.get("nme"), c.get("nme"), limits.max_nme_drift)
        bl, cl = _latency(baseline, b), _latency(candidate, c)
        if b["role"] != "prnet":
            for t in sorted(bl.keys() & cl.keys()):
                add(key, f"latency {t}T", bl[t], cl[t], limits.max_latency_increase)
        add(key, "size", b.get("bytes"), c.get("bytes"), limits.max_size_increase)
    return checks


def format_checks(checks: list[dict[str, Any]], only_failed: bool = False) -> str:
    """A readable table of the checks."""
    rows = [c for c in checks if not (only_failed and c["ok"])]
    lines = [
        "| model | check | baseline | candidate | change | limit | result |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for c in rows:
        lines.append(
            f"| {c['key']} | {c['check']} | {c['baseline']:.4g} | {c['candidate']:.4g} "
            f"| {100 * c['change']:+.1f}% | {100 * c['limit']:.1f}% "
            f"| {'ok' if c['ok'] else 'REGRESSED'} |"
        )
    return "\n".join(lines)
