"""Votes on answers, kept in the library so that the questions people really ask become evaluation data.

One vote per user per answer (the Discord message that carries it), changeable: a second vote
replaces the first. Each vote keeps what was asked, the answer's JSON as the asker saw it and the
library's version, so an answer voted wrong can be scored again later as a negative example
(`factbot feedback export`). Nothing identifies the voter beyond the user id that the moderators of
that server can already see; a vote belongs to the server it was cast in (its scope) and is listed
only there. Both backends hold the table (storage/schema.py, storage/pg_schema.py); the SQL is here,
once, written with `?` placeholders, and runs on the library's own hooks (`Library._query` and
`Library._voting`), so no backend has a votes class of its own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from storage.prepare import now

if TYPE_CHECKING:
    from storage.rows import NamedRow

HELPFUL = "helpful"
WRONG_QUOTE = "wrong_quote"
SOURCE_MISSING = "source_missing"
SAY_NOTHING = "say_nothing"
# Every kind of vote, and what each says, in the order forms and lists show them.
KINDS: dict[str, str] = {
    HELPFUL: "Helpful",
    WRONG_QUOTE: "A wrong quote",
    SOURCE_MISSING: "A source is missing",
    SAY_NOTHING: "It should have said nothing",
}
WRONG_KINDS = (WRONG_QUOTE, SOURCE_MISSING, SAY_NOTHING)
MAX_COMMENT = 1000

_COLUMNS = "id, scope, answer_id, user_id, kind, comment, question, answer, library_version, at"
_NAMES = tuple(_COLUMNS.split(", "))
_UPSERT = """
    INSERT INTO feedback (scope, answer_id, user_id, kind, comment, question, answer, library_version, at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (answer_id, user_id) DO UPDATE SET
        kind = excluded.kind, comment = excluded.comment, question = excluded.question,
        answer = excluded.answer, library_version = excluded.library_version, at = excluded.at
"""


@dataclass(frozen=True, slots=True)
class Vote:
    """One user's vote on one answer, as it is cast."""

    scope: int  # the server it was cast in (GLOBAL_SCOPE in a DM)
    answer_id: int  # the answer's message
    user_id: int
    kind: str  # one of KINDS
    question: str
    answer: dict[str, Any]  # the answer's JSON (Answer.to_json)
    library_version: str
    comment: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind of feedback {self.kind!r}")


@dataclass(frozen=True, slots=True)
class FeedbackEntry:
    """A stored vote."""

    id: int
    scope: int
    answer_id: int
    user_id: int
    kind: str
    comment: str | None
    question: str
    answer: dict[str, Any]
    library_version: str
    at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scope": str(self.scope),
            "answer_id": str(self.answer_id),
            "user_id": str(self.user_id),
            "kind": self.kind,
            "comment": self.comment,
            "question": self.question,
            "answer": self.answer,
            "library_version": self.library_version,
            "at": self.at,
        }


def _entry(row: NamedRow) -> FeedbackEntry:
    return FeedbackEntry(
        id=row["id"],
        scope=row["scope"],
        answer_id=row["answer_id"],
        user_id=row["user_id"],
        kind=row["kind"],
        comment=row["comment"],
        question=row["question"],
        answer=json.loads(row["answer"]),
        library_version=row["library_version"],
        at=row["at"],
    )


def _where(scope: int | None, kind: str | None) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if scope is not None:
        clauses.append("scope = ?")
        params.append(scope)
    if kind is not None:
        clauses.append("kind = ?")
        params.append(kind)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def _params(vote: Vote) -> tuple[object, ...]:
    comment = (vote.comment or "").strip()[:MAX_COMMENT] or None
    answer = json.dumps(vote.answer, ensure_ascii=False, sort_keys=True)
    return (
        vote.scope,
        vote.answer_id,
        vote.user_id,
        vote.kind,
        comment,
        vote.question,
        answer,
        vote.library_version,
        now(),
    )


class VoteTable(Protocol):
    """What the votes need of a library (storage.backends.base.Library has both hooks)."""

    async def _query(self, conn: Any, sql: str, params: Sequence[object]) -> list[Any]: ...

    def _voting(self) -> AbstractAsyncContextManager[Any]: ...


class FeedbackStore:
    """The feedback table of one library (`Library.feedback_store`), on either backend."""

    def __init__(self, library: VoteTable) -> None:
        self.library = library

    async def _change(self, sql: str, params: Sequence[object]) -> list[Any]:
        """Run one change on the connection the library gives votes; the rows it returns."""
        async with self.library._voting() as conn:
            return await self.library._query(conn, sql, params)

    async def _entries(self, sql: str, params: Sequence[object]) -> list[FeedbackEntry]:
        """The votes a SELECT of _COLUMNS finds, its rows read by name."""
        rows = await self.library._query(None, sql, params)
        return [_entry(dict(zip(_NAMES, row, strict=True))) for row in rows]

    async def record(self, vote: Vote) -> bool:
        """Store a vote, replacing the user's earlier vote on the same answer. True if it is new."""
        before = await self.vote(vote.answer_id, vote.user_id)
        await self._change(_UPSERT, _params(vote))
        return before is None

    async def vote(self, answer_id: int, user_id: int) -> FeedbackEntry | None:
        found = await self._entries(
            f"SELECT {_COLUMNS} FROM feedback WHERE answer_id = ? AND user_id = ?", [answer_id, user_id]
        )
        return found[0] if found else None

    async def entries(
        self, *, scope: int | None = None, kind: str | None = None, offset: int = 0, limit: int = 20
    ) -> list[FeedbackEntry]:
        """Votes newest first; `scope` None: every server's (the operator's view)."""
        where, params = _where(scope, kind)
        return await self._entries(
            f"SELECT {_COLUMNS} FROM feedback {where} ORDER BY id DESC LIMIT ? OFFSET ?", [*params, limit, offset]
        )

    async def count(self, *, scope: int | None = None, kind: str | None = None) -> int:
        where, params = _where(scope, kind)
        rows = await self.library._query(None, f"SELECT count(*) FROM feedback {where}", params)
        return int(rows[0][0])

    async def purge(self, *, before: str) -> int:
        """Delete the votes cast at or before `before` (an ISO time, as stored); how many there were."""
        return len(await self._change("DELETE FROM feedback WHERE at <= ? RETURNING id", [before]))
