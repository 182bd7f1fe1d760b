"""The library: sources with their paragraphs and sentences, indexed by FTS5, on aiosqlite.

One writer connection (each change is one `BEGIN IMMEDIATE` transaction, serialised by a lock)
and one reader connection, so questions never see a half-written source and never wait for one.
WAL mode: a process killed at any moment leaves every source either whole or absent.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Self

import aiosqlite

from storage import text as textmod
from storage.errors import DuplicateSource, IngestError, ProtectedSource, UnknownSource
from storage.models import GLOBAL_SCOPE, LogEntry, Sentence, SourceInfo, SourceMeta
from storage.schema import migrate
from storage.segment import Paragraph, segment

# Sentences an FTS5 query may match before the rarer terms alone must do (see match_terms).
MATCH_BUDGET = 20_000
# Terms this rare are counted within a server's view of the library (see term_frequencies).
SCOPED_COUNT_LIMIT = 2_000
# Bump when what the vocabulary keeps of a word changes: the store rebuilds it on open.
VOCABULARY_VERSION = 1
# Words shorter than this are not kept in the vocabulary (spelling never corrects towards them).
VOCABULARY_MIN_LENGTH = 3

_SOURCE_COLUMNS = """
    src.id, src.scope, src.title, src.author, src.publisher, src.url, src.published, src.origin,
    src.added_by, src.added_at, src.sha256,
    (SELECT count(*) FROM paragraphs p WHERE p.source_id = src.id),
    (SELECT count(*) FROM sentences s WHERE s.source_id = src.id),
    length(src.body)
"""

_SENTENCE_COLUMNS = """
    s.id, s.source_id, s.paragraph, s.number, s.start, s."end",
    substr(src.body, s.start + 1, s."end" - s.start)
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _source(row: Sequence[object]) -> SourceInfo:
    return SourceInfo(*row)  # type: ignore[arg-type]


def _sentence(row: Sequence[object]) -> Sentence:
    return Sentence(*row)  # type: ignore[arg-type]


def content_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A body cut into paragraphs and sentences, with each sentence's index terms, in order."""

    paragraphs: list[Paragraph]
    terms: list[str]
    sha256: str
    words: Counter[str]


def _prepare_text(body: str) -> _Prepared:
    paragraphs = segment(body)
    terms = [textmod.index_text(body[s.start : s.end]) for p in paragraphs for s in p.sentences]
    return _Prepared(paragraphs, terms, content_hash(body), vocabulary_words(body))


def vocabulary_words(text: str) -> Counter[str]:
    """The surface words of a text as the vocabulary keeps them, with how often each occurs:
    folded (lower case, no accents), letters only, at least VOCABULARY_MIN_LENGTH long."""
    counts: Counter[str] = Counter()
    for match in textmod.words(text):
        word = match.group()
        if word[0].isdigit() or len(word) < VOCABULARY_MIN_LENGTH:
            continue
        counts[textmod.fold(word).replace("’", "'")] += 1
    return counts


def _after(prefix: str) -> str:
    """The least string greater than every string that starts with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _prepare_file(path: Path) -> int:
    """Create or upgrade the file synchronously (start-up only); returns the prior version."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        return migrate(conn)
    finally:
        conn.close()


async def _connect(path: Path, *, readonly: bool) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    await conn.execute("PRAGMA busy_timeout = 10000")
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA synchronous = NORMAL")
    if readonly:
        await conn.execute("PRAGMA query_only = ON")
    return conn


