"""The library in an SQLite file: sources with their paragraphs and sentences, indexed by FTS5, on aiosqlite.

One writer connection (each change is one `BEGIN IMMEDIATE` transaction, serialised by a lock)
and a small pool of reader connections, so questions never see a half-written source, never wait
for one, and do not queue behind each other. WAL mode: a process killed at any moment leaves every
source either whole or absent. A file that cannot be written (a read-only mount) is opened
read-only: it answers questions and lists sources, and every change is refused with one line.
Opening the file, its connections and what its failures become: storage.backends.sqlite_connect.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, Self

import aiosqlite
import numpy as np

from storage import text as textmod
from storage.backends.base import (
    LAST_SENTENCE_ID,
    LAST_SOURCE_ID,
    MAX_ID,
    REPLACED_VECTOR_MODELS,
    Library,
    ModelSwitch,
    check_removal,
    replaced_after_switch,
)
from storage.backends.sqlite_connect import POOLED, Pooled, ReaderPool, is_busy, open_connections, store_error
from storage.backends.sqlite_shared import SqliteCooldowns, SqliteShardRecords
from storage.errors import (
    DuplicateSource,
    ReadOnlyLibrary,
    StoreError,
    UnknownSource,
)
from storage.models import GLOBAL_SCOPE, LogEntry, Sentence, SourceInfo
from storage.prepare import (
    VOCABULARY_VERSION,
    NewSource,
    Prepared,
    chunks,
    cut_sentence,
    now,
    vocabulary_words,
)
from storage.rows import NamedRow, StoredSource, after, log_entry_from_row, source_from_row
from storage.schema import BODY_CHUNK
from storage.shards import ShardRecords
from storage.shared import SharedCooldowns, shared_path
from storage.target import LibraryTarget
from storage.vectors import StoredVector
from storage.waiting import waiting
from storage.waits import WRITE_WAIT_SECONDS

# Chunk keys looked up in one statement when sentences' text is read (two parameters each, well
# under SQLite's limit on parameters).
CHUNK_KEYS_PER_READ = 2000
# Rows are read by column name (source_from_row): each column is named as the field it fills.
_SOURCE_COLUMNS = """
    src.id AS id, src.scope AS scope, src.title AS title, src.author AS author, src.publisher AS publisher,
    src.url AS url, src.published AS published, src.origin AS origin, src.added_by AS added_by,
    src.added_at AS added_at, src.sha256 AS sha256,
    (SELECT count(*) FROM paragraphs p WHERE p.source_id = src.id) AS paragraphs,
    (SELECT count(*) FROM sentences s WHERE s.source_id = src.id) AS sentences,
    src.chars AS chars,
    (SELECT count(*) FROM pages pg WHERE pg.source_id = src.id) AS pages
"""

# A new source's row in the sources table: NewSource's columns, where the body's length stands for
# the body (the text itself lives only in body_chunks, since migration 5).
_INSERT_COLUMNS = ", ".join("chars" if c == "body" else c for c in NewSource.COLUMNS.split(", "))
_BODY_AT = NewSource.COLUMNS.split(", ").index("body")

# A sentence's columns, read by name; its text is read afterwards from the body chunks it lies in
# (_chunk_texts), each chunk once however many of the sentences share it, never from the whole body.
_SENTENCE_COLUMNS = """
    s.id AS id, s.source_id AS source_id, s.paragraph AS paragraph, s.number AS number, s.start AS start,
    s."end" AS "end"
