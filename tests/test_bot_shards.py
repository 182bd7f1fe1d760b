"""Sharded bot processes over one library: each answers only its shards' servers, a user's
question budget is one budget whichever process answers, and what one process (or the operator)
changes in the library is what every other answers from at its next question.

"Two processes" are two FactBots with their own Library objects (their own connections and
caches) and their own shard ids, on both backends; and once as two real `factbot run` processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import discord
import pytest
import pytest_asyncio
import yarl

from bot.discord.client import FactBot, ShardedFactBot, make_bot
from bot.discord.runner import sync
from bot.discord.sharding import Sharding, parse_sharding
from bot.settings import Settings
from bot.testing.fakediscord import FakeDiscord, Reply, run_client
from bot.testing.fakediscord import world as w
from storage import shared as shared_module
from storage.backends import open_library
from storage.models import SourceMeta
from storage.pg_schema import SCHEMA_VERSION as PG_SCHEMA_VERSION
from storage.shared import SharedCooldowns, shared_path
from storage.target import LibraryTarget

pytest_plugins = ["tests.bot_fixtures"]

ZERO_GUILD = w.extra_guild_id(1)  # its events go to shard 0 of 2 (DMs too)
ONE_GUILD = w.GUILD_ID  # shard 1 of 2
TWO = 2
LIGHTHOUSE = (
    "The Zarquon lighthouse on Velmora island was first lit in 1887 by its keeper, Ansel Brandt. "
    "Its lamp could be seen from forty kilometres away on a clear night."
)
ASK_LIGHTHOUSE = "When was the Zarquon lighthouse on Velmora island first lit?"
MEMBERS = "Who are the members of the CSTO?"
ANSWER = "Kyrgyzstan"  # in the seed article that answers it


def test_the_guilds_used_here_are_on_different_shards() -> None:
    assert (ZERO_GUILD >> 22) % TWO == 0 and (ONE_GUILD >> 22) % TWO == 1


@pytest.fixture
def discord_is_fake(fake_discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> FakeDiscord:
    """discord.py pointed at the fake for code that makes its own client (`factbot sync`)."""
    monkeypatch.setattr(discord.http.Route, "BASE", fake_discord.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake_discord.gateway_url))
    return fake_discord


@pytest_asyncio.fixture
async def sharded_fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(w.build_world(extra_guilds=2)) as fake:
        yield fake


@contextlib.asynccontextmanager
async def process(
    fake: FakeDiscord, target: Path | str, settings: Settings, shard_ids: tuple[int, ...]
) -> AsyncIterator[FactBot]:
    """What one `factbot run --shard-count 2 --shards ...` process holds: its own library
    connections and caches, its shared cooldowns, its shards of the gateway."""
    async with await open_library(target) as library:
        shared = await library.shared_cooldowns()
        try:
            sharding = Sharding(TWO, shard_ids)
            bot = make_bot(settings, library, sharding=sharding, shared_cooldowns=shared, guild_ready_timeout=0.05)
            assert isinstance(bot, ShardedFactBot) and not bot.sync_on_setup
            async with run_client(bot, fake):
                yield bot
        finally:
            await shared.close()


@contextlib.asynccontextmanager
async def two_processes(
    fake: FakeDiscord, target: Path | str, **changes: object
) -> AsyncIterator[tuple[FactBot, FactBot]]:
    library = LibraryTarget.of(target if isinstance(target, Path) else Path("unused"))  # the bot never opens it
    settings = Settings(library=library, discord_token=fake.token, ask_cooldown_rate=1000, ask_cooldown_seconds=60)
    settings = dataclasses.replace(settings, **changes)  # type: ignore[arg-type]
    async with await open_library(target):  # a new library is made (and seeded) once, before both start
        pass
    async with process(fake, target, settings, (0,)) as zero, process(fake, target, settings, (1,)) as one:
        fake.attach(zero)  # the fake reads command definitions from a client's tree (nothing is synced)
        yield zero, one
    fake.assert_no_errors()


def on_shard(fake: FakeDiscord, guild_id: int | None) -> int:
    session = fake.gateway.session_for(guild_id)
    assert session is not None
    return session.shard[0]


def quoted(reply: Reply) -> str:
    return reply.content + " ".join(str(e) for e in reply.embeds)


# -- the shared cooldown itself ---------------------------------------------------------------------


@contextlib.asynccontextmanager
async def two_stores(target: Path | str) -> AsyncIterator[tuple[SharedCooldowns, SharedCooldowns]]:
    async with await open_library(target) as first, await open_library(target) as second:
        a, b = await first.shared_cooldowns(), await second.shared_cooldowns()
        try:
            yield a, b
        finally:
            await a.close()
            await b.close()


async def test_two_processes_spending_at_once_get_exactly_the_budget(library_target: Path | str) -> None:
    async with two_stores(library_target) as (a, b):
        waits = await asyncio.gather(*(store.spend(w.MEMBER_ID, 5, 60) for _ in range(10) for store in (a, b)))
        assert waits.count(0.0) == 5, waits
        assert all(55 < wait <= 60 for wait in waits if wait), waits
        assert await a.spend(w.OTHER_USER_ID, 5, 60) == 0.0, "another user has their own budget"


async def test_a_window_ends_for_every_process(library_target: Path | str) -> None:
    async with two_stores(library_target) as (a, b):
        assert await a.spend(w.MEMBER_ID, 1, 0.3) == 0.0
        assert 0 < await b.spend(w.MEMBER_ID, 1, 0.3) <= 0.3
        await asyncio.sleep(0.35)
        assert await b.spend(w.MEMBER_ID, 1, 0.3) == 0.0
        assert await a.spend(w.MEMBER_ID, 1, 0.3) > 0


async def test_sqlite_keeps_it_beside_the_library_not_in_it(tmp_path: Path) -> None:
    """A cooldown write in the library file would move PRAGMA data_version and empty every
    process's cached figures at every question."""
    db = tmp_path / "library.db"
    async with await open_library(db) as library:
        before = await library.data_version()
        async with two_stores(db) as (a, _):
            assert await a.spend(w.MEMBER_ID, 3, 60) == 0.0
        assert await library.data_version() == before
    assert shared_path(db).is_file()


