"""The library's contract: what every backend offers, and everything that is not SQL.

`Library.open(target)` (also `storage.open_library`) opens a library file with SQLite
(storage.sqlite) or a `postgresql://` URL with asyncpg (storage.postgres); the engine, the Discord
layer and the command line use only the methods below and never know which. The text preparation
(segmentation, index terms, content hash, metadata cleaning, vocabulary words), the checks on what
is added, the choice of the terms a question searches by, and the cached figures are shared here;
each backend holds only its SQL. Both give the same candidates in the same order (FTS5's bm25 is
reproduced by the PostgreSQL backend), so the same library answers the same on either.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import unicodedata
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

import numpy as np

from storage import text as textmod
from storage.errors import DuplicateSource, IngestError, ProtectedSource, UnknownSource
from storage.limits import MAX_PDF_PAGES
from storage.models import GLOBAL_SCOPE, LogEntry, PagePlace, Sentence, SourceInfo, SourceMeta
from storage.schema import BODY_CHUNK
from storage.segment import Paragraph, segment
from storage.vectors import READ_BATCH, StoredVector, VectorIndex

if TYPE_CHECKING:
    from seeds import Seed
    from storage.feedback import FeedbackEntry, FeedbackStore, Vote
    from storage.pg_options import PgOptions

# Sentences a search may match before the rarer terms alone must do (see match_terms).
MATCH_BUDGET = 20_000
# Source ids are 64-bit integers: anything outside this range names no source.
MAX_ID = 2**63 - 1
# Bump when what the vocabulary keeps of a word changes: the store rebuilds it on open.
VOCABULARY_VERSION = 1
# Words shorter than this are not kept in the vocabulary (spelling never corrects towards them).
VOCABULARY_MIN_LENGTH = 3
# A FACTBOT_DB (or --db) that starts with one of these is a PostgreSQL server, not a file.
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
# Entries kept at most in each cache of figures before it is emptied.
_CACHE_LIMIT = 100_000


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def chunks(body: str) -> list[tuple[int, str]]:
    """A body cut into numbered pieces of BODY_CHUNK characters (how sentence text is read)."""
    return [(n, body[i : i + BODY_CHUNK]) for n, i in enumerate(range(0, len(body), BODY_CHUNK))]


def cut_sentence(start: int, end: int, text: str) -> str:
    """A sentence's text from the concatenated chunks that hold it (from its start's chunk on)."""
    first = start - start % BODY_CHUNK
    return text[start - first : end - first]


# Characters never kept in a title, author, publisher, URL or date: C0 and C1 controls, DEL
# (terminal escape sequences start with them), and lone surrogates (bytes that were not UTF-8).
def clean_field(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    value = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in value)
    return " ".join(value.split()) or None


def has_visible_text(value: str) -> bool:
    """Whether a text has something to see: not only spaces and zero-width or format characters."""
    return any(not ch.isspace() and unicodedata.category(ch) not in {"Cf", "Cc", "Zs"} for ch in value)


def content_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def is_postgres_target(target: str | Path) -> bool:
    return isinstance(target, str) and target.lower().startswith(POSTGRES_SCHEMES)


class NamedRow(Protocol):
    """A row whose columns are read by name (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, name: str, /) -> Any: ...


_SOURCE_FIELDS = tuple(f.name for f in fields(SourceInfo))
_LOG_FIELDS = tuple(f.name for f in fields(LogEntry))


def source_from_row(row: NamedRow) -> SourceInfo:
    """A source from a row whose columns are named as SourceInfo's fields (either backend)."""
    return SourceInfo(**{name: row[name] for name in _SOURCE_FIELDS})


def sentence_from_row(row: NamedRow) -> Sentence:
    """A sentence from a row of its columns and `pieces`, the body chunks it lies in (cut_sentence)."""
    start, end = row["start"], row["end"]
    return Sentence(
        row["id"],
        row["source_id"],
        row["paragraph"],
        row["number"],
        start,
        end,
        cut_sentence(start, end, row["pieces"]),
    )


# The page a spot of a source lies on (the last page starting at or before it), and the last
# paragraph up to the spot's that ends before that page starts: the paragraph on the page is the
# spot's less that one. Parameters: the spot's paragraph, the source, the spot's offset.
PAGE_PLACE = """
    SELECT p.number,
           (SELECT g.number FROM paragraphs g
            WHERE g.source_id = p.source_id AND g.number <= ? AND g."end" <= p.start
            ORDER BY g.number DESC LIMIT 1)
    FROM pages p WHERE p.source_id = ? AND p.start <= ? ORDER BY p.number DESC LIMIT 1
"""


