"""Where the quoted sources disagree: the facts of the kind the question asks for (numbers for
"how many", dates for "when", names for "who" and "where"), source by source, when at least two
sources state such facts and not the same ones. Every front end shows the same comparison: one
line on Discord, a compact block on the terminal."""

from __future__ import annotations

from dataclasses import dataclass

from bot.answer.model import Answer

FACT_LABELS = {"quantity": "Numbers", "date": "Dates", "name": "Names"}  # what a comparison is called


@dataclass(frozen=True, slots=True)
class Comparison:
    """`stated`: (the source's number in the answer, from 1; the facts it states, in order)."""

    kind: str
    stated: tuple[tuple[int, tuple[str, ...]], ...]

    @property
    def label(self) -> str:
        return FACT_LABELS[self.kind]


def compare(answer: Answer) -> Comparison | None:
    """The comparison worth showing for `answer`, or None. A name the question itself states
    ("the CSTO") is not an answer to it and is left out."""
    kind = answer.compared_fact
    if kind is None:
        return None
    asked = answer.question.casefold()
    stated = []
    for n, part in enumerate(answer.sources, 1):
        values = tuple(
            dict.fromkeys(
                " ".join(f.text.split())
                for q in part.quotes
                for f in q.facts
                if f.kind == kind and not (kind == "name" and f.text.casefold() in asked)
            )
        )
        if values:
            stated.append((n, values))
    if len(stated) < 2 or len({frozenset(v.casefold() for v in values) for _, values in stated}) < 2:
        return None
    return Comparison(kind, tuple(stated))
