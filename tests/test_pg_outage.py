"""A PostgreSQL library that goes away: down, silent, or out of connections. The bot keeps
acknowledging every question within Discord's 3 s (an answer, or "the library is unavailable"),
its question budgets fall back to the process's own with one warning, the command line says so
in one line naming the host, and nothing is left half-written.

The server is cut off through a loopback proxy (storage.testing.pgproxy) in front of the real test server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from bot.discord.client import FactBot, make_bot
from bot.settings import Settings
from bot.testing.fakediscord import FakeDiscord, Reply, run_client
from bot.testing.fakediscord import world as w
from storage.backends import open_library
from storage.errors import LIBRARY_UNAVAILABLE, LibraryUnavailable
from storage.models import SourceMeta
from storage.target import LibraryTarget, PgOptions
from storage.testing import pgserver
from storage.testing.pgproxy import PgProxy, pg_proxy, silent_server

pytest_plugins = ["tests.bot_fixtures"]

MEMBERS = "Who are the members of the CSTO?"
ANSWER = "Kyrgyzstan"
NOTES = "Ruritania's parliament meets in Strelsau. Its upper house has forty members, chosen every six years."
QUICK = PgOptions(pool_size=3, connect_timeout=1.0, statement_timeout=1.0)
DISCORD_ACK_SECONDS = 3.0


@pytest_asyncio.fixture
async def proxy(pg_server: pgserver.Server) -> AsyncIterator[PgProxy]:
    async with pg_proxy(pg_server.socket_dir) as p:
        yield p


def database_of(url: str) -> str:
    return urllib.parse.urlsplit(url).path.lstrip("/")


def quoted(reply: Reply) -> str:
    return reply.content + " ".join(str(e) for e in reply.embeds)


@contextlib.asynccontextmanager
async def bot_on(fake: FakeDiscord, url: str, options: PgOptions = QUICK, **changes: object) -> AsyncIterator[FactBot]:
    """One bot process as `factbot run --shard-count 1` holds it: library, shared cooldowns, bot."""
    from bot.discord.sharding import Sharding

    given: dict[str, object] = {"ask_cooldown_rate": 1000, **changes}
    settings = Settings(library=LibraryTarget.file("unused"), discord_token=fake.token, **given)  # type: ignore[arg-type]
    async with await open_library(LibraryTarget.parse(url, options)) as library:
        shared = await library.shared_cooldowns()
        bot = make_bot(settings, library, sharding=Sharding(1, (0,)), shared_cooldowns=shared, guild_ready_timeout=0.05)
        async with run_client(bot, fake):
            yield bot


async def ask_timed(fake: FakeDiscord, user_id: int = w.MEMBER_ID) -> tuple[float, Reply]:
    """Seconds until the interaction was acknowledged, and the reply the user finally sees."""
    started = time.monotonic()
    ix = await fake.slash("ask", {"question": MEMBERS}, user_id=user_id)
    await fake.response(ix, timeout=10)
    acknowledged = time.monotonic() - started
    return acknowledged, await fake.reply(ix, timeout=20)


# -- a server that accepts and never answers ---------------------------------------------------------


async def test_a_silent_server_is_one_line_naming_the_host_within_the_connect_timeout() -> None:
    async with silent_server() as port:
        started = time.monotonic()
        with pytest.raises(LibraryUnavailable) as caught:
            await open_library(
                LibraryTarget.parse(f"postgresql://factbot@127.0.0.1:{port}/library", PgOptions(connect_timeout=0.5))
            )
        assert time.monotonic() - started < 3
    assert caught.value.message == (
        f"The library at 127.0.0.1:{port} is unavailable (it did not answer within 0.5 s); "
        "nothing was changed. Try again in a minute."
    )


async def test_the_command_line_against_a_silent_server_says_one_line(tmp_path: Path) -> None:
    async with silent_server() as port:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FACTBOT_"))}
        env.update(FACTBOT_DB=f"postgresql://factbot@127.0.0.1:{port}/library", FACTBOT_DB_CONNECT_TIMEOUT="1")
        started = time.monotonic()
        cli = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "sources", "list", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(cli.communicate(), 30)
        took = time.monotonic() - started
    assert cli.returncode == 1 and out == b""
    lines = err.decode().splitlines()
    assert len(lines) == 1, lines
    assert f"127.0.0.1:{port} is unavailable (it did not answer within 1 s)" in lines[0]
    assert took < 10


async def test_a_server_that_stops_answering_mid_way_is_a_statement_timeout(pg_url: str, proxy: PgProxy) -> None:
    async with await open_library(LibraryTarget.parse(proxy.url(pg_url), QUICK)) as library:
        assert await library.count_sources() > 0
        proxy.silent()
        started = time.monotonic()
        with pytest.raises(LibraryUnavailable, match=r"127\.0\.0\.1:\d+ is unavailable \(it did not answer"):
            await library.get_body(1)
        assert time.monotonic() - started < 3
        proxy.up()


# -- the database goes down while the bot answers -------------------------------------------------------


async def test_questions_during_an_outage_are_all_acknowledged_and_told_to_retry(
    fake_discord: FakeDiscord, pg_url: str, proxy: PgProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with bot_on(fake_discord, proxy.url(pg_url)):
        took, reply = await ask_timed(fake_discord)
        assert ANSWER in quoted(reply)

        proxy.down()
        for user in (w.MEMBER_ID, w.OTHER_USER_ID, w.OWNER_ID, w.MEMBER_ID):
            took, reply = await ask_timed(fake_discord, user)
            assert took < DISCORD_ACK_SECONDS, took
            assert reply.content == LIBRARY_UNAVAILABLE, reply.content

        proxy.up()
        took, reply = await ask_timed(fake_discord)
        assert ANSWER in quoted(reply), "answers again once the database is back"
    fallbacks = [r for r in caplog.records if "shared question budgets cannot be reached" in r.getMessage()]
    assert len(fallbacks) == 1, [r.getMessage() for r in fallbacks]
    assert any("answer again" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]
    fake_discord.assert_no_errors()


async def test_the_budget_holds_per_process_while_the_shared_one_is_unreachable(
    fake_discord: FakeDiscord, pg_url: str, proxy: PgProxy
) -> None:
    async with bot_on(fake_discord, proxy.url(pg_url), ask_cooldown_rate=1, ask_cooldown_seconds=60):
        proxy.silent()  # the worst case: the cooldown check waits, it must not eat Discord's 3 s
        took, first = await ask_timed(fake_discord)
        assert took < DISCORD_ACK_SECONDS and first.content == LIBRARY_UNAVAILABLE
        took, second = await ask_timed(fake_discord)
        assert took < DISCORD_ACK_SECONDS and "Try again <t:" in second.content
        proxy.up()
    fake_discord.assert_no_errors()


async def test_an_add_during_an_outage_is_refused_whole_and_can_be_repeated(pg_url: str, proxy: PgProxy) -> None:
    async with await open_library(LibraryTarget.parse(proxy.url(pg_url), QUICK)) as library:
        before = await library.count_sources()
        proxy.down()
        with pytest.raises(LibraryUnavailable, match="nothing was changed"):
            await library.add_source(NOTES, SourceMeta("Ruritania"))
        proxy.up()
        assert await library.count_sources() == before
        added = await library.add_source(NOTES, SourceMeta("Ruritania"))
        assert await library.count_sources() == before + 1 and added.title == "Ruritania"


async def test_an_add_cut_off_mid_way_leaves_nothing_behind(pg_url: str, proxy: PgProxy) -> None:
    async with await open_library(LibraryTarget.parse(proxy.url(pg_url), QUICK)) as library:
        before = await library.count_sources()
        adding = asyncio.create_task(library.add_source(NOTES * 200, SourceMeta("Long notes")))
        await asyncio.sleep(0.02)
        proxy.down()
        with contextlib.suppress(LibraryUnavailable):
            await adding
        proxy.up()
    async with await open_library(pg_url, seed=False) as direct:
        assert await direct.count_sources() in (before, before + 1)
        if await direct.count_sources() == before:
            assert not await direct.list_sources(title_contains="Long notes")


async def test_a_sources_add_during_an_outage_gets_a_short_reply(
    fake_discord: FakeDiscord, pg_url: str, proxy: PgProxy
) -> None:
    async with bot_on(fake_discord, proxy.url(pg_url)):
        proxy.down()
        upload = fake_discord.add_attachment(NOTES.encode(), "notes.txt")
        ix = await fake_discord.slash("sources add", {"file": upload}, user_id=w.MODERATOR_ID)
        reply = await fake_discord.reply(ix, timeout=20)
        assert reply.ephemeral and reply.content == LIBRARY_UNAVAILABLE
        proxy.up()
    fake_discord.assert_no_errors()


# -- out of connections ----------------------------------------------------------------------------------


async def test_running_out_of_connections_is_a_short_reply(
    fake_discord: FakeDiscord, pg_server: pgserver.Server, pg_url: str
) -> None:
    """A role whose every connection slot someone else holds: the bot's next question gets 'try
    again', not silence; with the slots free again it answers."""
    database = database_of(pg_url)
    role = f"bot_{database}"
    pg_server.psql(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 4; ALTER DATABASE {database} OWNER TO {role}")
    url = pg_url.replace("postgres@", f"{role}@")
    async with bot_on(fake_discord, url, PgOptions(pool_size=2, connect_timeout=1.0, statement_timeout=1.0)):
        took, reply = await ask_timed(fake_discord)
        assert ANSWER in quoted(reply)
        admin = await asyncpg.connect(pg_url)
        hogs = [await asyncpg.connect(url) for _ in range(2)]
        try:  # the two others keep the role's every slot; the bot's connections go
            await admin.execute(f"ALTER ROLE {role} CONNECTION LIMIT 2")
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE usename = $1 AND application_name = 'factbot'",
                role,
            )
            took, reply = await ask_timed(fake_discord)
            assert took < DISCORD_ACK_SECONDS and reply.content == LIBRARY_UNAVAILABLE, reply.content
            for hog in hogs:
                await hog.close()
            await asyncio.sleep(0.2)  # their backends give the slots back
            took, reply = await ask_timed(fake_discord)
            assert ANSWER in quoted(reply)
        finally:
            for hog in hogs:
                await hog.close()
            await admin.close()
    fake_discord.assert_no_errors()


