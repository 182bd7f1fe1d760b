"""The process's exit statuses and the line Ctrl-C prints: one home for the entry point, the CLI
and the bot runner. Imports nothing, so the entry point can load it before anything heavy."""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1  # a known failure, said in one line
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report it
INTERRUPTED = "factbot: interrupted."