async def test_windows_long_over_are_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared_module, "PRUNE_EVERY", 3)
    db = tmp_path / "library.db"
    async with two_stores(db) as (a, _):
        assert await a.spend(w.MEMBER_ID, 1, 0.2) == 0.0
        await asyncio.sleep(0.25)
        assert await a.spend(w.OTHER_USER_ID, 1, 0.2) == 0.0
        assert await a.spend(w.OWNER_ID, 1, 0.2) == 0.0  # the third: prunes first
        with sqlite3.connect(shared_path(db)) as conn:
            users = {row[0] for row in conn.execute("SELECT user_id FROM ask_cooldown")}
        assert users == {w.OTHER_USER_ID, w.OWNER_ID}


# The statement factbot ran on first use before the cooldown table became migration 2.
# Every table a migration after schema 1 made (a new migration's table joins this list).
TABLES_AFTER_SCHEMA_1 = (
    "factbot_ask_cooldown",
    "sentence_vectors",
    "factbot_shards",
    "feedback",
    "pages",
)
OLD_COOLDOWN_TABLE = """
CREATE TABLE IF NOT EXISTS factbot_ask_cooldown (
    user_id bigint PRIMARY KEY,
    window_start double precision NOT NULL,
    used integer NOT NULL
)
"""


@pytest.mark.parametrize("had_table", [True, False], ids=["table-made-on-first-use", "never-used"])
async def test_a_postgresql_library_of_schema_1_upgrades_keeping_the_budgets(pg_url: str, had_table: bool) -> None:
    async with await open_library(pg_url, seed=False):
        pass
    conn = await asyncpg.connect(pg_url)
    try:  # back to the layout of schema 1, with or without the table its bots made on first use
        await conn.execute(f"DROP TABLE {', '.join(TABLES_AFTER_SCHEMA_1)}; UPDATE factbot_schema SET version = 1")
        if had_table:
            await conn.execute(OLD_COOLDOWN_TABLE)
            await conn.execute(
                "INSERT INTO factbot_ask_cooldown VALUES ($1, extract(epoch FROM now()), 2)", w.MEMBER_ID
            )
        async with two_stores(pg_url) as (a, b):  # the first to open it upgrades it
            assert await conn.fetchval("SELECT version FROM factbot_schema") == PG_SCHEMA_VERSION
            first = await a.spend(w.MEMBER_ID, 2, 60)
            assert (first > 55) if had_table else (first == 0.0), "the budget spent before the upgrade is kept"
            assert await b.spend(w.OTHER_USER_ID, 2, 60) == 0.0
        used = dict(await conn.fetch("SELECT user_id, used FROM factbot_ask_cooldown"))
        assert used == {w.MEMBER_ID: 3 if had_table else 1, w.OTHER_USER_ID: 1}
    finally:
        await conn.close()


# -- two processes on the fake ----------------------------------------------------------------------


