"""The engine the product runs is built from the settings in one place (bot.engines)."""

from __future__ import annotations

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
