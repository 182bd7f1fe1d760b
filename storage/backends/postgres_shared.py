"""What the processes of a PostgreSQL library share, in its database and through its pool: the
per-user ask cooldowns (storage.shared; the table made by migration 2, storage.pg_schema) and the
shard records (storage.shards; migration 4), each timed by the server's clock, so processes on
several machines agree. Opened by PostgresLibrary.
"""

from __future__ import annotations

import contextlib
from typing import Any

import asyncpg

from storage.errors import ShardConflict, StoreError
from storage.shards import ShardProcess, ShardRecords, conflict
from storage.shared import SharedCooldowns

# pg_advisory_xact_lock key ("FACW") under which a process claims its shards.
SHARDS_LOCK = 0x46414357

# $1 user, $2 per; now is the server's clock, read once.
_COOLDOWN_SPEND = """
WITH clock AS (SELECT extract(epoch FROM clock_timestamp())::double precision AS now)
INSERT INTO factbot_ask_cooldown AS c (user_id, window_start, used)
SELECT $1, clock.now, 1 FROM clock
ON CONFLICT (user_id) DO UPDATE SET
    window_start = CASE WHEN c.window_start + $2 <= excluded.window_start THEN excluded.window_start
                        ELSE c.window_start END,
    used = CASE WHEN c.window_start + $2 <= excluded.window_start THEN 1 ELSE c.used + 1 END
RETURNING window_start, used, (SELECT now FROM clock)
"""
_COOLDOWN_PRUNE = "DELETE FROM factbot_ask_cooldown WHERE window_start < extract(epoch FROM clock_timestamp()) - $1"


class PostgresCooldowns(SharedCooldowns):
    """In the library's database, through the library's own pool: no connections of its own."""

    def __init__(self, where: str, pool: Any) -> None:
        super().__init__()
        self.where = where
        self._pool = pool

    async def _upsert(self, user_id: int, per: float) -> tuple[float, int, float]:
        try:
            async with self._pool.acquire() as conn:
                row = await conn.fetchrow(_COOLDOWN_SPEND, user_id, per)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            raise StoreError(f"The shared cooldowns in {self.where} failed: {err}.") from None
        return float(row[0]), int(row[1]), float(row[2])

    async def _prune(self, per: float) -> None:
        try:
            async with self._pool.acquire() as conn:
                await conn.execute(_COOLDOWN_PRUNE, per)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            raise StoreError(f"The shared cooldowns in {self.where} failed: {err}.") from None

    async def close(self) -> None:
        """Nothing of its own to close: the pool is the library's."""


_NOW = "extract(epoch FROM clock_timestamp())::double precision"
_SHARDS_SELECT = f"""SELECT process, host, pid, shard_count, shards, started, heartbeat, {_NOW} - heartbeat AS age
                 FROM factbot_shards ORDER BY shard_count, shards[1], started"""
_SHARDS_UPSERT = f"""INSERT INTO factbot_shards (process, host, pid, shard_count, shards, started, heartbeat)
                 VALUES ($1, $2, $3, $4, $5, {_NOW}, {_NOW})
                 ON CONFLICT (process) DO UPDATE SET heartbeat = excluded.heartbeat"""


def _shard_row(row: Any) -> ShardProcess:
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
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", SHARDS_LOCK)
                others = [_shard_row(r) for r in await conn.fetch(_SHARDS_SELECT)]
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
        await conn.execute(_SHARDS_UPSERT, me.process, me.host, me.pid, me.shard_count, list(me.shards))

    async def beat(self, me: ShardProcess) -> None:
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
        try:
            async with self._pool.acquire() as conn:
                return [_shard_row(r) for r in await conn.fetch(_SHARDS_SELECT)]
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            raise self._failed(err) from None
