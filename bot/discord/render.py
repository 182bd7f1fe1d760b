"""An Answer as Discord pages: the question, a summary line or two, then one embed per source.

Each source that addresses the question gets its own embed, side by side with the others: title
linked to its URL, author/publisher/date above it, its quotes (markdown-escaped, each with its
paragraph) below. Quantities and dates are bold, and so are names that not every source states,
so differences stand out; when sources state different facts of the kind the question asks for
(numbers, dates or names) a comparison line lines them up. Quotes are never shortened: what does
not fit moves on, split at a word boundary, to a continuation embed or the next page. Rendering
never changes which words are quoted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import partial

import discord

from bot.answer.compare import compare
from bot.answer.model import Answer, Fact, Quote, SourceAnswer
from bot.discord import fit as limits
from bot.discord.fit import escape, fit, squash, unescape, word_cut
from bot.discord.pages import Page
from bot.wording import reason_text, unanswered_text
from storage.dates import format_date
from storage.models import SourceInfo

QUESTION_LABEL = "**Q:** "
READ_AS_LABEL = "**Read as:** "  # the question line of a follow-up, showing how it was read
QUESTION_CHARS = 300
NOTE_CHARS = 200
COMPARE_CHARS = 400
UNCOVERED_CHARS = 600
BLOCK_CHARS = 1800  # one quote, or one piece of a very long one
PAGE_CHARS = 4500  # embed characters per page: under Discord's 6000, and still readable on a phone
FACTS_PER_SOURCE = 4
PALETTE = (0x5865F2, 0x57F287, 0xFEE75C, 0xEB459E, 0xED4245, 0x3BA55D, 0xFAA61A, 0x9B59B6, 0x1ABC9C, 0x95A5A6)
_URL = re.compile(r"https?://\S{1,2000}", re.IGNORECASE)


def answer_pages(answer: Answer) -> list[Page]:
    """The pages of a reply; the first carries the summary (comparisons, sources not addressing it)."""
    question = question_line(answer.question)
    summary = "\n".join([question, *_summary_lines(answer)])
    if not answer.answered:
        return [Page(content=summary)]
    bold = _bold_rule(answer)
    parts = [(_embed_maker(n, part.source), _source_blocks(part, bold)) for n, part in enumerate(answer.sources, 1)]
    return [Page(content=summary if i == 0 else question, embeds=embeds) for i, embeds in enumerate(_pack(parts))]


def question_line(question: str) -> str:
    """The first line of every page: the question as asked, on one line, shown as written."""
    return QUESTION_LABEL + fit(escape(squash(question)), QUESTION_CHARS)


def question_shown(content: str | None) -> str | None:
    """The question a page shows (see question_line), None if it has none; when the question was too
    long to show whole, this is its shortened form."""
    first = (content or "").partition("\n")[0]
    label = next((label for label in (QUESTION_LABEL, READ_AS_LABEL) if first.startswith(label)), None)
    return unescape(first[len(label) :]) if label else None


def source_url(source: SourceInfo) -> str | None:
    """The source's URL when Discord will accept it as an embed link (else the embed is refused)."""
    return source.url if source.url and _URL.fullmatch(source.url) else None


def byline(source: SourceInfo) -> str:
    """Author, publisher and date: the parts of a citation the source has, nothing invented."""
    parts = [p for p in (source.author, source.publisher) if p]
    if source.published:
        parts.append(format_date(source.published))
    return " · ".join(squash(p) for p in parts)


# -- summary ------------------------------------------------------------------------------------


def _summary_lines(answer: Answer) -> list[str]:
    lines = []
    if not answer.answered:
        lines.append(fit(unanswered_text(answer.reason), NOTE_CHARS))
    else:
        lines.extend(_comparisons(answer))
    if answer.uncovered_count:
        label = "Not addressed by" if answer.answered else "Sources searched"
        titles = [escape(squash(u.title)) for u in answer.uncovered]
        hidden = answer.uncovered_count - len(answer.uncovered)
        lines.append(f"*{label}:* " + join_within(titles, "; ", UNCOVERED_CHARS, hidden=hidden) + ".")
    if answer.answered and answer.reason:
        lines.append(fit(reason_text(answer.reason), NOTE_CHARS))
    return lines


def _comparisons(answer: Answer) -> list[str]:
    """A line comparing the facts of the kind the question asks for (numbers for "how many",
    dates for "when", names for "who"), when at least two sources state such facts, differently
    (which facts: bot.answer.compare)."""
    found = compare(answer)
    if found is None:
        return []
    cells = []
    for n, values in found.stated:
        shown = ", ".join(f"**{escape(v)}**" for v in values[:FACTS_PER_SOURCE])
        cells.append(f"[{n}] {shown}" + (", …" if len(values) > FACTS_PER_SOURCE else ""))
    return [f"*{found.label}:* " + join_within(cells, " · ", COMPARE_CHARS)]


def join_within(items: list[str], sep: str, budget: int, *, hidden: int = 0) -> str:
    """Join whole items while they fit in `budget`; the rest are counted ("and 3 more"), never cut."""
    shown: list[str] = []
    used = 0
    for item in items:
        extra = len(item) + (len(sep) if shown else 0)
        if used + extra > budget - 20:  # room for the "and N more" tail
            break
        shown.append(item)
        used += extra
    hidden += len(items) - len(shown)
    return sep.join(shown) + (f" and {hidden} more" if hidden else "")


