"""Dated events in sentences: where a date a sentence states can be placed on a time axis, at the
precision the text gives, and why it cannot be when it cannot.

The dates themselves are found by `facts.find_facts` (the same marks quotes carry); this module
only decides what each one means in time, and says why (`Unplaced`) when it cannot: the front ends
word the reason. Building a timeline of several sources from them is bot.answer.timeline's job.
The rule is to place nothing the text does not support:

- "2018", "December 2021", "8 June 2021", "2021-06-08": placed as a year, a month or a day.
- "the 1990s": placed as a decade; "2014-2016", "from 2014 to 2016", "between 2014 and 2016": a range.
- "Feb.8" with no year: not placed (the sentence does not say which year).
- "Last October", "last year", "two years ago": relative to when the text was written, which the
  text does not state (a publication date in the metadata may be a republication), so they are
  placed only when the same sentence names its own year: "Last October, the CSTO held Combat
  Brotherhood-2017" is October 2017, because the exercise's name says 2017. Otherwise not placed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from bot.answer.facts import find_facts
from bot.answer.model import Fact
from bot.answer.months import MONTH_NAME, month_number, without_months

_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_ISO_TAIL = re.compile(r"-\d{2}-\d{2}\b")
_YEAR = re.compile(r"\b(\d{4})\b")
_DECADE = re.compile(r"^(?:the\s+)?(\d{3}0)s$", re.IGNORECASE)
_CENTURY = re.compile(r"century", re.IGNORECASE)
_DAY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\b")

# Relative dates: what "last", "next" or "ago" is counted from is when the text was written.
_RELATIVE = re.compile(
    rf"\b(?:(?:last|next|this|past|previous|coming|the\s+following|the\s+previous)\s+"
    rf"(?:year|month|week|spring|summer|autumn|fall|winter|{MONTH_NAME})"
    r"|(?:a|one|two|three|four|five|six|seven|eight|nine|ten|\d{1,2})\s+(?:years?|months?|weeks?|days?)\s+ago"
    r"|(?:earlier|later)\s+this\s+(?:year|month))\b",
    re.IGNORECASE,
)
# A year that is part of a name ("Combat Brotherhood-2017", "Unbreakable Brotherhood 2018",
# "Zapad-2017"): the text's own word for which year the named thing belongs to. The word before
# the year must be a name, not a month or a preposition ("December 2021", "In 2018").
_NAMED_YEAR = re.compile(r"\b([A-Z][A-Za-z’']*)(?:-|\s)(\d{4})\b")
_NOT_NAMES = frozenset(
    [
        "in",
        "on",
        "by",
        "since",
        "from",
        "until",
        "till",
        "during",
        "the",
        "last",
        "next",
        "this",
        "after",
        "before",
        "of",
        "at",
        "about",
        "around",
        "early",
        "late",
        "mid",
        "spring",
        "summer",
        "autumn",
        "fall",
        "winter",
    ]
)
# Between two dates of a range ("2014-2016", "2014 to 2016", "between 2014 and 2016").
_RANGE_JOIN = re.compile(r"^\s*(?:-|–|—|to|until|till|through|and)\s*$", re.IGNORECASE)
_RANGE_OPEN = re.compile(r"\b(?:from|between)\s+$", re.IGNORECASE)
# "sent 2000 troops": a number of things, not a year.
_COUNTED = re.compile(
    r"^\s+(?:troops|people|soldiers|personnel|men|women|officers|km|kilometres|kilometers|miles|tons|tonnes|"
    r"vehicles|aircraft|units|pieces|members|civilians|refugees|dollars|euros)\b",
    re.IGNORECASE,
)
_DATE_WORD_BEFORE = re.compile(
    r"\b(?:in|since|by|of|from|until|till|before|after|during|between|and|to|the|early|late|mid)\s+$", re.IGNORECASE
)

FRAGMENT_CHARS = 38
_CLAUSE_BREAK = re.compile(r"[,;:()\[\]—–]|\s-\s")


@dataclass(frozen=True, slots=True)
class When:
    """A stretch of time as the text states it: `start` and `end` in fractional years (end
    exclusive), and how precise the text was ("day", "month", "year", "decade", "range")."""

    start: float
    end: float
    precision: str
    basis: str = ""  # for a relative date: the words of the sentence that fix its year

    @property
    def middle(self) -> float:
        return (self.start + self.end) / 2


class Unplaced(Enum):
    """Why a date cannot be placed on a time axis (bot.wording says it in words)."""

    NO_YEAR = "no year"  # "Feb.8", "On February 16"
    RELATIVE = "relative"  # "last year", "two years ago", and no name in the sentence gives the year
    TOO_BROAD = "too broad"  # "the 21st century"


@dataclass(frozen=True, slots=True)
class Dated:
    """A date a sentence states: `text` is `sentence[start:end]`; `when` is None when it cannot be
    placed, and `why` then says why."""

    start: int
    end: int
    text: str
    when: When | None
    why: Unplaced | None = None
    relative: bool = False


def _year_span(year: int) -> When:
    return When(float(year), float(year + 1), "year")


def _month_span(year: int, month: int) -> When:
    return When(year + (month - 1) / 12, year + month / 12, "month")


def _day_span(year: int, month: int, day: int) -> When:
    start = year + (month - 1) / 12 + (day - 1) / 372  # a month is 1/12 year; 31 slots of it
    return When(start, start + 1 / 372, "day")


def place(text: str) -> tuple[When | None, Unplaced | None]:
    """What a date as written means in time: (When, None) or (None, why it cannot be placed)."""
    value = " ".join(text.split())
    if _CENTURY.search(value):
        return None, Unplaced.TOO_BROAD
    if match := _DECADE.match(value):
        first = int(match.group(1))
        return When(float(first), float(first + 10), "decade"), None
    if match := _ISO_DAY.match(value):
        year, numbered_month, day = (int(g) for g in match.groups())
        if 1 <= numbered_month <= 12 and 1 <= day <= 31:
            return _day_span(year, numbered_month, day), None
        return None, Unplaced.NO_YEAR
    years = _YEAR.findall(value)
    month = month_number(value)
    if not years:
        return None, Unplaced.NO_YEAR
    year = int(years[0])
    if month is None:
        return _year_span(year), None
    rest = _YEAR.sub(" ", without_months(value))
    day_match = _DAY.search(rest)
    if day_match and 1 <= int(day_match.group(1)) <= 31:
        return _day_span(year, month, int(day_match.group(1))), None
    return _month_span(year, month), None


def _whole_iso(sentence: str, fact: Fact) -> Fact:
    """'2021' of '2021-06-08' (facts may mark only the year of an ISO date) as the whole date."""
    if re.fullmatch(r"\d{4}", fact.text) and (tail := _ISO_TAIL.match(sentence, fact.end)):
        return Fact("date", fact.start, tail.end(), sentence[fact.start : tail.end()])
    return fact


def _is_count(sentence: str, fact: Fact) -> bool:
    """A bare four-digit number that counts things ("sent 2000 troops") is no year."""
    if not re.fullmatch(r"\d{4}", fact.text):
        return False
    return bool(_COUNTED.match(sentence[fact.end :])) and not _DATE_WORD_BEFORE.search(sentence[: fact.start])


def _named_years(sentence: str) -> list[re.Match[str]]:
    return [
        m
        for m in _NAMED_YEAR.finditer(sentence)
        if m.group(1).lower() not in _NOT_NAMES and month_number(m.group(1)) is None
    ]


def _relative_placement(match: re.Match[str], named: list[re.Match[str]]) -> tuple[When | None, Unplaced | None]:
    """A relative date, placed only by a year the same sentence gives a named thing: "Last
    October ... Combat Brotherhood-2017" is October 2017, "last year ... Zapad-2017" is 2017."""
    if len({m.group(2) for m in named}) != 1:
        return None, Unplaced.RELATIVE
    anchor = named[0]
    year = int(anchor.group(2))
    month = month_number(match.group())
    when = _month_span(year, month) if month else _year_span(year)
    return When(when.start, when.end, when.precision, basis=_whole_name(anchor)), None