async def test_each_process_answers_only_its_shards(sharded_fake: FakeDiscord, tmp_path: Path) -> None:
    async with two_processes(sharded_fake, tmp_path / "library.db") as (zero, one):
        assert {g.id for g in zero.guilds} == {g.id for g in sharded_fake.world.guilds if (g.id >> 22) % TWO == 0}
        assert {g.id for g in one.guilds} == {g.id for g in sharded_fake.world.guilds if (g.id >> 22) % TWO == 1}
        for channel in (w.questions_channel_of(ZERO_GUILD), w.QUESTIONS_CHANNEL_ID, w.DM_CHANNEL_ID):
            reply = await sharded_fake.reply(await sharded_fake.slash("ask", {"question": MEMBERS}, channel_id=channel))
            assert ANSWER in quoted(reply)
        assert on_shard(sharded_fake, ZERO_GUILD) == on_shard(sharded_fake, None) == 0
        assert on_shard(sharded_fake, ONE_GUILD) == 1
    assert not sharded_fake.sync_calls, "shard processes never push commands"


async def test_the_cooldown_holds_across_processes(sharded_fake: FakeDiscord, library_target: Path | str) -> None:
    async with two_processes(sharded_fake, library_target, ask_cooldown_rate=2, ask_cooldown_seconds=60):
        zero_channel = w.questions_channel_of(ZERO_GUILD)
        first = await sharded_fake.reply(
            await sharded_fake.slash("ask", {"question": MEMBERS}, channel_id=zero_channel)
        )
        assert first.embeds  # shard 0's process answered
        asked = await sharded_fake.send_message(MEMBERS, channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
        assert (await sharded_fake.reply_to(asked)).embeds  # shard 1's process answered

        for channel in (w.QUESTIONS_CHANNEL_ID, zero_channel, w.DM_CHANNEL_ID):  # shard 1, shard 0, a DM
            refused = await sharded_fake.reply(
                await sharded_fake.slash("ask", {"question": MEMBERS}, channel_id=channel)
            )
            assert refused.ephemeral and not refused.embeds, channel
            assert re.search(r"Try again <t:\d+:R>\.", refused.content), refused.content
        again = await sharded_fake.send_message(MEMBERS, channel_id=zero_channel, mention_bot=True)
        assert "Try again <t:" in (await sharded_fake.reply_to(again)).content

        ix = await sharded_fake.slash("ask", {"question": MEMBERS}, user_id=w.OTHER_USER_ID)
        assert (await sharded_fake.reply(ix)).embeds, "another user has their own budget"


async def test_a_change_through_one_process_is_answered_by_the_other(
    sharded_fake: FakeDiscord, library_target: Path | str
) -> None:
    async with two_processes(sharded_fake, library_target) as (zero, one):

        async def ask(channel_id: int) -> str:
            ix = await sharded_fake.slash("ask", {"question": ASK_LIGHTHOUSE}, channel_id=channel_id)
            return quoted(await sharded_fake.reply(ix))

        channels = (w.QUESTIONS_CHANNEL_ID, w.questions_channel_of(ZERO_GUILD), w.DM_CHANNEL_ID)
        for channel in channels:  # every process has read (and cached) the library's figures
            assert "Ansel Brandt" not in await ask(channel)

        # The operator adds a global source (`factbot sources add`: a third process).
        async with await open_library(library_target) as operator:
            added = await operator.add_source(LIGHTHOUSE, SourceMeta("Velmora lighthouse"))
        for channel in channels:  # at the very next question, on both shards
            assert "Ansel Brandt" in await ask(channel), channel
        assert await one.library.sentence_stats() == await zero.library.sentence_stats()

        # Shard 0's process removes it (as a removal by the operator through that process would).
        await zero.library.remove_source(added.id)
        assert "Ansel Brandt" not in await ask(w.QUESTIONS_CHANNEL_ID)
        assert await one.library.count_sources() == await zero.library.count_sources()


# -- two real `factbot run` processes ---------------------------------------------------------------

RUN_SHARD = """
import faulthandler
import signal
import sys

import discord
import yarl

from bot.cli import main

discord.http.Route.BASE = sys.argv[1]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[2])
faulthandler.register(signal.SIGQUIT)  # where every thread is, if the test has to ask
sys.exit(main(["run", "--shard-count", "2", "--shards", sys.argv[3]]))
"""


async def test_two_run_processes_share_one_library(discord_is_fake: FakeDiscord, tmp_path: Path) -> None:
    fake = discord_is_fake
    db = tmp_path / "library.db"
    settings = Settings(library=LibraryTarget.file(db), discord_token=fake.token)
    assert await sync(settings) == 0  # the operator pushes the commands once
    synced = len(fake.sync_calls)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FACTBOT_"))}
    env.update(
        FACTBOT_DB=str(db),
        DISCORD_TOKEN=fake.token,
        FACTBOT_ASK_COOLDOWN_RATE="1",
        FACTBOT_ASK_COOLDOWN_SECONDS="60",
        FACTBOT_LOG_LEVEL="WARNING",
    )
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            RUN_SHARD,
            fake.api_base,
            fake.gateway_url,
            shard,
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for shard in ("0", "1")
    ]
    try:
        try:
            await fake.wait_until(lambda: len(fake.gateway.identified) == TWO, timeout=60, what="both shards online")
        except TimeoutError as err:
            raise AssertionError(f"{err}\n{await _stopped_with_output(processes)}") from None
        assert sorted(s.shard for s in fake.gateway.identified) == [(0, 2), (1, 2)]
        first = await fake.reply(await fake.slash("ask", {"question": MEMBERS}, channel_id=w.DM_CHANNEL_ID), timeout=30)
        assert ANSWER in quoted(first)  # shard 0's process
        refused = await fake.reply(await fake.slash("ask", {"question": MEMBERS}), timeout=30)  # shard 1's
        assert refused.ephemeral and "Try again <t:" in refused.content

        async with await open_library(db) as operator:
            await operator.add_source(LIGHTHOUSE, SourceMeta("Velmora lighthouse"))
        ix = await fake.slash("ask", {"question": ASK_LIGHTHOUSE}, user_id=w.OTHER_USER_ID)
        assert "Ansel Brandt" in quoted(await fake.reply(ix, timeout=30))
        for p in processes:
            p.send_signal(signal.SIGTERM)
        outputs = [await asyncio.wait_for(p.communicate(), 30) for p in processes]
    finally:
        for p in processes:
            if p.returncode is None:
                p.kill()
    for p, (_, stderr) in zip(processes, outputs, strict=True):
        assert p.returncode == 0, stderr.decode()
        assert b"Traceback" not in stderr
    assert len(fake.sync_calls) == synced, "`run` with shards pushes no commands"
    fake.assert_no_errors()


