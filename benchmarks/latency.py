"""Batch-1 latency, interleaved: one worker process per thread count, one model run at a time.

Each worker sets its TensorFlow thread pools before TensorFlow starts (they cannot change
afterwards), opens every model with that many threads (LiteRT ``num_threads``, ONNX Runtime
``intra_op_num_threads``) and warms each up. The coordinator then runs ``rounds`` rounds; in
each it visits every (model, threads) pair in a freshly shuffled order and times ``per_round``
calls. A machine that slows down for a while slows every model in that round alike, so it shows
as spread (p90) rather than as a wrong ratio between models. Only one worker computes at a time.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

THREADS = (1, 2, 4)


def _worker(conn, threads: int) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from lprnet.tfenv import tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from export.runtime import load_artifact

    models: dict[str, Any] = {}
    inputs: dict[str, np.ndarray] = {}
    while True:
        cmd, *args = conn.recv()
        try:
            if cmd == "load":
                key, path, warmup = args
                t = time.perf_counter()
                model = load_artifact(path, threads=threads)
                n = model.resolution
                x = np.random.default_rng(0).random((1, n, n, 3), dtype=np.float32)
                model.predict(x)
                load_ms = (time.perf_counter() - t) * 1e3
                for _ in range(warmup):
                    model.predict(x)
                models[key], inputs[key] = model, x
                conn.send(("ok", load_ms))
            elif cmd == "run":
                key, count = args
                model, x = models[key], inputs[key]
                times = []
                for _ in range(count):
                    t = time.perf_counter()
                    model.predict(x)
                    times.append((time.perf_counter() - t) * 1e3)
                conn.send(("ok", times))
            elif cmd == "stop":
                conn.send(("ok", None))
                return
        except Exception as exc:  # reported to the coordinator, which names the model
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class WorkerDied(RuntimeError):
    """The worker process exited (a runtime crashed it) or did not answer in time."""


#: Seconds a worker may take to open a model, and per timed call.
LOAD_TIMEOUT_S = 300.0
RUN_TIMEOUT_S = 60.0


class Worker:
    """A spawned process holding models opened with ``threads`` threads."""

    def __init__(self, threads: int, target: Callable = _worker):
        ctx = mp.get_context("spawn")
        self.threads, self.target = threads, target
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=target, args=(child, threads), daemon=True)
        self.proc.start()

    def call(self, *msg, timeout: float | None = None):
        """Send one command and wait for its answer.

        Raises
        ------
        RuntimeError
            The command failed in the worker (the worker lives on).
        WorkerDied
            The worker crashed or did not answer within ``timeout`` seconds (it is killed).
        """
        try:
            self.conn.send(msg)
            if not self.conn.poll(timeout):
                self.proc.kill()
                raise WorkerDied(f"no answer in {timeout:.0f} s (killed)")
            status, value = self.conn.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError):
            self.proc.join(timeout=5)
            raise WorkerDied(f"the worker process died (exit code {self.proc.exitcode})") from None
        if status != "ok":
            raise RuntimeError(value)
        return value

    def close(self) -> None:
        try:
            self.call("stop", timeout=10)
        except (OSError, RuntimeError):
            pass
        self.proc.join(timeout=10)
        if self.proc.is_alive():
            self.proc.kill()


def summarize(times: Sequence[float]) -> dict[str, float]:
    """Median, p90, mean, min of a list of milliseconds."""
    a = np.asarray(times, np.float64)
    return {
        "median_ms": float(np.median(a)),
        "p90_ms": float(np.percentile(a, 90)),
        "mean_ms": float(a.mean()),
        "min_ms": float(a.min()),
        "runs": int(a.size),
    }


def measure(
    models: dict[str, str],
    threads: Sequence[int] = THREADS,
    runs: int = 50,
    per_round: int = 5,
    warmup: int = 5,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    worker: Callable = _worker,
) -> dict[str, dict[str, Any]]:
    """Time every model at every thread count, interleaved.

    Parameters
    ----------
    models : dict of key -> path
        Model files / TF.js folders that :func:`export.runtime.load_artifact` opens.
    runs : int
        Timed calls per (model, threads), at least; rounded up to whole rounds.

    worker : callable
        The worker process' main function (:func:`_worker`; tests put in a faulty one).

    Returns
    -------
    dict
        ``result[key][str(threads)]`` = :func:`summarize` of the times plus ``load_ms``, or
        ``{"error": message}`` when the model could not be opened or run there, crashed its
        worker process (which is restarted for the other models) or did not answer in time.
    """
    rounds = max(1, -(-runs // per_round))
    result: dict[str, dict[str, Any]] = {k: {} for k in models}
    workers = {t: Worker(t, worker) for t in threads}
    times: dict[tuple[str, int], list[float]] = {}

    def load(t: int, key: str) -> None:
        load_ms = workers[t].call("load", key, str(models[key]), warmup, timeout=LOAD_TIMEOUT_S)
        result[key][str(t)] = {"load_ms": load_ms}

    def fail(t: int, key: str, exc: Exception) -> None:
        """Record the error; after a crash, a fresh worker reopens the models still timed."""
        result[key][str(t)] = {"error": str(exc)}
        times.pop((key, t), None)
        if isinstance(exc, WorkerDied):
            workers[t].close()
            workers[t] = Worker(t, worker)
            for k, tt in list(times):
                if tt == t:
                    try:
                        workers[t].call("load", k, str(models[k]), 0, timeout=LOAD_TIMEOUT_S)
                    except RuntimeError as again:  # WorkerDied included
                        fail(t, k, again)

    try:
        for t in threads:
            for key in models:
                try:
                    load(t, key)
                except RuntimeError as exc:
                    fail(t, key, exc)
                    continue
                times[(key, t)] = []
        rng = random.Random(seed)
        for r in range(rounds):
            pairs = list(times)
            rng.shuffle(pairs)
            for key, t in pairs:
                if (key, t) not in times:  # failed earlier in this round
                    continue
                try:
                    ms = workers[t].call("run", key, per_round, timeout=RUN_TIMEOUT_S * per_round)
                except RuntimeError as exc:
                    fail(t, key, exc)
                    continue
                times[(key, t)] += ms
            if progress:
                progress(f"latency round {r + 1}/{rounds}")
    finally:
        for w in workers.values():
            w.close()
    for (key, t), ms in times.items():
        result[key][str(t)].update(summarize(ms))
    return result
