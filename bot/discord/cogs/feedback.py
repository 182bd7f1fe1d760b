"""/feedback list: the votes cast on this server's answers, for its moderators only.

Paged (a page of votes read when turned to) and filterable by kind; scoped to the server it is
used in, so another server's moderator never sees these votes. The buttons that cast votes are
bot/discord/feedback.py; this cog puts them on every answer (the ask cog's pages).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.asking import scope_of
from bot.discord.checks import NotModerator, is_moderator
from bot.discord.cogs.ask import PAGE_KIND as ANSWER_PAGES
from bot.discord.feedback import feedback_buttons
from bot.discord.fit import escape, fit, squash
from bot.discord.pages import Page, PageKey, Pages, send_pages
from bot.discord.sourceview import COLOUR
from storage.backends.base import Library
from storage.feedback import KINDS, FeedbackEntry

if TYPE_CHECKING:
    from bot.discord.client import FactBot

LIST_PAGES = "feedback"
PER_PAGE = 8
QUESTION_CHARS = 200
COMMENT_CHARS = 200
ALL = "all"
KIND_CHOICES = [app_commands.Choice(name="All", value=ALL)] + [
    app_commands.Choice(name=label, value=kind) for kind, label in KINDS.items()
]


def _when(iso: str) -> str:
    try:
        return discord.utils.format_dt(datetime.fromisoformat(iso), "f")
    except ValueError:
        return iso


def _answered(entry: FeedbackEntry) -> str:
    """What the voted answer did: which sources it quoted, or that it said nothing."""
    titles = [str(s.get("title", "?")) for s in entry.answer.get("sources", [])]
    return "quoted " + ", ".join(escape(squash(t)) for t in titles) if titles else "quoted nothing"


def entry_lines(entry: FeedbackEntry) -> str:
    """One vote: kind, who (a user id the server's moderators can already see), when, the question,
    what the answer did and the comment. Mentions render as names and never ping (allowed mentions)."""
    lines = [
        f"**{KINDS.get(entry.kind, entry.kind)}** · <@{entry.user_id}> · {_when(entry.at)}",
        f"Q: {fit(escape(squash(entry.question)), QUESTION_CHARS)} — {fit(_answered(entry), QUESTION_CHARS)}",
    ]
    if entry.comment:
        lines.append(f"> {fit(escape(squash(entry.comment)), COMMENT_CHARS)}")
    return "\n".join(lines)


class FeedbackPages:
    """One page of votes at a time, newest first, read when turned to."""

    def __init__(self, library: Library, scope: int, kind: str | None, total: int) -> None:
        self.library = library
        self.scope = scope
        self.kind = kind
        self.total = total

    @property
    def count(self) -> int:
        return max(1, -(-self.total // PER_PAGE))

    async def page(self, index: int) -> Page:
        found = await self.library.feedback(scope=self.scope, kind=self.kind, offset=index * PER_PAGE, limit=PER_PAGE)
        which = KINDS[self.kind] if self.kind else "All"
        embed = discord.Embed(title=f"Feedback on answers here: {which} ({self.total})", colour=COLOUR)
        embed.description = "\n\n".join(entry_lines(e) for e in found) or "No feedback yet."
        embed.set_footer(text="Votes on this server's answers, newest first. factbot feedback export keeps them.")
        return Page(embeds=[embed])


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class FeedbackCog(commands.GroupCog, group_name="feedback", group_description="Votes on this server's answers"):
    """Moderators only: Manage Server or the configured moderator role."""

    def __init__(self, bot: FactBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.page_kinds.register(LIST_PAGES, self._list_pages)
        self.bot.page_kinds.add_extras(ANSWER_PAGES, feedback_buttons)

    async def _list_pages(self, interaction: discord.Interaction[FactBot], key: str = "") -> Pages:
        """The votes' pages, counted afresh (also when a page button is clicked, by a moderator still)."""
        if interaction.guild_id is None or not is_moderator(interaction, self.bot.settings):
            raise NotModerator(self.bot.settings)
        kind = key if key in KINDS else None
        scope = scope_of(interaction.guild_id)
        total = await self.bot.library.count_feedback(scope=scope, kind=kind)
        return FeedbackPages(self.bot.library, scope, kind, total)

    async def interaction_check(self, interaction: discord.Interaction[FactBot]) -> bool:  # type: ignore[override]
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if not is_moderator(interaction, self.bot.settings):
            raise NotModerator(self.bot.settings)
        return True

    @app_commands.command(name="list", description="Votes on this server's answers, newest first.")
    @app_commands.describe(kind="Only votes of this kind (default: all)")
    @app_commands.choices(kind=KIND_CHOICES)
    async def list_feedback(self, interaction: discord.Interaction[FactBot], kind: str = ALL) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        key = kind if kind in KINDS else ""
        pages = await self._list_pages(interaction, key)
        send = partial(interaction.followup.send, ephemeral=True, wait=True)
        await send_pages(send, pages, PageKey(LIST_PAGES, interaction.user.id, key))
