"""Edited questions: people fix a typo by editing, and expect the answer to follow.

An edit made within EDIT_WINDOW of a message that asks the bot (it was answered, or it now
mentions the bot) is answered again as if just sent, and the answer replaces the bot's earlier
reply by editing it, rather than adding a second message under the question. The bot remembers
its reply to each recent question (`Replies`); after a restart, or once the reply is deleted, an
edited question gets a new reply instead.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.discord.cogs.ask import AskCog

if TYPE_CHECKING:
    from bot.discord.client import FactBot

EDIT_WINDOW = dt.timedelta(minutes=5)  # how long after a question an edit of it is answered again
REPLIES_KEPT = 1024  # questions whose reply is remembered (a few minutes' worth on a busy bot)
log = logging.getLogger(__name__)

Send = Callable[..., Awaitable[discord.Message]]


class Replies:
    """The bot's reply to each recent question message, so answering it again edits that reply."""

    def __init__(self) -> None:
        self._replies: OrderedDict[int, discord.Message] = OrderedDict()

    def sender(self, question: discord.Message) -> Send:
        """Sends like `question.reply` the first time; afterwards edits that reply instead."""

        async def send(content: str | None = None, **kwargs: Any) -> discord.Message:
            earlier = self._replies.get(question.id)
            if earlier is not None:
                try:
                    # What the new answer does not have goes: a one-page answer's old page buttons,
                    # a text answer's old embeds.
                    return await earlier.edit(content=content, **{"view": None, "embeds": [], **kwargs})
                except discord.NotFound:
                    log.info("The reply to message %s was deleted; replying again.", question.id)
            sent = await question.reply(content, mention_author=False, **kwargs)
            self._replies[question.id] = sent
            while len(self._replies) > REPLIES_KEPT:
                self._replies.popitem(last=False)
            return sent

        return send


def answers_again(message: discord.Message, now: dt.datetime | None = None) -> bool:
    """Whether an update of `message` is an edit (not an embed unfurl) made soon enough after it
    was sent to be answered again."""
    if message.edited_at is None or message.author.bot:
        return False
    return (now or discord.utils.utcnow()) - message.created_at <= EDIT_WINDOW


class EditsCog(commands.Cog):
    """Hands recent edits of questions to the ask cog, as if they had just been sent."""

    def __init__(self, bot: FactBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        if not answers_again(payload.message):
            return
        ask = self.bot.get_cog(AskCog.__cog_name__)
        if isinstance(ask, AskCog):
            await ask.on_message(payload.message)