class Library:
    """Every source factbot can quote, and the only place that speaks SQL."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()
        # Figures that only change when someone writes, kept until `PRAGMA data_version` moves.
        self._stats_version: int | None = None
        self._sentence_stats: tuple[int, float] = (0, 0.0)
        self._term_counts: dict[str, int] = {}
        self._source_counts: dict[int | None, int] = {}
        self._scoped_counts: dict[tuple[str, int], int] = {}
        self._similar: dict[tuple[str, int, int], dict[str, int]] = {}

    @classmethod
    async def open(cls, path: str | Path, *, seed: bool = True) -> Self:
        """Open (creating and migrating as needed) a library file; a new one gets the seeds."""
        path = Path(path)
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        prior = await asyncio.to_thread(_prepare_file, path)
        writer = await _connect(path, readonly=False)
        reader = await _connect(path, readonly=True)
        library = cls(path, writer, reader)
        try:
            await library._check_terms_version()
            await library._check_vocabulary()
            if prior == 0 and seed:
                await library.add_seeds()
        except BaseException:
            await library.close()
            raise
        return library

    async def close(self) -> None:
        await self._reader.close()
        await self._writer.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- writing -----------------------------------------------------------------------------

    async def add_source(
        self,
        body: str,
        meta: SourceMeta,
        *,
        scope: int = GLOBAL_SCOPE,
        origin: str | None = None,
        added_by: str | None = None,
    ) -> SourceInfo:
        """Add one source in one transaction: all of it (index included) or none of it."""
        title = " ".join(meta.title.split())
        if not title:
            raise IngestError("A source needs a title.")
        # Segmenting and tokenising a long document is CPU work: off the event loop.
        prepared = await asyncio.to_thread(_prepare_text, body)
        if not prepared.paragraphs:
            raise IngestError("There is no text to quote in this source.")
        added_at = _now()
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                cursor = await self._writer.execute(
                    """INSERT INTO sources (scope, title, author, publisher, url, published, origin, body,
                                            sha256, added_by, added_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        scope,
                        title,
                        meta.author,
                        meta.publisher,
                        meta.url,
                        meta.published,
                        origin,
                        body,
                        prepared.sha256,
                        added_by,
                        added_at,
                    ),
                )
                source_id = cursor.lastrowid
                assert source_id is not None
                await self._insert_text(source_id, prepared)
                await self._count_words(scope, prepared.words)
                await self._log(scope, added_by, "add", source_id, title)
                await self._writer.execute("COMMIT")
            except sqlite3.IntegrityError as err:
                await self._writer.execute("ROLLBACK")
                # UNIQUE (scope, sha256): the same content is already here.
                row = await self._fetchone(
                    self._writer,
                    "SELECT id, title FROM sources WHERE scope = ? AND sha256 = ?",
                    (scope, prepared.sha256),
                )
                if row:
                    raise DuplicateSource(row[0], row[1]) from err
                raise
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
        return SourceInfo(
            source_id,
            scope,
            title,
            meta.author,
            meta.publisher,
            meta.url,
            meta.published,
            origin,
            added_by,
            added_at,
            prepared.sha256,
            len(prepared.paragraphs),
            len(prepared.terms),
            len(body),
        )

    async def _insert_text(self, source_id: int, prepared: _Prepared) -> None:
        """Paragraphs, sentences and their index entries, sentence ids assigned here so the index
        rows need no read-back (the write lock and the transaction keep them ours)."""
        row = await self._fetchone(self._writer, "SELECT coalesce(max(id), 0) FROM sentences", ())
        first_id = (row[0] if row else 0) + 1
        await self._writer.executemany(
            'INSERT INTO paragraphs (source_id, number, start, "end") VALUES (?, ?, ?, ?)',
            [(source_id, n, p.start, p.end) for n, p in enumerate(prepared.paragraphs, 1)],
        )
        rows = []
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
        async with self._write_lock:
            info = await self._get(self._writer, source_id)
            if info is None or (scope is not None and info.scope not in (scope, GLOBAL_SCOPE)):
                raise UnknownSource(source_id)
            if scope is not None and info.scope != scope:
                raise ProtectedSource(
                    f"Source {source_id} belongs to the global library; only the operator can remove it."
                )
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                body = (await self._fetchone(self._writer, "SELECT body FROM sources WHERE id = ?", (source_id,)))[0]
                await self._index_sentences(source_id, body, "delete")
                await self._uncount_words(info.scope, vocabulary_words(body))
                await self._writer.execute("DELETE FROM sources WHERE id = ?", (source_id,))
                await self._log(info.scope, actor, "remove", source_id, info.title)
                await self._writer.execute("COMMIT")
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
        return info

    async def add_seeds(self) -> list[SourceInfo]:
        """Add the shipped seed articles to the global library (skipping any already there)."""
        from seeds import load_seeds

        added = []
        for seed in load_seeds():
            meta = SourceMeta(seed.title, seed.author, seed.publisher, seed.url, seed.published)
            try:
                added.append(await self.add_source(seed.body, meta, origin=f"seed:{seed.key}", added_by="factbot"))
            except DuplicateSource:
                continue
        return added

    async def _log(self, scope: int, actor: str | None, action: str, source_id: int, title: str) -> None:
        await self._writer.execute(
            "INSERT INTO events (at, scope, actor, action, source_id, title) VALUES (?, ?, ?, ?, ?, ?)",
            (_now(), scope, actor, action, source_id, title),
        )

    async def _check_terms_version(self) -> None:
        """Rebuild the index when the tokenizer changed since it was written."""
        row = await self._fetchone(self._writer, "SELECT value FROM meta WHERE key = 'terms_version'", ())
        if row and int(row[0]) == textmod.TERMS_VERSION:
            return
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                await self._writer.execute("INSERT INTO sentence_index (sentence_index) VALUES ('delete-all')")
                for source_id, body in await self._fetchall(self._writer, "SELECT id, body FROM sources", ()):
                    await self._index_sentences(source_id, body, "")
                await self._writer.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('terms_version', ?)",
                    (str(textmod.TERMS_VERSION),),
                )
                await self._writer.execute("COMMIT")
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise

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
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                await self._writer.execute("DELETE FROM vocabulary")
                for scope, body in await self._fetchall(self._writer, "SELECT scope, body FROM sources", ()):
                    await self._count_words(scope, vocabulary_words(body))
                await self._writer.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('vocabulary_version', ?)",
                    (str(VOCABULARY_VERSION),),
                )
                await self._writer.execute("COMMIT")
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise

    # -- reading -----------------------------------------------------------------------------

    @staticmethod
    async def _fetchone(conn: aiosqlite.Connection, sql: str, params: Sequence[object]) -> sqlite3.Row | None:
        async with conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    @staticmethod
    async def _fetchall(conn: aiosqlite.Connection, sql: str, params: Sequence[object]) -> list:
        async with conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _get(self, conn: aiosqlite.Connection, source_id: int) -> SourceInfo | None:
        row = await self._fetchone(conn, f"SELECT {_SOURCE_COLUMNS} FROM sources src WHERE src.id = ?", (source_id,))
        return _source(row) if row else None

    async def get_source(self, source_id: int, *, scope: int | None = None) -> SourceInfo:
        """A source visible from `scope` (its own and the global library; None sees all)."""
        info = await self._get(self._reader, source_id)
        if info is None or (scope is not None and info.scope not in (scope, GLOBAL_SCOPE)):
            raise UnknownSource(source_id)
        return info

    async def get_body(self, source_id: int) -> str:
        row = await self._fetchone(self._reader, "SELECT body FROM sources WHERE id = ?", (source_id,))
        if row is None:
            raise UnknownSource(source_id)
        return row[0]

    async def list_sources(
        self,
        *,
        scope: int | None = None,
        limit: int = -1,
        offset: int = 0,
        title_contains: str = "",
        own_only: bool = False,
    ) -> list[SourceInfo]:
        """Sources visible from `scope`, global library first, oldest first; `own_only` leaves
        the global library out (what a server may remove)."""
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
        )
        return [_source(r) for r in rows]

    async def count_sources(self, *, scope: int | None = None) -> int:
        """Sources visible from `scope`, cached until the next write (every answer asks)."""
        await self._refresh()
        return await self._count_sources(scope)

    async def _count_sources(self, scope: int | None) -> int:
        if scope not in self._source_counts:
            where, params = self._visible(scope)
            row = await self._fetchone(self._reader, f"SELECT count(*) FROM sources src WHERE {where}", params)
            self._source_counts[scope] = row[0] if row else 0
        return self._source_counts[scope]

    async def events(self, *, scope: int | None = None, limit: int = 20) -> list[LogEntry]:
        """The latest additions and removals, newest first."""
        where, params = ("1", []) if scope is None else ("scope = ?", [scope])
        rows = await self._fetchall(
            self._reader,
            f"SELECT at, scope, actor, action, source_id, title FROM events WHERE {where} ORDER BY id DESC LIMIT ?",
            [*params, limit],
        )
        return [LogEntry(*r) for r in rows]

    @staticmethod
    def _visible(scope: int | None) -> tuple[str, list[object]]:
        if scope is None:
            return "1", []
        return "src.scope IN (?, ?)", [GLOBAL_SCOPE, scope]

    # -- what the answer engine reads ----------------------------------------------------------

    async def _refresh(self) -> None:
        """Forget cached figures when any connection (this process or another) has written."""
        version = (await self._fetchone(self._reader, "PRAGMA data_version", ()))[0]
        if version != self._stats_version:
            row = await self._fetchone(self._reader, 'SELECT count(*), avg("end" - start) FROM sentences', ())
            self._sentence_stats = (row[0], row[1] or 0.0) if row else (0, 0.0)
            self._term_counts.clear()
            self._source_counts.clear()
            self._scoped_counts.clear()
            self._similar.clear()
            self._stats_version = version

    async def sentence_stats(self) -> tuple[int, float]:
        """How many sentences the library holds and their mean length in characters (for idf and
        length normalisation)."""
        await self._refresh()
        return self._sentence_stats

    async def term_frequencies(self, terms: Iterable[str], *, scope: int | None = None) -> dict[str, int]:
        """How many sentences contain each term, cached until the next write.

        Counted over the sources visible from `scope` where it matters: a rare word that only
        another server's sources use is unknown here (and says nothing about that server). Common
        words keep their library-wide count, which the global library dominates anyway.
        """
        await self._refresh()
        wanted = set(terms)
        missing = sorted(wanted - self._term_counts.keys())
        if missing:
            # One `term = ?` per term: fts5vocab answers those from the index, while `IN (...)`
            # scans the whole vocabulary.
            union = " UNION ALL ".join(["SELECT term, doc FROM sentence_terms WHERE term = ?"] * len(missing))
            found = dict(await self._fetchall(self._reader, union, missing))
            if len(self._term_counts) > 100_000:
                self._term_counts.clear()
            self._term_counts.update({t: found.get(t, 0) for t in missing})
        counts = {t: self._term_counts[t] for t in wanted}
        if scope is not None and await self._has_server_sources():
            for t, n in counts.items():
                if 0 < n <= SCOPED_COUNT_LIMIT:
                    counts[t] = await self._scoped_count(t, scope)
        return counts

    async def _has_server_sources(self) -> bool:
        return await self._count_sources(None) > await self._count_sources(GLOBAL_SCOPE)

    async def _scoped_count(self, term: str, scope: int) -> int:
        key = (term, scope)
        if key not in self._scoped_counts:
            row = await self._fetchone(
                self._reader,
                """SELECT count(*) FROM sentence_index
                   JOIN sentences s ON s.id = sentence_index.rowid JOIN sources src ON src.id = s.source_id
                   WHERE sentence_index MATCH ? AND src.scope IN (?, ?)""",
                (f'"{term}"', GLOBAL_SCOPE, scope),
            )
            if len(self._scoped_counts) > 100_000:
                self._scoped_counts.clear()
            self._scoped_counts[key] = row[0] if row else 0
        return self._scoped_counts[key]

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

    async def similar_words(self, word: str, *, scope: int, spread: int = 2) -> dict[str, int]:
        """The vocabulary words visible from `scope` that could be `word` misspelt: their length is
        within `spread` of its, and they share its first two letters or its last two (one slip
        leaves one end of a word of five letters or more intact). With their counts; cached until
        the library changes. Two index range reads, never a scan of the vocabulary."""
        await self._refresh()
        key = (word, scope, spread)
        if key in self._similar:
            return self._similar[key]
        found: dict[str, int] = {}
        if len(word) >= 2:
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
                    *(head, _after(head), len(word) - spread, len(word) + spread, GLOBAL_SCOPE, scope),
                    *(tail, _after(tail), len(word) - spread, len(word) + spread, GLOBAL_SCOPE, scope),
                ),
            )
            found = dict(rows)
        if len(self._similar) > 10_000:
            self._similar.clear()
        self._similar[key] = found
        return found

    async def match_terms(
        self,
        terms: Iterable[str],
        *,
        scope: int,
        limit: int,
        budget: int = MATCH_BUDGET,
        counts: Mapping[str, int] | None = None,
    ) -> list[Sentence]:
        """Candidate sentences for a question's index terms, best bm25 first, visible from `scope`.

        FTS5 ranks every sentence a query matches, so the cost of an OR of all the question's words
        grows with the library. The rarest words say the most about where the answer is: they are
        taken rarest first while the sentences they match stay within `budget` (the rarest one
        always), which bounds the cost whatever the library's size. The engine still scores the
        candidates against all the question's words. `counts`: the terms' frequencies in `scope`
        when the caller has just read them (term_frequencies), to save reading them again.
        """
        terms = list(terms)
        if counts is None or not set(terms) <= counts.keys():
            counts = await self.term_frequencies(terms, scope=scope)
        counts = {t: counts[t] for t in terms}
        chosen: list[str] = []
        matched = 0
        for term in sorted((t for t in counts if counts[t] > 0), key=lambda t: (counts[t], t)):
            if chosen and matched + counts[term] > budget:
                break
            chosen.append(term)
            matched += counts[term]
        if not chosen:
            return []
        return await self.match_sentences(" OR ".join(f'"{t}"' for t in chosen), scope=scope, limit=limit)

    async def match_sentences(self, expression: str, *, scope: int, limit: int) -> list[Sentence]:
        """Sentences matching an FTS5 expression of quoted index terms, best bm25 first, visible
        from `scope`. The expression is built by the engine from index terms only."""
        rows = await self._fetchall(
            self._reader,
            f"""SELECT {_SENTENCE_COLUMNS}
                FROM sentence_index
                JOIN sentences s ON s.id = sentence_index.rowid
                JOIN sources src ON src.id = s.source_id
                WHERE sentence_index MATCH ? AND src.scope IN (?, ?)
                ORDER BY sentence_index.rank LIMIT ?""",
            (expression, GLOBAL_SCOPE, scope, limit),
        )
        return [_sentence(r) for r in rows]

    async def neighbours(self, sentence_ids: Iterable[int]) -> dict[int, Sentence]:
        """The sentences just before and after each given one (same source), by id."""
        wanted = sorted({i + d for i in sentence_ids for d in (-1, 1)})
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = await self._fetchall(
            self._reader,
            f"SELECT {_SENTENCE_COLUMNS} FROM sentences s JOIN sources src ON src.id = s.source_id "
            f"WHERE s.id IN ({marks})",
            wanted,
        )
        return {r[0]: _sentence(r) for r in rows}

    async def sources_by_id(self, ids: Iterable[int]) -> dict[int, SourceInfo]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = await self._fetchall(
            self._reader, f"SELECT {_SOURCE_COLUMNS} FROM sources src WHERE src.id IN ({marks})", wanted
        )
        return {r[0]: _source(r) for r in rows}

    async def excerpt(self, source_id: int, start: int, end: int) -> str:
        """`body[start:end]` of a source: how a quote spanning adjacent sentences stays verbatim."""
        row = await self._fetchone(
            self._reader, "SELECT substr(body, ? + 1, ? - ?) FROM sources WHERE id = ?", (start, end, start, source_id)
        )
        if row is None:
            raise UnknownSource(source_id)
        return row[0]