def _whole_name(match: re.Match[str]) -> str:
    """'Brotherhood-2017' as the text names it: 'Combat Brotherhood-2017'."""
    text = match.string
    start = match.start()
    while True:
        before = re.search(r"([A-Z][\w’'\-]*)\s+$", text[:start])
        if not before or before.group(1).lower() in _NOT_NAMES or month_number(before.group(1)):
            break
        start = before.start(1)
    return text[start : match.end()]


def find_dated(sentence: str, facts: tuple[Fact, ...] | None = None) -> list[Dated]:
    """Every date `sentence` states, in text order, each placed when the text supports it.

    Two dates joined as a range become one; a year repeated in one sentence ("In 2018, ... the
    2018 exercise") is one event; a year that only anchors a relative date is not counted again.
    """
    facts = find_facts(sentence) if facts is None else facts
    dates = [_whole_iso(sentence, f) for f in facts if f.kind == "date" and not _is_count(sentence, f)]
    named = _named_years(sentence)
    found: list[Dated] = []
    anchors_used: set[tuple[int, int]] = set()

    for match in _RELATIVE.finditer(sentence):
        if any(f.start <= match.start() < f.end for f in dates):
            continue  # "May 2019" is no relative date; facts already took it
        when, why = _relative_placement(match, named)
        if when is not None:
            anchors_used.update(m.span(2) for m in named)
        found.append(Dated(match.start(), match.end(), match.group(), when, why, relative=True))

    i = 0
    while i < len(dates):
        fact = dates[i]
        if (fact.start, fact.end) in anchors_used or any(a <= fact.start and fact.end <= b for a, b in anchors_used):
            i += 1
            continue
        when, why = place(fact.text)
        if i + 1 < len(dates) and when is not None:
            other = dates[i + 1]
            between = sentence[fact.end : other.start]
            other_when, _ = place(other.text)
            if other_when is not None and _RANGE_JOIN.match(between) and other_when.start >= when.start:
                joined_by_and = between.strip().lower() == "and"
                if not joined_by_and or re.search(r"\bbetween\s+$", sentence[: fact.start], re.IGNORECASE):
                    opener = _RANGE_OPEN.search(sentence[: fact.start])
                    start = opener.start() if opener else fact.start
                    span = When(when.start, other_when.end, "range")
                    found.append(Dated(start, other.end, sentence[start : other.end], span))
                    i += 2
                    continue
        found.append(Dated(fact.start, fact.end, fact.text, when, why))
        i += 1

    found.sort(key=lambda d: d.start)
    unique: list[Dated] = []
    for item in found:
        if item.when is not None and any(u.when is not None and u.when == item.when and not u.relative for u in unique):
            continue  # the same date twice in one sentence: one event
        unique.append(item)
    return unique


