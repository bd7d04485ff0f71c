"""A bounded pool of worker threads, each owning its own state (a reconstructor).

LiteRT interpreters (and BlazeFace's) are not thread-safe, so each worker builds its own state
once and is the only thread to use it. At most ``workers + queue`` jobs are admitted at a
time (running or waiting); one more is refused at once with :class:`PoolBusy`, so memory stays
bounded under any load. Jobs run off the event loop: :meth:`WorkerPool.run` awaits them.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from queue import SimpleQueue
from typing import Generic, TypeVar

S = TypeVar("S")
T = TypeVar("T")

#: Weight of the newest job in the running mean of the service time.
_EWMA = 0.1


class PoolBusy(Exception):
    """Every worker is busy and the queue is full.

    Attributes
    ----------
    retry_after : int
        Seconds after which a retry has a fair chance (queued work / workers, at least 1).
    """

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class WorkerPool(Generic[S]):
    """``workers`` threads with a state each, and a queue of at most ``queue`` waiting jobs.

    Parameters
    ----------
    make_state : callable
        Called once in each worker thread to build its state (e.g. a ``Reconstructor``).
    workers : int
        Threads (>= 1).
    queue : int
        Jobs that may wait while every worker is busy (>= 0).
    name : str
        Thread name prefix.

    Raises
    ------
    Exception
        Whatever ``make_state`` raised in the first worker that failed (the pool is closed).
    """

    def __init__(
        self, make_state: Callable[[], S], workers: int, queue: int, name: str = "lprnet-worker"
    ):
        if workers < 1 or queue < 0:
            raise ValueError(f"workers must be >= 1 and queue >= 0, got {workers}, {queue}")
        self.workers, self.queue_size = workers, queue
        self._jobs: SimpleQueue = SimpleQueue()
        self._lock = threading.Lock()
        self._admitted = 0
        self._service_s: float | None = None
        self._completed = 0
        self.states: list[S] = []
        self._errors: list[BaseException] = []
        ready = threading.Barrier(workers + 1)
        self._threads = [
            threading.Thread(
                target=self._work, args=(make_state, ready), name=f"{name}-{k}", daemon=True
            )
            for k in range(workers)
        ]
        for t in self._threads:
            t.start()
        ready.wait()
        if self._errors:
            self.close()
            raise self._errors[0]

    # ------------------------------------------------------------------ #
    @property
    def capacity(self) -> int:
        """Jobs admitted at most at once: ``workers + queue``."""
        return self.workers + self.queue_size

    @property
    def admitted(self) -> int:
        """Jobs running or waiting now."""
        return self._admitted

    @property
    def completed(self) -> int:
        """Jobs finished (successfully or not) since the start."""
        return self._completed

    @property
    def service_ms(self) -> float | None:
        """Running mean of a job's run time, milliseconds (None before the first job)."""
        return None if self._service_s is None else self._service_s * 1e3

    def retry_after(self) -> int:
        """Seconds until the queue has likely drained by one slot (1 to 60)."""
        per_job = self._service_s if self._service_s is not None else 1.0
        return max(1, min(60, math.ceil(self._admitted * per_job / self.workers)))

    # ------------------------------------------------------------------ #
    def submit(self, fn: Callable[[S], T]) -> Future:
        """Queue ``fn(state)``; refused at once when ``capacity`` jobs are admitted.

        Raises
        ------
        PoolBusy
        """
        with self._lock:
            if self._admitted >= self.capacity:
                raise PoolBusy(
                    f"all {self.workers} workers are busy and {self.queue_size} requests are "
                    "queued",
                    self.retry_after(),
                )
            self._admitted += 1
        future: Future = Future()
        self._jobs.put((fn, future))
        return future

    async def run(self, fn: Callable[[S], T]) -> T:
        """Run ``fn(state)`` on a worker and await its result (the event loop stays free)."""
        return await asyncio.wrap_future(self.submit(fn))

    def close(self, timeout: float | None = 10.0) -> None:
        """Stop the workers after the jobs already queued."""
        for _ in self._threads:
            self._jobs.put(None)
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(timeout)

    # ------------------------------------------------------------------ #
    def _work(self, make_state: Callable[[], S], ready: threading.Barrier) -> None:
        try:
            state = make_state()
            with self._lock:
                self.states.append(state)
        except BaseException as exc:  # reported by the constructor
            self._errors.append(exc)
            ready.wait()
            return
        ready.wait()
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, future = job
            start, ran = time.perf_counter(), False
            try:
                if future.set_running_or_notify_cancel():  # False: the request went away
                    ran = True
                    try:
                        future.set_result(fn(state))
                    except BaseException as exc:  # handed to the awaiting request
                        future.set_exception(exc)
            finally:
                elapsed = time.perf_counter() - start
                with self._lock:
                    self._admitted -= 1
                    self._completed += 1
                    if ran:
                        old = self._service_s
                        self._service_s = (
                            elapsed if old is None else (1 - _EWMA) * old + _EWMA * elapsed
                        )
