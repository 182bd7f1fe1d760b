"""Spelling: misspelt question words read as the library's own words, on real library files.

The vocabulary is the library's (names no dictionary has included), counted per scope: a server
sees the global library's words and its own, never another server's. Only words the library does
not know are corrected; short words and numbers never; and only when one reading is clearly ahead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.answer import spelling
from bot.answer.engine import Engine, Understanding
from bot.answer.model import Answer
from storage import text as textmod
from storage.backends import open_library
from storage.backends.base import Library
from storage.models import GLOBAL_SCOPE, SourceMeta

SERVER, OTHER = 111, 222


@pytest_asyncio.fixture
async def library(tmp_path: Path) -> AsyncIterator[Library]:
    lib = await open_library(tmp_path / "library.db")
    yield lib
    await lib.close()


async def read(library: Library, question: str, scope: int = GLOBAL_SCOPE) -> str:
    """The question as spelling reads it (every word the library lacks is a candidate)."""
    freqs = await library.term_frequencies(textmod.terms(question), scope=scope)
    found = await spelling.corrections(library, question, {t for t, n in freqs.items() if n == 0}, scope=scope)
    return spelling.apply(question, found)


@pytest.mark.parametrize(
    ("typed", "read_as"),
    [
        ("who are the mmebers", "who are the members"),  # two letters swapped: one edit
        ("peacekeepnig forces", "peacekeeping forces"),
        ("Semeriakov", "Semeryakov"),  # names the articles spell their own way
        ("Zaynetdinov", "Zainetdinov"),
        ("ZAINETDINOW", "ZAINETDINOV"),  # the case it was typed in is kept
        ("Kazakshtan", "Kazakhstan"),
        ("the CSTO mebmers", "the CSTO members"),
        ("member", "member"),  # known: never corrected
        ("mxmbexs", "mxmbexs"),  # two edits: too many for a word this short
        ("CTSO", "CTSO"),  # short words are left alone
        ("20188", "20188"),  # so are numbers
        ("qwertyuiop", "qwertyuiop"),  # nothing near enough
    ],
)
async def test_misspelt_words_are_read_as_the_librarys_words(library: Library, typed: str, read_as: str) -> None:
    assert await read(library, typed) == read_as


@pytest.mark.parametrize(
    ("word", "candidates", "expected"),
    [
        ("foces", {"forces": 10, "faces": 10}, None),  # two readings, equally likely: left alone
        ("foces", {"forces": 30, "faces": 10}, "forces"),  # three times as common: clear enough
        ("foces", {"forces": 20, "faces": 10}, None),  # twice is not
        ("foces", {"forces": 1, "force": 50}, "forces"),  # closer beats commoner, within reason
        ("mmebers", {"members": 2, "member": 40}, "members"),  # one meaning (one index term): no rivalry
        ("peacekepeing", {"peacekeeping": 1, "peacekeepers": 500}, "peacekeeping"),
        ("abcdefgh", {"abcdxyzh": 100}, None),  # too many edits for its length
    ],
)
def test_the_most_plausible_reading_wins_only_when_clearly_ahead(
    word: str, candidates: dict[str, int], expected: str | None
) -> None:
    assert spelling.best_candidate(word, candidates) == expected


async def test_the_vocabulary_is_counted_per_scope_and_never_leaks(library: Library) -> None:
    await library.add_source("The Zorblaxian envoys met the Frobnicator twice.", SourceMeta("A"), scope=SERVER)
    await library.add_source("Quuxbridge hosted the Zorblaxian envoys.", SourceMeta("B"), scope=OTHER)
    assert (await library.word_counts(["zorblaxian", "members"], scope=SERVER)) == {"zorblaxian": 1, "members": 2}
    assert (await library.word_counts(["zorblaxian", "quuxbridge"], scope=GLOBAL_SCOPE)) == {
        "zorblaxian": 0,
        "quuxbridge": 0,
    }
    mine = await library.vocabulary(scope=SERVER)
    assert "frobnicator" in mine and "quuxbridge" not in mine and mine["csto"] > 0
    # A server's word corrects that server's questions only.
    assert await read(library, "Frobnikator", scope=SERVER) == "Frobnicator"
    assert await read(library, "Frobnikator", scope=OTHER) == "Frobnikator"
    assert await read(library, "Frobnikator", scope=GLOBAL_SCOPE) == "Frobnikator"


async def test_adding_and_removing_keep_the_vocabulary_exact(library: Library) -> None:
    before = await library.vocabulary(scope=SERVER)
    info = await library.add_source("Members, members: the Frobnicator again.", SourceMeta("C"), scope=SERVER)
    after = await library.vocabulary(scope=SERVER)
    assert after["members"] == before["members"] + 2 and after["frobnicator"] == 1
    await library.remove_source(info.id)
    assert await library.vocabulary(scope=SERVER) == before


async def test_a_library_written_before_the_vocabulary_gets_one_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    async with await open_library(path) as lib:
        await lib.add_source("The Frobnicator spoke.", SourceMeta("D"), scope=SERVER)
        expected = await lib.vocabulary(scope=SERVER)
    with sqlite3.connect(path) as conn:  # as a file of schema 2 would be: no words, no version mark
        conn.execute("DELETE FROM vocabulary")
        conn.execute("DELETE FROM meta WHERE key = 'vocabulary_version'")
    async with await open_library(path) as lib:
        assert await lib.vocabulary(scope=SERVER) == expected


async def test_the_engine_reads_a_misspelt_name_as_the_librarys(library: Library) -> None:
    question, typo = "What did Zainetdinov say?", "What did Zaynetdinov say?"
    plain = await Engine(library).ask(question)
    assert plain.answered
    answer = await Engine(library).ask(typo)
    assert answer.question == typo, "the echo shows what was typed"
    assert _quoted(answer) == _quoted(plain)
    unaided = await Engine(library, understanding=Understanding(spelling=False)).ask(typo)
    assert not unaided.answered, "without spelling the unknown name is refused"


async def test_a_typo_in_a_question_word_gets_the_plain_answer(library: Library) -> None:
    plain = await Engine(library).ask("Who are the members of the CSTO?")
    answer = await Engine(library).ask("who are the mmebers of the csto")
    assert _quoted(answer) == _quoted(plain)


def _quoted(answer: Answer) -> list[list[str]]:
    """Each source's quotes, as words (the scores move a little with what the encoder reads)."""
    return [[q.text for q in s.quotes] for s in answer.sources]