def page_place(row: Sequence[Any] | None, paragraph: int) -> PagePlace | None:
    """A PagePlace from PAGE_PLACE's row (None: the source has no pages)."""
    if row is None:
        return None
    return PagePlace(row[0], paragraph - (row[1] or 0))


def log_entry_from_row(row: NamedRow) -> LogEntry:
    return LogEntry(**{name: row[name] for name in _LOG_FIELDS})


def check_removal(info: SourceInfo | None, source_id: int, scope: int | None) -> SourceInfo:
    """The source `scope` asks to remove, if it may: the operator (scope None) may remove any
    source, a server only its own. UnknownSource for one `scope` cannot see; ProtectedSource for a
    global source a server asks to remove."""
    if info is None or (scope is not None and info.scope not in (scope, GLOBAL_SCOPE)):
        raise UnknownSource(source_id)
    if scope is not None and info.scope != scope:
        raise ProtectedSource(source_id)
    return info


@dataclass(frozen=True, slots=True)
class Prepared:
    """A body cut into paragraphs and sentences, with each sentence's index terms, in order."""

    paragraphs: list[Paragraph]
    terms: list[str]
    sha256: str
    words: Counter[str]


@dataclass(frozen=True, slots=True)
class NewSource:
    """A checked source, ready to store: its text prepared, its metadata cleaned. `source_id`:
    kept when given (a copied library keeps its ids), else the backend's next. `pages`: where each
    page starts in the body (a PDF's), page 1 first."""

    body: str
    prepared: Prepared
    meta: SourceMeta
    scope: int
    origin: str | None
    added_by: str | None
    added_at: str
    source_id: int | None = None
    pages: tuple[int, ...] = ()

    # The columns of the sources table that `row` fills, in its order (both backends insert by them).
    COLUMNS = "id, scope, title, author, publisher, url, published, origin, body, sha256, added_by, added_at"

    def row(self, source_id: int | None) -> tuple[object, ...]:
        """The values of COLUMNS for this source, stored under `source_id`."""
        m = self.meta
        return (
            source_id, self.scope, m.title, m.author, m.publisher, m.url, m.published, self.origin, self.body,
            self.prepared.sha256, self.added_by, self.added_at,
        )  # fmt: skip

    def info(self, source_id: int) -> SourceInfo:
        """The source as stored under `source_id`."""
        m, p = self.meta, self.prepared
        return SourceInfo(
            source_id, self.scope, m.title, m.author, m.publisher, m.url, m.published, self.origin, self.added_by,
            self.added_at, p.sha256, len(p.paragraphs), len(p.terms), len(self.body), len(self.pages),
        )  # fmt: skip

    def page_rows(self, source_id: int) -> list[tuple[int, int, int]]:
        """(source id, page number, start) of each page, for the pages table."""
        return [(source_id, number, start) for number, start in enumerate(self.pages, 1)]


def seed_source(seed: Seed, prepared: Prepared) -> NewSource:
    """A shipped seed article as a global source (added on a new library's first open)."""
    meta = SourceMeta(seed.title, seed.author, seed.publisher, seed.url, seed.published)
    return NewSource(seed.body, prepared, meta, GLOBAL_SCOPE, f"seed:{seed.key}", "factbot", now())


def prepare_text(body: str) -> Prepared:
    paragraphs = segment(body)
    terms = [textmod.index_text(body[s.start : s.end]) for p in paragraphs for s in p.sentences]
    return Prepared(paragraphs, terms, content_hash(body), vocabulary_words(body))


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


