"""Which messages are questions, and which library a question is asked of."""

from __future__ import annotations

import re

import discord

from bot.discord.fit import squash
from bot.settings import Settings
from storage.models import GLOBAL_SCOPE

MENTION_HINT = "Ask me a question after the mention, for example: “@{name} who are the members of the CSTO?”"
# Where no mention is needed (a DM, a question channel); a file alone is not read as a question.
TYPED_HINT = "Ask me a question in words, for example: “who are the members of the CSTO?”"
FILE_HINT = "I read questions, not files: type your question, for example “who are the members of the CSTO?”"


def scope_of(guild_id: int | None) -> int:
    """A server asks its own sources and the global library; a DM asks the global library."""
    return guild_id if guild_id is not None else GLOBAL_SCOPE


def question_in(message: discord.Message, me: discord.abc.User, settings: Settings) -> str | None:
    """The question a message asks the bot, '' for a bare mention, None when it asks nothing.

    A message is a question when it mentions the bot, is sent in a configured question channel, or
    is a DM. A mention of the bot's role is not taken as one: without the message content intent
    Discord withholds such a message's text, and a hint to "ask after the mention" would mislead.
    """
    if message.author.bot or message.webhook_id is not None:
        return None
    mentioned = me.id in message.raw_mentions
    if not (mentioned or message.guild is None or message.channel.id in settings.question_channels):
        return None
    # The mention goes with the space before it ("hey <@id>, who ..." -> "hey, who ..."); the
    # engine's chat normaliser takes off the rest of the chat (the greeting, other mentions).
    return squash(re.sub(rf"\s*<@!?{me.id}>", "", message.content))


def hint_for(message: discord.Message, me: discord.abc.User | None) -> str:
    """What to say to a message that asks the bot nothing it can read: how to ask, worded for where
    it was sent (after a mention in a channel; just typed in a DM or a question channel)."""
    if me is not None and me.id in message.raw_mentions:
        return MENTION_HINT.format(name=me.name)
    return FILE_HINT if message.attachments else TYPED_HINT
