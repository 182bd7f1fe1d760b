"""Search ranked in PostgreSQL (storage.pg_search) gives SQLite's candidates, ties and all, and one
question costs a few round trips: one version read, the search, no pool resets."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.roundtrips import CountingProxy
from bot.answer import Engine
from storage.backends import open_library
from storage.backends.base import Library
from storage.backends.postgres import PostgresLibrary
from storage.models import GLOBAL_SCOPE, Sentence, SourceInfo, SourceMeta
from storage.schema import BODY_CHUNK
from storage.text import index_text

GUILD = 4242
WORDS = [
    "river", "harbour", "granite", "copper", "lantern", "meadow", "falcon", "orchard", "quarry", "beacon",
    "canal", "tannery", "glacier", "bishop", "market", "castle", "ferry", "mill", "abbey", "forge",
]  # fmt: skip
# In every article, word for word: sentences whose scores tie exactly, in many sources.
STOCK = "The harbour market sold copper lanterns beside the old canal."
# (terms, scope, limit): one common term (a posting in most sentences), rare and absent terms, and
# several terms at once (their shares are summed in order: floating point is not associative).
SEARCHES = [
    ("harbour", GLOBAL_SCOPE, 200),
    ("harbour market copper canal", GLOBAL_SCOPE, 200),
    ("lantern canal falcon granite abbey forge", GLOBAL_SCOPE, 60),
    ("canal copper", GUILD, 30),
    ("zeppelin quarry", GUILD, 10),
    ("bishop mill ferry", GLOBAL_SCOPE, 7),
    ("zeppelin", GLOBAL_SCOPE, 10),
    ("guild", GUILD, 5),
    ("guild", GLOBAL_SCOPE, 5),
    ("alder birch cedar", GLOBAL_SCOPE, 200),
]

# Sentence ids asked for by meaning (visible_sentences), some absent; the guild's are added.
VISIBLE = [1, 2, 3, 500, 777, 10**6, *range(2000, 3000, 7)]


def terms(words: str) -> list[str]:
    """The index terms of `words` (what a search is given)."""
    return index_text(words).split()


def mirrored() -> str:
    """Sentences holding three terms as often as another holds them the other way round, at the
    same length: their scores are the same sum in another order, which floating point may round
    apart. "alder" and "cedar" are in the same sentences, so their idf is the same."""
    sentences = []
    for a, b, c in itertools.product(range(1, 6), range(1, 4), range(1, 6)):
        if a != c:
            words = ["alder"] * a + ["birch"] * b + ["cedar"] * c
            sentences.append(" ".join(words + ["fern"] * (14 - len(words))).capitalize() + ".")
    return " ".join(sentences)


def article(rng: random.Random, n: int) -> str:
    """Paragraphs of sentences drawn from WORDS, the stock sentence among them; every seventh
    article is long enough that sentences straddle body chunks."""
    paragraphs = []
    count = 60 if n % 7 == 0 else 4
    for p in range(count):
        sentences = [f"Article {n} paragraph {p} begins here."]
        for _ in range(rng.randint(2, 5)):
            words = rng.choices(WORDS, k=rng.randint(4, 14))
            sentences.append(" ".join(words).capitalize() + ".")
        if p == 1:
            sentences.insert(1, STOCK)
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


async def fill(library: Library) -> None:
    rng = random.Random(20)
    for n in range(40):
        await library.add_source(article(rng, n), SourceMeta(f"Article {n}"), added_at="2026-01-01T00:00:00+00:00")
    listed = await library.list_sources()
    await library.remove_source(listed[3].id)
    await library.add_source(mirrored(), SourceMeta("Trees"), added_at="2026-01-01T00:00:00+00:00")
    await library.add_source(
        f"{STOCK} Guild ferries cross the canal with copper.", SourceMeta("Guild"), scope=GUILD, added_at="2026"
    )


Shown = tuple[int, int, int, int, int, int, str]


def shown(sentences: list[Sentence]) -> list[Shown]:
    return [(s.id, s.source_id, s.paragraph, s.number, s.start, s.end, s.text) for s in sentences]


async def test_postgresql_ranks_as_fts5_with_ties_broken_by_id(tmp_path: Path, pg_url: str) -> None:
    """The candidates of each search, and the sentences found by meaning, the same on both."""
    found = []
    for target in (tmp_path / "library.db", pg_url):
        async with await open_library(target, seed=False) as library:
            await fill(library)
            guild = [s.id for s in await library.match_any(["guild"], scope=GUILD, limit=5)]
            searched = [shown(await library.match_any(terms(w), scope=scope, limit=n)) for w, scope, n in SEARCHES]
            by_meaning = [
                shown(await library.visible_sentences([*VISIBLE, *guild], scope=scope))
                for scope in (GLOBAL_SCOPE, GUILD)
            ]
            found.append(searched + by_meaning)
    sqlite, postgres = found
    assert postgres == sqlite
    assert len(sqlite[-2]) < len(sqlite[-1])  # the guild's sentence is visible only to the guild
    # The library is what the test is about: chunk-straddling sentences, many tied sentences in
    # many sources (ranked by id), a long match set cut by the limit, and nothing for what is absent.
    assert any(start // BODY_CHUNK != (end - 1) // BODY_CHUNK for *_, start, end, _t in sqlite[0])
    tied = [row for row in sqlite[1] if row[6] == STOCK]
    assert len(tied) >= 30 and [row[0] for row in tied] == sorted(row[0] for row in tied)
    assert len({row[1] for row in tied}) == len(tied)
    assert len(sqlite[0]) == 200 and len(sqlite[2]) == 60
    assert sqlite[4] and sqlite[6] == []
    assert {row[1] for row in sqlite[7]} == {42} and sqlite[8] == []  # the guild's own source, seen only there


async def test_a_question_reuses_what_its_search_read(pg_url: str) -> None:
    """Neighbours, sources and joined excerpts come from the search's rows inside a question, the
    same as read afresh outside one, without another statement."""
    async with await PostgresLibrary.open(pg_url, seed=False) as library:
        await fill(library)

        async def reads() -> tuple[list[Shown], dict[int, list[Shown]], dict[int, SourceInfo], list[str]]:
            found = await library.match_any(terms("lantern canal falcon granite"), scope=GLOBAL_SCOPE, limit=40)
            around = await library.neighbours(s.id for s in found)
            sources = await library.sources_by_id({s.source_id for s in found})
            joined = [
                await library.excerpt(s.source_id, s.start, around[s.id + 1].end)
                for s in found
                if s.id + 1 in around and around[s.id + 1].source_id == s.source_id
            ]
            near = await library.visible_sentences([5, 6, 300, 301, 10**6], scope=GUILD)
            around = {**around, **await library.neighbours(s.id for s in near)}
            return shown([*found, *near]), {i: shown([s]) for i, s in around.items()}, sources, joined

        fresh = await reads()
        statements = Counter[str]()
        fetch = library._fetch

        async def counted(sql: str, *args: object) -> list[object]:
            statements[" ".join(sql.split())[:30]] += 1
            return list(await fetch(sql, *args))

        library._fetch = counted  # type: ignore[method-assign]
        async with library.question():
            within = await reads()
        assert within == fresh
        assert len(fresh[3]) > 10
        assert sum(statements.values()) == 2, statements  # the search, the sentences by meaning


async def test_a_question_takes_few_round_trips_and_one_version_read(pg_url: str) -> None:
    async with await PostgresLibrary.open(pg_url, seed=False) as library:
        await fill(library)
    proxy = CountingProxy(pg_url)
    await proxy.start()
    try:
        async with await PostgresLibrary.open(proxy.url(), seed=False) as library:
            engine = Engine(library)
            versions = 0
            read_version = library._read_version

            async def counted() -> int:
                nonlocal versions
                versions += 1
                return await read_version()

            library._read_version = counted  # type: ignore[method-assign]

            async def trips(question: str) -> tuple[int, int]:
                """Round trips and version reads of one question."""
                nonlocal versions
                before, versions = proxy.round_trips, 0
                await engine.ask(question)
                return proxy.round_trips - before, versions

            questions = [
                "What did the harbour market sell?",
                "Which canal had copper lanterns?",
                "Where is the granite quarry beside the abbey?",
                "What does the forge make?",
            ]
            unknown = "Who crosses the canal?"  # "crosses": a word the library does not use
            # Asked first in the guild: the pool's connection and its prepared statements, the
            # library's figures; the guild's figures are its own, so the library's are still read after.
            for q in [*questions, unknown]:
                await engine.ask(q, scope=GUILD)
            counts = [await trips(q) for q in questions]
            spelt = await trips(unknown)
            again = await trips(questions[0])
    finally:
        await proxy.close()
    assert all(version == 1 for _, version in [*counts, spelt, again]), counts
    assert all(n <= 5 for n, _ in counts), counts
    # Spelling reads the vocabulary near the unknown word, and the counts of the library's
    # stand-ins for it are read too (in the view of a library that holds a guild's source).
    assert spelt[0] <= 7, spelt
    # Asked again, with every figure cached and every statement prepared: the version and the search.
    assert again[0] == 2


@pytest.mark.parametrize("limit", [0, -1])
async def test_no_candidates_for_no_limit(pg_url: str, limit: int) -> None:
    async with await PostgresLibrary.open(pg_url, seed=False) as library:
        await fill(library)
        assert await library.match_any(terms("canal"), scope=GLOBAL_SCOPE, limit=limit) == []


async def test_a_task_started_in_a_question_reads_the_version_afresh_after_it(pg_url: str) -> None:
    """A task inherits the question's reads (its context), but not once the question has ended."""
    async with await PostgresLibrary.open(pg_url, seed=False) as library:
        await fill(library)
        ended = asyncio.Event()

        async def later() -> tuple[int, int]:
            during = await library.data_version()
            await ended.wait()
            return during, await library.data_version()

        async with library.question():
            pinned = await library.data_version()
            task = asyncio.create_task(later())
            await asyncio.sleep(0)
            await library.add_source("A source added meanwhile.", SourceMeta("Meanwhile"), added_at="2026")
            assert await library.data_version() == pinned
        ended.set()
        during, after = await task
    assert during == pinned and after == pinned + 1
