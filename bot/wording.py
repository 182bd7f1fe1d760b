"""What the front ends (terminal, JSON, Discord) say for each reason the engine gives
(bot.answer.model.Reason, and a timeline's bot.answer.timeline.Empty and bot.answer.events.Unplaced):
one home for each message; the engine itself words nothing."""

from __future__ import annotations

from bot.answer.events import Unplaced
from bot.answer.model import Reason
from bot.answer.question import MAX_QUESTION_CHARS
from bot.answer.timeline import Empty, Timeline
from storage.models import SourceInfo

REASONS: dict[Reason, str] = {
    Reason.GREETING: "Hello! Ask me a question, and I will answer in the sources' own words.",
    Reason.NO_WORDS: "The question has no words to look for.",
    Reason.NOTHING: "Nothing in the sources answers this.",
    Reason.CUT: f"The question was cut to its first {MAX_QUESTION_CHARS:,} characters.",
}


def reason_text(reason: Reason) -> str:
    return REASONS[reason]


def unanswered_text(reason: Reason | None) -> str:
    """What an answer without quotes says: its reason, else that nothing answers."""
    return REASONS[reason or Reason.NOTHING]


EMPTY: dict[Empty, str] = {
    Empty.EMPTY_LIBRARY: "There are no sources to draw a timeline of.",
    Empty.NO_DATES: "None of these sources states a date that can be placed on a time axis.",
    Empty.NO_DATES_IN_ANSWER: "None of the quoted sentences states a date that can be placed on a time axis.",
}
UNPLACED: dict[Unplaced, str] = {
    Unplaced.NO_YEAR: "no year stated",
    Unplaced.RELATIVE: "relative; no year in the text",
    Unplaced.TOO_BROAD: "too broad to place",
}


def timeline_note(timeline: Timeline) -> str | None:
    """What a timeline says above its events: why nothing is placed, if nothing is."""
    if timeline.reason:
        return unanswered_text(timeline.reason)
    return EMPTY[timeline.empty] if timeline.empty else None


def unplaced_text(why: Unplaced | None) -> str:
    """Why a date is not on the time axis, in a few words."""
    return UNPLACED[why] if why else ""


def size_text(source: SourceInfo) -> str:
    """How much a source holds: "3 pages, 6 paragraphs, 9 sentences" (pages for a PDF only)."""
    pages = f"{source.pages} page{'s' if source.pages != 1 else ''}, " if source.pages else ""
    return f"{pages}{source.paragraphs} paragraphs, {source.sentences} sentences"
