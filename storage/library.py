"""The library's contract under its former name, for the modules another change is editing that
still import it (bot/answer/timeline.py, bot/timeline/command.py). Remove once they import
storage.backends.base."""

from __future__ import annotations

from storage.backends.base import Library

__all__ = ["Library"]
