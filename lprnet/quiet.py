"""Keep converters' chatter (Python prints, absl / C++ logs on fd 2) off the terminal."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import tempfile
from collections.abc import Iterator

from lprnet.errors import LprnetError


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Swallow stdout, stderr (also at the file-descriptor level) and Python logging.

    What was printed is replayed on stderr when the block raises anything but an
    :class:`LprnetError`, so an unexpected failure still shows the converter's own output.
    ``LPRNET_TF_VERBOSE=1`` turns it off.
    """
    if os.environ.get("LPRNET_TF_VERBOSE"):
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    text = io.StringIO()
    disabled = logging.root.manager.disable
    logging.disable(logging.WARNING)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 1)
        os.dup2(captured.fileno(), 2)
        try:
            with contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
                yield
        except BaseException as exc:
            _restore(saved)
            if isinstance(exc, LprnetError):  # its message already says what went wrong
                raise
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace")[-4000:])
            sys.stderr.write(text.getvalue()[-4000:])
            raise
        finally:
            logging.disable(disabled)
            _restore(saved)


def _restore(saved: list[int]) -> None:
    if saved[0] < 0:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(saved[0], 1)
    os.dup2(saved[1], 2)
    os.close(saved[0])
    os.close(saved[1])
    saved[0] = saved[1] = -1