def fragment(sentence: str, start: int, end: int, limit: int = FRAGMENT_CHARS) -> tuple[int, int]:
    """A short verbatim stretch of `sentence` around `sentence[start:end]`: the clause holding it,
    cut to whole words within `limit` characters. Returns offsets, so the words stay the source's."""
    left = start
    while left > 0 and not _CLAUSE_BREAK.match(sentence[left - 1]):
        left -= 1
    right = end
    while right < len(sentence) and not _CLAUSE_BREAK.match(sentence[right]):
        right += 1
    if right - left < limit // 2:  # "Last October," says little alone: take the sentence's words
        left, right = 0, len(sentence)
    # Trim to whole words, keeping the date; grow to the right first (what happened follows the date).
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", sentence[left:right])]
    words = [(a + left, b + left) for a, b in words]
    inside = [w for w in words if w[1] > start and w[0] < end]
    if not inside:
        return start, end
    lo, hi = words.index(inside[0]), words.index(inside[-1])
    while True:
        grown = False
        if hi + 1 < len(words) and words[hi + 1][1] - words[lo][0] <= limit:
            hi += 1
            grown = True
        if lo > 0 and words[hi][1] - words[lo - 1][0] <= limit:
            lo -= 1
            grown = True
        if not grown:
            break
    a, b = words[lo][0], words[hi][1]
    while b > a and sentence[b - 1] in ".,;:!?’'\"”‘“":
        b -= 1
    while a < b and sentence[a] in "’'\"”‘“":
        a += 1
    return a, b
