"""Plain-text views for the terminal: an answer, a source, a list of sources.

What they return is terminal-safe: control characters (the start of every escape sequence) and
bidirectional overrides in stored text are shown as escapes, never sent to the terminal raw.
"""

from __future__ import annotations

import re
import textwrap

from bot.answer.compare import compare
from bot.answer.model import Answer, SourceAnswer
from bot.wording import reason_text, size_text, unanswered_text
from storage.dates import format_date
from storage.models import SourceInfo

# C0 controls but the newline, DEL, C1 controls, and the bidirectional embeddings and isolates.
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """`text` with every character a terminal would act on written as a visible escape (\\x1b)."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def citation(source: SourceInfo, paragraph: int | None = None) -> str:
    """'Title' — author, publisher, date, ¶ n, url: every part the source has, nothing invented."""
    parts = [p for p in (source.author, source.publisher) if p]
    if source.published:
        parts.append(format_date(source.published))
    if paragraph is not None:
        parts.append(f"¶ {paragraph}")
    if source.url:
        parts.append(source.url)
    tail = ", ".join(parts)
    return f"“{source.title}”" + (f" — {tail}" if tail else "")


def render_answer(answer: Answer, width: int = 100) -> str:
    lines = [f"Q: {answer.question}", ""]
    if not answer.answered:
        lines.append(unanswered_text(answer.reason))
    lines.extend(comparison_block(answer, width))
    for n, part in enumerate(answer.sources, 1):
        lines.extend(_source_block(n, part, width))
    if answer.uncovered_count:
        names = "; ".join(f"[{u.id}] {u.title}" for u in answer.uncovered)
        more = answer.uncovered_count - len(answer.uncovered)
        suffix = f" and {more} more" if more > 0 else ""
        label = "Not addressed by" if answer.answered else "Sources searched"
        lines += ["", textwrap.fill(f"{label}: {names}{suffix}.", width)]
    if answer.answered and answer.reason:
        lines += ["", reason_text(answer.reason)]
    return terminal_safe("\n".join(lines).rstrip() + "\n")


def comparison_block(answer: Answer, width: int = 100) -> list[str]:
    """Where the sources differ on what was asked (bot.answer.compare): one compact block above
    the quotes, each source's figures side by side with its number and title."""
    found = compare(answer)
    if found is None:
        return []
    cells = [(n, ", ".join(values)) for n, values in found.stated]
    column = min(max(len(figures) for _, figures in cells), width // 2)
    lines = [f"{found.label}, side by side:"]
    for n, figures in cells:
        head = f"  [{n}] {figures:<{column}}  "
        title = answer.sources[n - 1].source.title
        room = max(width - len(head), 12)
        lines.append(head + (title if len(title) <= room else title[: room - 1].rstrip() + "…"))
    return [*lines, ""]


def _source_block(n: int, part: SourceAnswer, width: int) -> list[str]:
    source = part.source
    lines = [f"[{n}] {citation(source)}  (source {source.id})"]
    for quote in part.quotes:
        body = textwrap.fill(f"“{quote.text}”", width, initial_indent="    ", subsequent_indent="     ")
        lines += [body, f"      — {quote.place}"]
    lines.append("")
    return lines


def render_source(source: SourceInfo) -> str:
    rows = [
        ("id", str(source.id)),
        ("title", source.title),
        ("author", source.author or "—"),
        ("publisher", source.publisher or "—"),
        ("published", format_date(source.published) if source.published else "—"),
        ("url", source.url or "—"),
        ("library", "global" if source.is_global else f"server {source.scope}"),
        ("added", f"{source.added_at} by {source.added_by or 'unknown'}"),
        ("origin", source.origin or "—"),
        ("size", f"{size_text(source)}, {source.chars:,} characters"),
        ("sha256", source.sha256),
    ]
    return terminal_safe("\n".join(f"{k:>10}: {v}" for k, v in rows) + "\n")


def render_source_list(sources: list[SourceInfo]) -> str:
    if not sources:
        return "The library is empty.\n"
    lines = []
    for s in sources:
        where = "global" if s.is_global else f"server {s.scope}"
        byline = ", ".join(p for p in (s.author, s.publisher) if p)
        lines.append(
            f"{s.id:>6}  {s.title}" + (f" — {byline}" if byline else "") + f"  [{where}, {s.sentences} sentences]"
        )
    return terminal_safe("\n".join(lines) + "\n")


def meaning_status(encoded: int, total: int) -> str:
    """Whether a source's sentences can be found by meaning yet, or only by their words."""
    if encoded >= total:
        return "Searchable by its words and by meaning."
    return f"Searchable by its words; by meaning: {encoded} of {total} sentences so far (encoding in the background)."
