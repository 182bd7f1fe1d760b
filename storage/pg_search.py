"""Search on a PostgreSQL library: FTS5's bm25 ranked in the database, and one question's reads.

The candidates are ranked by one statement: bm25 (k1 1.2, b 0.75, library-wide idf and mean length,
as fts5Bm25Function) summed over the postings of the chosen terms, with the same floating-point
operations in the same order as FTS5 (each term's share added in the order the terms are given),
ordered by score then sentence id, and cut by LIMIT in the database. Only the best rows cross the
wire and nothing is ranked in Python. The database still reads every posting of the chosen terms,
from the postings' key alone (it carries tf and dl: migration 7); the match budget bounds how many
(storage.backends.base.MATCH_BUDGET).

The same statement returns each candidate's neighbours (the sentences just before and after) and
every source they belong to, and one question reads the library's version once (`QuestionReads`):
what the engine asks next of this question (neighbours, sources, excerpts of joined quotes) is
served from what was read, not from another round trip.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from storage.models import Sentence, SourceInfo
from storage.schema import BODY_CHUNK

# fts5Bm25Function's constants and arithmetic, as float8 throughout (a bare literal is numeric in
# PostgreSQL, which would round differently): idf = ln((N - n + 0.5) / (n + 0.5)), at least 1e-6;
# a term's share = idf * (tf * (k1 + 1)) / (tf + k1 * (1 - b + b * dl / avgdl)).
_K1 = "1.2::float8"
_B = "0.75::float8"
_SHARE = (
    f"w.idf * ((p.tf::float8 * ({_K1} + 1.0::float8)) / "
    f"(p.tf::float8 + {_K1} * (1::float8 - {_B} + {_B} * p.dl::float8 / st.avgdl)))"
)

# The sentences to return, their neighbours, their sources and the body chunks they lie in:
# appended to a statement that has defined `chosen(id, place)` (place: the candidate's rank, 1
# first). Three kinds of rows, told apart by `kind`:
# - 'sentence': its columns, `place` (null for a neighbour not itself chosen) and `next_start` (where
#   the next sentence of its source starts, when that one is returned too);
# - 'chunk': a body chunk a sentence (or the text after it) lies in, `chunk` its number, once however
#   many sentences lie in it (the text is cut in Python: substr() on a multibyte text walks it from
#   its start);
# - 'source': a source of those sentences, its columns prefixed `source_`.
_ROWS = f"""
    wanted AS (
        SELECT id, min(place) AS place FROM (
            SELECT id, place FROM chosen
            UNION ALL SELECT id - 1, NULL FROM chosen
            UNION ALL SELECT id + 1, NULL FROM chosen) around
        GROUP BY id),
    spans AS MATERIALIZED (
        SELECT w.place, s.id, s.source_id, s.paragraph, s.number, s.start, s."end",
               CASE WHEN lead(s.id) OVER o = s.id + 1 AND lead(s.source_id) OVER o = s.source_id
                    THEN lead(s.start) OVER o END AS next_start
        FROM sentences s JOIN wanted w ON w.id = s.id
        WHERE s.id = ANY(ARRAY(SELECT id FROM wanted))
        WINDOW o AS (ORDER BY s.id))
    SELECT 'sentence' AS kind, place, id, source_id, paragraph, number, start, "end", next_start,
           NULL::integer AS chunk, NULL::text AS text,
           NULL::bigint AS source_scope, NULL::text AS source_title, NULL::text AS source_author,
           NULL::text AS source_publisher, NULL::text AS source_url, NULL::text AS source_published,
           NULL::text AS source_origin, NULL::text AS source_added_by, NULL::text AS source_added_at,
           NULL::text AS source_sha256, NULL::integer AS source_paragraphs, NULL::integer AS source_sentences,
           NULL::bigint AS source_chars, NULL::integer AS source_pages
    FROM spans
    UNION ALL
    SELECT 'chunk', NULL, NULL, c.source_id, NULL, NULL, NULL, NULL, NULL, c.n, c.text,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM (SELECT DISTINCT source_id,
                 generate_series(start / {BODY_CHUNK}, (greatest("end", next_start) - 1) / {BODY_CHUNK}) AS n
          FROM spans) k
    CROSS JOIN LATERAL (
        SELECT c.source_id, c.n, c.text FROM body_chunks c WHERE c.source_id = k.source_id AND c.n = k.n LIMIT 1) c
    UNION ALL
    SELECT 'source', NULL, NULL, src.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           src.scope, src.title, src.author, src.publisher, src.url, src.published, src.origin, src.added_by,
           src.added_at, src.sha256, src.paragraphs, src.sentences, src.chars,
           (SELECT count(*) FROM pages pg WHERE pg.source_id = src.id)::integer
    FROM sources src WHERE src.id = ANY(ARRAY(SELECT DISTINCT source_id FROM spans))
