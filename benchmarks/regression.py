"""``lprnet check-regression``: compare a candidate benchmark report with a baseline.

Rows are matched by key (``<model>-<precision>-<format>``). A row regresses when its NME grows
by more than ``max_nme_drift`` (relative), its median latency at any measured thread count by
more than ``max_latency_increase`` (relative), or its size by more than ``max_size_increase``
(relative) — or when the candidate lost a row the baseline had. Latency is compared as the
ratio to PRNet in the same report when both reports measured PRNet (robust to a slower CI
machine), else in milliseconds.

The gate fails closed: a check that cannot be made is a failed check with its reason, never a
skipped one. A baseline without rows, a value missing, null or NaN on either side, a latency
thread count the candidate did not measure, reports of different schemas or headline sets
(embedded set vs AFLW2000-3D, or another image count) all fail; a malformed report is an
:class:`LprnetError` naming the file and the field.
"""

from __future__ import annotations

import json
import math
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
    """A ``lprnet bench`` report.json, checked for its schema and the fields the gate reads."""
    path = Path(path)
    try:
        report = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LprnetError(f"{path}: not a readable benchmark report ({exc})") from exc
    if not isinstance(report, dict) or "rows" not in report or "schema" not in report:
        raise LprnetError(f"{path}: not a `lprnet bench` report (no schema / rows)")
    if not isinstance(report["rows"], list):
        raise LprnetError(f"{path}: rows: expected a list, got {type(report['rows']).__name__}")
    for i, row in enumerate(report["rows"]):
        if not isinstance(row, dict):
            raise LprnetError(f"{path}: rows[{i}]: expected an object")
        for field in ("key", "role"):
            if not isinstance(row.get(field), str):
                raise LprnetError(f"{path}: rows[{i}] has no {field!r} (a string)")
        if not isinstance(row.get("latency", {}), dict):
            raise LprnetError(f"{path}: rows[{i}] ({row['key']}): latency: expected an object")
    return report


def _number(value: Any) -> float | None:
    """A finite float, else None (missing, null, NaN, inf, not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _latency(report: dict, row: dict) -> dict[str, float | None]:
    """Per thread count: the ratio to PRNet in the same report when measured, else ms (None
    where the median is missing or not a number)."""
    ref = next((r for r in report["rows"] if r["role"] == "prnet"), None)
    out: dict[str, float | None] = {}
    for t, v in row.get("latency", {}).items():
        ms = _number(v.get("median_ms")) if isinstance(v, dict) else None
        base = _number((ref or {}).get("latency", {}).get(t, {}).get("median_ms"))
        out[t] = None if ms is None else (ms / base if base else ms)
    return out


def headline(report: dict) -> dict[str, Any]:
    """What a report's NME column means: ``{"schema", "set", "images"}``."""
    settings = report.get("settings") or {}
    name = settings.get("headline_set")
    return {
        "schema": report.get("schema"),
        "set": name,
        "images": (settings.get("faces") or {}).get(name),
    }


def _failure(key: str, what: str, reason: str, baseline=None, candidate=None) -> dict[str, Any]:
    return {
        "key": key,
        "check": what,
        "baseline": baseline,
        "candidate": candidate,
        "change": None,
        "limit": None,
        "ok": False,
        "reason": reason,
    }


def compare(baseline: dict, candidate: dict, limits: Limits) -> list[dict[str, Any]]:
    """One check per (row, quantity): ``{key, check, baseline, candidate, change, limit, ok}``
    plus ``reason`` on a check that could not be made (which fails)."""
    checks: list[dict[str, Any]] = []
    hb, hc = headline(baseline), headline(candidate)
    for field in ("schema", "set", "images"):
        if hb[field] != hc[field] or hb[field] is None:
            what = "headline set" if field != "schema" else "schema"
            checks.append(
                _failure(
                    "report",
                    what,
                    f"{field} differs or is missing: baseline {hb[field]!r}, "
                    f"candidate {hc[field]!r} (NME on different images is not one metric)",
                    hb[field],
                    hc[field],
                )
            )
    if not baseline["rows"]:
        checks.append(_failure("report", "rows", "the baseline has no rows: nothing to gate on"))
    cand = {r["key"]: r for r in candidate["rows"]}

    def add(key, what, b, c, limit):
        if limit is None:
            return
        b, c = _number(b), _number(c)
        if b is None or c is None:
            side = "baseline" if b is None else "candidate"
            checks.append(_failure(key, what, f"{side} value missing, null or not a number", b, c))
            return
        change = (c - b) / b if b else (0.0 if c == b else math.inf)
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
            checks.append(_failure(key, "present", "the candidate has no such row", 1, 0))
            continue
        c = cand[key]
        add(key, "nme", b.get("nme"), c.get("nme"), limits.max_nme_drift)
        if b["role"] != "prnet" and limits.max_latency_increase is not None:
            bl, cl = _latency(baseline, b), _latency(candidate, c)
            if not bl:
                checks.append(_failure(key, "latency", "the baseline row has no latency"))
            for t in sorted(bl):
                add(key, f"latency {t}T", bl[t], cl.get(t), limits.max_latency_increase)
        add(key, "size", b.get("bytes"), c.get("bytes"), limits.max_size_increase)
    return checks


def format_checks(checks: list[dict[str, Any]], only_failed: bool = False) -> str:
    """A readable table of the checks (the reason in place of the numbers where a check could
    not be made)."""

    def num(x: Any) -> str:
        return "-" if x is None else f"{x:.4g}"

    rows = [c for c in checks if not (only_failed and c["ok"])]
    lines = [
        "| model | check | baseline | candidate | change | limit | result |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for c in rows:
        if "reason" in c:
            lines.append(
                f"| {c['key']} | {c['check']} | {num(_number(c['baseline']))} "
                f"| {num(_number(c['candidate']))} | | | FAILED: {c['reason']} |"
            )
            continue
        lines.append(
            f"| {c['key']} | {c['check']} | {c['baseline']:.4g} | {c['candidate']:.4g} "
            f"| {100 * c['change']:+.1f}% | {100 * c['limit']:.1f}% "
            f"| {'ok' if c['ok'] else 'REGRESSED'} |"
        )
    return "\n".join(lines)
