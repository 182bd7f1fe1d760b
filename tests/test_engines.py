"""The engine the product runs is built from the settings in one place (bot.engines)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.answer.engine import MIN_PROBABILITY
from bot.engines import engine_from_settings
from bot.settings import Settings
from storage.backends import open_library


@pytest.mark.parametrize(("given", "threshold"), [({}, MIN_PROBABILITY), ({"FACTBOT_ANSWER_THRESHOLD": "0.8"}, 0.8)])
async def test_the_engine_takes_its_threshold_from_the_settings(
    tmp_path: Path, given: dict[str, str], threshold: float
) -> None:
    settings = Settings.load({"FACTBOT_DB": str(tmp_path / "library.db"), **given}, dotenv_path=None)
    async with await open_library(settings.library, seed=False) as library:
        engine = engine_from_settings(library, settings)
        assert engine.library is library
        assert engine.threshold == threshold


@pytest.mark.parametrize(
    ("given", "most"), [({}, 2), ({"FACTBOT_CONCURRENT_QUESTIONS": "1"}, 1), ({"FACTBOT_CONCURRENT_QUESTIONS": "8"}, 6)]
)
async def test_the_engine_works_on_as_many_questions_at_once_as_the_settings_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: dict[str, str], most: int
) -> None:
    """Six questions asked together: the library sees at most FACTBOT_CONCURRENT_QUESTIONS of them
    at a time (default 2), the others waiting their turn, and every one is answered."""
    settings = Settings.load({"FACTBOT_DB": str(tmp_path / "library.db"), **given}, dotenv_path=None)
    async with await open_library(settings.library, seed=False) as library:
        engine = engine_from_settings(library, settings)
        real = library.question
        now = seen = 0

        @contextlib.asynccontextmanager
        async def counted() -> AsyncIterator[None]:
            nonlocal now, seen
            now += 1
            seen = max(seen, now)
            try:
                async with real():
                    await asyncio.sleep(0.02)  # long enough for every waiting question to try
                    yield
            finally:
                now -= 1

        monkeypatch.setattr(library, "question", counted)
        answers = await asyncio.gather(*(engine.ask("Who are the members of the CSTO?") for _ in range(6)))
        assert len(answers) == 6
        assert seen == most
