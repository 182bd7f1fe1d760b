"""Spot the dates, quantities and names a sentence states.

Used twice: to favour sentences that hold the kind of answer a question asks for, and to mark
those facts in quotes so readers can compare sources at a glance.
"""

from __future__ import annotations

import re

from bot.answer.model import Fact

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATE = re.compile(
    rf"\b(?:{_MONTH}\.?\s?\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?"
    rf"|{_MONTH}\s+\d{{4}}"
    r"|\d{4}s?"
    r"|\d{4}-\d{2}-\d{2})\b"
    r"|\b(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\s+century\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^\d{4}s?$")
_QUANTITY = re.compile(
    r"(?<![\w.])(?:[$€£¥]\s?)?\d+(?:[,.]\d+)*(?:\s?(?:%|percent|per cent))?"
    r"(?:\s(?:thousand|million|billion|trillion|hundred|dozen))?"
    r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|dozen|dozens|hundreds|thousands|millions|billions)\b",
    re.IGNORECASE,
)
# Capitalised word runs, joined by a few connectors ("Bank of England", "Jean-Pierre Lacroix").
_NAME = re.compile(
    r"\b[A-Z][\w’'\-]*(?:[A-Z][\w’'\-]*)*(?:\s+(?:(?:of|de|the|van|von|al|bin|da|del|la|le|du)\s+)?[A-Z][\w’'\-]*)*"
)

_SENTENCE_START = re.compile(r"[.!?][\"'”’)]*\s+$")


def find_facts(sentence: str) -> tuple[Fact, ...]:
    """Dates, then quantities and names not already inside a date, in text order."""
    facts: list[Fact] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for match in _DATE.finditer(sentence):
        value = match.group()
        if _YEAR.match(value) and not (1000 <= int(value[:4]) <= 2100):
            continue
        facts.append(Fact("date", match.start(), match.end(), value))
        taken.append(match.span())
    for match in _QUANTITY.finditer(sentence):
        if free(*match.span()):
            facts.append(Fact("quantity", match.start(), match.end(), match.group()))
            taken.append(match.span())
    for match in _NAME.finditer(sentence):
        start, end = match.span()
        if _SENTENCE_START.search(sentence, 0, start) or start == 0:
            # A sentence's first word is capitalised anyway; keep it only as part of a longer name.
            if " " not in match.group():
                continue
            start += match.group().index(" ") + 1
        value = sentence[start:end]
        if value and free(start, end) and len(value) > 1:
            facts.append(Fact("name", start, end, value))
            taken.append((start, end))
    facts.sort(key=lambda f: f.start)
    return tuple(facts)


def has_kind(facts: tuple[Fact, ...], kind: str, question_text: str) -> bool:
    """True when the sentence states a fact of `kind` that the question does not already state."""
    lowered = question_text.lower()
    return any(f.kind == kind and f.text.lower() not in lowered for f in facts)