"""


@functools.cache
def search(terms: int) -> str:
    """The statement ranking sentences by `terms` terms. Parameters: the terms in bm25's order,
    the scopes visible, the candidates wanted. Each sentence's score is its terms' shares added
    in the terms' order from 0.0, a term it lacks adding 0.0 (as FTS5 adds them): one column per
    term, not an ordered aggregate, so the sentences are grouped by hashing rather than sorting."""
    shares = [f"coalesce(max({_SHARE}) FILTER (WHERE w.i = {i}), 0::float8)" for i in range(1, terms + 1)]
    score = "0::float8"
    for share in shares:
        score = f"({score} + {share})"
    return f"""
    WITH st AS (
        SELECT sentences::float8 AS total, tokens::float8 / sentences::float8 AS avgdl
        FROM library_state WHERE sentences > 0),
    w AS (
        SELECT a.term, a.i, CASE WHEN x.idf > 0 THEN x.idf ELSE 1e-6::float8 END AS idf
        FROM unnest($1::text[]) WITH ORDINALITY AS a(term, i)
        LEFT JOIN term_stats t ON t.term = a.term
        CROSS JOIN st
        CROSS JOIN LATERAL (
            SELECT ln((st.total - coalesce(t.docs, 0)::float8 + 0.5::float8)
                      / (coalesce(t.docs, 0)::float8 + 0.5::float8)) AS idf) x),
    best AS (
        SELECT p.sentence_id AS id, {score} AS score
        FROM w JOIN postings p ON p.term = w.term CROSS JOIN st
        WHERE p.scope = ANY($2::bigint[])
        GROUP BY p.sentence_id
        ORDER BY score DESC, p.sentence_id
        LIMIT $3),
    chosen AS (SELECT id, row_number() OVER (ORDER BY score DESC, id) AS place FROM best),
    {_ROWS}
    """


# The given sentences that the given scopes can see (place: by id), with neighbours and sources.
VISIBLE = f"""
    WITH chosen AS (
        SELECT s.id, row_number() OVER (ORDER BY s.id) AS place
        FROM sentences s JOIN sources src ON src.id = s.source_id
        WHERE s.id = ANY($1::bigint[]) AND src.scope = ANY($2::bigint[])),
    {_ROWS}
