"""A timeline: the dated statements of several sources, numbered for one picture.

bot.answer.events places each date; this module gathers them from an answer's quotes or from the
library's sources, keeps what one picture can show (a lane a source, a cap on events) and numbers
them. It words nothing: a timeline with nothing to place carries why (`Empty`, or the answer's
`Reason`), and the front ends say it (bot.wording).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from bot.answer.events import FRAGMENT_CHARS, Dated, find_dated, fragment
from bot.answer.model import Answer, Reason
from storage.backends.base import Library
from storage.models import GLOBAL_SCOPE, SourceInfo
from storage.segment import segment

MAX_LANES = 6  # sources on one picture: a lane each must stay wide enough on a phone
MAX_EVENTS = 16  # numbered events on one picture
SCAN_SOURCES = 40  # sources read for a timeline of a whole library


class Empty(Enum):
    """Why a timeline places nothing (bot.wording says it in words)."""

    EMPTY_LIBRARY = "empty library"  # no sources at all
    NO_DATES = "no dates"  # the sources state no date that can be placed
    NO_DATES_IN_ANSWER = "no dates in the answer"  # the quoted sentences state none


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
    then the ones that cannot be placed), `left_out` events over the cap, and `empty` when there is
    nothing to place; `reason` instead when the topic's answer quotes nothing (the front ends word
    both, as they word an answer's reason)."""

    topic: str
    sources: tuple[SourceInfo, ...]
    events: tuple[Event, ...]
    left_out: int = 0
    empty: Empty | None = None
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


class Found(NamedTuple):
    """A dated statement before it is numbered: the date found in `sentence`, verbatim, of
    paragraph `paragraph` of `source`."""

    source: SourceInfo
    paragraph: int
    sentence: str
    dated: Dated

    @property
    def start(self) -> float | None:
        """Where on the time axis it starts; None when it cannot be placed."""
        return self.dated.when.start if self.dated.when is not None else None


def _kept(lanes: list[SourceInfo], by_source: dict[int, list[Found]]) -> list[Found]:
    """At most MAX_EVENTS statements, placed ones first, taken from each lane in turn."""
    kept: list[Found] = []
    for want_placed in (True, False):
        queues = [[f for f in by_source[s.id] if (f.start is not None) == want_placed] for s in lanes]
        while len(kept) < MAX_EVENTS and any(queues):
            for queue in queues:
                if queue and len(kept) < MAX_EVENTS:
                    kept.append(queue.pop(0))
    return kept


def build_timeline(topic: str, found: list[Found], *, empty: Empty = Empty.NO_DATES) -> Timeline:
    """Number what was found: at most MAX_LANES sources (in the order given) and MAX_EVENTS events,
    placed ones first, taken from each source in turn so every lane shows."""
    lanes: list[SourceInfo] = []
    by_source: dict[int, list[Found]] = {}
    for item in found:
        if item.source.id not in by_source:
            if len(lanes) == MAX_LANES:
                continue
            lanes.append(item.source)
            by_source[item.source.id] = []
        by_source[item.source.id].append(item)
    kept = _kept(lanes, by_source)
    order = {id(f): i for i, f in enumerate(found)}
    placed = sorted(
        ((start, order[id(f)], f) for f in kept if (start := f.start) is not None), key=lambda t: (t[0], t[1])
    )
    unplaced = sorted((f for f in kept if f.start is None), key=lambda f: order[id(f)])
    numbered = [*(f for _, _, f in placed), *unplaced]
    lanes = [s for s in lanes if any(f.source.id == s.id for f in numbered)]
    lane_of = {s.id: i for i, s in enumerate(lanes)}
    events = tuple(Event(n, lane_of[f.source.id], *f) for n, f in enumerate(numbered, 1))
    return Timeline(
        topic, tuple(lanes), events, len(found) - len(kept), None if any(e.placed for e in events) else empty
    )


def answer_timeline(answer: Answer) -> Timeline:
    """The dated statements of an answer's quotes (the engine's answer to a topic)."""
    if not answer.answered:
        return Timeline(answer.question, (), (), reason=answer.reason or Reason.NOTHING)
    found: list[Found] = []
    for part in answer.sources:
        for quote in part.quotes:
            found.extend(Found(part.source, quote.paragraph, quote.text, d) for d in find_dated(quote.text))
    return build_timeline(answer.question, found, empty=Empty.NO_DATES_IN_ANSWER)


def source_dates(source: SourceInfo, body: str) -> list[Found]:
    """Every dated statement of one source's text, paragraph by paragraph (CPU work: run it off
    the event loop for long texts)."""
    found: list[Found] = []
    for number, paragraph in enumerate(segment(body), 1):
        for span in paragraph.sentences:
            sentence = body[span.start : span.end]
            found.extend(Found(source, number, sentence, d) for d in find_dated(sentence))
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
        return Timeline("", (), (), empty=Empty.EMPTY_LIBRARY)
    found: list[Found] = []
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
