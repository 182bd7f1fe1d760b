"""Asking: /ask, the "Find in sources" message menu, and questions in messages (a mention, a
question channel, a DM). Each path parses, asks the engine, renders, replies; nothing more."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer.model import Answer
from bot.answer.question import MAX_QUESTION_CHARS
from bot.discord import errors
from bot.discord.answerkey import question_key, question_to_ask_again
from bot.discord.asking import hint_for, question_in, scope_of
from bot.discord.channels import may_embed
from bot.discord.cooldown import ask_cooldown, ask_cooldown_check
from bot.discord.followups import Followups, read_as_pages
from bot.discord.pages import PageKey, Pages, StaticPages, send_pages
from bot.discord.plaintext import answer_text_pages
from bot.discord.render import READ_AS_LABEL, answer_pages
from storage.errors import FactbotError

if TYPE_CHECKING:
    from bot.discord.client import FactBot

ANSWERS_KEPT = 256  # recent answers' pages, so turning a page doesn't ask again
PAGE_KIND = "ask"
EMBEDS, TEXT = "e", "t"  # how an answer's pages are rendered, the first letter of its page key
log = logging.getLogger(__name__)


class AskCog(commands.Cog):
    """Questions in, quoted answers out."""

    def __init__(self, bot: FactBot) -> None:
        self.bot = bot
        self.find_menu = app_commands.ContextMenu(name="Find in sources", callback=self.find_in_sources)
        self.find_menu.add_check(ask_cooldown_check)
        self._recent: OrderedDict[tuple[int, str], Pages] = OrderedDict()
        self.followups = Followups(bot.settings.followup_minutes)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.find_menu)
        self.bot.page_kinds.register(PAGE_KIND, self._pages_again)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.find_menu.name, type=self.find_menu.type)

    async def _answer(
        self,
        send: Callable[..., Awaitable[Any]],
        question: str,
        guild_id: int | None,
        asker_id: int,
        *,
        plain: bool = False,
        read_as: bool = False,
    ) -> None:
        """Ask, render (as embeds, or as plain text), and send the first page with its page buttons."""
        scope = scope_of(guild_id)
        answer = await self.bot.engine.ask(question, scope=scope)
        key = (TEXT if plain else EMBEDS) + question_key(answer.question)  # the question the page shows
        pages = self._keep(answer, scope, key, read_as=read_as)
        await send_pages(send, pages, PageKey(PAGE_KIND, asker_id, key), self.bot.page_kinds.extras(PAGE_KIND))

    def _keep(self, answer: Answer, scope: int, key: str, *, read_as: bool = False) -> Pages:
        rendered = answer_text_pages(answer) if key.startswith(TEXT) else answer_pages(answer)
        pages = StaticPages(read_as_pages(rendered) if read_as else rendered)
        self._recent[(scope, key)] = pages
        while len(self._recent) > ANSWERS_KEPT:
            self._recent.popitem(last=False)
        return pages

    async def _pages_again(self, interaction: discord.Interaction[FactBot], key: str) -> Pages:
        """A page button was clicked: the answer's pages, kept from before or asked again (after a
        restart) with the question the message shows, if that is the question the buttons name."""
        scope = scope_of(interaction.guild_id)
        if (kept := self._recent.get((scope, key))) is not None:
            self._recent.move_to_end((scope, key))
            return kept
        content = interaction.message.content if interaction.message else None
        shown = question_to_ask_again(content, key[1:])
        answer = await self.bot.engine.ask(shown, scope=scope)
        return self._keep(answer, scope, key, read_as=bool(content and content.startswith(READ_AS_LABEL)))

    @app_commands.command(name="ask", description="Ask the library; the answer quotes its sources word for word.")
    @app_commands.describe(question="What you want to know", private="Only you see the answer (default: everyone)")
    @ask_cooldown()
    async def ask(
        self,
        interaction: discord.Interaction[FactBot],
        question: app_commands.Range[str, 1, MAX_QUESTION_CHARS],
        private: bool = False,
    ) -> None:
        await interaction.response.defer(ephemeral=private, thinking=True)
        send = partial(interaction.followup.send, ephemeral=private, wait=True)
        await self._answer(send, question, interaction.guild_id, interaction.user.id)

    async def find_in_sources(self, interaction: discord.Interaction[FactBot], message: discord.Message) -> None:
        """Context menu: ask with the selected message's text; the answer is private to the asker."""
        if not message.content.strip():
            raise FactbotError("That message has no text to look up.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        send = partial(interaction.followup.send, ephemeral=True, wait=True)
        await self._answer(send, message.content, interaction.guild_id, interaction.user.id)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A mention anywhere the bot can read, a question channel, a DM: answered as a reply."""
        me = self.bot.user
        question = None if me is None else question_in(message, me, self.bot.settings)
        if question is None and me is not None:
            question = await self.followups.question_in(message, me)
        if question is None:
            return
        try:
            await self._reply(message, question)
        except Exception as err:  # the message path's one handler, as the tree has its own
            await errors.on_message_error(message, err)

    async def _reply(self, message: discord.Message, question: str) -> None:
        reply = self.bot.replies.sender(message)  # a reply, or an edit of it once the question is edited
        if not question:
            await reply(hint_for(message, self.bot.user))
            return
        spent = await self.bot.ask_cooldown.hit(message.author.id)
        if spent is not None:
            await reply(errors.cooldown_message(spent[1]))
            return
        guild_id = message.guild.id if message.guild else None
        plain = not await may_embed(message)
        reading = await self.followups.read(message, self.bot.user, question) if self.bot.user else None
        read_as = reading is not None and reading.followed
        question = reading.read if reading is not None else question
        try:
            await self._answer(reply, question, guild_id, message.author.id, plain=plain, read_as=read_as)
        except discord.Forbidden as err:
            if plain or err.code != errors.MISSING_PERMISSIONS:
                raise
            # The permissions the bot knew were out of date: Embed Links is missing after all.
            log.info("No Embed Links in channel %s; answering message %s as text.", message.channel.id, message.id)
            await self._answer(reply, question, guild_id, message.author.id, plain=True, read_as=read_as)