"""


def _chunk_keys(row: NamedRow) -> list[tuple[int, int]]:
    """(source id, chunk number) of each body chunk a sentence row lies in, in order."""
    source_id, start, end = row["source_id"], row["start"], row["end"]
    return [(source_id, n) for n in range(start // BODY_CHUNK, (end - 1) // BODY_CHUNK + 1)]


def _sentence(row: NamedRow, texts: dict[tuple[int, int], str]) -> Sentence:
    """A sentence from its row (_SENTENCE_COLUMNS) and the chunk texts it lies in."""
    start, end = row["start"], row["end"]
    pieces = "".join(texts[key] for key in _chunk_keys(row))
    return Sentence(
        row["id"], row["source_id"], row["paragraph"], row["number"], start, end, cut_sentence(start, end, pieces)
    )


async def _bodies(conn: aiosqlite.Connection, where: str, params: Sequence[object]) -> dict[int, str]:
    """Sources' bodies put back together from their chunks, by source id; `where` picks the
    chunks (alias c). A source with an empty body has no chunks and is absent."""
    bodies: dict[int, list[str]] = {}
    async with conn.execute(
        f"SELECT c.source_id, c.text FROM body_chunks c {where} ORDER BY c.source_id, c.n", params
    ) as cursor:
        async for source_id, text in cursor:
            bodies.setdefault(source_id, []).append(text)
    return {source_id: "".join(texts) for source_id, texts in bodies.items()}


def fts5_any(terms: list[str]) -> str:
    """An FTS5 query matching any of `terms` (index terms from storage.text), each quoted so that
    it is looked up as a term, never read as FTS5 syntax (OR, NEAR, a column name)."""
    return " OR ".join(f'"{t}"' for t in terms)


class SqliteLibrary(Library):
    """A library in one SQLite file (FTS5 for the sentence index)."""

    def __init__(
        self, path: Path, writer: aiosqlite.Connection | None, reader: aiosqlite.Connection, target: Path | str
    ) -> None:
        super().__init__()
        self.path: Path = path
        self._writer_conn = writer  # None: opened read-only
        # The cached figures' own connection (PRAGMA data_version is per connection); every other
        # read takes a connection from the pool (`self._reader`).
        self._stats_reader = reader
        self._reader = POOLED
        self._pool = ReaderPool(target)
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, target: LibraryTarget | Path | str, *, seed: bool = True, check: bool = True) -> Self:
        """Open (creating and migrating as needed) a library file; a new one gets the seeds. A
        file or folder that cannot be written is opened read-only. With `check`, a damaged file
        (storage.integrity) is refused; without, it is opened for reading what it still holds."""
        path = target.path if isinstance(target, LibraryTarget) else Path(target)
        writer, reader, where = await open_connections(path, seed=seed, check=check)
        return await cls(path, writer, reader, where)._ready(seed=seed)

    async def _upgrade(self, *, seed: bool) -> None:
        # The schema was migrated while the file was prepared (sqlite_connect), before connecting.
        await self._check_terms_version()
        await self._check_vocabulary()

    # The errors of SQLite's own that say the file failed; a constraint refused is the caller's.
    _FAILURES = (sqlite3.DatabaseError,)
    _PASSED = (sqlite3.IntegrityError,)

    def _error(self, err: BaseException) -> StoreError:
        return store_error(err, self.path)

    @property
    def read_only(self) -> bool:
        return self._writer_conn is None

    @property
    def _writer(self) -> aiosqlite.Connection:
        if self._writer_conn is None:
            raise ReadOnlyLibrary(
                f"The library {self.path} is read-only (its file or folder cannot be written): "
                "it can be read, not changed."
            )
        return self._writer_conn

    async def close(self) -> None:
        await self._pool.close()
        for conn in [self._stats_reader, self._writer_conn]:
            if conn is not None:
                await conn.close()

    # -- beside the library: what its processes share, and the votes -------------------------

    async def shared_cooldowns(self) -> SharedCooldowns:
        return await SqliteCooldowns.open(shared_path(self.path))

    async def shard_records(self) -> ShardRecords:
        return await SqliteShardRecords.open(shared_path(self.path))

    def _voting(self) -> AbstractAsyncContextManager[Any]:
        # In the write transaction: one writer at a time is SQLite's rule, votes included.
        return self._transaction()

    # -- writing -----------------------------------------------------------------------------

    async def _store_source(self, new: NewSource) -> int:
        try:
            async with self._transaction() as writer:
                return await self._insert_source(writer, new)
        except sqlite3.IntegrityError as err:
            # UNIQUE (scope, sha256): the same content is already here.
            row = await self._fetchone(
                self._reader,
                "SELECT id, title FROM sources WHERE scope = ? AND sha256 = ?",
                (new.scope, new.prepared.sha256),
            )
            if row:
                raise DuplicateSource(row[0], row[1]) from err
            raise store_error(err, self.path) from err

    async def _insert_source(self, conn: aiosqlite.Connection, new: NewSource) -> int:
        """Everything of one source, inside the caller's transaction (on the writer, `conn`);
        returns its id (NewSource.stored_id)."""
        body, prepared, meta, scope = new.body, new.prepared, new.meta, new.scope
        added_by = new.added_by
        source_id = new.stored_id(await self._next_id(self._writer, "sources", LAST_SOURCE_ID))
        values = list(new.row(source_id))
        values[_BODY_AT] = len(body)
        await self._writer.execute(
            f"INSERT INTO sources ({_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values
        )
        await self._mark_given(LAST_SOURCE_ID, source_id)
        await self._writer.executemany(
            "INSERT INTO body_chunks (source_id, n, text) VALUES (?, ?, ?)",
            [(source_id, n, chunk) for n, chunk in chunks(body)],
        )
        await self._insert_text(source_id, prepared)
        await self._writer.executemany(
            "INSERT INTO pages (source_id, number, start) VALUES (?, ?, ?)", new.page_rows(source_id)
        )
        await self._count_words(scope, prepared.words)
        await self._log(scope, added_by, "add", source_id, meta.title)
        return source_id

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction under the write lock: BEGIN IMMEDIATE (waiting for other
        processes' changes up to WRITE_WAIT_SECONDS), COMMIT, or ROLLBACK on any error. Interrupted
        while committing, it waits for the commit's outcome: a change that was saved is reported
        as saved (the task's cancellation is then left for its caller to see in `cancelling()`)."""
        writer = self._writer
        async with self._write_lock:
            deadline = time.monotonic() + WRITE_WAIT_SECONDS
            told = False
            while True:
                try:
                    await writer.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as err:
                    if not is_busy(err) or time.monotonic() >= deadline:
                        raise store_error(err, self.path) from None
                    if not told:  # the first attempt waited the busy timeout: say why nothing happens
                        told = True
                        waiting(self.path, deadline - time.monotonic())
            try:
                yield writer
            except BaseException as err:
                await self._rollback()
                if isinstance(err, sqlite3.Error) and not isinstance(err, sqlite3.IntegrityError):
                    raise store_error(err, self.path) from None
                raise
            commit = asyncio.ensure_future(writer.execute("COMMIT"))
            try:
                await asyncio.shield(commit)
            except asyncio.CancelledError:
                try:
                    await commit
                except BaseException:
                    await self._rollback()
                    raise asyncio.CancelledError() from None
            except sqlite3.Error as err:
                await self._rollback()
                raise store_error(err, self.path) from None

    async def _rollback(self) -> None:
        """Roll back if a transaction is open; a failed rollback (SQLite already rolled back, as
        it does when the disk is full) never hides the error that brought us here."""
        try:
            if self._writer.in_transaction:
                await self._writer.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    async def _insert_text(self, source_id: int, prepared: Prepared) -> None:
        """Paragraphs, sentences and their index entries, sentence ids assigned here so the index
        rows need no read-back (the write lock and the transaction keep them ours)."""
        first_id = await self._next_id(self._writer, "sentences", LAST_SENTENCE_ID)
        await self._writer.executemany(
            'INSERT INTO paragraphs (source_id, number, start, "end") VALUES (?, ?, ?, ?)',
            [(source_id, n, p.start, p.end) for n, p in enumerate(prepared.paragraphs, 1)],
        )
        rows: list[tuple[int, int, int, int, int, int]] = []
        for p_number, paragraph in enumerate(prepared.paragraphs, 1):
            for s_number, span in enumerate(paragraph.sentences, 1):
                rows.append((first_id + len(rows), source_id, p_number, s_number, span.start, span.end))
        await self._writer.executemany(
            'INSERT INTO sentences (id, source_id, paragraph, number, start, "end") VALUES (?, ?, ?, ?, ?, ?)', rows
        )
        await self._writer.executemany(
            "INSERT INTO sentence_index (rowid, terms) VALUES (?, ?)",
            [(first_id + i, terms) for i, terms in enumerate(prepared.terms)],
        )
        if rows:
            await self._mark_given(LAST_SENTENCE_ID, rows[-1][0])

    async def _mark_given(self, mark: str, given: int) -> None:
        """Note `given` as the highest id given under `mark` (never lowering it)."""
        await self._writer.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            " WHERE CAST(meta.value AS INTEGER) < CAST(excluded.value AS INTEGER)",
            (mark, str(given)),
        )

    async def _index_sentences(self, source_id: int, body: str, command: str) -> None:
        """Add (command '') or remove (command 'delete') a source's sentences in the index; a
        contentless index needs the very terms it was given to remove them."""
        spans = await self._fetchall(
            self._writer, 'SELECT id, start, "end" FROM sentences WHERE source_id = ? ORDER BY id', (source_id,)
        )
        entries = [(sid, textmod.index_text(body[start:end])) for sid, start, end in spans]
        if command:
            await self._writer.executemany(
                "INSERT INTO sentence_index (sentence_index, rowid, terms) VALUES (?, ?, ?)",
                [(command, sid, terms) for sid, terms in entries],
            )
        else:
            await self._writer.executemany("INSERT INTO sentence_index (rowid, terms) VALUES (?, ?)", entries)

    async def remove_source(self, source_id: int, *, scope: int | None = None, actor: str | None = None) -> SourceInfo:
        """Remove a source and everything of it. `scope` None is the operator, who may remove
        anything; a server may remove only its own sources, never the global library."""
        if not 0 < source_id <= MAX_ID:
            raise UnknownSource(source_id)
        # Read inside the transaction: another process may remove it first.
        async with self._transaction() as writer:
            info = check_removal(await self._get(source_id, writer), source_id, scope)
            body = (await _bodies(writer, "WHERE c.source_id = ?", (source_id,))).get(source_id, "")
            await self._index_sentences(source_id, body, "delete")
            await self._uncount_words(info.scope, vocabulary_words(body))
            await writer.execute("DELETE FROM sources WHERE id = ?", (source_id,))
            await self._log(info.scope, actor, "remove", source_id, info.title)
        return info

    async def _log(self, scope: int, actor: str | None, action: str, source_id: int, title: str) -> None:
        await self._writer.execute(
            "INSERT INTO events (at, scope, actor, action, source_id, title) VALUES (?, ?, ?, ?, ?, ?)",
            (now(), scope, actor, action, source_id, title),
        )

    async def _check_terms_version(self) -> None:
        """Rebuild the index when the tokenizer changed since it was written."""
        row = await self._fetchone(self._writer, "SELECT value FROM meta WHERE key = 'terms_version'", ())
        if row and int(row[0]) == textmod.TERMS_VERSION:
            return
        async with self._transaction():
            row = await self._fetchone(self._writer, "SELECT value FROM meta WHERE key = 'terms_version'", ())
            if row and int(row[0]) == textmod.TERMS_VERSION:
                return  # another process rebuilt it while this one waited
            await self._writer.execute("INSERT INTO sentence_index (sentence_index) VALUES ('delete-all')")
            for source_id, body in (await _bodies(self._writer, "", ())).items():
                await self._index_sentences(source_id, body, "")
            await self._writer.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('terms_version', ?)",
                (str(textmod.TERMS_VERSION),),
            )

    async def _count_words(self, scope: int, words: Counter[str]) -> None:
        """Add a source's words to its scope's vocabulary (inside the add's transaction)."""
        await self._writer.executemany(
            """INSERT INTO vocabulary (word, scope, count, reversed) VALUES (?, ?, ?, ?)
               ON CONFLICT (word, scope) DO UPDATE SET count = count + excluded.count""",
            [(word, scope, n, word[::-1]) for word, n in words.items()],
        )

    async def _uncount_words(self, scope: int, words: Counter[str]) -> None:
        """Take a source's words out of its scope's vocabulary (inside the removal's transaction)."""
        await self._writer.executemany(
            "UPDATE vocabulary SET count = count - ? WHERE word = ? AND scope = ?",
            [(n, word, scope) for word, n in words.items()],
        )
        await self._writer.executemany(
            "DELETE FROM vocabulary WHERE word = ? AND scope = ? AND count <= 0", [(word, scope) for word in words]
        )

    async def _check_vocabulary(self) -> None:
        """Build the vocabulary from every source when it predates this version (or did not exist:
        a library written before schema 3)."""
        row = await self._fetchone(self._writer, "SELECT value FROM meta WHERE key = 'vocabulary_version'", ())
        if row and int(row[0]) == VOCABULARY_VERSION:
            return
        async with self._transaction():
            row = await self._fetchone(self._writer, "SELECT value FROM meta WHERE key = 'vocabulary_version'", ())
            if row and int(row[0]) == VOCABULARY_VERSION:
                return  # another process built it while this one waited
            await self._writer.execute("DELETE FROM vocabulary")
            scopes = dict(await self._fetchall(self._writer, "SELECT id, scope FROM sources", ()))
            for source_id, body in (await _bodies(self._writer, "", ())).items():
                await self._count_words(scopes[source_id], vocabulary_words(body))
            await self._writer.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('vocabulary_version', ?)",
                (str(VOCABULARY_VERSION),),
            )

    # -- reading -----------------------------------------------------------------------------

    @asynccontextmanager
    async def _using(self, conn: aiosqlite.Connection | Pooled) -> AsyncIterator[aiosqlite.Connection]:
        """The connection itself, or for POOLED a reader from the pool, returned to it afterwards."""
        if not isinstance(conn, Pooled):
            yield conn
            return
        async with self._pool.reader() as reader:
            yield reader

    @asynccontextmanager
    async def _snapshot(self) -> AsyncIterator[aiosqlite.Connection]:
        """A pooled reader inside one read transaction: the reads made through it see one state
        of the library (a source removed between two of them cannot lose half its rows)."""
        async with self._failures(), self._using(self._reader) as conn:
            await conn.execute("BEGIN")
            try:
                yield conn
            finally:
                await conn.execute("COMMIT")

    async def _fetchone(
        self, conn: aiosqlite.Connection | Pooled, sql: str, params: Sequence[object], *, named: bool = False
    ) -> sqlite3.Row | None:
        """The first row (a tuple; with `named`, an sqlite3.Row that is read by column name too)."""
        async with self._failures(), self._using(conn) as c, c.execute(sql, params) as cursor:
            if named:
                cursor.row_factory = sqlite3.Row
            return await cursor.fetchone()

    async def _fetchall(
        self, conn: aiosqlite.Connection | Pooled, sql: str, params: Sequence[object], *, named: bool = False
    ) -> list[Any]:
        """Every row (tuples; with `named`, sqlite3.Rows that are read by column name too)."""
        async with self._failures(), self._using(conn) as c, c.execute(sql, params) as cursor:
            if named:
                cursor.row_factory = sqlite3.Row
            return list(await cursor.fetchall())

    async def _query(self, conn: aiosqlite.Connection | None, sql: str, params: Sequence[object]) -> list[Any]:
        return await self._fetchall(POOLED if conn is None else conn, sql, params)

    async def _get(self, source_id: int, conn: aiosqlite.Connection | Pooled = POOLED) -> SourceInfo | None:
        row = await self._fetchone(
            conn, f"SELECT {_SOURCE_COLUMNS} FROM sources src WHERE src.id = ?", (source_id,), named=True
        )
        return source_from_row(row) if row else None

    async def get_body(self, source_id: int) -> str:
        async with self._snapshot() as conn:
            bodies = await _bodies(conn, "WHERE c.source_id = ?", (source_id,))
            if source_id not in bodies and not await self._fetchone(
                conn, "SELECT 1 FROM sources WHERE id = ?", (source_id,)
            ):
                raise UnknownSource(source_id)
        return bodies.get(source_id, "")

    async def _list_sources(
        self, scope: int | None, limit: int, offset: int, title_contains: str, own_only: bool
    ) -> list[SourceInfo]:
        where, params = self._visible(scope)
        if own_only and scope is not None:
            where, params = "src.scope = ?", [scope]
        if title_contains:
            where += " AND instr(lower(src.title), lower(?)) > 0"
            params.append(title_contains)
        rows = await self._fetchall(
            self._reader,
            f"SELECT {_SOURCE_COLUMNS} FROM sources src WHERE {where} ORDER BY src.scope != 0, src.id LIMIT ? OFFSET ?",
            [*params, limit, offset],
            named=True,
        )
        return [source_from_row(r) for r in rows]

    async def _read_source_count(self, scope: int | None) -> int:
        where, params = self._visible(scope)
        row = await self._fetchone(self._reader, f"SELECT count(*) FROM sources src WHERE {where}", params)
        return row[0] if row else 0

    async def stored_sources(self, *, after_id: int = 0, limit: int = 100) -> list[StoredSource]:
        async with self._snapshot() as conn:
            rows = await self._fetchall(
                conn,
                f"SELECT {_SOURCE_COLUMNS} FROM sources src WHERE src.id > ? ORDER BY src.id LIMIT ?",
                (after_id, limit),
                named=True,
            )
            if not rows:
                return []
            bodies = await _bodies(conn, "WHERE c.source_id BETWEEN ? AND ?", (rows[0]["id"], rows[-1]["id"]))
        return [StoredSource(source_from_row(r), bodies.get(r["id"], "")) for r in rows]

    async def events(self, *, scope: int | None = None, limit: int = 20) -> list[LogEntry]:
        """The latest additions and removals, newest first."""
        where, params = ("1", []) if scope is None else ("scope = ?", [scope])
        rows = await self._fetchall(
            self._reader,
            f"SELECT at, scope, actor, action, source_id, title FROM events WHERE {where} ORDER BY id DESC LIMIT ?",
            [*params, limit],
            named=True,
        )
        return [log_entry_from_row(r) for r in rows]

    @staticmethod
    def _visible(scope: int | None) -> tuple[str, list[object]]:
        if scope is None:
            return "1", []
        return "src.scope IN (?, ?)", [GLOBAL_SCOPE, scope]

    # -- what the answer engine reads ----------------------------------------------------------

    async def data_version(self) -> int:
        # PRAGMA data_version is per connection: the figures' own connection sees every write.
        row = await self._fetchone(self._stats_reader, "PRAGMA data_version", ())
        return int(row[0]) if row else 0

    async def _read_sentence_stats(self) -> tuple[int, float]:
        row = await self._fetchone(self._stats_reader, 'SELECT count(*), avg("end" - start) FROM sentences', ())
        return (row[0], row[1] or 0.0) if row else (0, 0.0)

    async def _read_outside_totals(self, scope: int) -> tuple[int, int]:
        # CROSS JOIN: the other servers' sources first, then their sentences by source.
        row = await self._fetchone(
            self._stats_reader,
            """SELECT count(*), coalesce(sum(s."end" - s.start), 0)
               FROM sources src CROSS JOIN sentences s ON s.source_id = src.id
               WHERE src.scope NOT IN (?, ?)""",
            (GLOBAL_SCOPE, scope),
        )
        return (row[0], row[1]) if row else (0, 0)

    async def _read_term_counts(self, terms: list[str]) -> dict[str, int]:
        # One `term = ?` per term: fts5vocab answers those from the index, while `IN (...)`
        # scans the whole vocabulary.
        union = " UNION ALL ".join(["SELECT term, doc FROM sentence_terms WHERE term = ?"] * len(terms))
        return dict(await self._fetchall(self._reader, union, terms))

    async def _read_scoped_count(self, term: str, scope: int) -> int:
        row = await self._fetchone(
            self._reader,
            """SELECT count(*) FROM sentence_index
               JOIN sentences s ON s.id = sentence_index.rowid JOIN sources src ON src.id = s.source_id
               WHERE sentence_index MATCH ? AND src.scope IN (?, ?)""",
            (fts5_any([term]), GLOBAL_SCOPE, scope),
        )
        return row[0] if row else 0

    async def vocabulary(self, *, scope: int) -> dict[str, int]:
        """Every surface word visible from `scope` (the global library's and the server's own,
        never another server's) with how often it occurs there."""
        rows = await self._fetchall(
            self._reader,
            "SELECT word, sum(count) FROM vocabulary WHERE scope IN (?, ?) GROUP BY word",
            (GLOBAL_SCOPE, scope),
        )
        return dict(rows)

    async def word_counts(self, words: Iterable[str], *, scope: int) -> dict[str, int]:
        """How often each surface word (folded, as `vocabulary_words` keeps it) occurs in the
        sources visible from `scope`; 0 for a word they never use."""
        wanted = sorted(set(words))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = await self._fetchall(
            self._reader,
            f"SELECT word, sum(count) FROM vocabulary WHERE word IN ({marks}) AND scope IN (?, ?) GROUP BY word",
            [*wanted, GLOBAL_SCOPE, scope],
        )
        found = dict(rows)
        return {w: found.get(w, 0) for w in wanted}

    async def _read_similar_words(self, word: str, scope: int, spread: int) -> dict[str, int]:
        head, tail = word[:2], word[::-1][:2]
        rows = await self._fetchall(
            self._reader,
            """SELECT word, sum(count) FROM vocabulary
               WHERE word >= ? AND word < ? AND length(word) BETWEEN ? AND ? AND scope IN (?, ?)
               GROUP BY word
               UNION
               SELECT word, sum(count) FROM vocabulary
               WHERE reversed >= ? AND reversed < ? AND length(word) BETWEEN ? AND ? AND scope IN (?, ?)
               GROUP BY word""",
            (
                *(head, after(head), len(word) - spread, len(word) + spread, GLOBAL_SCOPE, scope),
                *(tail, after(tail), len(word) - spread, len(word) + spread, GLOBAL_SCOPE, scope),
            ),
        )
        return dict(rows)

    async def match_any(self, terms: list[str], *, scope: int, limit: int) -> list[Sentence]:
        return await self.match_sentences(fts5_any(terms), scope=scope, limit=limit)

    async def match_sentences(self, expression: str, *, scope: int, limit: int) -> list[Sentence]:
        """Sentences matching an FTS5 expression of quoted index terms, best bm25 first (ties by
        id), visible from `scope`. The expression is built from index terms only (fts5_any)."""
        # The index ranks alone first: joining each match to its sentence and source to test the
        # scope makes the query much slower on a large library. Sentences of other servers are
        # dropped afterwards; only when they crowd out the visible ones is every match ranked
        # again with the scope tested in the query. Same rows, same order either way.
        fetched = 2 * limit
        async with self._snapshot() as conn:
            ranked = [
                r[0]
                for r in await self._fetchall(
                    conn,
                    "SELECT rowid FROM sentence_index WHERE sentence_index MATCH ? ORDER BY rank, rowid LIMIT ?",
                    (expression, fetched),
                )
            ]
            rows = await self._visible_sentences(conn, ranked, scope)
            if len(rows) < limit and len(ranked) == fetched:
                rows = await self._fetchall(
                    conn,
                    f"""SELECT {_SENTENCE_COLUMNS}
                        FROM (SELECT s.id AS sid, sentence_index.rank AS score
                              FROM sentence_index
                              JOIN sentences s ON s.id = sentence_index.rowid
                              JOIN sources src ON src.id = s.source_id
                              WHERE sentence_index MATCH ? AND src.scope IN (?, ?)
                              ORDER BY sentence_index.rank, s.id LIMIT ?) AS best
                        JOIN sentences s ON s.id = best.sid
                        ORDER BY best.score, s.id""",
                    (expression, GLOBAL_SCOPE, scope, limit),
                    named=True,
                )
            rows = rows[:limit]
            texts = await self._chunk_texts(conn, rows)
        return [_sentence(row, texts) for row in rows]

    async def _visible_sentences(self, conn: aiosqlite.Connection, ids: list[int], scope: int) -> list[NamedRow]:
        """The rows (_SENTENCE_COLUMNS) of the given sentences visible from `scope`, in the order given."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self._fetchall(
            conn,
            # CROSS JOIN: the sentences by id first; left to itself, SQLite may walk every source
            # in scope and probe each for the ids, which grows with the library.
            f"SELECT {_SENTENCE_COLUMNS} FROM sentences s CROSS JOIN sources src ON src.id = s.source_id "
            f"WHERE s.id IN ({marks}) AND src.scope IN (?, ?)",
            [*ids, GLOBAL_SCOPE, scope],
            named=True,
        )
        by_id = {row["id"]: row for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    async def neighbours(self, sentence_ids: Iterable[int]) -> dict[int, Sentence]:
        """The sentences just before and after each given one (same source), by id."""
        wanted = sorted({i + d for i in sentence_ids for d in (-1, 1)})
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        found = await self._read_sentences(
            f"SELECT {_SENTENCE_COLUMNS} FROM sentences s WHERE s.id IN ({marks})",
            wanted,
        )
        return {sentence.id: sentence for sentence in found}

    async def _read_sentences(self, sql: str, params: Sequence[object]) -> list[Sentence]:
        """Sentences from a query of _SENTENCE_COLUMNS, in its order, with their text: the body
        chunks they lie in are read in the same read transaction (one snapshot: a source removed
        in between cannot take its chunks away), each chunk once."""
        async with self._snapshot() as conn:
            rows = await self._fetchall(conn, sql, params, named=True)
            texts = await self._chunk_texts(conn, rows)
        return [_sentence(row, texts) for row in rows]

    @staticmethod
    async def _chunk_texts(conn: aiosqlite.Connection, rows: Sequence[NamedRow]) -> dict[tuple[int, int], str]:
        """The text of every body chunk the sentence rows (_SENTENCE_COLUMNS) lie in, by (source_id, n)."""
        keys = sorted({key for row in rows for key in _chunk_keys(row)})
        texts: dict[tuple[int, int], str] = {}
        for i in range(0, len(keys), CHUNK_KEYS_PER_READ):
            batch = keys[i : i + CHUNK_KEYS_PER_READ]
            values = ",".join(["(?, ?)"] * len(batch))
            async with conn.execute(
                # CROSS JOIN from the keys: `(source_id, n) IN (VALUES ...)` scans the whole table.
                "SELECT c.source_id, c.n, c.text FROM (VALUES " + values + ") AS k "
                "CROSS JOIN body_chunks c ON c.source_id = k.column1 AND c.n = k.column2",
                [v for key in batch for v in key],
            ) as cursor:
                for source_id, n, text in await cursor.fetchall():
                    texts[(source_id, n)] = text
        return texts

    async def sources_by_id(self, ids: Iterable[int]) -> dict[int, SourceInfo]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = await self._fetchall(
            self._reader, f"SELECT {_SOURCE_COLUMNS} FROM sources src WHERE src.id IN ({marks})", wanted, named=True
        )
        return {r["id"]: source_from_row(r) for r in rows}

    async def _read_visible_sentences(self, ids: list[int], scope: int) -> list[Sentence]:
        if not ids:
            return []
        async with self._snapshot() as conn:
            rows = await self._visible_sentences(conn, ids, scope)
            texts = await self._chunk_texts(conn, rows)
        return [_sentence(row, texts) for row in rows]

    # -- sentence vectors ------------------------------------------------------------------------

    async def keep_source_ids_above(self, highest: int) -> None:
        async with self._transaction():
            await self._mark_given(LAST_SOURCE_ID, highest)

    async def use_vector_model(
        self, model: str, *, switch: ModelSwitch = ModelSwitch.FORWARD, carried: Sequence[str] = ()
    ) -> bool:
        if await self._switch_refused(model, switch, carried):
            return False
        async with self._transaction() as writer:
            held = await self._fetchone(writer, "SELECT value FROM meta WHERE key = 'vector_model'", ())
            replaced = await self._fetchone(writer, "SELECT value FROM meta WHERE key = ?", (REPLACED_VECTOR_MODELS,))
            after = replaced_after_switch(
                held[0] if held else None, replaced[0] if replaced else None, model, switch, carried
            )
            if after is None:
                return False
            dropped = 0
            if not held or held[0] != model:
                dropped = (await writer.execute("DELETE FROM sentence_vectors")).rowcount
            await writer.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [("vector_model", model), (REPLACED_VECTOR_MODELS, after)],
            )
            return dropped > 0

    async def pending_vectors(self, *, limit: int, after: int = 0) -> list[Sentence]:
        return await self._read_sentences(
            # `sentence_id + 0` and `+sentence_id`: the ids listed once from the narrow index
            # (schema 9), never each sentence's vector looked up, which mapped every page of every
            # vector into the process.
            f"""SELECT {_SENTENCE_COLUMNS} FROM sentences s
                WHERE s.id > ? AND s.id NOT IN (SELECT sentence_id + 0 FROM sentence_vectors WHERE +sentence_id > ?)
                ORDER BY s.id LIMIT ?""",
            (after, after, limit),
        )

    async def store_vectors(self, model: str, vectors: list[tuple[int, bytes]]) -> int:
        if not vectors:
            return 0
        async with self._transaction() as writer:
            row = await self._fetchone(writer, "SELECT value FROM meta WHERE key = 'vector_model'", ())
            if not row or row[0] != model:
                return 0
            before = writer.total_changes
            await writer.executemany(
                """INSERT OR IGNORE INTO sentence_vectors (sentence_id, scope, vector)
                   SELECT s.id, src.scope, ? FROM sentences s JOIN sources src ON src.id = s.source_id
                   WHERE s.id = ?""",
                [(blob, sid) for sid, blob in vectors],
            )
            return writer.total_changes - before

    async def _read_vector_ids(self) -> np.ndarray:
        # One row, from the narrow index (schema 9): not a Python tuple per sentence.
        row = await self._fetchone(self._stats_reader, "SELECT group_concat(sentence_id) FROM sentence_vectors", ())
        listed = row[0] if row else None
        return np.fromstring(listed, dtype=np.int64, sep=",") if listed else np.zeros(0, dtype=np.int64)

    async def _read_vectors(self, ids: list[int]) -> list[StoredVector]:
        if not ids:
            return []
        rows = await self._fetchall(
            self._stats_reader,
            "SELECT v.sentence_id, v.scope, v.vector FROM json_each(?) AS j "
            "CROSS JOIN sentence_vectors v ON v.sentence_id = j.value",
            (json.dumps(ids),),
        )
        return [StoredVector(r[0], r[1], r[2]) for r in rows]
