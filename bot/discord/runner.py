"""`factbot run` and `factbot sync`: start the bot (or just re-sync its commands) from Settings.

What an operator gets wrong (no token, a rejected token, an intent not enabled, no network) ends
with one line on stderr and exit code 1, never a traceback. Ctrl-C and SIGTERM close the bot and
then the library, so the database is left clean.

`run` pushes the slash commands when it starts, unless it runs shards (`--shard-count`): several
shard processes would race on it, so there `factbot sync` is the one command that pushes them.
Shard processes keep the per-user cooldown in the library's shared state (storage.shared). Every
`run` records its shards with a heartbeat (storage.shards) and refuses, in one line, to run a shard
another live process runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import discord

from bot.discord.client import FactBot, make_bot
from bot.discord.sharding import Sharding
from bot.exits import EXIT_ERROR, EXIT_OK
from bot.settings import Settings
from storage.backends import open_library
from storage.shards import holding_shards
from storage.shared import SharedCooldowns

log = logging.getLogger(__name__)


MISSING_TOKEN = (
    "DISCORD_TOKEN is not set: put the bot's token in the environment or in .env (README, 'Running on Discord')."
)
REJECTED_TOKEN = (
    "Discord rejected DISCORD_TOKEN: reset the token in the Developer Portal (your application > Bot) "
    "and put the new one in .env."
)
NEEDS_CONTENT_INTENT = (
    "FACTBOT_QUESTION_CHANNELS needs the Message Content intent: enable it in the Developer Portal "
    "(your application > Bot > Privileged Gateway Intents), or unset the question channels."
)


def run_bot(settings: Settings, sharding: Sharding | None = None) -> int:
    """Run until stopped (all shards, or those of `sharding`); the exit code for the command line."""
    if not settings.discord_token:
        return _fail(MISSING_TOKEN)
    return asyncio.run(serve(settings, sharding=sharding))


def sync_commands(settings: Settings) -> int:
    """Log in, push the command definitions (to FACTBOT_DEV_GUILD or globally), log out."""
    if not settings.discord_token:
        return _fail(MISSING_TOKEN)
    return asyncio.run(sync(settings))


async def serve(
    settings: Settings, *, sharding: Sharding | None = None, handle_signals: bool = True, **bot_options: Any
) -> int:
    """The bot on the gateway until it is closed (by a signal, or by `bot.close()`)."""
    token = settings.discord_token or ""
    shards = sharding or Sharding(1, (0,))  # one process for all of Discord's events is shard 0 of 1
    async with (
        await open_library(settings.library) as library,
        holding_shards(library, shards.count, shards.ids),
    ):
        shared: SharedCooldowns | None = None
        if sharding is not None:
            shared = await library.shared_cooldowns()
            bot_options["shared_cooldowns"] = shared
            log.info("Running %s; slash commands are pushed by `factbot sync`, not here.", sharding.describe())
        try:
            bot = make_bot(settings, library, sharding=sharding, **bot_options)
            with _stop_on_signals(bot) if handle_signals else contextlib.nullcontext():
                code = await _guarded(bot, lambda: bot.start(token))
        finally:
            if shared is not None:
                await shared.close()
        log.info("Stopped; closing the library.")
    return code


async def sync(settings: Settings, **bot_options: Any) -> int:
    """Log in (which runs setup_hook and so syncs), report what was synced, and close."""
    token = settings.discord_token or ""
    async with await open_library(settings.library) as library:
        bot = FactBot(settings, library, **bot_options)
        code = await _guarded(bot, lambda: bot.login(token))
    if code == EXIT_OK:
        where = f"to server {settings.dev_guild_id}" if settings.dev_guild_id else "globally (allow up to an hour)"
        print(f"Synced {len(bot.synced)} commands {where}.")
    return code


async def _guarded(bot: FactBot, job: Callable[[], Awaitable[None]]) -> int:
    """Run `job` with the bot open; known failures become one line and EXIT_ERROR."""
    try:
        async with bot:
            await job()
    except discord.LoginFailure:
        return _fail(REJECTED_TOKEN)
    except discord.PrivilegedIntentsRequired:
        return _fail(NEEDS_CONTENT_INTENT)
    except discord.ConnectionClosed as err:
        return _fail(f"Discord closed the connection (code {err.code}): {err.reason or 'no reason given'}.")
    except discord.HTTPException as err:
        return _fail(f"Discord refused a request ({err.status}): {err.text or err}.")
    except (aiohttp.ClientError, OSError) as err:
        return _fail(f"Could not reach Discord: {err}.")
    return EXIT_OK


@contextlib.contextmanager
def _stop_on_signals(bot: FactBot) -> Iterator[None]:
    """SIGINT and SIGTERM close the bot, which ends `bot.start` and lets the library close."""
    loop = asyncio.get_running_loop()
    stopping: set[asyncio.Task[None]] = set()

    def stop(sig: signal.Signals) -> None:
        log.info("%s received: closing the bot.", sig.name)
        task = loop.create_task(bot.close())
        stopping.add(task)
        task.add_done_callback(stopping.discard)

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop, sig)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
            pass
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _fail(line: str) -> int:
    print(f"factbot: {line}", file=sys.stderr)
    return EXIT_ERROR
