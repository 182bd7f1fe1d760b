"""The one Answer value every front end renders (terminal text, JSON, Discord embeds).

Rendering never changes which words are quoted: a Quote's text is a slice of its source's body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from storage.models import SourceInfo


@dataclass(frozen=True, slots=True)
class Fact:
    """A quantity, date or name stated in a quote, by offsets into the quote's text, so front ends
    can line sources up ("17,000" against "3,600") without touching the words."""

    kind: str  # "quantity" | "date" | "name"
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Quote:
    text: str
    paragraph: int  # in the whole source
    sentence: int
    start: int
    end: int
    score: float
    facts: tuple[Fact, ...] = ()
    # A paged source's (a PDF's): the page the quote starts on, which paragraph of that page it
    # starts in (one continued from the page before counts as the first), and the page it ends on.
    # None without pages.
    page: int | None = None
    page_paragraph: int | None = None
    page_end: int | None = None

    @property
    def place(self) -> str:
        """Where the quote stands, as a citation says it: "p. 12, ¶ 3" ("pp. 12–13, ¶ 3" across a
        page break), or "¶ 7" without pages."""
        if self.page is None:
            return f"¶ {self.paragraph}"
        if self.page_end is not None and self.page_end != self.page:
            return f"pp. {self.page}–{self.page_end}, ¶ {self.page_paragraph}"
        return f"p. {self.page}, ¶ {self.page_paragraph}"

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "paragraph": self.paragraph,
            "page": self.page,
            "page_paragraph": self.page_paragraph,
            "page_end": self.page_end,
            "sentence": self.sentence,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "facts": [{"kind": f.kind, "text": f.text, "start": f.start, "end": f.end} for f in self.facts],
        }


@dataclass(frozen=True, slots=True)
class SourceAnswer:
    source: SourceInfo
    quotes: tuple[Quote, ...]
    score: float
    # The no-answer model's probability (0 to 1) that this source addresses the question: the larger
    # of the question model's and the source model's (Engine._choose).
    confidence: float = 0.0

    def to_json(self) -> dict[str, Any]:
        s = self.source
        return {
            "id": s.id,
            "title": s.title,
            "author": s.author,
            "publisher": s.publisher,
            "url": s.url,
            "published": s.published,
            "scope": "global" if s.is_global else str(s.scope),
            "score": round(self.score, 4),
            "confidence": round(self.confidence, 4),
            "quotes": [q.to_json() for q in self.quotes],
        }


@dataclass(frozen=True, slots=True)
class Uncovered:
    id: int
    title: str


# The question's expected kind of answer -> the kind of Fact that states it.
COMPARED_FACT = {"date": "date", "quantity": "quantity", "name": "name", "place": "name"}


class Reason(Enum):
    """Why an answer quotes nothing, or what it says beside its quotes. The engine gives the reason;
    each front end words it (bot.wording)."""

    GREETING = "greeting"  # the message was only a greeting or thanks: no search
    NO_WORDS = "no_words"  # the message has no words to look for
    NOTHING = "nothing"  # no source answers the question
    CUT = "cut"  # the question was cut to MAX_QUESTION_CHARS (the answer may still quote)


@dataclass(frozen=True)
class Answer:
    question: str
    sources: tuple[SourceAnswer, ...] = ()
    uncovered: tuple[Uncovered, ...] = ()
    uncovered_count: int = 0
    reason: Reason | None = None
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    # The kind of answer the question's wording asks for ("date", "quantity", "name", "place" or
    # "any"), so front ends line up only the facts that answer it (see `compared_fact`).
    expects: str = "any"

    @property
    def answered(self) -> bool:
        return bool(self.sources)

    @property
    def compared_fact(self) -> str | None:
        """The kind of Fact worth comparing across sources for this question, if any: dates for
        "when", numbers for "how many", names for "who" and "where"."""
        return COMPARED_FACT.get(self.expects)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answered": self.answered,
            "sources": [s.to_json() for s in self.sources],
            "uncovered": [{"id": u.id, "title": u.title} for u in self.uncovered],
            "uncovered_count": self.uncovered_count,
            "reason": None if self.reason is None else self.reason.value,
        }
