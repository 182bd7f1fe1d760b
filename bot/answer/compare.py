"""Where the quoted sources disagree: the facts of the kind the question asks for (numbers for
"how many", dates for "when", names for "who" and "where"), source by source, when at least two
sources state such facts and not the same ones. Every front end shows the same comparison: one
line on Discord, a compact block on the terminal, a `comparison` object in the JSON.

Names need more care than numbers and dates: a quote names many things besides the answer. A name
is compared only when it could answer: not one the question states, nor one built on such a name
("non-CSTO", "Russia" for "Russian"); not a month or weekday ("Last October"); not the peer of a name
the question states ("both the CSTO and the SCO" when the question asks about the CSTO). And names
are compared only when two sources share one: lists that share nothing are about different things
(the names a quote merely mentions), and lining them up tells a reader nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.answer.facts import is_date_word
from bot.answer.model import Answer, Fact, Quote
from bot.answer.question import parse_question
from bot.answer.rank import is_variant
from storage import text as textmod

FACT_LABELS = {"quantity": "Numbers", "date": "Dates", "name": "Names"}  # what a comparison is called

# What stands between two coordinated names: "the CSTO and the SCO", "X, or Y", "X as well as Y".
_COORDINATED = re.compile(r"\s*,?\s*(?:and|or|nor|as well as)\s+(?:the\s+)?", re.IGNORECASE)
# Where a one-word name splits into the words it is built on ("CSTO-controlled", "Moscow’s").
_WORD_PARTS = re.compile(r"[-‐‑’']")


@dataclass(frozen=True, slots=True)
class Comparison:
    """`stated`: (the source's number in the answer, from 1; the facts it states, in order)."""

    kind: str
    stated: tuple[tuple[int, tuple[str, ...]], ...]

    @property
    def label(self) -> str:
        return FACT_LABELS[self.kind]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "sources": [{"source": n, "facts": list(values)} for n, values in self.stated],
        }


def compare(answer: Answer) -> Comparison | None:
    """The comparison worth showing for `answer`, or None."""
    kind = answer.compared_fact
    if kind is None:
        return None
    asked = _Asked(answer.question)
    stated = []
    for n, part in enumerate(answer.sources, 1):
        facts = (f for q in part.quotes for f in (asked.names_answering(q) if kind == "name" else q.facts))
        values = tuple(dict.fromkeys(" ".join(f.text.split()) for f in facts if f.kind == kind))
        if values:
            stated.append((n, values))
    folded = [frozenset(v.casefold() for v in values) for _, values in stated]
    if len(stated) < 2 or len(set(folded)) < 2:
        return None
    if kind == "name" and not any(a & b for i, a in enumerate(folded) for b in folded[i + 1 :]):
        return None
    return Comparison(kind, tuple(stated))


class _Asked:
    """The question, as far as telling its own names from the names that could answer it."""

    def __init__(self, question: str) -> None:
        self.text = question.casefold()
        self.names = frozenset(parse_question(question).names)

    def names_answering(self, quote: Quote) -> list[Fact]:
        """The quote's name facts that could answer the question, in text order."""
        names = [f for f in quote.facts if f.kind == "name"]
        own = [f for f in names if self._states(f.text)]
        return [
            f
            for f in names
            if f not in own and not is_date_word(f.text) and not any(_coordinated(quote.text, f, o) for o in own)
        ]

    def _states(self, name: str) -> bool:
        """Whether the question states `name`, or `name` is one word built on a name it states."""
        if re.search(rf"(?<!\w){re.escape(name.casefold())}(?!\w)", self.text):
            return True
        if len(name.split()) > 1:
            return False
        parts = [textmod.term(part) for part in _WORD_PARTS.split(name) if part]
        return any(part == n or is_variant(part, n) for part in parts for n in self.names)


def _coordinated(text: str, a: Fact, b: Fact) -> bool:
    """Whether names `a` and `b` stand side by side in `text`, joined by "and", "or" or the like."""
    first, second = (a, b) if a.start < b.start else (b, a)
    return _COORDINATED.fullmatch(text[first.end : second.start]) is not None
