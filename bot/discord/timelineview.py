"""A Timeline as Discord messages: the picture inside the first embed, then every number with its
date as written, its full quote (never shortened: a long one continues in the next block) and its
citation (source and paragraph), within every Discord limit."""

from __future__ import annotations

import discord

from bot.answer.model import Fact, Quote
from bot.answer.timeline import Event, Timeline
from bot.discord import fit as limits
from bot.discord.fit import escape, fit, squash
from bot.discord.render import byline, joins, page_full, quote_blocks
from bot.timeline.draw import FILENAME, PALETTE, square
from bot.timeline.text import date_label, heading

LEGEND_CHARS = 300  # one source's line in the legend
NOT_PLACED = "*Not placed (the text gives no year for these):*"
FOOTER = "Numbers match the picture · dates as the sources write them"


def legend_lines(timeline: Timeline) -> list[str]:
    lines = []
    for lane, source in enumerate(timeline.sources):
        by = byline(source)
        line = f"{square(lane)} **[{lane + 1}]** {escape(squash(source.title))}" + (f" — {escape(by)}" if by else "")
        lines.append(fit(line, LEGEND_CHARS))
    return lines


def event_blocks(event: Event) -> list[str]:
    """The event's header line and its quote in blockquote pieces, the date in bold."""
    dated = event.dated
    quote = Quote(
        text=event.sentence,
        paragraph=event.paragraph,
        sentence=0,
        start=0,
        end=len(event.sentence),
        score=0.0,
        facts=(Fact("date", dated.start, dated.end, dated.text),),
    )
    pieces = quote_blocks(quote, lambda _fact: True)
    head = f"**{event.number}** {square(event.lane)} **[{event.lane + 1}]** {escape(date_label(event))}"
    return [f"{head}\n{pieces[0]}", *pieces[1:]] if pieces else [head]


def timeline_pages(timeline: Timeline, *, with_picture: bool) -> list[list[discord.Embed]]:
    """Embeds for one message each (the first holds the picture when there is one); none when
    there is nothing to list (the timeline's note says why)."""
    blocks = ["\n".join(legend_lines(timeline))] if timeline.sources else []
    for event in timeline.events:
        if not event.placed and event.number == timeline.unplaced[0].number:
            blocks.append(NOT_PLACED)
        blocks.extend(event_blocks(event))
    if timeline.left_out:
        blocks.append(f"*And {timeline.left_out} more dated statements not shown; ask about a topic to narrow it.*")

    pages: list[list[discord.Embed]] = [[]]
    colour = int(PALETTE[0].lstrip("#"), 16)
    for block in blocks:
        page = pages[-1]
        current = page[-1] if page else None
        size = sum(len(e) for e in page)
        if current is not None and joins(current, block, size):
            current.description = f"{current.description}\n\n{block}"
            continue
        if page_full(page, size, len(block)):
            page = []
            pages.append(page)
        embed = discord.Embed(description=block, colour=colour)
        if len(pages) == 1 and not page:
            embed.title = fit(escape(squash(heading(timeline))), limits.EMBED_TITLE)
            embed.set_footer(text=FOOTER)
            if with_picture:
                embed.set_image(url=f"attachment://{FILENAME}")
        page.append(embed)
    return [p for p in pages if p]
