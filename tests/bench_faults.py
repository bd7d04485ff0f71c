"""A stand-in latency worker with faults on cue (imported by spawned processes)."""

from __future__ import annotations

import os
import time


def faulty_worker(conn, threads: int) -> None:
    """Answers like :func:`benchmarks.latency._worker`; model ``crash`` kills the process on
    load, ``crash-run`` on its first timed call, ``hang`` never answers, ``bad`` fails."""
    while True:
        cmd, *args = conn.recv()
        key = args[0] if args else None
        if (key == "crash" and cmd == "load") or (key == "crash-run" and cmd == "run"):
            os._exit(3)
        if key == "hang":
            time.sleep(600)
        if key == "bad":
            conn.send(("error", "ValueError: not a model"))
        elif cmd == "load":
            conn.send(("ok", 1.0))
        elif cmd == "run":
            conn.send(("ok", [1.0 + threads] * args[1]))
        elif cmd == "stop":
            conn.send(("ok", None))
            return
