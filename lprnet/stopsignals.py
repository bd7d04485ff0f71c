"""Turn stop signals into ``KeyboardInterrupt`` so long commands stop cleanly.

Training, data generation and fine-tuning catch ``KeyboardInterrupt`` to save a checkpoint
and say how to resume. A scheduler or ``kill`` sends SIGTERM instead, and a shell starts
background jobs (``cmd &``, ``nohup``) with SIGINT ignored; without this both would kill the
process without that checkpoint.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


@contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """Raise ``KeyboardInterrupt`` on SIGTERM and SIGINT inside the block.

    Handlers are restored on exit. Outside the main thread (where Python cannot install
    handlers) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    for s in previous:
        signal.signal(s, _interrupt)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
