"""Fixtures that run the real FactBot against the loopback fake of Discord.

Use from a test module with ``pytest_plugins = ["tests.bot_fixtures"]``. ``running_bot`` is the
product bot on a fresh seeded library, logged in and ready; after each test it checks that the
fake refused nothing (no Discord limit broken) and that no message the bot sent pinged anyone.
``start_bot`` builds one with other settings (a cooldown, a moderator role, fetch networks).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.discord.client import FactBot
from bot.settings import Settings
from bot.testing.fakediscord import FakeDiscord, run_client
from storage.backends import open_library
from storage.backends.base import Library
from storage.target import LibraryTarget
from tests.discord_helpers import BotStarter


@pytest.fixture
def bot_settings(tmp_path: Path) -> Settings:
    """Settings for tests: the fake's token, and a cooldown generous enough not to get in the way."""
    return Settings(
        library=LibraryTarget.file(tmp_path / "library.db"),
        discord_token="fake-bot-token",
        ask_cooldown_rate=1000,
        ask_cooldown_seconds=60,
    )


@pytest_asyncio.fixture
async def library(bot_settings: Settings) -> AsyncIterator[Library]:
    async with await open_library(bot_settings.library) as lib:
        yield lib


def assert_clean(fake: FakeDiscord) -> None:
    """Discord accepted everything the bot sent, and nothing it sent notified anyone."""
    fake.assert_no_errors()
    for message in fake.bot_messages():
        assert message.allowed_mentions is not None, f"message {message.id} sent without allowed_mentions"
        assert not fake.pings(message), f"message {message.id} pinged {fake.pings(message)}: {message.content!r}"
    assert not fake.server_exceptions, fake.server_exceptions


@pytest.fixture
def start_bot(fake_discord: FakeDiscord, library: Library, bot_settings: Settings) -> BotStarter:
    """``async with start_bot(ask_cooldown_rate=1) as bot:`` runs a FactBot with those settings changed."""

    @contextlib.asynccontextmanager
    async def start(**changes: Any) -> AsyncIterator[FactBot]:
        settings = dataclasses.replace(bot_settings, **changes)
        bot = FactBot(settings, library, guild_ready_timeout=0.05)
        async with run_client(bot, fake_discord):
            yield bot
        assert_clean(fake_discord)

    return start


@pytest_asyncio.fixture
async def running_bot(start_bot: BotStarter) -> AsyncIterator[FactBot]:
    async with start_bot() as bot:
        yield bot
