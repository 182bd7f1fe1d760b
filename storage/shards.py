"""Which bot process runs which shards of one library, so that no shard is run twice or by nobody.

Each `factbot run` records itself (host, pid, shard count, shard ids) where every process of the
library sees it, and beats every HEARTBEAT_SECONDS. A process starting with a shard that a live
process holds (or with another shard count: then every guild maps to other shards) refuses with
one line. A record is live while its heartbeat is younger than STALE_SECONDS; a record of this
host whose process is gone (kill -9) is dead at once, so a restart is never refused.

Where it lives, as the shared cooldowns (storage.shared), each backend keeping its own
(`Library.shard_records`; storage/backends/sqlite_shared.py and postgres_shared.py):
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
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0
STALE_SECONDS = 45.0


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
