"""The `factbot` command's entry point ([project.scripts]): bot.cli and what it imports (the engine,
numpy, asyncpg, ...) take a noticeable moment to load, and Ctrl-C in that moment must end as Ctrl-C
does anywhere else, with one line and the shell's status, not a traceback. So this module imports
nothing heavy itself and loads bot.cli inside the handler.
"""

from __future__ import annotations

import signal
import sys

from bot.exits import EXIT_INTERRUPTED, INTERRUPTED


def main() -> int:
    try:
        from bot.cli import main as run

        return run()
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C while saying so
        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        # The process is leaving: Ctrl-C during interpreter shutdown (thread joins, atexit
        # handlers) would print "Exception ignored" and a traceback, and there is nothing to stop.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
