"""The library in a PostgreSQL database (asyncpg): one library for many bot processes.

Every change is one transaction holding the advisory write lock (pg_advisory_xact_lock), so a
source is whole or absent whatever is killed when, sentence ids are assigned without races, and
processes on several machines write one at a time. Each change also moves `library_state.version`:
cached figures here compare it (as the SQLite backend compares PRAGMA data_version). Nothing is
NOTIFYed: the version is read at each question anyway, and LISTEN needs a session that PgBouncer's
transaction mode does not keep. How a process connects (pool, timeouts, PgBouncer): storage.pg_connect.

Search reproduces FTS5's bm25 (library-wide idf and mean length) from the postings table, in the
same floating-point order, ties by sentence id: the same candidates as SQLite's. It is ranked in the
database, and one question's reads share one version read (storage.pg_search).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Self, TypeVar

import asyncpg
import numpy as np

from storage import pg_search
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
from storage.backends.bm25 import fts_tokens, postings
from storage.backends.postgres_shared import PostgresCooldowns, PostgresShardRecords
from storage.errors import (
    DuplicateSource,
    IngestError,
    LibraryBusy,
    NotALibrary,
    StoreError,
    UnknownSource,
)
from storage.models import GLOBAL_SCOPE, LogEntry, Sentence, SourceInfo
from storage.pg_connect import create_pool, unavailable
from storage.pg_schema import MIGRATION_LOCK, MIGRATIONS, SCHEMA_VERSION, WRITE_LOCK
from storage.prepare import VOCABULARY_VERSION, NewSource, chunks, now, vocabulary_words
from storage.rows import (
    StoredSource,
    after,
    log_entry_from_row,
    sentence_from_row,
    source_from_row,
)
from storage.schema import BODY_CHUNK
from storage.shards import ShardRecords
from storage.shared import SharedCooldowns
from storage.target import LibraryTarget, PgOptions, redact
from storage.vectors import StoredVector
from storage.waits import CLOSE_WAIT_SECONDS, WRITE_WAIT_SECONDS

log = logging.getLogger(__name__)

T = TypeVar("T")

# Rows are read by column name (source_from_row, sentence_from_row): each column is named as the field it fills.
_SOURCE_COLUMNS = """
    src.id, src.scope, src.title, src.author, src.publisher, src.url, src.published, src.origin,
    src.added_by, src.added_at, src.sha256, src.paragraphs, src.sentences, src.chars,
    (SELECT count(*) FROM pages pg WHERE pg.source_id = src.id)::integer AS pages
"""
_SENTENCE_COLUMNS = f"""
    s.id, s.source_id, s.paragraph, s.number, s.start, s."end",
    (SELECT string_agg(c.text, '' ORDER BY c.n) FROM body_chunks c
     WHERE c.source_id = s.source_id AND c.n BETWEEN s.start / {BODY_CHUNK} AND (s."end" - 1) / {BODY_CHUNK}) AS pieces
"""


def numbered(sql: str) -> str:
    """`?` placeholders as PostgreSQL's $1, $2, ..."""
    count = iter(range(1, 1000))
    return re.sub(r"\?", lambda _: f"${next(count)}", sql)


# Read from the catalog's tables, not its caches (to_regclass): a cache may not yet know of a table
# another connection has just created.
_HAS_SCHEMA_TABLE = """SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables
                                      WHERE schemaname = current_schema() AND tablename = 'factbot_schema')"""


def _scopes(scope: int) -> list[int]:
    return sorted({GLOBAL_SCOPE, scope})


async def _mark_given(conn: asyncpg.Connection, mark: str, given: int) -> None:
    """Note `given` as the highest id given under `mark` (never lowering it)."""
    await conn.execute(
        "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        " WHERE meta.value::bigint < excluded.value::bigint",
        mark,
        str(given),
    )


