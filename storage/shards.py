"""Which bot process runs which shards of one library, so that no shard is run twice or by nobody.

Each `factbot run` records itself (host, pid, shard count, shard ids) where every process of the
library sees it, and beats every HEARTBEAT_SECONDS. A process starting with a shard that a live
process holds (or with another shard count: then every guild maps to other shards) refuses with
one line. A record is live while its heartbeat is younger than STALE_SECONDS; a record of this
host whose process is gone (kill -9) is dead at once, so a restart is never refused.

Where it lives, as the shared cooldowns (storage.shared):
- PostgreSQL: the table `factbot_shards` (the library's migration 4, storage.pg_schema), timed by
  the server's clock; claims are serialized by an advisory lock.
- SQLite: the table `shard_processes` in the `<library>-shared` file beside the library, timed by
  this machine's clock; claims are serialized by the file's write lock.

A heartbeat that fails (the database is down) is one warning; the process keeps running, and
records itself again when the database is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sqlite3
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

from storage.errors import ShardConflict, StoreError
from storage.waits import BUSY_TIMEOUT_MS

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0
STALE_SECONDS = 45.0
# pg_advisory_xact_lock key ("FACW") under which a process claims its shards.
SHARDS_LOCK = 0x46414357


class HasShardRecords(Protocol):
    """A library: each backend keeps its shard records its own way (`Library.shard_records`)."""

    async def shard_records(self) -> ShardRecords: ...


@dataclass(frozen=True)
class ShardProcess:
    """One bot process's record."""

    process: str
    host: str
    pid: int
    shard_count: int
    shards: tuple[int, ...]
    started: float = 0.0  # epoch seconds, by the store's clock
    heartbeat: float = 0.0
    age: float = 0.0  # seconds since the heartbeat, by the store's clock

    @property
    def live(self) -> bool:
        return self.age <= STALE_SECONDS and not self.gone()

    def gone(self) -> bool:
        """Of this host, and its process has exited (a record left by kill -9)."""
        if self.host != socket.gethostname() or self.pid == os.getpid():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def describe(self) -> str:
        return f"process {self.pid} on {self.host}"


def this_process(shard_count: int, shards: Iterable[int]) -> ShardProcess:
    return ShardProcess(uuid.uuid4().hex[:12], socket.gethostname(), os.getpid(), shard_count, tuple(sorted(shards)))


def shard_list(shards: Iterable[int]) -> str:
    return ",".join(map(str, shards))


def conflict(me: ShardProcess, others: Iterable[ShardProcess]) -> str | None:
    """Why `me` may not start beside the live `others`, or None."""
    for other in others:
        if other.process == me.process or not other.live:
            continue
        if other.shard_count != me.shard_count:
            return (
                f"{other.describe()} runs this library's bot with --shard-count {other.shard_count}, "
                f"this one was given {me.shard_count}; every process must use the same count. Nothing was started."
            )
        if taken := sorted(set(other.shards) & set(me.shards)):
            return (
                f"shard {shard_list(taken)} of {me.shard_count} is already run by {other.describe()} "
                f"(heartbeat {other.age:.0f} s ago); give this process other shards, or stop that one. "
                "Nothing was started."
            )
    return None


def unrun(processes: Iterable[ShardProcess]) -> dict[int, list[int]]:
    """Per shard count run by a live process: the shards that no live process runs."""
    live = [p for p in processes if p.live]
    return {
        count: [s for s in range(count) if not any(s in p.shards for p in live if p.shard_count == count)]
        for count in sorted({p.shard_count for p in live})
    }


class ShardRecords(ABC):
    """The shard records of one library's processes."""

    async def claim(self, me: ShardProcess) -> None:
        """Record `me`, or raise ShardConflict (nothing recorded) when a live process holds its shards."""
        await self._claim(me)

    @abstractmethod
    async def _claim(self, me: ShardProcess) -> None: ...

    @abstractmethod
    async def beat(self, me: ShardProcess) -> None:
        """Move `me`'s heartbeat (recording it again if it was pruned as stale meanwhile)."""

    @abstractmethod
    async def release(self, me: ShardProcess) -> None: ...

    @abstractmethod
    async def processes(self) -> list[ShardProcess]:
        """Every record, live or not, by shard count then first shard."""

    @abstractmethod
    async def close(self) -> None: ...


_SQLITE_TABLE = """
CREATE TABLE IF NOT EXISTS shard_processes (
    process TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    shard_count INTEGER NOT NULL,
    shards TEXT NOT NULL,
    started REAL NOT NULL,
    heartbeat REAL NOT NULL
)
"""
_SQLITE_UPSERT = """
INSERT INTO shard_processes (process, host, pid, shard_count, shards, started, heartbeat)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
ON CONFLICT (process) DO UPDATE SET heartbeat = excluded.heartbeat
"""


def _sqlite_row(row: Any, now: float) -> ShardProcess:
    process, host, pid, count, shards, started, heartbeat = row
    ids = tuple(int(s) for s in shards.split(",") if s)
    return ShardProcess(process, host, int(pid), int(count), ids, float(started), float(heartbeat), now - heartbeat)


