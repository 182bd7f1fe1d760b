"""An Answer as plain-text pages, for channels where the bot may not send embeds (no Embed Links).

The same answer as `render.answer_pages`, without embeds: the question and the summary lines, then
each source that addresses the question under its citation (number, title, author, publisher,
date, link, source id) and its quotes, verbatim, as blockquotes with their paragraph. Markdown is
escaped; mentions never ping (the bot sends with no mentions allowed). Each page is one message
within Discord's 2,000 characters; quotes are never shortened, only split at a word boundary and
continued on the next page.
"""

from __future__ import annotations

from bot.answer.model import Answer
from bot.discord import fit as limits
from bot.discord.fit import escape, fit, squash
from bot.discord.pages import Page
from bot.discord.render import _bold_rule, _summary_lines, byline, question_line, quote_blocks, source_url
from storage.models import SourceInfo

# The worst case of one page: the question line (307) + a title line (~215) + a citation line
# (~530) + one quote piece (900) and the newlines between them stay under 2,000.
TEXT_BLOCK_CHARS = 900
TITLE_CHARS = 200
BYLINE_CHARS = 200
URL_CHARS = 300  # a longer link is left out of the citation rather than cut (a cut link is wrong)


def answer_text_pages(answer: Answer) -> list[Page]:
    """The pages of a reply as plain text; the first carries the summary."""
    question = question_line(answer.question)
    summary = fit("\n".join([question, *_summary_lines(answer)]), limits.CONTENT)
    if not answer.answered:
        return [Page(content=summary)]
    bold = _bold_rule(answer)
    pages: list[list[str]] = [[summary]]
    for n, part in enumerate(answer.sources, 1):
        blocks = [block for quote in part.quotes for block in quote_blocks(quote, bold, TEXT_BLOCK_CHARS)]
        on_this_page = False
        for i, block in enumerate(blocks):
            lines = [block] if on_this_page else ["", *citation(n, part.source, continued=i > 0), block]
            if len("\n".join([*pages[-1], *lines])) > limits.CONTENT:
                pages.append([question])
                lines = ["", *citation(n, part.source, continued=i > 0), block]
            pages[-1].extend(lines)
            on_this_page = True
    return [Page(content="\n".join(lines)) for lines in pages]


def citation(n: int, source: SourceInfo, *, continued: bool = False) -> list[str]:
    """Two lines: the numbered title, then who, when, where to read it and which source it is."""
    title = f"**[{n}] {fit(escape(squash(source.title)), TITLE_CHARS)}**" + (" (continued)" if continued else "")
    parts = [fit(escape(line), BYLINE_CHARS)] if (line := byline(source)) else []
    url = source_url(source)
    if url and len(url) <= URL_CHARS:
        parts.append(f"<{url}>")
    parts.append(f"source {source.id}, " + ("global library" if source.is_global else "this server"))
    return [title, " · ".join(parts)]
