"""The library's contract: what every backend offers, and everything that is not SQL.

storage.backends.open_library opens a library with the backend its target names (the table
storage.backends.BACKENDS); the engine, the Discord layer and the command line use only the methods
below and never know which. The checks on what is added, the choice of the terms a question
searches by, when the cached figures are read and the statements both backends spell alike (written
once with `?` placeholders, run by each backend's `_query`) are shared here (the text preparation is
storage.prepare's, row decoding storage.rows', the caches storage.backends.caches'); each backend
holds only its own SQL. Both give the
same candidates in the same order (FTS5's bm25 is reproduced by the PostgreSQL backend,
storage.backends.bm25), so the same library answers the same on either. This module never imports
a backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np

from storage.backends.caches import Figures
from storage.errors import DuplicateSource, IngestError, ProtectedSource, StoreError, UnknownSource
from storage.feedback import FeedbackStore
from storage.limits import MAX_PDF_PAGES
from storage.models import GLOBAL_SCOPE, LogEntry, PagePlace, Sentence, SourceInfo, SourceMeta
from storage.prepare import NewSource, clean_field, has_visible_text, now, prepare_text, seed_source
from storage.rows import PAGE_PLACE, StoredSource, page_place
from storage.schema import BODY_CHUNK
from storage.vectors import READ_BATCH, StoredVector, VectorBlock, VectorIndex

if TYPE_CHECKING:
    from storage.feedback import FeedbackEntry, Vote
    from storage.shards import ShardRecords
    from storage.shared import SharedCooldowns
    from storage.target import LibraryTarget

# Sentences a search may match before the rarer terms alone must do (see match_terms).
MATCH_BUDGET = 20_000
# Source ids are 64-bit integers: anything outside this range names no source.
MAX_ID = 2**63 - 1
# The meta key holding the highest sentence id ever given: ids are assigned after it (on both
# backends alike), never again after their sentences are removed, so an id that a process holds
# in memory (a sentence's vector, a cached cosine) can never come to stand for another sentence.
LAST_SENTENCE_ID = "last_sentence_id"
# The same for source ids, which people also see and type (`/source 5`, the audit log, the answers
# kept with feedback votes): a removed source's id never comes to name another source.
LAST_SOURCE_ID = "last_source_id"
# The meta key holding the models that made a library's vectors before its present one, as a JSON
# list, the most recently replaced last: a process whose encoder is among them is an older version
# and never takes the library back (ModelSwitch.FORWARD).
REPLACED_VECTOR_MODELS = "replaced_vector_models"


class ModelSwitch(enum.Enum):
    """When `Library.use_vector_model` takes a library from the model that made its vectors (whose
    vectors are then dropped, to be made again)."""

    # Only a library with no model yet takes one: a copy, a one-off command on a large library.
    ONLY_UNSET = "only unset"
    # Also from another model, unless that one replaced this one before: a deployment being
    # upgraded moves to the new encoder once, and the old version's processes still running answer
    # by words instead of taking the library back (each would throw away the other's encoding).
    FORWARD = "forward"
    # Also back from a model that replaced this one: the operator's choice (`library reindex`), a
    # rollback to an older version.
    ALWAYS = "always"


def replaced_models(record: str | None) -> list[str]:
    """The models a REPLACED_VECTOR_MODELS value names, most recently replaced last. A damaged
    record is forgotten rather than blocking every switch."""
    try:
        loaded = json.loads(record or "[]")
    except ValueError:
        return []
    return [str(m) for m in loaded] if isinstance(loaded, list) else []


def replaced_after_switch(
    held: str | None, replaced: str | None, model: str, switch: ModelSwitch, carried: Sequence[str] = ()
) -> str | None:
    """The REPLACED_VECTOR_MODELS value after `model` takes the place of `held` (`replaced`: the
    value now; `carried`: the models the vectors' origin had replaced, a copy's), or None when
    `switch` does not allow it. Where `held` is `model` there is nothing to switch: the value is
    the record with `carried` joined to it (a copy into a library of the same model brings the
    origin's history along), or None when that adds nothing."""
    earlier = replaced_models(replaced)
    if held == model:
        joined = [m for m in dict.fromkeys(carried) if m != model and m not in earlier]
        return json.dumps([*joined, *earlier]) if joined else None
    if held is not None and switch is ModelSwitch.ONLY_UNSET:
        return None
    if held is not None and switch is ModelSwitch.FORWARD and model in earlier:
        return None  # (a library with no model at all is taken by anyone)
    before = dict.fromkeys([*carried, *earlier])
    kept = [m for m in before if m not in (model, held)] + ([held] if held is not None else [])
    return json.dumps(kept)


def check_removal(info: SourceInfo | None, source_id: int, scope: int | None) -> SourceInfo:
    """The source `scope` asks to remove, if it may: the operator (scope None) may remove any
    source, a server only its own. UnknownSource for one `scope` cannot see; ProtectedSource for a
    global source a server asks to remove."""
    if info is None or (scope is not None and info.scope not in (scope, GLOBAL_SCOPE)):
        raise UnknownSource(source_id)
    if scope is not None and info.scope != scope:
        raise ProtectedSource(source_id)
    return info


class Library(ABC):
    """Every source factbot can quote. SQL lives here and in the backends; nowhere else in factbot."""

    path: Path | str  # the file, or the server's URL without its password (for messages)

    def __init__(self) -> None:
        # Figures that only change when someone writes, kept until `data_version` moves.
        self._figures = Figures()
        # The stored sentence vectors in memory (storage.vectors), caught up when the library moves.
        self._vectors = VectorIndex()
        self._vectors_version: object = None
        self._vectors_lock = asyncio.Lock()

    @classmethod
    @abstractmethod
    async def open(cls, target: LibraryTarget, *, seed: bool = True, check: bool = True) -> Self:
        """Open (creating and migrating as needed) the library at `target`; a new library gets the
        seed articles (with `seed`). With `check`, a damaged library is refused where the backend
        can tell."""

    async def _ready(self, *, seed: bool) -> Self:
        """This library, just connected, made ready to use: upgraded as this factbot needs and a
        new one given its seeds (unless read-only); closed, and the error raised, if that fails."""
        try:
            if not self.read_only:
                await self._upgrade(seed=seed)
                await self._add_pending_seeds()
        except BaseException:
            await self.close()
            raise
        return self

    @abstractmethod
    async def _upgrade(self, *, seed: bool) -> None:
        """What this factbot needs of a library it opens to write: the schema's migrations (a new
        library marked for its seeds with `seed`) and the index rebuilt where its terms changed."""

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

    # -- the hooks the shared code below runs on: each backend's connections and dialect ---------

    # The driver's errors that say the store failed (mapped by `_error`), and those among them a
    # caller handles itself (a content already there: DuplicateSource).
    _FAILURES: ClassVar[tuple[type[BaseException], ...]] = ()
    _PASSED: ClassVar[tuple[type[BaseException], ...]] = ()

    @abstractmethod
    def _error(self, err: BaseException) -> StoreError:
        """One line for what went wrong with the store itself (never a traceback)."""

    @asynccontextmanager
    async def _failures(self) -> AsyncIterator[None]:
        """The driver's failures inside as StoreError (`_error`), but those in `_PASSED`."""
        try:
            yield
        except self._FAILURES as err:
            if isinstance(err, self._PASSED):
                raise
            raise self._error(err) from None

    @abstractmethod
    def _transaction(self) -> AbstractAsyncContextManager[Any]:
        """One write transaction, whole or not at all; it yields the connection `_query` takes."""

    @abstractmethod
    async def _query(self, conn: Any, sql: str, params: Sequence[object]) -> list[Any]:
        """The rows (read by position) of one statement written with `?` placeholders, on `conn`
        (None: any connection that reads the library as it stands)."""

    @abstractmethod
    async def _insert_source(self, conn: Any, new: NewSource) -> int:
        """Everything of one source, inside the write transaction of `conn`; its id."""

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
        content twice in one scope is refused (DuplicateSource). `added_at`: kept as given (a copied
        library keeps its dates), else now. `source_id`: kept when this library never gave it
        (NewSource.stored_id), else the next it never gave.
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

    async def _add_pending_seeds(self) -> None:
        """A new library's seed articles, all in one transaction that also removes the 'seeds
        pending' mark (re-read inside it: another process opening the new library may have done it)."""
        if not await self._query(None, "SELECT 1 FROM meta WHERE key = 'seeds'", ()):
            return
        from seeds import load_seeds

        seeds = load_seeds()
        prepared = [await asyncio.to_thread(prepare_text, seed.body) for seed in seeds]
        async with self._transaction() as conn:
            if not await self._query(conn, "SELECT 1 FROM meta WHERE key = 'seeds'", ()):
                return
            for seed, ready in zip(seeds, prepared, strict=True):
                there = await self._query(
                    conn, "SELECT 1 FROM sources WHERE scope = ? AND sha256 = ?", (GLOBAL_SCOPE, ready.sha256)
                )
                if not there:
                    await self._insert_source(conn, seed_source(seed, ready))
            await self._query(conn, "DELETE FROM meta WHERE key = 'seeds'", ())

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

    async def page_starts(self, source_id: int) -> list[int]:
        """Where each page of a source starts in its body, page 1 first (empty: it has no pages)."""
        rows = await self._query(None, "SELECT start FROM pages WHERE source_id = ? ORDER BY number", (source_id,))
        return [r[0] for r in rows]

    async def page_places(self, source_id: int, spots: Sequence[tuple[int, int]]) -> list[PagePlace | None]:
        """For each (offset into the body, paragraph number) of a source, its page and which paragraph
        of that page it is in; None for a source without pages."""
        return [await self._read_page_place(source_id, offset, paragraph) for offset, paragraph in spots]

    async def _read_page_place(self, source_id: int, offset: int, paragraph: int) -> PagePlace | None:
        """page_places for one spot."""
        rows = await self._query(None, PAGE_PLACE, (paragraph, source_id, offset))
        return page_place(rows[0] if rows else None, paragraph)

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
        if scope not in self._figures.source_counts:
            self._figures.source_counts[scope] = await self._read_source_count(scope)
        return self._figures.source_counts[scope]

    @abstractmethod
    async def _read_source_count(self, scope: int | None) -> int: ...

    @abstractmethod
    async def events(self, *, scope: int | None = None, limit: int = 20) -> list[LogEntry]:
        """The latest additions and removals, newest first."""

    async def content_keys(self) -> set[tuple[int, str]]:
        """(scope, content hash) of every source: what a copy into this library can skip."""
        return {(r[0], r[1]) for r in await self._query(None, "SELECT scope, sha256 FROM sources", ())}

    async def highest_source_id(self) -> int:
        """The highest source id this library has ever given (0: none): a copy keeps the ids above it."""
        return await self._highest_given(None, "sources", LAST_SOURCE_ID)

    async def _highest_given(self, conn: Any, table: str, mark: str) -> int:
        """The highest of the ids in `table` and the highest it ever gave (meta `mark`), 0 for
        none: an id is never given twice, whatever was removed since."""
        rows = await self._query(
            conn,
            f"""SELECT (SELECT coalesce(max(id), 0) FROM {table}),
                       (SELECT coalesce(max(CAST(value AS BIGINT)), 0) FROM meta WHERE key = ?)""",
            (mark,),
        )
        return max(int(rows[0][0]), int(rows[0][1])) if rows else 0

    async def _next_id(self, conn: Any, table: str, mark: str) -> int:
        """The id to give next in `table` (`_highest_given`'s, plus one). Inside the write transaction."""
        return await self._highest_given(conn, table, mark) + 1

    @abstractmethod
    async def keep_source_ids_above(self, highest: int) -> None:
        """Never give a source id at or below `highest` from now on: a copy passes its origin's
        highest, so an id the origin gave a source it then removed names no other source here."""

    @abstractmethod
    async def stored_sources(self, *, after_id: int = 0, limit: int = 100) -> list[StoredSource]:
        """Sources with their bodies in id order, from the first id above `after_id` (copying)."""

    # -- what the answer engine reads ----------------------------------------------------------

    @abstractmethod
    async def data_version(self) -> object:
        """A value that changes whenever anyone (this process or another) changes the library."""

    def question(self) -> AbstractAsyncContextManager[object]:
        """Around the reads of one question: a backend whose every read is a round trip
        (PostgreSQL) reads the version once for them all and keeps what its searches returned
        (neighbours, sources, text) for the rest of the question. Nothing on SQLite."""
        return contextlib.nullcontext()

    @abstractmethod
    async def _read_sentence_stats(self) -> tuple[int, float]: ...

    async def _refresh(self) -> None:
        """Forget cached figures when any connection (this process or another) has written."""
        version = await self.data_version()
        if version != self._figures.version:
            self._figures.renew(version, await self._read_sentence_stats())

    async def sentence_stats(self, *, scope: int | None = None) -> tuple[int, float]:
        """How many sentences the sources visible from `scope` hold and their mean length in
        characters (for idf and length normalisation); None: the whole library. Another server's
        sources never count: a server's answers depend only on what it can quote. Read as the
        library's totals less the other servers' sentences (usually a small share), cached."""
        await self._refresh()
        counted = await self._counting_scope(scope)
        if counted is None:
            return self._figures.sentence_stats
        if counted not in self._figures.scoped_stats:
            total, mean = self._figures.sentence_stats
            others, other_chars = await self._read_outside_totals(counted)
            # Whole characters, as a library holding only these sources would sum them.
            visible, chars = total - others, round(mean * total) - other_chars
            self._figures.scoped_stats[counted] = (visible, chars / visible if visible else 0.0)
        return self._figures.scoped_stats[counted]

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
        cached = self._figures.term_counts
        missing = sorted(set(wanted) - cached.keys())
        if missing:
            found = await self._read_term_counts(missing)
            cached.remember({t: found.get(t, 0) for t in missing})
        counts = {t: cached[t] for t in wanted}
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
        cached = self._figures.scoped_counts
        missing = [t for t in terms if (t, scope) not in cached]
        if missing:
            found = await self._read_scoped_counts(missing, scope)
            cached.remember({(t, scope): found[t] for t in missing})
        return {t: cached[(t, scope)] for t in terms}

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
        if key in self._figures.similar:
            return self._figures.similar[key]
        found = await self._read_similar_words(word, scope, spread) if len(word) >= 2 else {}
        self._figures.similar.remember({key: found})
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

    @abstractmethod
    async def neighbours(self, sentence_ids: Iterable[int]) -> dict[int, Sentence]:
        """The sentences just before and after each given one (same source), by id."""

    @abstractmethod
    async def sources_by_id(self, ids: Iterable[int]) -> dict[int, SourceInfo]: ...

    async def excerpt(self, source_id: int, start: int, end: int) -> str:
        """`body[start:end]` of a source: how a quote spanning adjacent sentences stays verbatim.
        Read from the chunks it lies in, not the whole body."""
        if end <= start:
            return ""
        first, last = start // BODY_CHUNK, (end - 1) // BODY_CHUNK
        rows = await self._query(
            None,
            "SELECT text FROM body_chunks WHERE source_id = ? AND n BETWEEN ? AND ? ORDER BY n",
            (source_id, first, last),
        )
        if not rows:
            raise UnknownSource(source_id)
        text = "".join(r[0] for r in rows)
        return text[start - first * BODY_CHUNK : end - first * BODY_CHUNK]

    async def visible_sentences(self, ids: Iterable[int], *, scope: int) -> list[Sentence]:
        """The given sentences that `scope` can see, with their text, in id order."""
        return await self._read_visible_sentences(sorted(set(ids)), scope)

    @abstractmethod
    async def _read_visible_sentences(self, ids: list[int], scope: int) -> list[Sentence]: ...

    # -- sentence vectors (storage.vectors) ------------------------------------------------------

    async def vector_model(self) -> str | None:
        """The model that made the stored vectors (None: none stored yet)."""
        rows = await self._query(None, "SELECT value FROM meta WHERE key = 'vector_model'", ())
        return str(rows[0][0]) if rows else None

    @abstractmethod
    async def use_vector_model(
        self, model: str, *, switch: ModelSwitch = ModelSwitch.FORWARD, carried: Sequence[str] = ()
    ) -> bool:
        """Make `model` the library's vector model if `switch` allows it: vectors another model
        made are dropped, to be made again. Decided in the write transaction, so another process's
        switch meanwhile is never undone by accident. `carried`: models to remember as replaced
        with the switch (those the library a copy's vectors come from had replaced). Whether any
        were dropped (`vector_model()` tells whether the switch was made). A library that holds
        `model` already keeps its vectors and only remembers `carried`."""

    async def replaced_vector_models(self) -> list[str]:
        """The models this library's vectors were moved away from, most recently replaced last."""
        return replaced_models(await self._replaced_record())

    async def _replaced_record(self) -> str | None:
        rows = await self._query(None, "SELECT value FROM meta WHERE key = ?", (REPLACED_VECTOR_MODELS,))
        return str(rows[0][0]) if rows else None

    async def _switch_refused(self, model: str, switch: ModelSwitch, carried: Sequence[str]) -> bool:
        """Whether `use_vector_model` would change nothing, read before the write transaction: an
        older version's refused switch (at every background pass) neither waits for the write lock
        nor moves the library's version, which would empty every process's caches. The transaction
        decides again."""
        held, record = await self.vector_model(), await self._replaced_record()
        return replaced_after_switch(held, record, model, switch, carried) is None

    @abstractmethod
    async def pending_vectors(self, *, limit: int, after: int = 0) -> list[Sentence]:
        """Sentences after id `after` that have no vector yet, in id order (what encoding resumes
        from; a long encoding passes the last id of its previous batch, not to look again at every
        sentence it has done)."""

    @abstractmethod
    async def store_vectors(self, model: str, vectors: list[tuple[int, bytes]]) -> int:
        """Store (sentence id, vector) pairs made by `model`, in one transaction; pairs whose
        sentence is gone (removed meanwhile) or that another process stored first are skipped, and
        nothing is stored when the library's model is no longer `model`. How many were stored."""

    async def vector_progress(self, *, source_id: int | None = None) -> tuple[int, int]:
        """(sentences with a vector, sentences) of one source, or of the whole library."""
        params: tuple[int, ...] = ()
        if source_id is None:
            # Counted apart: every vector belongs to a sentence (removed with it), and joined, each
            # sentence would look up its vector's page.
            sql = "SELECT (SELECT count(*) FROM sentence_vectors), (SELECT count(*) FROM sentences)"
        else:
            sql = """SELECT count(v.sentence_id), count(*) FROM sentences s
                     LEFT JOIN sentence_vectors v ON v.sentence_id = s.id WHERE s.source_id = ?"""
            params = (source_id,)
        rows = await self._query(None, sql, params)
        return (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)

    async def source_vectors(self, source_id: int) -> list[tuple[int, int, int, bytes | None]]:
        """(sentence id, start, end, stored vector or None) of each sentence of one source, in
        order: what a copy carries over, so a copied library answers by meaning without encoding
        it again."""
        rows = await self._query(
            None,
            """SELECT s.id, s.start, s."end", v.vector FROM sentences s
               LEFT JOIN sentence_vectors v ON v.sentence_id = s.id WHERE s.source_id = ? ORDER BY s.id""",
            (source_id,),
        )
        return [(int(r[0]), int(r[1]), int(r[2]), None if r[3] is None else bytes(r[3])) for r in rows]

    async def vector_width(self) -> int | None:
        """The length in bytes of most stored vectors (None: none stored). One model's vectors are
        all alike, so one of another length is damaged."""
        rows = await self._query(
            None,
            """SELECT length(vector), count(*) FROM sentence_vectors
               GROUP BY length(vector) ORDER BY 2 DESC, 1 DESC LIMIT 1""",
            (),
        )
        return int(rows[0][0]) if rows else None

    @abstractmethod
    async def _read_vector_ids(self) -> np.ndarray:
        """The ids of every sentence that has a vector (int64, in no particular order)."""

    @abstractmethod
    async def _read_vectors(self, ids: list[int]) -> list[StoredVector]:
        """The stored vectors of the given sentences (those that have one)."""

    async def _vector_index(self, wanted: str) -> VectorIndex:
        """The in-memory vectors, caught up with the library: only the rows that came or went since
        the last look are read, unless the library's model changed (the same sentences' vectors
        made again by another model: all are read again). None are read while the library's are
        another model's than `wanted` (they could not be compared with its questions)."""
        async with self._vectors_lock:
            version = await self.data_version()
            if version != self._vectors_version:
                model = await self.vector_model()
                if model != wanted:
                    # Nothing to read until the library changes (a change of model moves the
                    # version): no vectors yet, or another model's.
                    self._vectors, self._vectors_version = VectorIndex(), version
                    return self._vectors
                if model != self._vectors.model:
                    self._vectors = VectorIndex(model)
                present = await self._read_vector_ids()
                missing = self._vectors.missing(present)
                refill = self._vectors.refill(present, incoming=len(missing))
                for i in range(0, len(missing), READ_BATCH):
                    refill.add(VectorBlock.of(await self._read_vectors(missing[i : i + READ_BATCH])))
                refill.finish()
                self._vectors_version = version
                if await self.vector_model() != model:
                    # The model changed while reading: what was read may mix both models, so none of
                    # it is used; everything is read again at the next look.
                    self._vectors, self._vectors_version = VectorIndex(), None
            return self._vectors

    async def nearest_sentences(
        self, query: np.ndarray, *, scope: int, limit: int, model: str
    ) -> list[tuple[int, float]]:
        """The ids of the `limit` sentences visible from `scope` nearest `query` in meaning, with
        their cosines, nearest first (ties by id). Sentences not yet encoded are not found here, and
        none are while the stored vectors are another model's than `model`, the one that made
        `query` (a cosine across two models means nothing: during an upgrade to a new encoder, a
        process of either version answers by words until the library is its model's)."""
        index = await self._vector_index(model)
        if index.model != model:
            return []
        return await asyncio.to_thread(index.nearest, query, scope=scope, limit=limit)

    async def vector_cosines(self, ids: Iterable[int], query: np.ndarray, *, model: str) -> dict[int, float]:
        """The cosine with `query` (made by `model`) of each given sentence that has a stored
        vector made by the same model."""
        index = await self._vector_index(model)
        return index.cosines(ids, query) if index.model == model else {}

    # -- what the bot processes of one library share (storage.shared, storage.shards) -----------

    @abstractmethod
    async def shared_cooldowns(self) -> SharedCooldowns:
        """The per-user question budgets every process of this library spends; StoreError (one
        line) when they cannot be opened. The caller closes them."""

    @abstractmethod
    async def shard_records(self) -> ShardRecords:
        """Which process runs which shards of this library. The caller closes them."""

    # -- votes on answers (storage.feedback) ---------------------------------------------------

    @abstractmethod
    def _voting(self) -> AbstractAsyncContextManager[Any]:
        """The connection (for `_query`) one change to the votes is made on. A vote is not a change
        to what is quoted: a backend that can keeps it out of the write transaction, so it neither
        waits for the write lock nor moves the version that empties the caches."""

    @property
    def feedback_store(self) -> FeedbackStore:
        """The votes' table of this library (storage.feedback: its SQL, on this library's hooks)."""
        return FeedbackStore(self)

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
