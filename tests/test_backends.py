"""The same library answers the same on SQLite and on PostgreSQL: identical JSON answers (sources,
quotes, their order) for the seed questions and a SQuAD slice, and identical candidates and
figures underneath."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.datasets import seed_questions, squad_dir
from bot.answer import Engine
from storage.backends import open_library
from storage.backends.base import Library
from storage.models import GLOBAL_SCOPE, SourceMeta

GUILD = 4242
# Every SQUAD_STEP-th SQuAD question (of about 5,400): a slice across all the articles.
SQUAD_STEP = 150
# The first ARTICLES SQuAD articles go in (Super Bowl 50 first: its "2½ sacks" index "½" as "1⁄2",
# which FTS5 reads as two tokens); questions about the others are asked too, as questions outside.
ARTICLES = 12


def questions() -> list[str]:
    seeds = [json.loads(line)["question"] for line in seed_questions().read_text(encoding="utf-8").splitlines() if line]
    squad = [
        json.loads(line)["question"]
        for line in (squad_dir() / "questions.jsonl").read_text(encoding="utf-8").splitlines()[::SQUAD_STEP]
    ]
    return seeds + squad


async def fill(library: Library) -> None:
    """The seeds (already there), SQuAD articles, and one server's own source."""
    root = squad_dir()
    for line in (root / "articles.jsonl").read_text(encoding="utf-8").splitlines()[:ARTICLES]:
        article = json.loads(line)
        body = (root / article["file"]).read_text(encoding="utf-8")
        await library.add_source(body, SourceMeta(article["title"]), added_at="2026-01-01T00:00:00+00:00")
    listed = await library.list_sources(limit=6)
    await library.remove_source(listed[5].id)  # a gap in the ids, and a removal's statistics
    await library.add_source(
        "The Denver Broncos mascot is a horse called Thunder. Thunder runs after every touchdown.",
        SourceMeta("Mascots"),
        scope=GUILD,
        added_at="2026-01-01T00:00:00+00:00",
    )


async def answers(library: Library) -> list[dict[str, object]]:
    engine = Engine(library)
    out = []
    for n, question in enumerate(questions()):
        scope = GUILD if n % 3 == 0 else GLOBAL_SCOPE
        out.append({"scope": scope, **(await engine.ask(question, scope=scope)).to_json()})
    return out


async def figures(library: Library) -> dict[str, object]:
    terms = ["csto", "broncos", "thunder", "denver", "norman", "the", "1066", "2", "sack", "absent"]
    return {
        "stats": await library.sentence_stats(),
        "counts": await library.term_frequencies(terms),
        "scoped": await library.term_frequencies(terms, scope=GUILD),
        "candidates": [
            [(s.id, s.text) for s in await library.match_terms([t, "denver"], scope=GUILD, limit=30)] for t in terms
        ],
        "similar": await library.similar_words("brnocos", scope=GUILD),
        "sources": [(s.id, s.scope, s.title, s.sha256, s.sentences) for s in await library.list_sources()],
    }


async def test_sqlite_and_postgresql_give_identical_answers(tmp_path: Path, pg_url: str) -> None:
    results = []
    for target in (tmp_path / "library.db", pg_url):
        async with await open_library(target) as library:
            await fill(library)
            results.append((await figures(library), await answers(library)))
    (sqlite_figures, sqlite_answers), (pg_figures, pg_answers) = results
    assert sqlite_figures == pg_figures
    assert len(sqlite_answers) == len(questions()) > 50
    assert sum(1 for a in sqlite_answers if a["answered"]) > 20  # answers, not only refusals
    for mine, theirs in zip(sqlite_answers, pg_answers, strict=True):
        assert mine == theirs
