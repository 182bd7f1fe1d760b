"""`factbot run` and `factbot sync`: one clear line and a non-zero exit for what an operator gets
wrong, never a traceback; a signal closes the bot and then the library."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path

import discord
import pytest
import yarl

from bot.discord.runner import run_bot, serve, sync, sync_commands
from bot.settings import Settings
from bot.testing.fakediscord import FakeDiscord
from bot.testing.fakediscord import world as w
from storage.target import LibraryTarget

pytest_plugins = ["tests.bot_fixtures"]


@pytest.fixture
def discord_is_fake(fake_discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> FakeDiscord:
    """Point discord.py at the fake, as the fake's own run_client does, for code that makes its own client."""
    monkeypatch.setattr(discord.http.Route, "BASE", fake_discord.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake_discord.gateway_url))
    return fake_discord


def one_line(text: str) -> str:
    assert text.endswith("\n") and text.count("\n") == 1, f"expected one line, got {text!r}"
    assert "Traceback" not in text
    return text.strip()


@pytest.mark.parametrize("entry", [run_bot, sync_commands])
def test_no_token_is_one_line_and_nothing_is_opened(
    entry: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(library=LibraryTarget.file(tmp_path / "library.db"))
    assert entry(settings) == 1  # type: ignore[operator]
    assert one_line(capsys.readouterr().err).startswith("factbot: DISCORD_TOKEN is not set")
    assert not settings.library.path.exists()


@pytest.mark.parametrize("command", ["run", "sync"])
def test_the_command_line_without_a_token(command: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FACTBOT_"))}
    env["FACTBOT_DB"] = str(tmp_path / "library.db")
    done = subprocess.run(
        [sys.executable, "-m", "bot", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert one_line(done.stderr).startswith("factbot: DISCORD_TOKEN is not set")
    assert done.stdout == ""


async def test_a_rejected_token_is_one_line(
    discord_is_fake: FakeDiscord, bot_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = dataclasses.replace(bot_settings, discord_token="not-the-token")
    assert await serve(settings, handle_signals=False, guild_ready_timeout=0.05) == 1
    assert one_line(capsys.readouterr().err) == (
        "factbot: Discord rejected DISCORD_TOKEN: reset the token in the Developer Portal (your application > Bot) "
        "and put the new one in .env."
    )
    assert [(e.path, e.status) for e in discord_is_fake.errors] == [("/users/@me", 401)]


async def test_question_channels_without_the_intent_enabled(
    discord_is_fake: FakeDiscord, bot_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    discord_is_fake.privileged_intents = 0
    settings = dataclasses.replace(bot_settings, question_channels=frozenset({w.QUESTIONS_CHANNEL_ID}))
    assert await serve(settings, handle_signals=False, guild_ready_timeout=0.05) == 1
    assert "needs the Message Content intent" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_closes_the_bot_then_the_library(
    discord_is_fake: FakeDiscord, bot_settings: Settings, sig: signal.Signals
) -> None:
    running = asyncio.create_task(serve(bot_settings, guild_ready_timeout=0.05))
    await discord_is_fake.wait_until(lambda: discord_is_fake.gateway.identified, timeout=10, what="the bot online")
    os.kill(os.getpid(), sig)
    assert await asyncio.wait_for(running, 10) == 0
    assert not discord_is_fake.gateway.identified
    db = bot_settings.library.path
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists(), "the last connection closed cleanly (SQLite removes the WAL then)"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    discord_is_fake.assert_no_errors()


RUN_AGAINST_FAKE = """
import sys
from pathlib import Path

import discord
import yarl

from bot.discord.runner import run_bot
from bot.settings import Settings
from storage.target import LibraryTarget

discord.http.Route.BASE = sys.argv[1]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[2])
sys.exit(run_bot(Settings(library=LibraryTarget.file(sys.argv[3]), discord_token="fake-bot-token")))
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_ctrl_c_in_a_real_process_exits_cleanly(
    fake_discord: FakeDiscord, tmp_path: Path, sig: signal.Signals
) -> None:
    """The whole path, asyncio.run included, in its own process: what an operator's Ctrl-C does."""
    db = tmp_path / "library.db"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", RUN_AGAINST_FAKE, fake_discord.api_base, fake_discord.gateway_url, str(db),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await fake_discord.wait_until(lambda: fake_discord.gateway.identified, timeout=30, what="the bot online")
        process.send_signal(sig)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr
    assert db.exists() and not db.with_name("library.db-wal").exists()


async def test_sync_pushes_the_commands_and_says_where(
    discord_is_fake: FakeDiscord, bot_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await sync(dataclasses.replace(bot_settings, dev_guild_id=w.GUILD_ID)) == 0
    assert capsys.readouterr().out == f"Synced 5 commands to server {w.GUILD_ID}.\n"
    assert [c.guild_id for c in discord_is_fake.sync_calls] == [w.GUILD_ID]
    assert not discord_is_fake.gateway.sessions, "sync never connects to the gateway"

    assert await sync(bot_settings) == 0
    assert capsys.readouterr().out.startswith("Synced 5 commands globally")
    assert {c["name"] for c in discord_is_fake.commands()} == {
        "ask",
        "feedback",
        "sources",
        "timeline",
        "Find in sources",
    }
    discord_is_fake.assert_no_errors()