# -- quotes -------------------------------------------------------------------------------------


def _bold_rule(answer: Answer) -> Callable[[Fact], bool]:
    """Quantities and dates always; names only when some source does not state them too."""
    names = [{f.text.casefold() for q in part.quotes for f in q.facts if f.kind == "name"} for part in answer.sources]
    shared = set.intersection(*names) if len(names) > 1 else set().union(*names)
    return lambda fact: fact.kind != "name" or fact.text.casefold() not in shared


def _source_blocks(part: SourceAnswer, bold: Callable[[Fact], bool]) -> list[str]:
    return [block for quote in part.quotes for block in quote_blocks(quote, bold)]


def quote_blocks(quote: Quote, bold: Callable[[Fact], bool], budget: int = BLOCK_CHARS) -> list[str]:
    """A quote as blockquote lines, facts in bold, split at word boundaries into pieces of at most
    `budget` characters (a fact is never split)."""
    wanted = [(f.start, f.end) for f in quote.facts if bold(f) and 0 <= f.start < f.end <= len(quote.text)]
    text, spans = _squash_keeping_spans(quote.text, wanted)
    marks = _disjoint(spans)
    tail = f"” — {quote.place}"
    room = budget - len("> … ") - max(len(tail), len(" …"))
    pieces: list[str] = []
    start = 0
    while start < len(text):
        # Formatting never shortens text, so a piece is cut from at most room + 1 characters.
        window = text[start : start + room + 1]
        local = [(a - start, b - start) for a, b in marks if b > start and a < start + len(window)]
        end = word_cut(window, room, partial(_formatted_length, marks=local), forbidden=local)
        pieces.append(_format(window[:end], local))
        start += end
        while start < len(text) and text[start] == " ":
            start += 1
    if not pieces:
        return []
    blocks = [("> “" if i == 0 else "> … ") + piece + " …" for i, piece in enumerate(pieces)]
    blocks[-1] = blocks[-1][: -len(" …")] + tail
    return blocks


def _squash_keeping_spans(text: str, spans: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """`squash(text)` and the same spans moved to match: a quote shows on one line, and its length
    then only grows when formatted, which lets splitting look at a bounded window."""
    out: list[str] = []
    moved = [0] * (len(text) + 1)
    pending_space = False
    for i, char in enumerate(text):
        if char.isspace():
            pending_space = bool(out)
            moved[i] = len(out)
            continue
        if pending_space:
            out.append(" ")
            pending_space = False
        moved[i] = len(out)
        out.append(char)
    moved[len(text)] = len(out)
    return "".join(out), [(moved[a], moved[b]) for a, b in spans]


def _disjoint(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end))
    return kept


def _formatted_length(text: str, marks: list[tuple[int, int]]) -> int:
    return len(_format(text, marks))


def _format(text: str, marks: list[tuple[int, int]]) -> str:
    """Escape markdown in `text` and bold the marked spans (clipped to `text`), on one line."""
    out, at = [], 0
    for start, end in marks:
        start, end = max(start, 0), min(end, len(text))
        if start >= len(text) or end <= start:
            continue
        out.append(escape(text[at:start]))
        out.append(f"**{escape(text[start:end])}**")
        at = end
    out.append(escape(text[at:]))
    return squash("".join(out))


# -- packing into embeds and pages ---------------------------------------------------------------


def _embed_maker(n: int, source: SourceInfo) -> Callable[[bool], discord.Embed]:
    def make(continued: bool) -> discord.Embed:
        title = f"[{n}] {escape(squash(source.title))}"
        embed = discord.Embed(
            title=fit(title + (" (continued)" if continued else ""), limits.EMBED_TITLE),
            url=source_url(source),
            colour=PALETTE[(n - 1) % len(PALETTE)],
        )
        if line := byline(source):
            embed.set_author(name=fit(line, limits.EMBED_AUTHOR))
        where = "global library" if source.is_global else "this server"
        embed.set_footer(text=f"Source {source.id} · {where}")
        return embed

    return make


def joins(embed: discord.Embed, block: str, page_chars: int) -> bool:
    """Whether `block` fits at the end of `embed` (a blank line apart) on a page that holds
    `page_chars` characters so far."""
    grows = 2 + len(block)
    return len(embed.description or "") + grows <= limits.EMBED_DESCRIPTION and page_chars + grows <= PAGE_CHARS


def page_full(page: list[discord.Embed], page_chars: int, adding: int) -> bool:
    """Whether a page (of `page_chars` characters) cannot take one more embed of `adding` characters."""
    return bool(page) and (len(page) >= limits.EMBEDS_PER_MESSAGE or page_chars + adding > PAGE_CHARS)


def _pack(parts: list[tuple[Callable[[bool], discord.Embed], list[str]]]) -> list[list[discord.Embed]]:
    """Fill pages in order: a source's quotes share its embed while they fit, then continue in a
    new embed for it, on a new page when this one is full (10 embeds or PAGE_CHARS characters)."""
    pages: list[list[discord.Embed]] = [[]]
    for make, blocks in parts:
        current: discord.Embed | None = None
        for block in blocks:
            page = pages[-1]
            size = sum(len(e) for e in page)
            if current is not None and joins(current, block, size):
                current.description = f"{current.description}\n\n{block}"
                continue
            embed = make(current is not None)
            if page_full(page, size, len(embed) + len(block)):
                page = []
                pages.append(page)
            embed.description = block
            page.append(embed)
            current = embed
    return pages