async def test_a_process_holds_at_most_its_pool_size_cooldowns_included(fake_discord: FakeDiscord, pg_url: str) -> None:
    async with bot_on(fake_discord, pg_url, PgOptions(pool_size=2)):
        asked = [await fake_discord.slash("ask", {"question": MEMBERS}, user_id=w.MEMBER_ID) for _ in range(6)]
        replies = await asyncio.gather(*(fake_discord.reply(ix, timeout=30) for ix in asked))
        assert all(ANSWER in quoted(r) for r in replies)
        admin = await asyncpg.connect(pg_url)
        try:
            held = await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'factbot' AND datname = $1",
                database_of(pg_url),
            )
        finally:
            await admin.close()
        assert 1 <= held <= 2
    fake_discord.assert_no_errors()


async def test_ask_batch_when_the_server_stops_is_one_line_without_a_traceback(
    pg_url: str, proxy: PgProxy, tmp_path: Path
) -> None:
    async with await open_library(pg_url):  # made and seeded beforehand
        pass
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FACTBOT_"))}
    env.update(FACTBOT_DB=proxy.url(pg_url), FACTBOT_DB_CONNECT_TIMEOUT="1", FACTBOT_DB_STATEMENT_TIMEOUT="2")
    cli = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "ask", "--batch", "--json", cwd=tmp_path, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert cli.stdin is not None and cli.stdout is not None
    cli.stdin.write(f"{MEMBERS}\n".encode())
    await cli.stdin.drain()
    first = await asyncio.wait_for(cli.stdout.readline(), 60)
    assert ANSWER in first.decode()
    proxy.down()
    cli.stdin.write(f"{MEMBERS}\n".encode())
    cli.stdin.close()
    _, err = await asyncio.wait_for(cli.communicate(), 30)
    proxy.up()
    lines = err.decode().splitlines()
    assert cli.returncode == 1 and len(lines) == 1, lines
    assert lines[0].startswith("factbot: The library at 127.0.0.1:") and "is unavailable" in lines[0]
