"""/timeline: the dated statements of a topic's answer (or of the server's sources) as a picture,
with every number listed beside its full quote. Parse, gather, draw off the event loop, reply."""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer.question import MAX_QUESTION_CHARS
from bot.answer.timeline import Timeline, answer_timeline, library_timeline
from bot.discord.asking import scope_of
from bot.discord.cooldown import ask_cooldown
from bot.discord.timelineview import timeline_pages
from bot.timeline.draw import FILENAME, draw_png
from bot.wording import timeline_note

if TYPE_CHECKING:
    from bot.discord.client import FactBot


class TimelineCog(commands.Cog):
    """A picture of what the sources date."""

    def __init__(self, bot: FactBot) -> None:
        self.bot = bot

    async def gather(self, topic: str | None, guild_id: int | None) -> Timeline:
        scope = scope_of(guild_id)
        if topic:
            return answer_timeline(await self.bot.engine.ask(topic, scope=scope))
        return await library_timeline(self.bot.library, scope)

    @app_commands.command(name="timeline", description="A timeline of what the sources date, each event quoted.")
    @app_commands.describe(
        topic="What to draw the dates of (default: all this server's sources)",
        private="Only you see it (default: everyone)",
    )
    @ask_cooldown()
    async def timeline(
        self,
        interaction: discord.Interaction[FactBot],
        topic: app_commands.Range[str, 1, MAX_QUESTION_CHARS] | None = None,
        private: bool = False,
    ) -> None:
        await interaction.response.defer(ephemeral=private, thinking=True)  # drawing takes a moment
        timeline = await self.gather(topic, interaction.guild_id)
        png = await asyncio.to_thread(draw_png, timeline) if timeline.drawable else None
        if png is not None and len(png) > interaction.filesize_limit:
            png = None  # cannot happen at 800 px wide, but a reply without the picture beats none
        pages = timeline_pages(timeline, with_picture=png is not None)
        if not pages:
            await interaction.followup.send(timeline_note(timeline) or "Nothing to draw.", ephemeral=private)
            return
        for n, embeds in enumerate(pages):
            note = timeline_note(timeline) if n == 0 and not timeline.drawable else None
            picture = discord.File(io.BytesIO(png), filename=FILENAME) if n == 0 and png is not None else None
            await interaction.followup.send(
                content=note or discord.utils.MISSING,
                embeds=embeds,
                ephemeral=private,
                allowed_mentions=discord.AllowedMentions.none(),
                file=picture or discord.utils.MISSING,
            )
