"""Asking: /ask, the "Find in sources" message menu, and questions in messages (a mention, a
question channel, a DM). Each path parses, asks the engine, renders, replies; nothing more."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import errors
from bot.discord.asking import MENTION_HINT, question_in, scope_of
from bot.discord.cooldown import ask_cooldown, ask_cooldown_check
from bot.discord.pages import StaticPages, send_pages
from bot.discord.render import answer_pages
from storage.errors import FactbotError

if TYPE_CHECKING:
    from bot.discord.client import FactBot

QUESTION_MAX = 1000


class AskCog(commands.Cog):
    """Questions in, quoted answers out."""

    def __init__(self, bot: FactBot) -> None:
        self.bot = bot
        self.find_menu = app_commands.ContextMenu(name="Find in sources", callback=self.find_in_sources)
        self.find_menu.add_check(ask_cooldown_check)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.find_menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.find_menu.name, type=self.find_menu.type)

    async def _answer(self, question: str, guild_id: int | None) -> StaticPages:
        answer = await self.bot.engine.ask(question, scope=scope_of(guild_id))
        return StaticPages(answer_pages(answer))

    @app_commands.command(name="ask", description="Ask the library; the answer quotes its sources word for word.")
    @app_commands.describe(question="What you want to know", private="Only you see the answer (default: everyone)")
    @ask_cooldown()
    async def ask(
        self,
        interaction: discord.Interaction[FactBot],
        question: app_commands.Range[str, 1, QUESTION_MAX],
        private: bool = False,
    ) -> None:
        await interaction.response.defer(ephemeral=private, thinking=True)
        pages = await self._answer(question, interaction.guild_id)
        await send_pages(partial(interaction.followup.send, ephemeral=private, wait=True), pages, interaction.user.id)

    async def find_in_sources(self, interaction: discord.Interaction[FactBot], message: discord.Message) -> None:
        """Context menu: ask with the selected message's text; the answer is private to the asker."""
        if not message.content.strip():
            raise FactbotError("That message has no text to look up.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        pages = await self._answer(message.content, interaction.guild_id)
        await send_pages(partial(interaction.followup.send, ephemeral=True, wait=True), pages, interaction.user.id)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A mention anywhere the bot can read, a question channel, a DM: answered as a reply."""
        me = self.bot.user
        question = None if me is None else question_in(message, me, self.bot.settings)
        if question is None:
            return
        try:
            await self._reply(message, question)
        except Exception as err:  # the message path's one handler, as the tree has its own
            await errors.on_message_error(message, err)

    async def _reply(self, message: discord.Message, question: str) -> None:
        reply = partial(message.reply, mention_author=False)
        if not question:
            await reply(MENTION_HINT.format(name=self.bot.user.name if self.bot.user else "factbot"))
            return
        spent = self.bot.ask_cooldown.hit(message.author.id)
        if spent is not None:
            await reply(errors.cooldown_message(spent[1]))
            return
        pages = await self._answer(question, message.guild.id if message.guild else None)
        await send_pages(reply, pages, message.author.id)
