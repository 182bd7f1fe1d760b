"""Votes on answers in the library, on a real SQLite file and a real PostgreSQL database: one vote
per user per answer, changeable; kept per server; listed newest first, by kind; purged by age."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.backends import open_library
from storage.backends.base import Library
from storage.backends.postgres import PostgresLibrary
from storage.feedback import HELPFUL, SAY_NOTHING, WRONG_QUOTE, Vote

GUILD_A = 111
GUILD_B = 222
ANSWER = {"question": "Who?", "answered": True, "sources": [{"id": 1, "quotes": [{"text": "Them."}]}]}


@pytest.fixture
async def library(library_target: Path | str) -> AsyncIterator[Library]:
    async with await open_library(library_target, seed=False) as lib:
        yield lib


def vote(answer_id: int, user_id: int, kind: str, scope: int = GUILD_A, comment: str | None = None) -> Vote:
    return Vote(scope, answer_id, user_id, kind, "Who?", ANSWER, "test-version", comment)


async def test_one_vote_per_user_per_answer_and_it_can_change(library: Library) -> None:
    assert await library.record_feedback(vote(10, 1, HELPFUL))
    assert not await library.record_feedback(vote(10, 1, WRONG_QUOTE, comment="  the second quote  "))
    assert await library.record_feedback(vote(10, 2, HELPFUL))
    mine = await library.feedback_vote(10, 1)
    assert mine is not None and mine.kind == WRONG_QUOTE and mine.comment == "the second quote"
    assert mine.answer == ANSWER and mine.question == "Who?" and mine.library_version == "test-version"
    assert await library.count_feedback(scope=GUILD_A) == 2
    assert [e.kind for e in await library.feedback(scope=GUILD_A, kind=WRONG_QUOTE)] == [WRONG_QUOTE]


async def test_votes_are_kept_per_server_and_listed_newest_first(library: Library) -> None:
    for n in range(5):
        await library.record_feedback(vote(20 + n, 1, HELPFUL if n % 2 else SAY_NOTHING))
    await library.record_feedback(vote(99, 1, HELPFUL, scope=GUILD_B))
    listed = await library.feedback(scope=GUILD_A, limit=2)
    assert [e.answer_id for e in listed] == [24, 23]
    assert [e.answer_id for e in await library.feedback(scope=GUILD_A, offset=2, limit=2)] == [22, 21]
    assert {e.answer_id for e in await library.feedback(scope=GUILD_B)} == {99}
    assert await library.count_feedback() == 6
    assert await library.count_feedback(scope=GUILD_A, kind=SAY_NOTHING) == 3


async def test_purge_deletes_only_older_votes(library: Library) -> None:
    await library.record_feedback(vote(30, 1, HELPFUL))
    assert await library.purge_feedback(before="2000-01-01T00:00:00+00:00") == 0
    assert await library.purge_feedback(before="9999-01-01T00:00:00+00:00") == 1
    assert await library.count_feedback() == 0


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        vote(1, 1, "meh")


async def test_votes_on_postgresql_leave_the_library_version_alone(library: Library) -> None:
    """A vote is not a change to what is quoted: on PostgreSQL it moves no version (which would
    empty every process's caches); SQLite has one writer, so a vote takes its write transaction."""
    if not isinstance(library, PostgresLibrary):
        pytest.skip("SQLite votes are written in the library's write transaction")
    before = await library.data_version()
    await library.record_feedback(vote(1, 10, HELPFUL))
    assert await library.purge_feedback(before="9999-01-01T00:00:00+00:00") == 1
    assert await library.data_version() == before
