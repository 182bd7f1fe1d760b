"""State that the bot processes of one library share beside it: the per-user ask cooldown.

Several sharded processes answer one library; a user whose questions land on different shards
(one server on each, or a DM and a server) must still spend one budget. Each check-and-record is
one atomic statement, an upsert that returns the user's window as it now stands, so two processes
spending the same user's last question at the same moment cannot both get it.

The budget works as discord.py's own cooldown: `rate` questions in a window of `per` seconds that
starts at the first question after the last window ended.

Where it lives: each backend keeps its own (`Library.shared_cooldowns`; the SQL is in
storage/backends/sqlite_shared.py and postgres_shared.py), this module the budget they share.
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

from abc import ABC, abstractmethod
from pathlib import Path

# The SQLite side file's name: the library's own name with this appended.
SHARED_SUFFIX = "-shared"
# Every this many questions, windows long over are deleted.
PRUNE_EVERY = 1_000


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


def shared_path(library_path: Path) -> Path:
    """The SQLite side file that holds what the processes of `library_path` share."""
    return library_path.with_name(library_path.name + SHARED_SUFFIX)