class PostgresLibrary(Library):
    """A library in one PostgreSQL database, shared by any number of processes."""

    def __init__(self, url: str, pool: asyncpg.Pool, options: PgOptions) -> None:
        super().__init__()
        self.url = url
        self.path: str = redact(url)
        self.options = options
        self._pool = pool
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, target: LibraryTarget | str, *, seed: bool = True, check: bool = True) -> Self:
        """Connect, apply the migrations this database lacks (under the migration lock), and give
        a new library its seed articles (with `seed`). `check` asks nothing more here: the server
        keeps its own files whole."""
        target = LibraryTarget.of(target)
        url, options = target.url, target.pg
        return await cls(url, await create_pool(url, options, redact(url)), options)._ready(seed=seed)

    async def _upgrade(self, *, seed: bool) -> None:
        await self._migrate(seed=seed)
        await self._check_index_versions()

    async def close(self) -> None:
        """Close the pool; connections still in use after CLOSE_WAIT_SECONDS are cut, so closing
        never hangs (asyncpg's close waits for every connection to be released)."""
        try:
            await asyncio.wait_for(self._pool.close(), CLOSE_WAIT_SECONDS)
        except TimeoutError:
            log.warning(
                "Closing the library at %s: connections still in use after %.0f s were cut.",
                self.path,
                CLOSE_WAIT_SECONDS,
            )
            self._pool.terminate()

    @property
    def pool(self) -> asyncpg.Pool:
        """The process's one pool, which the shared cooldowns and shard records use too."""
        return self._pool

    async def shared_cooldowns(self) -> SharedCooldowns:
        return PostgresCooldowns(self.path, self._pool)

    async def shard_records(self) -> ShardRecords:
        return PostgresShardRecords(self.path, self._pool)

    def _voting(self) -> AbstractAsyncContextManager[Any]:
        # A pooled connection, outside the write transaction: a vote takes no write lock and moves
        # no version.
        return self._reading()

    def _error(self, err: BaseException) -> StoreError:
        if (down := unavailable(err, self.url, self.options.statement_timeout)) is not None:
            return down
        if isinstance(err, asyncpg.LockNotAvailableError | asyncpg.QueryCanceledError):
            return LibraryBusy(
                f"The library {self.path} is locked by another process that has been changing it for too long; "
                "nothing was changed. Try again."
            )
        if isinstance(err, asyncpg.DiskFullError):
            return StoreError(f"The disk holding the library {self.path} is full; nothing was changed.")
        return StoreError(f"The library {self.path} failed: {err}.")

    # What says the server or the connection failed; a unique key refused is the caller's.
    _FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)
    _PASSED = (asyncpg.UniqueViolationError,)

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._failures(), self._pool.acquire() as conn:
            yield conn

    async def _query(self, conn: asyncpg.Connection | None, sql: str, params: Sequence[object]) -> list[Any]:
        if conn is None:
            return await self._fetch(numbered(sql), *params)
        rows: list[asyncpg.Record] = await conn.fetch(numbered(sql), *params)
        return rows

    async def _fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        async with self._reading() as conn:
            rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
            return rows

    async def _fetchrow(self, sql: str, *args: object) -> asyncpg.Record | None:
        async with self._reading() as conn:
            return await conn.fetchrow(sql, *args)

    # -- schema ------------------------------------------------------------------------------

    async def _migrate(self, *, seed: bool) -> None:
        async with self._pool.acquire() as conn:
            current = await conn.fetchval(_HAS_SCHEMA_TABLE)
            if current and await conn.fetchval("SELECT version FROM factbot_schema") == SCHEMA_VERSION:
                return
            # Everything else is decided under the lock: another process may be creating it now.
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
                start = await self._schema_version(conn)
                if start == 0:
                    await conn.execute("CREATE TABLE factbot_schema (version integer NOT NULL)")
                    await conn.execute("INSERT INTO factbot_schema (version) VALUES (0)")
                for number in range(start + 1, SCHEMA_VERSION + 1):
                    await conn.execute(MIGRATIONS[number - 1])
                if start == 0:
                    await conn.executemany(
                        "INSERT INTO meta (key, value) VALUES ($1, $2)",
                        [
                            ("terms_version", str(textmod.TERMS_VERSION)),
                            ("vocabulary_version", str(VOCABULARY_VERSION)),
                            *([("seeds", "pending")] if seed else []),
                        ],
                    )
                await conn.execute("UPDATE factbot_schema SET version = $1", SCHEMA_VERSION)

    async def _schema_version(self, conn: asyncpg.Connection) -> int:
        """0 for an empty database; raises NotALibrary for another application's database and
        StoreError for one written by a newer factbot."""
        exists = await conn.fetchval(_HAS_SCHEMA_TABLE)
        if not exists:
            tables = await conn.fetchval(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
            )
            if tables:
                raise NotALibrary(
                    f"{self.path} is not a factbot library (the database holds another application's tables); "
                    "it was left as it is."
                )
            return 0
        version = await conn.fetchval("SELECT version FROM factbot_schema")
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"The library {self.path} has schema version {version}, newer than this factbot knows "
                f"({SCHEMA_VERSION}). Upgrade factbot to open it."
            )
        return int(version)

    async def _check_index_versions(self) -> None:
        """Rebuild the postings (or the vocabulary) when the tokenizer (or what the vocabulary
        keeps) changed since they were written."""
        rows = dict(await self._fetch("SELECT key, value FROM meta"))
        if rows.get("terms_version") == str(textmod.TERMS_VERSION) and rows.get("vocabulary_version") == str(
            VOCABULARY_VERSION
        ):
            return
        async with self._transaction() as conn:
            rows = dict(await conn.fetch("SELECT key, value FROM meta"))
            if rows.get("terms_version") != str(textmod.TERMS_VERSION):
                await conn.execute("TRUNCATE postings, term_stats")
                await conn.execute("UPDATE library_state SET tokens = 0")
                for source_id, scope, body in await conn.fetch("SELECT id, scope, body FROM sources ORDER BY id"):
                    spans = await conn.fetch(
                        'SELECT id, start, "end" FROM sentences WHERE source_id = $1 ORDER BY id', source_id
                    )
                    terms = [textmod.index_text(body[start:end]) for _, start, end in spans]
                    await self._index(conn, scope, spans[0][0] if spans else 0, terms, +1)
                    await conn.executemany(
                        "UPDATE sentences SET tokens = $2 WHERE id = $1",
                        [(sid, len(fts_tokens(t))) for (sid, _, _), t in zip(spans, terms, strict=True)],
                    )
            if rows.get("vocabulary_version") != str(VOCABULARY_VERSION):
                await conn.execute("TRUNCATE vocabulary")
                for scope, body in await conn.fetch("SELECT scope, body FROM sources"):
                    await self._count_words(conn, scope, vocabulary_words(body), +1)
            await conn.executemany(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [("terms_version", str(textmod.TERMS_VERSION)), ("vocabulary_version", str(VOCABULARY_VERSION))],
            )

    # -- writing -----------------------------------------------------------------------------

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """One write transaction holding the advisory write lock (waiting for other processes'
        changes up to WRITE_WAIT_SECONDS); the version moves on commit."""
        async with self._write_lock, self._failures(), self._pool.acquire() as conn, conn.transaction():
            await conn.execute(f"SET LOCAL lock_timeout = '{int(WRITE_WAIT_SECONDS * 1000)}ms'")
            await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
            yield conn
            await conn.execute("UPDATE library_state SET version = version + 1")

    async def _committed(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run a change to its end even when the caller is cancelled meanwhile: a change that was
        saved is reported as saved (the cancellation stays visible in the task's `cancelling()`)."""
        task = asyncio.ensure_future(work())
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.done() and not task.cancelled():
                return task.result()
            with contextlib.suppress(asyncio.CancelledError):
                return await task
            raise

    async def _store_source(self, new: NewSource) -> int:
        if "\x00" in new.body:
            raise IngestError("The text holds NUL characters, which a library cannot store.")

        async def add() -> int:
            async with self._transaction() as conn:
                return await self._insert_source(conn, new)

        try:
            return await self._committed(add)
        except asyncpg.UniqueViolationError as err:
            row = await self._fetchrow(
                "SELECT id, title FROM sources WHERE scope = $1 AND sha256 = $2", new.scope, new.prepared.sha256
            )
            if row:
                raise DuplicateSource(row[0], row[1]) from err
            raise self._error(err) from err

    async def _insert_source(self, conn: asyncpg.Connection, new: NewSource) -> int:
        """Everything of one source, inside the caller's write transaction; returns its id
        (NewSource.stored_id, as on SQLite)."""
        body, prepared, meta, scope = new.body, new.prepared, new.meta, new.scope
        added_by = new.added_by
        source_id = new.stored_id(await self._next_id(conn, "sources", LAST_SOURCE_ID))
        first_id = await self._next_id(conn, "sentences", LAST_SENTENCE_ID)
        await conn.execute(
            f"""INSERT INTO sources ({NewSource.COLUMNS}, paragraphs, sentences, chars)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)""",
            *new.row(source_id),
            len(prepared.paragraphs),
            len(prepared.terms),
            len(body),
        )
        await conn.copy_records_to_table(
            "body_chunks",
            records=[(source_id, n, piece) for n, piece in chunks(body)],
            columns=["source_id", "n", "text"],
        )
        await conn.copy_records_to_table(
            "paragraphs",
            records=[(source_id, n, p.start, p.end) for n, p in enumerate(prepared.paragraphs, 1)],
            columns=["source_id", "number", "start", "end"],
        )
        sentences: list[tuple[int, int, int, int, int, int, int]] = []
        chars = 0
        for p_number, paragraph in enumerate(prepared.paragraphs, 1):
            for s_number, span in enumerate(paragraph.sentences, 1):
                n = len(sentences)
                sentences.append(
                    (
                        first_id + n,
                        source_id,
                        p_number,
                        s_number,
                        span.start,
                        span.end,
                        len(fts_tokens(prepared.terms[n])),
                    )
                )
                chars += span.end - span.start
        await conn.copy_records_to_table(
            "sentences",
            records=sentences,
            columns=["id", "source_id", "paragraph", "number", "start", "end", "tokens"],
        )
        await _mark_given(conn, LAST_SOURCE_ID, source_id)
        if sentences:
            await _mark_given(conn, LAST_SENTENCE_ID, sentences[-1][0])
        await self._index(conn, scope, first_id, prepared.terms, +1)
        await conn.copy_records_to_table(
            "pages", records=new.page_rows(source_id), columns=["source_id", "number", "start"]
        )
        await conn.execute(
            "UPDATE library_state SET sentences = sentences + $1, chars = chars + $2", len(sentences), chars
        )
        await self._count_words(conn, scope, prepared.words, +1)
        await self._log(conn, scope, added_by, "add", source_id, meta.title)
        return source_id

    async def _index(self, conn: asyncpg.Connection, scope: int, first_id: int, terms: list[str], sign: int) -> None:
        """Add (sign +1) or remove (-1) the postings of sentences `first_id`... with these terms."""
        rows, docs, tokens = postings(first_id, terms)
        if sign > 0:
            await conn.copy_records_to_table(
                "postings",
                records=[(term, scope, sid, tf, dl) for term, sid, tf, dl in rows],
                columns=["term", "scope", "sentence_id", "tf", "dl"],
            )
        else:
            await conn.execute(
                """DELETE FROM postings WHERE term = ANY($1::text[]) AND scope = $2
                   AND sentence_id BETWEEN $3 AND $4""",
                list(docs),
                scope,
                first_id,
                first_id + len(terms) - 1,
            )
        await conn.execute(
            """INSERT INTO term_stats (term, docs) SELECT * FROM unnest($1::text[], $2::bigint[])
               ON CONFLICT (term) DO UPDATE SET docs = term_stats.docs + excluded.docs""",
            list(docs),
            [sign * n for n in docs.values()],
        )
        if sign < 0:
            await conn.execute("DELETE FROM term_stats WHERE term = ANY($1::text[]) AND docs <= 0", list(docs))
        await conn.execute("UPDATE library_state SET tokens = tokens + $1", sign * tokens)

    async def _count_words(self, conn: asyncpg.Connection, scope: int, words: Counter[str], sign: int) -> None:
        await conn.execute(
            """INSERT INTO vocabulary (word, scope, count, reversed)
               SELECT w, $1, n, reverse(w) FROM unnest($2::text[], $3::bigint[]) AS u(w, n)
               ON CONFLICT (word, scope) DO UPDATE SET count = vocabulary.count + excluded.count""",
            scope,
            list(words),
            [sign * n for n in words.values()],
        )
        if sign < 0:
            await conn.execute(
                "DELETE FROM vocabulary WHERE word = ANY($1::text[]) AND scope = $2 AND count <= 0", list(words), scope
            )

    async def _log(
        self, conn: asyncpg.Connection, scope: int, actor: str | None, action: str, source_id: int, title: str
    ) -> None:
        await conn.execute(
            "INSERT INTO events (at, scope, actor, action, source_id, title) VALUES ($1, $2, $3, $4, $5, $6)",
            now(),
            scope,
            actor,
            action,
            source_id,
            title,
        )

    async def remove_source(self, source_id: int, *, scope: int | None = None, actor: str | None = None) -> SourceInfo:
        if not 0 < source_id <= MAX_ID:
            raise UnknownSource(source_id)

        async def remove() -> SourceInfo:
            # Read inside the transaction: another process may remove it first.
            async with self._transaction() as conn:
                row = await conn.fetchrow(
                    f"SELECT {_SOURCE_COLUMNS}, src.body FROM sources src WHERE src.id = $1", source_id
                )
                info = check_removal(source_from_row(row) if row else None, source_id, scope)
                body = row["body"]
                spans = await conn.fetch(
                    'SELECT id, start, "end" FROM sentences WHERE source_id = $1 ORDER BY id', source_id
                )
                if spans:
                    terms = [textmod.index_text(body[start:end]) for _, start, end in spans]
                    await self._index(conn, info.scope, spans[0][0], terms, -1)
                    await conn.execute(
                        "UPDATE library_state SET sentences = sentences - $1, chars = chars - $2",
                        len(spans),
                        sum(end - start for _, start, end in spans),
                    )
                await self._count_words(conn, info.scope, vocabulary_words(body), -1)
                await conn.execute("DELETE FROM sources WHERE id = $1", source_id)
                await self._log(conn, info.scope, actor, "remove", source_id, info.title)
                return info

        return await self._committed(remove)

    # -- reading -----------------------------------------------------------------------------

    async def _get(self, source_id: int) -> SourceInfo | None:
        row = await self._fetchrow(f"SELECT {_SOURCE_COLUMNS} FROM sources src WHERE src.id = $1", source_id)
        return source_from_row(row) if row else None

    async def get_body(self, source_id: int) -> str:
        if not 0 < source_id <= MAX_ID:
            raise UnknownSource(source_id)
        row = await self._fetchrow("SELECT body FROM sources WHERE id = $1", source_id)
        if row is None:
            raise UnknownSource(source_id)
        return str(row[0])

    async def _list_sources(
        self, scope: int | None, limit: int, offset: int, title_contains: str, own_only: bool
    ) -> list[SourceInfo]:
        params: list[object] = [] if scope is None else [_scopes(scope)]
        where = "true" if scope is None else "src.scope = ANY($1::bigint[])"
        if own_only and scope is not None:
            params = [[scope]]
        if title_contains:
            params.append(title_contains)
            where += f" AND strpos(lower(src.title), lower(${len(params)})) > 0"
        params += [None if limit < 0 else limit, offset]
        rows = await self._fetch(
            f"""SELECT {_SOURCE_COLUMNS} FROM sources src WHERE {where}
                ORDER BY src.scope != 0, src.id LIMIT ${len(params) - 1} OFFSET ${len(params)}""",
            *params,
        )
        return [source_from_row(r) for r in rows]

    async def _read_source_count(self, scope: int | None) -> int:
        if scope is None:
            return int(await self._fetchval("SELECT count(*) FROM sources"))
        return int(await self._fetchval("SELECT count(*) FROM sources WHERE scope = ANY($1::bigint[])", _scopes(scope)))

    async def _fetchval(self, sql: str, *args: object) -> Any:
        async with self._reading() as conn:
            return await conn.fetchval(sql, *args)

    async def events(self, *, scope: int | None = None, limit: int = 20) -> list[LogEntry]:
        where, params = ("true", []) if scope is None else ("scope = $1", [scope])
        rows = await self._fetch(
            f"""SELECT at, scope, actor, action, source_id, title FROM events WHERE {where}
                ORDER BY id DESC LIMIT ${len(params) + 1}""",
            *params,
            limit,
        )
        return [log_entry_from_row(r) for r in rows]

    async def stored_sources(self, *, after_id: int = 0, limit: int = 100) -> list[StoredSource]:
        rows = await self._fetch(
            f"SELECT {_SOURCE_COLUMNS}, src.body FROM sources src WHERE src.id > $1 ORDER BY src.id LIMIT $2",
            after_id,
            limit,
        )
        return [StoredSource(source_from_row(r), r["body"]) for r in rows]

    # -- what the answer engine reads ----------------------------------------------------------

    async def data_version(self) -> int:
        """The library's version: moved by every committed change, in any process. Read once per
        question (`question`)."""
        reads = pg_search.reads_of(self)
        return reads.version if reads is not None and reads.version is not None else await self._read_version()

    async def _read_version(self) -> int:
        return int(await self._fetchval("SELECT version FROM library_state"))

    def question(self) -> AbstractAsyncContextManager[None]:
        return pg_search.question(self, self._read_version)

    async def _read_sentence_stats(self) -> tuple[int, float]:
        row = await self._fetchrow("SELECT sentences, chars FROM library_state")
        total, chars = (row[0], row[1]) if row else (0, 0)
        return (total, chars / total if total else 0.0)

    async def _read_outside_totals(self, scope: int) -> tuple[int, int]:
        row = await self._fetchrow(
            """SELECT count(*), coalesce(sum(s."end" - s.start), 0)
               FROM sources src JOIN sentences s ON s.source_id = src.id
               WHERE src.scope <> ALL($1::bigint[])""",
            _scopes(scope),
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def _read_term_counts(self, terms: list[str]) -> dict[str, int]:
        rows = await self._fetch("SELECT term, docs FROM term_stats WHERE term = ANY($1::text[])", terms)
        return {r[0]: r[1] for r in rows}

    async def _read_scoped_counts(self, terms: list[str], scope: int) -> dict[str, int]:
        rows = await self._fetch(
            """SELECT term, count(*) FROM postings WHERE term = ANY($1::text[]) AND scope = ANY($2::bigint[])
               GROUP BY term""",
            terms,
            _scopes(scope),
        )
        found = {r[0]: int(r[1]) for r in rows}
        return {t: found.get(t, 0) for t in terms}

    async def _read_scoped_count(self, term: str, scope: int) -> int:
        return int(
            await self._fetchval(
                "SELECT count(*) FROM postings WHERE term = $1 AND scope = ANY($2::bigint[])", term, _scopes(scope)
            )
        )

    async def vocabulary(self, *, scope: int) -> dict[str, int]:
        rows = await self._fetch(
            "SELECT word, sum(count) FROM vocabulary WHERE scope = ANY($1::bigint[]) GROUP BY word", _scopes(scope)
        )
        return {r[0]: int(r[1]) for r in rows}

    async def word_counts(self, words: Iterable[str], *, scope: int) -> dict[str, int]:
        wanted = sorted(set(words))
        if not wanted:
            return {}
        rows = await self._fetch(
            """SELECT word, sum(count) FROM vocabulary WHERE word = ANY($1::text[]) AND scope = ANY($2::bigint[])
               GROUP BY word""",
            wanted,
            _scopes(scope),
        )
        found = {r[0]: int(r[1]) for r in rows}
        return {w: found.get(w, 0) for w in wanted}

    async def _read_similar_words(self, word: str, scope: int, spread: int) -> dict[str, int]:
        head, tail = word[:2], word[::-1][:2]
        rows = await self._fetch(
            """SELECT word, sum(count) FROM vocabulary
               WHERE word >= $1 AND word < $2 AND length(word) BETWEEN $3 AND $4 AND scope = ANY($5::bigint[])
               GROUP BY word
               UNION
               SELECT word, sum(count) FROM vocabulary
               WHERE reversed >= $6 AND reversed < $7 AND length(word) BETWEEN $3 AND $4 AND scope = ANY($5::bigint[])
               GROUP BY word""",
            head,
            after(head),
            len(word) - spread,
            len(word) + spread,
            _scopes(scope),
            tail,
            after(tail),
        )
        return {r[0]: int(r[1]) for r in rows}

    async def match_any(self, terms: list[str], *, scope: int, limit: int) -> list[Sentence]:
        terms = list(dict.fromkeys(t for t in terms if t))
        if not terms or limit <= 0:
            return []
        rows = await self._fetch(pg_search.search(len(terms)), terms, _scopes(scope), limit)
        return pg_search.reads_for(self).take(rows)

    async def neighbours(self, sentence_ids: Iterable[int]) -> dict[int, Sentence]:
        wanted = sorted({i + d for i in sentence_ids for d in (-1, 1)})
        if not wanted:
            return {}
        reads = pg_search.reads_of(self)
        if reads is not None and (known := reads.neighbours(wanted)) is not None:
            return known
        rows = await self._fetch(f"SELECT {_SENTENCE_COLUMNS} FROM sentences s WHERE s.id = ANY($1::bigint[])", wanted)
        return {r["id"]: sentence_from_row(r) for r in rows}

    async def sources_by_id(self, ids: Iterable[int]) -> dict[int, SourceInfo]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        reads = pg_search.reads_of(self)
        if reads is not None and (known := reads.sources_of(wanted)) is not None:
            return known
        rows = await self._fetch(f"SELECT {_SOURCE_COLUMNS} FROM sources src WHERE src.id = ANY($1::bigint[])", wanted)
        return {r["id"]: source_from_row(r) for r in rows}

    async def excerpt(self, source_id: int, start: int, end: int) -> str:
        reads = pg_search.reads_of(self)
        if end > start and reads is not None and (known := reads.excerpt(source_id, start, end)) is not None:
            return known
        return await super().excerpt(source_id, start, end)

    async def _read_visible_sentences(self, ids: list[int], scope: int) -> list[Sentence]:
        if not ids:
            return []
        rows = await self._fetch(pg_search.VISIBLE, ids, _scopes(scope))
        return pg_search.reads_for(self).take(rows)

    # -- sentence vectors ------------------------------------------------------------------------

    async def keep_source_ids_above(self, highest: int) -> None:
        async def mark() -> None:
            async with self._transaction() as conn:
                await _mark_given(conn, LAST_SOURCE_ID, highest)

        await self._committed(mark)

    async def use_vector_model(
        self, model: str, *, switch: ModelSwitch = ModelSwitch.FORWARD, carried: Sequence[str] = ()
    ) -> bool:
        if await self._switch_refused(model, switch, carried):
            return False

        async def change() -> bool:
            async with self._transaction() as conn:
                held = await conn.fetchval("SELECT value FROM meta WHERE key = 'vector_model'")
                replaced = await conn.fetchval("SELECT value FROM meta WHERE key = $1", REPLACED_VECTOR_MODELS)
                after = replaced_after_switch(held, replaced, model, switch, carried)
                if after is None:
                    return False
                dropped = 0
                if held != model:
                    dropped = await conn.fetchval(
                        "WITH d AS (DELETE FROM sentence_vectors RETURNING 1) SELECT count(*) FROM d"
                    )
                await conn.executemany(
                    """INSERT INTO meta (key, value) VALUES ($1, $2)
                       ON CONFLICT (key) DO UPDATE SET value = excluded.value""",
                    [("vector_model", model), (REPLACED_VECTOR_MODELS, after)],
                )
                return bool(dropped)

        return await self._committed(change)

    async def pending_vectors(self, *, limit: int, after: int = 0) -> list[Sentence]:
        rows = await self._fetch(
            f"""SELECT {_SENTENCE_COLUMNS} FROM sentences s
                WHERE s.id > $2 AND NOT EXISTS (SELECT 1 FROM sentence_vectors v WHERE v.sentence_id = s.id)
                ORDER BY s.id LIMIT $1""",
            limit,
            after,
        )
        return [sentence_from_row(r) for r in rows]

    async def store_vectors(self, model: str, vectors: list[tuple[int, bytes]]) -> int:
        if not vectors:
            return 0

        async def store() -> int:
            async with self._transaction() as conn:
                if await conn.fetchval("SELECT value FROM meta WHERE key = 'vector_model'") != model:
                    return 0
                stored = await conn.fetchval(
                    """WITH new AS (
                           INSERT INTO sentence_vectors (sentence_id, scope, vector)
                           SELECT s.id, src.scope, v.vector
                           FROM unnest($1::bigint[], $2::bytea[]) AS v(sentence_id, vector)
                           JOIN sentences s ON s.id = v.sentence_id JOIN sources src ON src.id = s.source_id
                           ON CONFLICT (sentence_id) DO NOTHING RETURNING 1)
                       SELECT count(*) FROM new""",
                    [sid for sid, _ in vectors],
                    [blob for _, blob in vectors],
                )
                return int(stored)

        return await self._committed(store)

    async def _read_vector_ids(self) -> np.ndarray:
        # One array value: a record per sentence would each be a Python object first.
        ids = await self._fetchval("SELECT array_agg(sentence_id) FROM sentence_vectors")
        return np.asarray(ids or [], dtype=np.int64)

    async def _read_vectors(self, ids: list[int]) -> list[StoredVector]:
        rows = await self._fetch(
            "SELECT sentence_id, scope, vector FROM sentence_vectors WHERE sentence_id = ANY($1::bigint[])"
            " ORDER BY sentence_id",
            ids,
        )
        return [StoredVector(r[0], r[1], bytes(r[2])) for r in rows]
