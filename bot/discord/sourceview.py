"""The library as moderators see it in Discord: a source's card, the paged list, the change log,
and the autocomplete choices that name sources."""

from __future__ import annotations

from datetime import datetime

import discord
from discord import app_commands

from bot.discord import fit as limits
from bot.discord.fit import escape, fit, squash
from bot.discord.pages import Page
from bot.discord.render import byline, source_url
from bot.wording import size_text
from storage.backends.base import Library
from storage.dates import format_date
from storage.models import LogEntry, SourceInfo

PER_PAGE = 10
LINE_CHARS = 300
EXCERPT_CHARS = 700
LOG_LIMIT = 50
COLOUR = 0x5865F2


def where(source: SourceInfo) -> str:
    return "global library" if source.is_global else "this server"


def source_card(source: SourceInfo, *, excerpt: str | None = None, heading: str | None = None) -> discord.Embed:
    """One source in full: what a moderator needs to recognise it and to cite it."""
    embed = discord.Embed(
        title=fit(escape(squash(source.title)), limits.EMBED_TITLE), url=source_url(source), colour=COLOUR
    )
    if heading:
        embed.set_author(name=fit(heading, limits.EMBED_AUTHOR))
    if excerpt:
        embed.description = "> " + fit(escape(squash(excerpt)), EXCERPT_CHARS)
    rows = [
        ("Author", source.author),
        ("Publisher", source.publisher),
        ("Published", format_date(source.published) if source.published else None),
        ("Library", where(source)),
        ("Added", f"{_when(source.added_at)} by {source.added_by or 'unknown'}"),
        ("Origin", source.origin),
        ("Size", size_text(source)),
    ]
    for name, value in rows:
        embed.add_field(name=name, value=fit(escape(squash(value or "—")), limits.FIELD_VALUE), inline=True)
    embed.set_footer(text=f"Source {source.id}")
    return embed


def list_line(source: SourceInfo) -> str:
    line = byline(source)
    text = f"**{source.id}** · {escape(squash(source.title))}"
    text += f" — {escape(line)}" if line else ""
    return fit(text, LINE_CHARS) + (" *(global)*" if source.is_global else "")


def log_line(entry: LogEntry) -> str:
    verb = {"add": "added", "remove": "removed"}.get(entry.action, entry.action)
    title = escape(squash(entry.title or "?"))
    actor = escape(entry.actor or "unknown")
    return fit(f"{_when(entry.at)} **{verb}** {entry.source_id} · {title} — by {actor}", LINE_CHARS)


def _when(iso: str) -> str:
    """A stored UTC timestamp as a Discord timestamp, shown in each reader's own time zone."""
    try:
        return discord.utils.format_dt(datetime.fromisoformat(iso), "f")
    except ValueError:
        return iso


class LibraryPages:
    """`/sources list`: one page of sources at a time, read when turned to (libraries grow large)."""

    def __init__(self, library: Library, scope: int, total: int) -> None:
        self.library = library
        self.scope = scope
        self.total = total

    @property
    def count(self) -> int:
        return max(1, -(-self.total // PER_PAGE))

    async def page(self, index: int) -> Page:
        found = await self.library.list_sources(scope=self.scope, limit=PER_PAGE, offset=index * PER_PAGE)
        embed = discord.Embed(title=f"Sources ({self.total})", colour=COLOUR)
        embed.description = "\n".join(list_line(s) for s in found) or "No sources yet."
        embed.set_footer(text="Global sources are quoted everywhere; only the operator can remove them.")
        return Page(embeds=[embed])


def log_pages(entries: list[LogEntry]) -> list[Page]:
    if not entries:
        return [Page(content="Nothing has been added or removed in this server yet.")]
    pages = []
    for start in range(0, len(entries), PER_PAGE):
        embed = discord.Embed(title="Library changes in this server, newest first", colour=COLOUR)
        embed.description = "\n".join(log_line(e) for e in entries[start : start + PER_PAGE])
        pages.append(Page(embeds=[embed]))
    return pages


def source_choices(sources: list[SourceInfo]) -> list[app_commands.Choice[str]]:
    """Autocomplete choices: a readable name, the source id as the value (both within 100 chars)."""
    return [
        app_commands.Choice(name=fit(f"{s.id} · {squash(s.title)}", limits.CHOICE_NAME), value=str(s.id))
        for s in sources[: limits.CHOICES]
    ]
