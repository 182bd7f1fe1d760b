"""Dated events in sentences: where a date a sentence states can be placed on a time axis, at the
precision the text gives, and why it cannot be when it cannot.

The dates themselves are found by `facts.find_facts` (the same marks quotes carry); this module
only decides what each one means in time. The rule is to place nothing the text does not support:

- "2018", "December 2021", "8 June 2021", "2021-06-08": placed as a year, a month or a day.
- "the 1990s": placed as a decade; "2014-2016", "from 2014 to 2016", "between 2014 and 2016": a range.
- "Feb.8" with no year: not placed (the sentence does not say which year).
- "Last October", "last year", "two years ago": relative to when the text was written, which the
  text does not state (a publication date in the metadata may be a republication), so they are
  placed only when the same sentence names its own year: "Last October, the CSTO held Combat
  Brotherhood-2017" is October 2017, because the exercise's name says 2017. Otherwise not placed.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from bot.answer.facts import MONTH_NAME, find_facts
from bot.answer.model import Answer, Fact, Reason
from storage.library import Library
from storage.models import GLOBAL_SCOPE, SourceInfo
from storage.segment import segment

MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_MONTH_WORD = re.compile(r"\b" + MONTH_NAME + r"\b\.?", re.IGNORECASE)
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


@dataclass(frozen=True, slots=True)
class Dated:
    """A date a sentence states: `text` is `sentence[start:end]`; `when` is None when it cannot be
    placed, and `why` then says so in words a reader understands."""

    start: int
    end: int
    text: str
    when: When | None
    why: str = ""
    relative: bool = False


NO_YEAR = "no year stated"
RELATIVE = "relative; no year in the text"
TOO_BROAD = "too broad to place"


def _year_span(year: int) -> When:
    return When(float(year), float(year + 1), "year")


def _month_span(year: int, month: int) -> When:
    return When(year + (month - 1) / 12, year + month / 12, "month")


def _day_span(year: int, month: int, day: int) -> When:
    start = year + (month - 1) / 12 + (day - 1) / 372  # a month is 1/12 year; 31 slots of it
    return When(start, start + 1 / 372, "day")


def _month_of(text: str) -> int | None:
    match = _MONTH_WORD.search(text)
    if not match:
        return None
    word = match.group().rstrip(".").lower()
    for i, name in enumerate(MONTHS, 1):
        if name.startswith(word[:3]):
            return i
    return None


def place(text: str) -> tuple[When | None, str]:
    """What a date as written means in time: (When, "") or (None, why it cannot be placed)."""
    value = " ".join(text.split())
    if _CENTURY.search(value):
        return None, TOO_BROAD
    if match := _DECADE.match(value):
        first = int(match.group(1))
        return When(float(first), float(first + 10), "decade"), ""
    if match := _ISO_DAY.match(value):
        year, numbered_month, day = (int(g) for g in match.groups())
        if 1 <= numbered_month <= 12 and 1 <= day <= 31:
            return _day_span(year, numbered_month, day), ""
        return None, NO_YEAR
    years = _YEAR.findall(value)
    month = _month_of(value)
    if not years:
        return None, NO_YEAR
    year = int(years[0])
    if month is None:
        return _year_span(year), ""
    rest = _YEAR.sub(" ", _MONTH_WORD.sub(" ", value))
    day_match = _DAY.search(rest)
    if day_match and 1 <= int(day_match.group(1)) <= 31:
        return _day_span(year, month, int(day_match.group(1))), ""
    return _month_span(year, month), ""


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
        if m.group(1).lower() not in _NOT_NAMES and _month_of(m.group(1)) is None
    ]


def _relative_placement(match: re.Match[str], named: list[re.Match[str]]) -> tuple[When | None, str]:
    """A relative date, placed only by a year the same sentence gives a named thing: "Last
    October ... Combat Brotherhood-2017" is October 2017, "last year ... Zapad-2017" is 2017."""
    if len({m.group(2) for m in named}) != 1:
        return None, RELATIVE
    anchor = named[0]
    year = int(anchor.group(2))
    month = _month_of(match.group())
    when = _month_span(year, month) if month else _year_span(year)
    return When(when.start, when.end, when.precision, basis=_whole_name(anchor)), ""


def _whole_name(match: re.Match[str]) -> str:
    """'Brotherhood-2017' as the text names it: 'Combat Brotherhood-2017'."""
    text = match.string
    start = match.start()
    while True:
        before = re.search(r"([A-Z][\w’'\-]*)\s+$", text[:start])
        if not before or before.group(1).lower() in _NOT_NAMES or _month_of(before.group(1)):
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


# -- a timeline: events of several sources, numbered ---------------------------------------------

MAX_LANES = 6  # sources on one picture: a lane each must stay wide enough on a phone
MAX_EVENTS = 16  # numbered events on one picture
SCAN_SOURCES = 40  # sources read for a timeline of a whole library
EMPTY_LIBRARY = "There are no sources to draw a timeline of."
NO_DATES = "None of these sources states a date that can be placed on a time axis."
NO_DATES_IN_ANSWER = "None of the quoted sentences states a date that can be placed on a time axis."


