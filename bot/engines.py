"""The answer engine as the product runs it, built from the settings in one place.

The command line and the Discord bot both build their engine here, so a new engine setting is
passed on once. It lives beside the settings, not in bot.answer: the engine takes plain arguments
and knows nothing of how factbot is configured.
"""

from __future__ import annotations

from bot.answer import Engine
from bot.settings import Settings
from storage.backends.base import Library


def engine_from_settings(library: Library, settings: Settings) -> Engine:
    """The engine that answers from `library` as `settings` say (FACTBOT_ANSWER_THRESHOLD,
    FACTBOT_CONCURRENT_QUESTIONS)."""
    return Engine(library, threshold=settings.answer_threshold, concurrent=settings.concurrent_questions)