def after(prefix: str) -> str:
    """The least string greater than every string that starts with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


@dataclass(frozen=True, slots=True)
class StoredSource:
    """Everything of one source as stored, for copying a library: metadata and body."""

    info: SourceInfo
    body: str


class Library(ABC):
    """Every source factbot can quote. Subclasses speak SQL; nothing else in factbot does."""

    path: Path | str  # the file, or the server's URL without its password (for messages)

    def __init__(self) -> None:
        # Figures that only change when someone writes, kept until `data_version` moves.
        self._stats_version: object = None
        self._sentence_stats: tuple[int, float] = (0, 0.0)
        self._term_counts: dict[str, int] = {}
        self._source_counts: dict[int | None, int] = {}
        self._scoped_counts: dict[tuple[str, int], int] = {}
        self._scoped_stats: dict[int, tuple[int, float]] = {}
        self._similar: dict[tuple[str, int, int], dict[str, int]] = {}
        # The stored sentence vectors in memory (storage.vectors), caught up when the library moves.
        self._vectors = VectorIndex()
        self._vectors_version: object = None
        self._vectors_lock = asyncio.Lock()

    @classmethod
    async def open(cls, target: str | Path, *, seed: bool = True, pg: PgOptions | None = None) -> Library:
        """Open (creating and migrating as needed) the library at `target`: a file path (SQLite)
        or a `postgresql://` URL, connected as `pg` says. A new library gets the seed articles."""
        if is_postgres_target(target):
            from storage.postgres import PostgresLibrary

            return await PostgresLibrary.open(str(target), seed=seed, options=pg)
        from storage.sqlite import SqliteLibrary

        return await SqliteLibrary.open(Path(target), seed=seed)

    @property
    def read_only(self) -> bool:
        return False

    @abstractmethod
    async def close(self) -> None: ...

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
        added_at: str | None = None,
        source_id: int | None = None,
        pages: Sequence[int] = (),
    ) -> SourceInfo:
        """Add one source in one transaction: all of it (index included) or none of it. Control
        characters never enter its metadata; a title with nothing visible is refused; the same
        content twice in one scope is refused (DuplicateSource). `added_at` and `source_id`: kept as
        given (a copied library keeps its dates and ids; the id must be free), else now and the next.
        `pages`: where each page of a PDF starts in `body` (offsets in order), stored with it."""
        meta = SourceMeta(
            clean_field(meta.title) or "",
            clean_field(meta.author),
            clean_field(meta.publisher),
            clean_field(meta.url),
            clean_field(meta.published),
        )
        origin, added_by = clean_field(origin), clean_field(added_by)
        if not has_visible_text(meta.title):
            raise IngestError("A source needs a title (with something visible in it).")
        pages = tuple(pages)
        if len(pages) > MAX_PDF_PAGES:
            raise IngestError(f"A source may have at most {MAX_PDF_PAGES:,} pages.")
        if any(not a <= b for a, b in zip((0, *pages), (*pages, len(body)), strict=True)):
            raise IngestError("A source's page starts must be offsets into its text, in order.")
        # Segmenting and tokenising a long document is CPU work: off the event loop.
        prepared = await asyncio.to_thread(prepare_text, body)
        if not prepared.paragraphs or not any(prepared.terms):
            raise IngestError("There is no text to quote in this source (no words in it).")
        new = NewSource(body, prepared, meta, scope, origin, added_by, added_at or now(), source_id, pages)
        return new.info(await self._store_source(new))

    @abstractmethod
    async def _store_source(self, new: NewSource) -> int:
        """Store one checked source in one transaction (with its audit entry); its id. Raises
        DuplicateSource when its content is already in `scope`."""

    @abstractmethod
    async def remove_source(self, source_id: int, *, scope: int | None = None, actor: str | None = None) -> SourceInfo:
        """Remove a source and everything of it. `scope` None is the operator, who may remove
        anything; a server may remove only its own sources, never the global library."""

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

    # -- reading -----------------------------------------------------------------------------

    @abstractmethod
    async def _get(self, source_id: int) -> SourceInfo | None: ...

    async def get_source(self, source_id: int, *, scope: int | None = None) -> SourceInfo:
        """A source visible from `scope` (its own and the global library; None sees all)."""
        if not 0 < source_id <= MAX_ID:
            raise UnknownSource(source_id)
        info = await self._get(source_id)
        if info is None or (scope is not None and info.scope not in (scope, GLOBAL_SCOPE)):
            raise UnknownSource(source_id)
        return info

    @abstractmethod
    async def get_body(self, source_id: int) -> str: ...

    @abstractmethod
    async def page_starts(self, source_id: int) -> list[int]:
        """Where each page of a source starts in its body, page 1 first (empty: it has no pages)."""

    async def page_places(self, source_id: int, spots: Sequence[tuple[int, int]]) -> list[PagePlace | None]:
        """For each (offset into the body, paragraph number) of a source, its page and which paragraph
        of that page it is in; None for a source without pages."""
        return [await self._read_page_place(source_id, offset, paragraph) for offset, paragraph in spots]

    @abstractmethod
    async def _read_page_place(self, source_id: int, offset: int, paragraph: int) -> PagePlace | None:
        """page_places for one spot: PAGE_PLACE's row, in the backend's SQL."""

    async def list_sources(
        self,
        *,
        scope: int | None = None,
        limit: int = -1,
        offset: int = 0,
        title_contains: str = "",
        own_only: bool = False,
    ) -> list[SourceInfo]:
        """Sources visible from `scope`, global library first, oldest first (`limit` -1: all);
        `title_contains` keeps those whose title holds it (any case); `own_only` leaves the global
        library out (what a server may remove)."""
        return await self._list_sources(scope, limit, offset, title_contains, own_only)

    @abstractmethod
    async def _list_sources(
        self, scope: int | None, limit: int, offset: int, title_contains: str, own_only: bool
    ) -> list[SourceInfo]:
        """list_sources, in the backend's SQL."""

    async def count_sources(self, *, scope: int | None = None) -> int:
        """Sources visible from `scope`, cached until the next write (every answer asks)."""
        await self._refresh()
        return await self._count_sources(scope)

    async def _count_sources(self, scope: int | None) -> int:
        if scope not in self._source_counts:
            self._source_counts[scope] = await self._read_source_count(scope)
        return self._source_counts[scope]

    @abstractmethod
    async def _read_source_count(self, scope: int | None) -> int: ...

    @abstractmethod
    async def events(self, *, scope: int | None = None, limit: int = 20) -> list[LogEntry]:
        """The latest additions and removals, newest first."""

    @abstractmethod
    async def content_keys(self) -> set[tuple[int, str]]:
        """(scope, content hash) of every source: what a copy into this library can skip."""

    @abstractmethod
    async def stored_sources(self, *, after_id: int = 0, limit: int = 100) -> list[StoredSource]:
        """Sources with their bodies in id order, from the first id above `after_id` (copying)."""

    # -- what the answer engine reads ----------------------------------------------------------

    @abstractmethod
    async def data_version(self) -> object:
        """A value that changes whenever anyone (this process or another) changes the library."""

    def question(self) -> contextlib.AbstractAsyncContextManager[object]:
        """Around the reads of one question: a backend whose every read is a round trip
        (PostgreSQL) reads the version once for them all and keeps what its searches returned
        (neighbours, sources, text) for the rest of the question. Nothing on SQLite."""
        return contextlib.nullcontext()

    @abstractmethod
    async def _read_sentence_stats(self) -> tuple[int, float]: ...

    async def _refresh(self) -> None:
        """Forget cached figures when any connection (this process or another) has written."""
        version = await self.data_version()
        if version != self._stats_version:
            self._sentence_stats = await self._read_sentence_stats()
            self._term_counts.clear()
            self._source_counts.clear()
            self._scoped_counts.clear()
            self._scoped_stats.clear()
            self._similar.clear()
            self._stats_version = version

    async def sentence_stats(self, *, scope: int | None = None) -> tuple[int, float]:
        """How many sentences the sources visible from `scope` hold and their mean length in
        characters (for idf and length normalisation); None: the whole library. Another server's
        sources never count: a server's answers depend only on what it can quote. Read as the
        library's totals less the other servers' sentences (usually a small share), cached."""
        await self._refresh()
        counted = await self._counting_scope(scope)
        if counted is None:
            return self._sentence_stats
        if counted not in self._scoped_stats:
            total, mean = self._sentence_stats
            others, other_chars = await self._read_outside_totals(counted)
            # Whole characters, as a library holding only these sources would sum them.
            visible, chars = total - others, round(mean * total) - other_chars
            self._scoped_stats[counted] = (visible, chars / visible if visible else 0.0)
        return self._scoped_stats[counted]

    async def _counting_scope(self, scope: int | None) -> int | None:
        """The scope whose view `scope`'s figures are counted in: None when every source is visible
        from it (the whole library is global, or no scope is given), the global scope when the
        server has no sources of its own (every such server sees the same, so one count serves all)."""
        if scope is None or await self._count_sources(None) == await self._count_sources(GLOBAL_SCOPE):
            return None
        if scope != GLOBAL_SCOPE and await self._count_sources(scope) > await self._count_sources(GLOBAL_SCOPE):
            return scope
        return GLOBAL_SCOPE

    @abstractmethod
    async def _read_outside_totals(self, scope: int) -> tuple[int, int]:
        """Sentences, and their characters, of the sources `scope` cannot see (other servers')."""

    async def term_frequencies(self, terms: Iterable[str], *, scope: int | None = None) -> dict[str, int]:
        """How many sentences contain each term, in the order given, cached until the next write.

        Counted over the sources visible from `scope`: a word only another server's sources use is
        unknown here, and how common a word is depends only on what this server can quote.
        """
        await self._refresh()
        wanted = list(dict.fromkeys(terms))
        missing = sorted(set(wanted) - self._term_counts.keys())
        if missing:
            found = await self._read_term_counts(missing)
            if len(self._term_counts) > _CACHE_LIMIT:
                self._term_counts.clear()
            self._term_counts.update({t: found.get(t, 0) for t in missing})
        counts = {t: self._term_counts[t] for t in wanted}
        counted = await self._counting_scope(scope)
        if counted is not None:
            scoped = await self._scoped_term_counts([t for t, n in counts.items() if n > 0], counted)
            counts.update(scoped)
        return counts

    @abstractmethod
    async def _read_term_counts(self, terms: list[str]) -> dict[str, int]:
        """Sentences containing each term, library-wide (terms never indexed may be left out)."""

    async def _scoped_term_counts(self, terms: list[str], scope: int) -> dict[str, int]:
        """term_frequencies in `scope`'s view, cached; the terms not cached are read at once."""
        missing = [t for t in terms if (t, scope) not in self._scoped_counts]
        if missing:
            found = await self._read_scoped_counts(missing, scope)
            if len(self._scoped_counts) > _CACHE_LIMIT:
                self._scoped_counts.clear()
            self._scoped_counts.update({(t, scope): found[t] for t in missing})
        return {t: self._scoped_counts[(t, scope)] for t in terms}

    async def _read_scoped_counts(self, terms: list[str], scope: int) -> dict[str, int]:
        """Sentences containing each term in the sources visible from `scope`; a backend whose
        every read is a round trip reads them all in one."""
        return {t: await self._read_scoped_count(t, scope) for t in terms}

    @abstractmethod
    async def _read_scoped_count(self, term: str, scope: int) -> int:
        """Sentences containing `term` in the sources visible from `scope`."""

    @abstractmethod
    async def vocabulary(self, *, scope: int) -> dict[str, int]:
        """Every surface word visible from `scope` (the global library's and the server's own,
        never another server's) with how often it occurs there."""

    @abstractmethod
    async def word_counts(self, words: Iterable[str], *, scope: int) -> dict[str, int]:
        """How often each surface word (folded, as `vocabulary_words` keeps it) occurs in the
        sources visible from `scope`; 0 for a word they never use."""

    async def similar_words(self, word: str, *, scope: int, spread: int = 2) -> dict[str, int]:
        """The vocabulary words visible from `scope` that could be `word` misspelt: their length is
        within `spread` of its, and they share its first two letters or its last two (one slip
        leaves one end of a word of five letters or more intact). With their counts; cached until
        the library changes. Two index range reads, never a scan of the vocabulary."""
        await self._refresh()
        key = (word, scope, spread)
        if key in self._similar:
            return self._similar[key]
        found = await self._read_similar_words(word, scope, spread) if len(word) >= 2 else {}
        if len(self._similar) > 10_000:
            self._similar.clear()
        self._similar[key] = found
        return found

    @abstractmethod
    async def _read_similar_words(self, word: str, scope: int, spread: int) -> dict[str, int]: ...

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

        Ranking every sentence a search matches costs more as the library grows. The rarest words
        say the most about where the answer is: they are taken rarest first while the sentences
        they match stay within `budget` (the rarest one always), which bounds the cost whatever the
        library's size. The engine still scores the candidates against all the question's words.
        `counts`: the terms' frequencies in `scope` when the caller has just read them
        (term_frequencies), to save reading them again.
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
        return await self.match_any(chosen, scope=scope, limit=limit)

    @abstractmethod
    async def match_any(self, terms: list[str], *, scope: int, limit: int) -> list[Sentence]:
        """Sentences containing any of `terms` (index terms), visible from `scope`, best first by
        FTS5's bm25 (library-wide statistics, the terms in the order given), ties by id."""

    async def match_sentences(self, expression: str, *, scope: int, limit: int) -> list[Sentence]:
        """Sentences matching `"term" OR "term" ...` (quoted index terms), as match_any."""
        terms = [part.strip().strip('"') for part in expression.split(" OR ")]
        return await self.match_any([t for t in terms if t], scope=scope, limit=limit)

    @abstractmethod
    async def neighbours(self, sentence_ids: Iterable[int]) -> dict[int, Sentence]:
        """The sentences just before and after each given one (same source), by id."""

    @abstractmethod
    async def sources_by_id(self, ids: Iterable[int]) -> dict[int, SourceInfo]: ...

    @abstractmethod
    async def excerpt(self, source_id: int, start: int, end: int) -> str:
        """`body[start:end]` of a source: how a quote spanning adjacent sentences stays verbatim.
        Read from the chunks it lies in, not the whole body."""

    async def visible_sentences(self, ids: Iterable[int], *, scope: int) -> list[Sentence]:
        """The given sentences that `scope` can see, with their text, in id order."""
        return await self._read_visible_sentences(sorted(set(ids)), scope)

    @abstractmethod
    async def _read_visible_sentences(self, ids: list[int], scope: int) -> list[Sentence]: ...

    # -- sentence vectors (storage.vectors) ------------------------------------------------------

    @abstractmethod
    async def vector_model(self) -> str | None:
        """The model that made the stored vectors (None: none stored yet)."""

    @abstractmethod
    async def use_vector_model(self, model: str) -> bool:
        """Make `model` the library's vector model: vectors another model made are dropped, to be
        made again. Whether any were dropped."""

    @abstractmethod
    async def pending_vectors(self, *, limit: int) -> list[Sentence]:
        """Sentences that have no vector yet, in id order (what encoding resumes from)."""

    @abstractmethod
    async def store_vectors(self, model: str, vectors: list[tuple[int, bytes]]) -> int:
        """Store (sentence id, vector) pairs made by `model`, in one transaction; pairs whose
        sentence is gone (removed meanwhile) or that another process stored first are skipped, and
        nothing is stored when the library's model is no longer `model`. How many were stored."""

    @abstractmethod
    async def vector_progress(self, *, source_id: int | None = None) -> tuple[int, int]:
        """(sentences with a vector, sentences) of one source, or of the whole library."""

    @abstractmethod
    async def _read_vector_ids(self) -> list[int]:
        """The ids of every sentence that has a vector."""

    @abstractmethod
    async def _read_vectors(self, ids: list[int]) -> list[StoredVector]:
        """The stored vectors of the given sentences (those that have one)."""

    async def _vector_index(self) -> VectorIndex:
        """The in-memory vectors, caught up with the library: only the rows that came or went since
        the last look are read."""
        async with self._vectors_lock:
            version = await self.data_version()
            if version != self._vectors_version:
                present = await self._read_vector_ids()
                missing = self._vectors.missing(present)
                added: list[StoredVector] = []
                for i in range(0, len(missing), READ_BATCH):
                    added.extend(await self._read_vectors(missing[i : i + READ_BATCH]))
                self._vectors.sync(present, added)
                self._vectors_version = version
            return self._vectors

    async def nearest_sentences(self, query: np.ndarray, *, scope: int, limit: int) -> list[tuple[int, float]]:
        """The ids of the `limit` sentences visible from `scope` nearest `query` in meaning, with
        their cosines, nearest first (ties by id). Sentences not yet encoded are not found here."""
        index = await self._vector_index()
        return await asyncio.to_thread(index.nearest, query, scope=scope, limit=limit)

    async def vector_cosines(self, ids: Iterable[int], query: np.ndarray) -> dict[int, float]:
        """The cosine with `query` of each given sentence that has a stored vector."""
        index = await self._vector_index()
        return index.cosines(ids, query)

    # -- votes on answers (storage.feedback) ---------------------------------------------------

    @property
    def feedback_store(self) -> FeedbackStore:
        from storage.feedback import store_for

        return store_for(self)

    async def record_feedback(self, vote: Vote) -> bool:
        """Store a vote, replacing that user's earlier vote on that answer; True if it is new."""
        return await self.feedback_store.record(vote)

    async def feedback_vote(self, answer_id: int, user_id: int) -> FeedbackEntry | None:
        return await self.feedback_store.vote(answer_id, user_id)

    async def feedback(
        self, *, scope: int | None = None, kind: str | None = None, offset: int = 0, limit: int = 20
    ) -> list[FeedbackEntry]:
        """Votes newest first, of one server (`scope`) or of all (None), of one kind or all."""
        return await self.feedback_store.entries(scope=scope, kind=kind, offset=offset, limit=limit)

    async def count_feedback(self, *, scope: int | None = None, kind: str | None = None) -> int:
        return await self.feedback_store.count(scope=scope, kind=kind)

    async def purge_feedback(self, *, before: str) -> int:
        """Delete the votes cast before `before` (ISO time); how many were deleted."""
        return await self.feedback_store.purge(before=before)
