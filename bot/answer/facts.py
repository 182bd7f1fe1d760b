"""Spot the dates, quantities and names a sentence states.

Used twice: to favour sentences that hold the kind of answer a question asks for, and to mark
those facts in quotes so readers can compare sources at a glance.
"""

from __future__ import annotations

import re

from bot.answer.model import Fact
from bot.answer.months import MONTH_NAME

_DATE = re.compile(
    rf"\b(?:{MONTH_NAME}\.?\s?\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_NAME}(?:,?\s+\d{{4}})?"
    rf"|{MONTH_NAME}\s+\d{{4}}"
    r"|\d{4}s?"
    r"|\d{4}-\d{2}-\d{2})\b"
    r"|\b(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\s+century\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^\d{4}s?$")
# A capitalised word that names a time, not a person, place or thing ("Last October", "on Monday").
_DATE_WORD = re.compile(rf"(?:{MONTH_NAME}|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day)\.?", re.IGNORECASE)
_QUANTITY = re.compile(
    r"(?<![\w.])(?:[$€£¥]\s?)?\d+(?:[,.]\d+)*(?:\s?(?:%|percent|per cent))?"
    r"(?:\s(?:thousand|million|billion|trillion|hundred|dozen))?",
    re.IGNORECASE,
)
# Matched against the lower-cased sentence: IGNORECASE on a long alternation is slow.
_NUMBER_WORD = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|dozen|dozens|hundreds|thousands|millions|billions)\b"
)
_NUMBER_WORD_ANY_CASE = re.compile(_NUMBER_WORD.pattern, re.IGNORECASE)  # where lower() changes lengths
_DIGIT = re.compile(r"\d")
# Capitalised word runs, joined by a few connectors ("Bank of England", "Jean-Pierre Lacroix").
_NAME = re.compile(
    r"\b[A-Z][\w’'\-]*(?:[A-Z][\w’'\-]*)*(?:\s+(?:(?:of|de|the|van|von|al|bin|da|del|la|le|du)\s+)?[A-Z][\w’'\-]*)*"
)

_CLOSERS = "\"'”’)"


def _starts_sentence(text: str, start: int) -> bool:
    """Whether `start` follows a sentence's end ('. ', '." ') inside a quote of several sentences."""
    i = start - 1
    if i < 0 or not text[i].isspace():
        return i < 0
    while i >= 0 and text[i].isspace():
        i -= 1
    while i >= 0 and text[i] in _CLOSERS:
        i -= 1
    return i < 0 or text[i] in ".!?"


def find_facts(sentence: str) -> tuple[Fact, ...]:
    """Dates, then quantities and names not already inside a date, in text order."""
    facts: list[Fact] = []
    # One byte per character, set where a fact already stands: a span is free when none of its
    # bytes is set. Each pattern's matches do not overlap, so the checks cost O(len(sentence)) in
    # all, where comparing with every fact taken so far was quadratic on a sentence of numbers.
    taken = bytearray(len(sentence))

    def free(start: int, end: int) -> bool:
        return taken.find(1, start, end) < 0

    def take(start: int, end: int) -> None:
        taken[start:end] = b"\x01" * (end - start)

    # Every date and digit quantity has a digit: most sentences skip those two patterns.
    has_digit = _DIGIT.search(sentence) is not None
    for match in _DATE.finditer(sentence) if has_digit else ():
        value = match.group()
        if _YEAR.match(value) and not (1000 <= int(value[:4]) <= 2100):
            continue
        facts.append(Fact("date", match.start(), match.end(), value))
        take(*match.span())
    lowered = sentence.lower()
    words = (
        _NUMBER_WORD.finditer(lowered) if len(lowered) == len(sentence) else _NUMBER_WORD_ANY_CASE.finditer(sentence)
    )
    for match in [*(_QUANTITY.finditer(sentence) if has_digit else ()), *words]:
        if free(*match.span()):
            start, end = match.span()
            facts.append(Fact("quantity", start, end, sentence[start:end]))
            take(start, end)
    for match in _NAME.finditer(sentence):
        start, end = match.span()
        if start == 0 or _starts_sentence(sentence, start):
            # A sentence's first word is capitalised anyway; keep it only as part of a longer name.
            if " " not in match.group():
                continue
            start += match.group().index(" ") + 1
        value = sentence[start:end]
        if value and free(start, end) and len(value) > 1:
            facts.append(Fact("name", start, end, value))
            take(start, end)
    facts.sort(key=lambda f: f.start)
    return tuple(facts)


def is_date_word(name: str) -> bool:
    """Whether every word of a name fact is a month or a weekday: a date word, not a name."""
    return all(_DATE_WORD.fullmatch(word) for word in name.split())


def has_kind(facts: tuple[Fact, ...], kind: str, question_text: str) -> bool:
    """True when the sentence states a fact of `kind` that the question does not already state."""
    lowered = question_text.lower()
    return any(f.kind == kind and f.text.lower() not in lowered for f in facts)
