"""The library's contract under its former name, for modules not yet moved to
storage.backends.base (bot/answer/events.py and bot/timeline.py, being changed elsewhere).
Remove once they import storage.backends.base."""

from __future__ import annotations

from storage.backends.base import Library

__all__ = ["Library"]
