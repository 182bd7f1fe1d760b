"""What the processes of an SQLite library share, in the `<library>-shared` file beside it
(storage.shared.shared_path): the per-user ask cooldowns (storage.shared) and the shard records
(storage.shards), each timed by this machine's clock. Opened by SqliteLibrary.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

import aiosqlite

from storage.errors import ShardConflict, StoreError
from storage.shards import ShardProcess, ShardRecords, conflict, shard_list
from storage.shared import SharedCooldowns
from storage.waits import BUSY_TIMEOUT_MS

_COOLDOWN_TABLE = """
CREATE TABLE IF NOT EXISTS ask_cooldown (
    user_id INTEGER PRIMARY KEY,
    window_start REAL NOT NULL,
    used INTEGER NOT NULL
)
"""
# ?1 user, ?2 now, ?3 per. Every expression in SET reads the row as it was before this statement.
_COOLDOWN_SPEND = """
INSERT INTO ask_cooldown (user_id, window_start, used) VALUES (?1, ?2, 1)
ON CONFLICT (user_id) DO UPDATE SET
    window_start = CASE WHEN window_start + ?3 <= ?2 THEN ?2 ELSE window_start END,
    used = CASE WHEN window_start + ?3 <= ?2 THEN 1 ELSE used + 1 END
RETURNING window_start, used
"""
_COOLDOWN_PRUNE = "DELETE FROM ask_cooldown WHERE window_start < ?"


async def _open_side_file(path: Path, what: str, *statements: str) -> aiosqlite.Connection:
    """A connection to the side file in WAL mode, set up by `statements` (each store makes its own
    table); StoreError naming `what` when it cannot be opened."""
    try:
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA journal_mode = WAL")
            for statement in statements:
                await conn.execute(statement)
        except BaseException:
            await conn.close()
            raise
    except (sqlite3.Error, OSError) as err:
        raise StoreError(f"Cannot open the {what} {path}: {err}.") from None
    return conn


class SqliteCooldowns(SharedCooldowns):
    def __init__(self, path: Path, conn: aiosqlite.Connection) -> None:
        super().__init__()
        self.path = path
        self._conn = conn

    @classmethod
    async def open(cls, path: Path) -> SqliteCooldowns:
        # A budget lost with the power is no loss: no fsync per question.
        return cls(path, await _open_side_file(path, "shared cooldowns", "PRAGMA synchronous = OFF", _COOLDOWN_TABLE))

    async def _upsert(self, user_id: int, per: float) -> tuple[float, int, float]:
        now = time.time()
        try:
            async with self._conn.execute(_COOLDOWN_SPEND, (user_id, now, per)) as cursor:
                row = await cursor.fetchone()
        except sqlite3.Error as err:
            raise StoreError(f"The shared cooldowns {self.path} failed: {err}.") from None
        assert row is not None
        return float(row[0]), int(row[1]), now

    async def _prune(self, per: float) -> None:
        try:
            await self._conn.execute(_COOLDOWN_PRUNE, (time.time() - per,))
        except sqlite3.Error as err:
            raise StoreError(f"The shared cooldowns {self.path} failed: {err}.") from None

    async def close(self) -> None:
        await self._conn.close()


_SHARDS_TABLE = """
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
_SHARDS_UPSERT = """
INSERT INTO shard_processes (process, host, pid, shard_count, shards, started, heartbeat)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
ON CONFLICT (process) DO UPDATE SET heartbeat = excluded.heartbeat
"""


def _shard_row(row: sqlite3.Row, now: float) -> ShardProcess:
    """A record from its row of shard_processes, read by column name."""
    ids = tuple(int(s) for s in row["shards"].split(",") if s)
    started, heartbeat = float(row["started"]), float(row["heartbeat"])
    return ShardProcess(
        row["process"], row["host"], int(row["pid"]), int(row["shard_count"]), ids, started, heartbeat, now - heartbeat
    )


class SqliteShardRecords(ShardRecords):
    def __init__(self, path: Path, conn: aiosqlite.Connection) -> None:
        self.path = path
        self._conn = conn

    @classmethod
    async def open(cls, path: Path) -> SqliteShardRecords:
        conn = await _open_side_file(path, "shard records", _SHARDS_TABLE)
        conn.row_factory = sqlite3.Row  # records are read by column name (_shard_row)
        return cls(path, conn)

    async def _claim(self, me: ShardProcess) -> None:
        try:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                now = time.time()
                async with self._conn.execute("SELECT * FROM shard_processes") as cursor:
                    others = [_shard_row(r, now) for r in await cursor.fetchall()]
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
            _SHARDS_UPSERT, (me.process, me.host, me.pid, me.shard_count, shard_list(me.shards), now)
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
            return [_shard_row(r, now) for r in await cursor.fetchall()]

    async def close(self) -> None:
        await self._conn.close()