@dataclass(frozen=True, slots=True)
class Event:
    """One dated statement: `dated` is found in `sentence` (verbatim, paragraph `paragraph` of
    `source`); `lane` is the index of its source in the timeline; `number` is what the picture and
    the list call it."""

    number: int
    lane: int
    source: SourceInfo
    paragraph: int
    sentence: str
    dated: Dated

    @property
    def placed(self) -> bool:
        return self.dated.when is not None

    def fragment(self, limit: int = FRAGMENT_CHARS) -> str:
        """A short verbatim stretch of the sentence around the date (whitespace squashed); for a
        relative date placed by a name, around the name that gives its year."""
        start, end = self.dated.start, self.dated.end
        basis = self.dated.when.basis if self.dated.when else ""
        if basis and (at := self.sentence.find(basis)) >= 0:
            start, end = at, at + len(basis)
        start, end = fragment(self.sentence, start, end, limit)
        return " ".join(self.sentence[start:end].split())


@dataclass(frozen=True)
class Timeline:
    """What one picture shows: `sources` (a lane each), `events` numbered 1.. (placed ones by time,
    then the ones that cannot be placed), `left_out` events over the cap, and `note` when there is
    nothing to place; `reason` instead when the topic's answer quotes nothing (the front ends word it,
    as they word an answer's reason)."""

    topic: str
    sources: tuple[SourceInfo, ...]
    events: tuple[Event, ...]
    left_out: int = 0
    note: str | None = None
    reason: Reason | None = None

    @property
    def placed(self) -> tuple[Event, ...]:
        return tuple(e for e in self.events if e.placed)

    @property
    def unplaced(self) -> tuple[Event, ...]:
        return tuple(e for e in self.events if not e.placed)

    @property
    def drawable(self) -> bool:
        return bool(self.placed)


_Found = tuple[SourceInfo, int, str, Dated]  # source, paragraph, sentence, date


def build_timeline(topic: str, found: list[_Found], *, empty_note: str = NO_DATES) -> Timeline:
    """Number what was found: at most MAX_LANES sources (in the order given) and MAX_EVENTS events,
    placed ones first, taken from each source in turn so every lane shows."""
    lanes: list[SourceInfo] = []
    by_source: dict[int, list[_Found]] = {}
    for item in found:
        source = item[0]
        if source.id not in by_source:
            if len(lanes) == MAX_LANES:
                continue
            lanes.append(source)
            by_source[source.id] = []
        by_source[source.id].append(item)
    kept: list[_Found] = []
    for want_placed in (True, False):
        queues = [[f for f in by_source[s.id] if (f[3].when is not None) == want_placed] for s in lanes]
        while len(kept) < MAX_EVENTS and any(queues):
            for queue in queues:
                if queue and len(kept) < MAX_EVENTS:
                    kept.append(queue.pop(0))
    left_out = len(found) - len(kept)
    lane_of = {s.id: i for i, s in enumerate(lanes)}
    order = {id(f): i for i, f in enumerate(found)}
    placed = sorted((f for f in kept if f[3].when is not None), key=lambda f: (f[3].when.start, order[id(f)]))  # type: ignore[union-attr]
    unplaced = sorted((f for f in kept if f[3].when is None), key=lambda f: order[id(f)])
    events = tuple(Event(n, lane_of[f[0].id], f[0], f[1], f[2], f[3]) for n, f in enumerate([*placed, *unplaced], 1))
    lanes = [s for s in lanes if any(e.source.id == s.id for e in events)]
    lane_of = {s.id: i for i, s in enumerate(lanes)}
    events = tuple(Event(e.number, lane_of[e.source.id], e.source, e.paragraph, e.sentence, e.dated) for e in events)
    note = None if any(e.placed for e in events) else empty_note
    return Timeline(topic, tuple(lanes), events, left_out, note)


def answer_timeline(answer: Answer) -> Timeline:
    """The dated statements of an answer's quotes (the engine's answer to a topic)."""
    if not answer.answered:
        return Timeline(answer.question, (), (), reason=answer.reason or Reason.NOTHING)
    found: list[_Found] = []
    for part in answer.sources:
        for quote in part.quotes:
            found.extend((part.source, quote.paragraph, quote.text, d) for d in find_dated(quote.text))
    return build_timeline(answer.question, found, empty_note=NO_DATES_IN_ANSWER)


def source_dates(source: SourceInfo, body: str) -> list[_Found]:
    """Every dated statement of one source's text, paragraph by paragraph (CPU work: run it off
    the event loop for long texts)."""
    found: list[_Found] = []
    for number, paragraph in enumerate(segment(body), 1):
        for span in paragraph.sentences:
            sentence = body[span.start : span.end]
            found.extend((source, number, sentence, d) for d in find_dated(sentence))
    return found


async def library_timeline(library: Library, scope: int) -> Timeline:
    """The dated statements of the sources visible from `scope`: a server's own sources first
    (newest first), then the global library, until MAX_LANES sources with dates are found."""
    sources: list[SourceInfo] = []
    if scope != GLOBAL_SCOPE:
        own = await library.list_sources(scope=scope, own_only=True)
        sources.extend(sorted(own, key=lambda s: -s.id)[:SCAN_SOURCES])
    sources.extend(await library.list_sources(scope=GLOBAL_SCOPE, limit=SCAN_SOURCES))
    if not sources:
        return Timeline("", (), (), note=EMPTY_LIBRARY)
    found: list[_Found] = []
    with_dates = 0
    for source in sources[:SCAN_SOURCES]:
        body = await library.get_body(source.id)
        dates = await asyncio.to_thread(source_dates, source, body)
        if dates:
            found.extend(dates)
            with_dates += 1
            if with_dates == MAX_LANES:
                break
    return build_timeline("", found)