async def _stopped_with_output(processes: list[asyncio.subprocess.Process]) -> str:
    """What each process wrote, with where every thread of it was (SIGQUIT: faulthandler), then
    killed: a process that never came online says why."""
    for p in processes:
        if p.returncode is None:
            p.send_signal(signal.SIGQUIT)
    await asyncio.sleep(1)
    described = []
    for n, p in enumerate(processes):
        if p.returncode is None:
            p.kill()
        out, err = await p.communicate()
        described.append(f"process {n} (exit {p.returncode}):\n{(out + err).decode(errors='replace')[-4000:]}")
    return "\n".join(described)


# -- the flags ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "ids", "expected"),
    [
        (None, None, None),
        ("4", "0,1", Sharding(4, (0, 1))),
        ("4", " 3 , 2 ", Sharding(4, (2, 3))),
        ("2", None, Sharding(2, (0, 1))),
        ("1", "0", Sharding(1, (0,))),
    ],
)
def test_shard_flags(count: str | None, ids: str | None, expected: Sharding | None) -> None:
    assert parse_sharding(count, ids) == expected


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--shards", "0"], "--shards needs --shard-count"),
        (["--shard-count", "0"], "--shard-count must be between 1 and 4096, not 0."),
        (["--shard-count", "99999"], "--shard-count must be between 1 and 4096"),
        (["--shard-count", "two"], "--shard-count takes whole numbers"),
        (["--shard-count", "-1"], "--shard-count takes whole numbers"),
        (["--shard-count", "2", "--shards", "2"], "shard 2 does not exist; with --shard-count 2 they are 0 to 1."),
        (["--shard-count", "2", "--shards", "1,1"], "--shards names shard 1 twice."),
        (
            ["--shard-count", "2", "--shards", "0,"],
            "--shards takes whole numbers (like --shard-count 4 --shards 0,1), not nothing.",
        ),
        (["--shard-count", "2", "--shards", "\x1b[2J"], "--shards takes whole numbers"),
    ],
)
def test_a_bad_shard_flag_is_one_line_and_nothing_starts(args: list[str], says: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FACTBOT_"))}
    env.update(FACTBOT_DB=str(tmp_path / "library.db"), DISCORD_TOKEN="fake-bot-token")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr and "\x1b" not in done.stderr
    assert done.stderr.startswith("factbot: ") and says in done.stderr, done.stderr
    assert not (tmp_path / "library.db").exists()
