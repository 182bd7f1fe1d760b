"""How an SQLite library file is opened and connected to (storage.backends.sqlite runs the queries).

The file is created, migrated and checked on open, waiting out other processes opening it at the
same moment (shards); a file that cannot be written (a read-only mount) is opened read-only. Then
one writer connection and a pool of reader connections (WAL lets readers share the file), which
map the file into memory. Failures of the file itself (disk full, damaged, locked too long, not a
library) become StoreError, one line.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import NamedTuple

import aiosqlite

from storage.errors import DamagedLibrary, LibraryBusy, NotALibrary, ReadOnlyLibrary, StoreError
from storage.integrity import is_damage, quick_check_on_open
from storage.schema import SCHEMA_VERSION, check_file, is_current, migrate
from storage.waits import BUSY_TIMEOUT_MS, WRITE_WAIT_SECONDS

# Reader connections at most: concurrent questions read in parallel (WAL lets readers share).
READERS = 4
# Between two attempts to prepare a file another opener holds (opening waits WRITE_WAIT_SECONDS too).
OPEN_RETRY_PAUSE = 0.1
# Bytes of the file each reader connection reads through a memory map instead of read() calls into its own
# page cache: the reader pool's connections then share the OS's copy of the hot pages (the FTS5
# index, the sentence rows) instead of each warming a 2 MB cache of its own. Address space only;
# pages are mapped as they are read.
MMAP_BYTES = 1 << 30
# Marks a new library whose seed articles are not in yet (added, and the mark removed, in one
# transaction on open: a process killed during the first open leaves the mark, not a seedless library).
SEEDS_PENDING = "INSERT INTO meta (key, value) VALUES ('seeds', 'pending')"


def is_busy(err: BaseException) -> bool:
    """Whether SQLite refused because another connection holds the file (worth waiting for)."""
    text = str(err)
    return "locked" in text or "busy" in text


def store_error(err: BaseException, path: Path) -> StoreError:
    """One line for what went wrong with the library file itself (never a traceback)."""
    if isinstance(err, OSError):
        return StoreError(f"Cannot open the library {path}: {err.strerror or err}.")
    text = str(err)
    if is_busy(err):
        return LibraryBusy(
            f"The library {path} is locked by another process that has been changing it for too long; "
            "nothing was changed. Try again."
        )
    if "disk is full" in text or (isinstance(err, sqlite3.DataError) and "full" in text):
        return StoreError(f"The disk holding the library {path} is full; nothing was changed.")
    if "readonly" in text:
        return ReadOnlyLibrary(f"The library {path} cannot be written (read-only); nothing was changed.")
    if is_damage(err):
        return DamagedLibrary(path, str(err))
    if "not a database" in text or "malformed" in text:
        return NotALibrary(f"{path} is not a factbot library (not an SQLite database, or damaged).")
    if "unable to open" in text:
        return StoreError(f"Cannot open the library {path} (check the path and its permissions).")
    return StoreError(f"The library {path} failed: {text}.")


def _writable(path: Path) -> bool:
    """Whether the library can be written: the file (if there is one) and its folder, which holds
    the WAL and shared-memory files."""
    folder = path.parent
    return os.access(folder, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def prepare_file(path: Path, *, seed: bool, check: bool = True) -> int:
    """Create or upgrade the file synchronously (start-up only); returns the prior version. A new
    library is created, marked and (with `seed`) marked for its seeds in one transaction. With
    `check`, a damaged file is refused before anything is written to it."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        if check:
            check_file(conn)  # another application's file is refused as such, not checked
            quick_check_on_open(conn, path)
        if is_current(conn):
            return SCHEMA_VERSION
        check_file(conn)  # before WAL mode, which would change another application's file
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        return migrate(conn, when_new=(SEEDS_PENDING,) if seed else ())
    finally:
        conn.close()


async def _prepare_waiting(path: Path, *, seed: bool, check: bool = True) -> int:
    """prepare_file, tried again while another process holds the file: past the busy timeout (a
    slow migration), or answered busy at once, which SQLite does without waiting when another
    opener is switching the file to WAL or recovering its log. Several processes starting at once
    (shards) all open; only after WRITE_WAIT_SECONDS does the error reach the caller."""
    deadline = time.monotonic() + WRITE_WAIT_SECONDS
    while True:
        try:
            return await asyncio.to_thread(prepare_file, path, seed=seed, check=check)
        except sqlite3.OperationalError as err:
            if not is_busy(err) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(OPEN_RETRY_PAUSE)


