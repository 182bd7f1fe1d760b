"""A timeline in words: its heading, each event's date label (shared by the picture, the terminal
and Discord) and the terminal's numbered list."""

from __future__ import annotations

import textwrap

from bot.answer.events import When
from bot.answer.months import SHORT_MONTHS
from bot.answer.timeline import Event, Timeline
from bot.textview import citation
from bot.wording import timeline_note, unplaced_text


def heading(timeline: Timeline) -> str:
    return f"Timeline: {timeline.topic}" if timeline.topic else "What the sources date"


def date_label(event: Event) -> str:
    """The date as the text writes it; for a relative date placed by a name (which the fragment
    shows), where it was placed."""
    dated = event.dated
    written = " ".join(dated.text.split())
    if dated.when is None:
        return f"{written} · {unplaced_text(dated.why)}"
    if dated.relative:
        return f"{written} → {_when_text(dated.when)}"
    return written


def _when_text(when: When) -> str:
    year = int(when.start + 1e-9)
    if when.precision == "month":
        return f"{SHORT_MONTHS[round((when.start - year) * 12)]} {year}"
    return str(year)


def render_text(timeline: Timeline, width: int = 100) -> str:
    """The terminal's list: each number with its date, its full quote and its citation."""
    lines = [heading(timeline), ""]
    if note := timeline_note(timeline):
        lines += [note, ""]
    if timeline.sources:
        lines.append("Sources:")
        lines += [f"  [{lane + 1}] {citation(source)}" for lane, source in enumerate(timeline.sources)]
        lines.append("")
    for title, events in (("On the time axis:", timeline.placed), ("Not placed:", timeline.unplaced)):
        if not events:
            continue
        lines.append(title)
        for event in events:
            lines.append(f"  {event.number:>2}. {date_label(event)}  — [{event.lane + 1}] ¶ {event.paragraph}")
            quote = " ".join(event.sentence.split())
            lines.append(textwrap.fill(f"“{quote}”", width, initial_indent="      ", subsequent_indent="       "))
        lines.append("")
    if timeline.left_out:
        lines.append(f"And {timeline.left_out} more dated statements not shown.")
    return "\n".join(lines).rstrip() + "\n"
