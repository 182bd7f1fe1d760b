"""State that the bot processes of one library share beside it: the per-user ask cooldown.

Several sharded processes answer one library; a user whose questions land on different shards
(one server on each, or a DM and a server) must still spend one budget. Each check-and-record is
one atomic statement, an upsert that returns the user's window as it now stands, so two processes
spending the same user's last question at the same moment cannot both get it.

The budget works as discord.py's own cooldown: `rate` questions in a window of `per` seconds that
starts at the first question after the last window ended.

Where it lives (each backend opens its own: `Library.shared_cooldowns`):
- PostgreSQL: the table `factbot_ask_cooldown` in the library's database (made by the library's
  migration 2, storage.pg_schema), timed by the server's clock, so processes on several machines
  agree.
- SQLite: a small file beside the library, `<library>-shared`, timed by this machine's clock. Not
  the library file itself: a write there moves the library's `PRAGMA data_version`, which would
  empty every process's cached figures at every question. Its one table is made when the file is
  opened (IF NOT EXISTS, which SQLite's file lock makes safe for processes starting together). It
  has no schema version: what it holds is lost at no cost (a budget refills within `per` seconds),
  so a change of layout can take a new table, or a new file name, rather than a migration.
"""

from __future__ import annotations

import sqlite3
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import aiosqlite

from storage.errors import StoreError
from storage.waits import BUSY_TIMEOUT_MS

# The SQLite side file's name: the library's own name with this appended.
SHARED_SUFFIX = "-shared"
# Every this many questions, windows long over are deleted.
PRUNE_EVERY = 1_000

_SQLITE_TABLE = """
CREATE TABLE IF NOT EXISTS ask_cooldown (
    user_id INTEGER PRIMARY KEY,
    window_start REAL NOT NULL,
    used INTEGER NOT NULL
)
"""
# ?1 user, ?2 now, ?3 per. Every expression in SET reads the row as it was before this statement.
_SQLITE_SPEND = """
INSERT INTO ask_cooldown (user_id, window_start, used) VALUES (?1, ?2, 1)
ON CONFLICT (user_id) DO UPDATE SET
    window_start = CASE WHEN window_start + ?3 <= ?2 THEN ?2 ELSE window_start END,
    used = CASE WHEN window_start + ?3 <= ?2 THEN 1 ELSE used + 1 END
RETURNING window_start, used
"""
_SQLITE_PRUNE = "DELETE FROM ask_cooldown WHERE window_start < ?"

# $1 user, $2 per; now is the server's clock, read once.
_PG_SPEND = """
WITH clock AS (SELECT extract(epoch FROM clock_timestamp())::double precision AS now)
INSERT INTO factbot_ask_cooldown AS c (user_id, window_start, used)
SELECT $1, clock.now, 1 FROM clock
ON CONFLICT (user_id) DO UPDATE SET
    window_start = CASE WHEN c.window_start + $2 <= excluded.window_start THEN excluded.window_start
                        ELSE c.window_start END,
    used = CASE WHEN c.window_start + $2 <= excluded.window_start THEN 1 ELSE c.used + 1 END
RETURNING window_start, used, (SELECT now FROM clock)
"""
_PG_PRUNE = "DELETE FROM factbot_ask_cooldown WHERE window_start < extract(epoch FROM clock_timestamp()) - $1"


class SharedCooldowns(ABC):
    """Per-user question budgets kept where every process of one library sees them."""

    def __init__(self) -> None:
        self._spent = 0

    async def spend(self, user_id: int, rate: int, per: float) -> float:
        """Spend one of `user_id`'s `rate` questions per `per` seconds: 0.0 when it was there to
        spend (and is now recorded), else the seconds until the window ends."""
        self._spent += 1
        if self._spent % PRUNE_EVERY == 0:
            await self._prune(per)
        window_start, used, now = await self._upsert(user_id, per)
        # Clocks read a moment apart (another process's window may start after this `now`): within (0, per].
        return 0.0 if used <= rate else min(max(window_start + per - now, 0.001), per)

    @abstractmethod
    async def _upsert(self, user_id: int, per: float) -> tuple[float, int, float]:
        """(window start, questions used in it, now) after recording one question."""

    @abstractmethod
    async def _prune(self, per: float) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...


class SqliteCooldowns(SharedCooldowns):
    def __init__(self, path: Path, conn: aiosqlite.Connection) -> None:
        super().__init__()
        self.path = path
        self._conn = conn

    @classmethod
    async def open(cls, path: Path) -> SqliteCooldowns:
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
            try:
                await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                await conn.execute("PRAGMA journal_mode = WAL")
                # A budget lost with the power is no loss: no fsync per question.
                await conn.execute("PRAGMA synchronous = OFF")
                await conn.execute(_SQLITE_TABLE)
            except BaseException:
                await conn.close()
                raise
        except (sqlite3.Error, OSError) as err:
            raise StoreError(f"Cannot open the shared cooldowns {path}: {err}.") from None
        return cls(path, conn)

    async def _upsert(self, user_id: int, per: float) -> tuple[float, int, float]:
        now = time.time()
        try:
            async with self._conn.execute(_SQLITE_SPEND, (user_id, now, per)) as cursor:
                row = await cursor.fetchone()
        except sqlite3.Error as err:
            raise StoreError(f"The shared cooldowns {self.path} failed: {err}.") from None
        assert row is not None
        return float(row[0]), int(row[1]), now

    async def _prune(self, per: float) -> None:
        try:
            await self._conn.execute(_SQLITE_PRUNE, (time.time() - per,))
        except sqlite3.Error as err:
            raise StoreError(f"The shared cooldowns {self.path} failed: {err}.") from None

    async def close(self) -> None:
        await self._conn.close()


class PostgresCooldowns(SharedCooldowns):
    """In the library's database, through the library's own pool: no connections of its own."""

    def __init__(self, where: str, pool: Any) -> None:
        super().__init__()
        self.where = where
        self._pool = pool

    async def _upsert(self, user_id: int, per: float) -> tuple[float, int, float]:
        import asyncpg

        try:
            async with self._pool.acquire() as conn:
                row = await conn.fetchrow(_PG_SPEND, user_id, per)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            raise StoreError(f"The shared cooldowns in {self.where} failed: {err}.") from None
        return float(row[0]), int(row[1]), float(row[2])

    async def _prune(self, per: float) -> None:
        import asyncpg

        try:
            async with self._pool.acquire() as conn:
                await conn.execute(_PG_PRUNE, per)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            raise StoreError(f"The shared cooldowns in {self.where} failed: {err}.") from None

    async def close(self) -> None:
        """Nothing of its own to close: the pool is the library's."""


def shared_path(library_path: Path) -> Path:
    """The SQLite side file that holds what the processes of `library_path` share."""
    return library_path.with_name(library_path.name + SHARED_SUFFIX)