"""

_SOURCE_FIELDS = (
    "scope", "title", "author", "publisher", "url", "published", "origin", "added_by", "added_at", "sha256",
    "paragraphs", "sentences", "chars", "pages",
)  # fmt: skip


@dataclass(eq=False)
class QuestionReads:
    """What one question has read of a PostgreSQL library: its version (read once), and the
    sentences, sources and the text between sentences that its searches returned. Valid only while
    the question runs (`open`): a task started meanwhile inherits it, and must not keep the version
    afterwards."""

    owner: object
    version: int | None  # None: reads outside a question, kept by nobody
    open: bool = True
    sentences: dict[int, Sentence] = field(default_factory=dict)
    known: set[int] = field(default_factory=set)  # ids looked up, whether or not a sentence has them
    sources: dict[int, SourceInfo] = field(default_factory=dict)
    after: dict[int, str] = field(default_factory=dict)  # the text between a sentence and the next
    starts: dict[tuple[int, int], int] = field(default_factory=dict)  # (source, start) -> sentence id

    def take(self, rows: Sequence[Any]) -> list[Sentence]:
        """Keep what `rows` (of `search` or VISIBLE) hold; the chosen sentences, best placed first."""
        chunks: dict[tuple[int, int], str] = {}
        for row in rows:
            if row["kind"] == "chunk":
                chunks[(row["source_id"], row["chunk"])] = row["text"]
            elif row["kind"] == "source":
                self.sources[row["source_id"]] = source_from(row)
        chosen: list[tuple[int, Sentence]] = []
        for row in rows:
            if row["kind"] != "sentence":
                continue
            source_id, start, end, next_start = row["source_id"], row["start"], row["end"], row["next_start"]
            first = start // BODY_CHUNK
            last = (max(end, next_start or 0) - 1) // BODY_CHUNK
            text = "".join(chunks[(source_id, n)] for n in range(first, last + 1))
            offset = first * BODY_CHUNK
            sentence = Sentence(
                row["id"], source_id, row["paragraph"], row["number"], start, end, text[start - offset : end - offset]
            )
            self.sentences[sentence.id] = sentence
            self.starts[(source_id, start)] = sentence.id
            if next_start is not None:
                self.after[sentence.id] = text[end - offset : next_start - offset]
            if row["place"] is not None:
                chosen.append((row["place"], sentence))
        chosen.sort(key=lambda item: item[0])
        for _, sentence in chosen:
            self.known.update((sentence.id - 1, sentence.id, sentence.id + 1))
        return [sentence for _, sentence in chosen]

    def neighbours(self, wanted: Iterable[int]) -> dict[int, Sentence] | None:
        """The wanted sentences by id, or None when some were never looked up."""
        ids = list(wanted)
        if not self.known.issuperset(ids):
            return None
        return {i: self.sentences[i] for i in ids if i in self.sentences}

    def sources_of(self, wanted: Iterable[int]) -> dict[int, SourceInfo] | None:
        """The wanted sources by id, or None when some were not read."""
        ids = set(wanted)
        if not ids <= self.sources.keys():
            return None
        return {i: self.sources[i] for i in ids}

    def excerpt(self, source_id: int, start: int, end: int) -> str | None:
        """`body[start:end]` when it runs from the start of a sentence read to the end of one, over
        sentences and the text between them all read; else None."""
        sid = self.starts.get((source_id, start))
        parts: list[str] = []
        while sid is not None:
            sentence = self.sentences[sid]
            parts.append(sentence.text)
            if sentence.end >= end:
                return "".join(parts) if sentence.end == end else None
            between, following = self.after.get(sid), self.sentences.get(sid + 1)
            if between is None or following is None or following.source_id != source_id:
                return None
            parts.append(between)
            sid = following.id
        return None


def source_from(row: Any) -> SourceInfo:
    """The source of a SEARCH or VISIBLE row."""
    return SourceInfo(row["source_id"], *(row["source_" + name] for name in _SOURCE_FIELDS))


# The question running in this task (and the tasks it starts), if any.
current: contextvars.ContextVar[QuestionReads | None] = contextvars.ContextVar("factbot_pg_question", default=None)


def reads_of(owner: object) -> QuestionReads | None:
    """The running question's reads of the library `owner`, if one is running."""
    reads = current.get()
    return reads if reads is not None and reads.open and reads.owner is owner else None


def reads_for(owner: object) -> QuestionReads:
    """Where a search's rows go: the running question's reads, or reads that nobody keeps."""
    return reads_of(owner) or QuestionReads(owner, None)


@asynccontextmanager
async def question(owner: object, read_version: Callable[[], Awaitable[int]]) -> AsyncIterator[None]:
    """One question on the library `owner`: its version read once (every cached figure is checked
    against it), and what its searches return kept until it ends. Inside another question on the
    same library: that one's."""
    if reads_of(owner) is not None:
        yield
        return
    reads = QuestionReads(owner, await read_version())
    token = current.set(reads)
    try:
        yield
    finally:
        reads.open = False
        current.reset(token)
