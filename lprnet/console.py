"""Terminal output of the long verbs: one line per stage, its result and time; the tables and
per-item lines only with ``--verbose``; at the end, what was written where."""

from __future__ import annotations

import time
from pathlib import Path


class StageLog:
    """``stage(title)`` ... ``done(result)`` per stage, ``detail`` for verbose-only text,
    ``wrote`` to collect the outputs that ``summary`` lists."""

    def __init__(self, verbose: bool = False):
        self.verbose = verbose
        self.written: list[tuple[str, str]] = []
        self._t0 = time.perf_counter()
        self._start = self._t0

    def stage(self, title: str) -> None:
        self._t0 = time.perf_counter()
        print(title, flush=True)

    def detail(self, text: str) -> None:
        if self.verbose:
            print(text, flush=True)

    def note(self, text: str) -> None:
        """A line that is always shown (a decision the user should know about)."""
        print(f"  {text}", flush=True)

    def done(self, result: str) -> None:
        print(f"  {result} [{time.perf_counter() - self._t0:.0f} s]", flush=True)

    def wrote(self, what: str, path: str | Path) -> None:
        self.written.append((what, str(path)))

    def summary(self) -> None:
        total = time.perf_counter() - self._start
        print(f"done in {total / 60:.1f} min; written:", flush=True)
        width = max((len(w) for w, _ in self.written), default=0)
        for what, path in self.written:
            print(f"  {what:<{width}}  {path}", flush=True)