def _readonly_target(path: Path, *, check: bool = True) -> str:
    """A read-only URI for a library that cannot be written (checked to be a current library).
    `mode=ro` needs the WAL's shared-memory file or a folder to make it in; a read-only mount
    has neither, and `immutable=1` reads the file as it is."""
    base = path.resolve().as_uri()
    for query in ("mode=ro", "immutable=1"):
        uri = f"{base}?{query}"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None)
        try:
            version = check_file(conn)
            if check:
                quick_check_on_open(conn, path)
        except sqlite3.OperationalError:
            if query == "immutable=1":
                raise
            continue
        finally:
            conn.close()
        if version < SCHEMA_VERSION:
            raise ReadOnlyLibrary(
                f"The library {path} was written by an older factbot and needs upgrading, but it is read-only."
            )
        return uri
    raise AssertionError("unreachable")


async def connect(target: Path | str, *, readonly: bool, mapped: bool = True) -> aiosqlite.Connection:
    """A connection as factbot uses them; a reader reads through a memory map when `mapped`."""
    conn = await aiosqlite.connect(target, isolation_level=None, uri=isinstance(target, str))
    try:
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA synchronous = NORMAL")
        if readonly:
            await conn.execute("PRAGMA query_only = ON")
            if mapped:
                await conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    except BaseException:
        await conn.close()
        raise
    return conn


class Pooled:
    """Stands for "any reader connection from the pool" where a connection is passed."""


POOLED = Pooled()


class Connections(NamedTuple):
    """An opened library file's connections: the writer (None: read-only), the cached figures'
    own reader, and what every reader opens (the file, or a read-only URI)."""

    writer: aiosqlite.Connection | None
    reader: aiosqlite.Connection
    where: Path | str


def _check_place(path: Path) -> None:
    """Make the library's folder if it has none; StoreError where no library file can be."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    if not path.parent.is_dir():
        raise StoreError(f"Cannot open the library {path}: {path.parent} is not a folder.")
    if path.is_symlink() and not path.exists():
        raise StoreError(f"Cannot open the library {path}: a symbolic link that leads nowhere (or in a loop).")
    if path.exists() and not path.is_file():
        raise StoreError(f"Cannot open the library {path}: it is not a file.")


async def open_connections(path: Path, *, seed: bool, check: bool) -> Connections:
    """Create, migrate and check the file as needed (waiting out other openers), then connect: a
    writer and one reader, or a reader only where the file or its folder cannot be written.
    StoreError (one line) for whatever goes wrong with the file."""
    writer = None
    try:
        _check_place(path)
        where: Path | str = path
        if _writable(path):
            await _prepare_waiting(path, seed=seed, check=check)
            writer = await connect(path, readonly=False)
        else:
            where = await asyncio.to_thread(_readonly_target, path, check=check)
        # Unmapped: this reader reads every sentence vector once, into the in-memory index
        # (storage.vectors); through a map, the pages it read would stay in the process beside that copy.
        reader = await connect(where, readonly=True, mapped=False)
    except (sqlite3.Error, OSError) as err:
        if writer is not None:
            await writer.close()
        raise store_error(err, path) from None
    except DamagedLibrary:
        raise
    except NotALibrary as err:
        raise NotALibrary(f"{path}: {err}") from None
    except BaseException:
        if writer is not None:
            await writer.close()
        raise
    return Connections(writer, reader, where)


class ReaderPool:
    """Up to READERS reader connections to `where`, opened as concurrent reads need them."""

    def __init__(self, where: Path | str) -> None:
        self._where = where
        self._idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._readers: list[aiosqlite.Connection] = []
        self._opening = 0

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[aiosqlite.Connection]:
        """An idle reader (opening one while fewer than READERS exist), returned afterwards."""
        if self._idle.empty() and self._opening < READERS:
            self._opening += 1
            try:
                reader = await connect(self._where, readonly=True)
            except BaseException:
                self._opening -= 1
                raise
            self._readers.append(reader)
        else:
            reader = await self._idle.get()
        try:
            if reader.in_transaction:
                # A snapshot cancelled between its BEGIN and its COMMIT left this reader in a read
                # transaction: ended here, before any read sees stale rows (or holds back checkpoints).
                await reader.execute("COMMIT")
            yield reader
        finally:
            self._idle.put_nowait(reader)

    async def close(self) -> None:
        for conn in self._readers:
            await conn.close()