class SqliteShardRecords(ShardRecords):
    def __init__(self, path: Path, conn: aiosqlite.Connection) -> None:
        self.path = path
        self._conn = conn

    @classmethod
    async def open(cls, path: Path) -> SqliteShardRecords:
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
            try:
                await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                await conn.execute("PRAGMA journal_mode = WAL")
                await conn.execute(_SQLITE_TABLE)
            except BaseException:
                await conn.close()
                raise
        except (sqlite3.Error, OSError) as err:
            raise StoreError(f"Cannot open the shard records {path}: {err}.") from None
        return cls(path, conn)

    async def _claim(self, me: ShardProcess) -> None:
        try:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                now = time.time()
                async with self._conn.execute("SELECT * FROM shard_processes") as cursor:
                    others = [_sqlite_row(r, now) for r in await cursor.fetchall()]
                dead = [o.process for o in others if not o.live]
                await self._conn.executemany("DELETE FROM shard_processes WHERE process = ?", [(d,) for d in dead])
                if (why := conflict(me, others)) is not None:
                    await self._conn.execute("COMMIT")
                    raise ShardConflict(why)
                await self._upsert(me, now)
                await self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    await self._conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as err:
            raise StoreError(f"The shard records {self.path} failed: {err}.") from None

    async def _upsert(self, me: ShardProcess, now: float) -> None:
        await self._conn.execute(
            _SQLITE_UPSERT, (me.process, me.host, me.pid, me.shard_count, shard_list(me.shards), now)
        )

    async def beat(self, me: ShardProcess) -> None:
        try:
            await self._upsert(me, time.time())
        except sqlite3.Error as err:
            raise StoreError(f"The shard records {self.path} failed: {err}.") from None

    async def release(self, me: ShardProcess) -> None:
        with contextlib.suppress(sqlite3.Error):
            await self._conn.execute("DELETE FROM shard_processes WHERE process = ?", (me.process,))

    async def processes(self) -> list[ShardProcess]:
        now = time.time()
        async with self._conn.execute(
            "SELECT * FROM shard_processes ORDER BY shard_count, CAST(shards AS INTEGER), started"
        ) as cursor:
            return [_sqlite_row(r, now) for r in await cursor.fetchall()]

    async def close(self) -> None:
        await self._conn.close()


_PG_NOW = "extract(epoch FROM clock_timestamp())::double precision"
_PG_SELECT = f"""SELECT process, host, pid, shard_count, shards, started, heartbeat, {_PG_NOW} - heartbeat AS age
                 FROM factbot_shards ORDER BY shard_count, shards[1], started"""
_PG_UPSERT = f"""INSERT INTO factbot_shards (process, host, pid, shard_count, shards, started, heartbeat)
                 VALUES ($1, $2, $3, $4, $5, {_PG_NOW}, {_PG_NOW})
                 ON CONFLICT (process) DO UPDATE SET heartbeat = excluded.heartbeat"""


def _pg_row(row: Any) -> ShardProcess:
    return ShardProcess(
        row["process"], row["host"], row["pid"], row["shard_count"], tuple(row["shards"]),
        row["started"], row["heartbeat"], row["age"],
    )  # fmt: skip


class PostgresShardRecords(ShardRecords):
    """In the library's database, through the library's pool."""

    def __init__(self, where: str, pool: Any) -> None:
        self.where = where
        self._pool = pool

    def _failed(self, err: BaseException) -> StoreError:
        return StoreError(
            f"The shard records in {self.where} failed: {' '.join(str(err).split()) or type(err).__name__}."
        )

    async def _claim(self, me: ShardProcess) -> None:
        import asyncpg

        try:
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", SHARDS_LOCK)
                others = [_pg_row(r) for r in await conn.fetch(_PG_SELECT)]
                dead = [o.process for o in others if not o.live]
                await conn.execute("DELETE FROM factbot_shards WHERE process = ANY($1::text[])", dead)
                if (why := conflict(me, others)) is None:
                    await self._upsert(conn, me)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            raise self._failed(err) from None
        if why is not None:
            raise ShardConflict(why)

    @staticmethod
    async def _upsert(conn: Any, me: ShardProcess) -> None:
        await conn.execute(_PG_UPSERT, me.process, me.host, me.pid, me.shard_count, list(me.shards))

    async def beat(self, me: ShardProcess) -> None:
        import asyncpg

        try:
            async with self._pool.acquire() as conn:
                await self._upsert(conn, me)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            raise self._failed(err) from None

    async def release(self, me: ShardProcess) -> None:
        with contextlib.suppress(Exception):  # a record left behind goes stale by itself
            async with self._pool.acquire(timeout=5) as conn:
                await conn.execute("DELETE FROM factbot_shards WHERE process = $1", me.process)

    async def close(self) -> None:
        """Nothing of its own to close: the pool is the library's."""

    async def processes(self) -> list[ShardProcess]:
        import asyncpg

        try:
            async with self._pool.acquire() as conn:
                return [_pg_row(r) for r in await conn.fetch(_PG_SELECT)]
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            raise self._failed(err) from None


async def _heartbeat(records: ShardRecords, me: ShardProcess, every: float) -> None:
    """Beat until cancelled; one warning when beats start failing, one line when they work again."""
    failing = False
    while True:
        await asyncio.sleep(every)
        try:
            async with asyncio.timeout(every):  # not wait_for, which can swallow a cancel on 3.11
                await records.beat(me)
        except Exception as err:  # the bot keeps answering whatever happens to its record
            if not failing:
                log.warning("Cannot record this process's heartbeat (%s); it keeps running.", err)
            failing = True
        else:
            if failing:
                log.warning("This process's heartbeat is recorded again.")
            failing = False


@contextlib.asynccontextmanager
async def holding_shards(
    library: HasShardRecords, shard_count: int, shards: Iterable[int], *, every: float = HEARTBEAT_SECONDS
) -> AsyncIterator[ShardProcess]:
    """Claim the shards for this process (ShardConflict, one line, when another live process holds
    one), beat while inside, release on the way out."""
    records = await library.shard_records()
    try:
        me = this_process(shard_count, shards)
        await records.claim(me)
        beating = asyncio.create_task(_heartbeat(records, me, every), name="factbot-shard-heartbeat")
        try:
            yield me
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
            await records.release(me)
    finally:
        await records.close()
