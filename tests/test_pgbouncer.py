"""Behind PgBouncer in transaction mode (FACTBOT_DB_PGBOUNCER=true): no startup parameter it
refuses, no prepared statement that outlives its transaction, no LISTEN; the library, the engine,
the shared cooldowns and the shard records all work through it, many questions at once."""

from __future__ import annotations

import asyncio
import os
import urllib.parse
from collections.abc import Iterator

import pytest

from bot.answer import Engine
from storage.backends import open_library
from storage.errors import StoreError
from storage.models import SourceMeta
from storage.shards import holding_shards
from storage.target import LibraryTarget, PgOptions
from storage.testing import pgserver
from storage.testing.pgbouncer import pgbouncer

BEHIND_PGBOUNCER = PgOptions(pool_size=4, pgbouncer=True)
NOTES = "Ruritania's parliament meets in Strelsau. Its upper house has forty members, chosen every six years."


@pytest.fixture
def bouncer_url(pg_server: pgserver.Server, pg_url: str) -> Iterator[str]:
    try:
        with pgbouncer(pg_server.socket_dir) as port:
            yield f"postgresql://postgres@127.0.0.1:{port}{urllib.parse.urlsplit(pg_url).path}"
    except pgserver.NoServer as err:
        if os.environ.get("CI") == "true" and os.geteuid() == 0:
            pytest.fail(f"PgBouncer must run in CI: {err}", pytrace=False)
        pytest.skip(str(err))


async def test_the_library_works_behind_pgbouncer_in_transaction_mode(bouncer_url: str) -> None:
    async with await open_library(LibraryTarget.parse(bouncer_url, BEHIND_PGBOUNCER)) as library:
        engine = Engine(library)
        answers = await asyncio.gather(*(engine.ask("Who are the members of the CSTO?") for _ in range(12)))
        assert all("Kyrgyzstan" in str(a) for a in answers)
        added = await library.add_source(NOTES, SourceMeta("Ruritania"))
        assert "Strelsau" in str(await engine.ask("Where does Ruritania's parliament meet?"))
        shared = await library.shared_cooldowns()
        waits = await asyncio.gather(*(shared.spend(7, 3, 60) for _ in range(6)))
        assert waits.count(0.0) == 3
        async with holding_shards(library, 2, (0, 1)):
            pass
        await library.remove_source(added.id)


async def test_without_the_setting_pgbouncer_refuses_in_one_line(bouncer_url: str) -> None:
    with pytest.raises(StoreError, match="unsupported startup parameter"):
        await open_library(LibraryTarget.parse(bouncer_url, PgOptions()))
