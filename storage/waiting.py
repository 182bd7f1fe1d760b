"""Saying that a change is waiting for another process that holds the library.

A change waits up to WRITE_WAIT_SECONDS (storage.backends.sqlite) for another process's transaction to
end; without a word, a command that waits a minute looks hung. A front end that has someone to
tell sets `tell_waits` (the command line prints one line on stderr); the store calls `waiting`
once per change, when its first attempt (the busy timeout, 5 s) has failed.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path

# Called with the library and the seconds the change will still wait before it gives up.
_TELL: ContextVar[Callable[[Path | str, float], None] | None] = ContextVar("factbot_tell_waits", default=None)


def tell_waits(callback: Callable[[Path | str, float], None] | None) -> None:
    """Have `callback` told of waits from now on, in this task and the tasks it starts."""
    _TELL.set(callback)


def waiting(library: Path | str, seconds_left: float) -> None:
    """A change to `library` is waiting for another process; it gives up in `seconds_left`."""
    callback = _TELL.get()
    if callback is not None:
        callback(library, seconds_left)
