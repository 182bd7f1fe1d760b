"""Follow-ups on Discord: which messages continue a question, and what question they continue.

A reply to one of the bot's answers continues the question that answer shows (its first line), and
a message in a thread started from one of the bot's answers continues the last question its author
asked there (at first, the answer's own). Nothing else does: a mention that replies to nothing is a
new question (in any other thread too), and `/ask` keeps no hidden state (its follow-ups come by
replying to its answer). Context is per server, channel and user, and expires after
FACTBOT_FOLLOWUP_MINUTES: an answer older than that is not continued, and neither is a thread's
last question; a thread whose answer and last question are both older is an ordinary thread again.
The reading itself is plain Python (bot/answer/followup.py).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

import discord

from bot.answer.followup import Context, Reading, read
from bot.discord.fit import squash
from bot.discord.pages import Page
from bot.discord.render import QUESTION_LABEL, READ_AS_LABEL, question_shown

log = logging.getLogger(__name__)

THREADS_KEPT = 1024  # threads whose starting message was looked up (answer or not)


def read_as_pages(pages: Sequence[Page]) -> list[Page]:
    """The pages with their question line labelled "Read as:", so the asker sees how the follow-up
    was read; `question_shown` reads either label, so page buttons still work after a restart."""
    return [
        Page(
            content=READ_AS_LABEL + p.content[len(QUESTION_LABEL) :]
            if p.content and p.content.startswith(QUESTION_LABEL)
            else p.content,
            embeds=p.embeds,
        )
        for p in pages
    ]


class Followups:
    """The bot's follow-up context; one per client."""

    def __init__(self, minutes: float, clock: Callable[[], float] = time.time) -> None:
        self.minutes = minutes
        self.clock = clock  # wall-clock seconds, as Discord's message times are
        self.context = Context(minutes, clock=lambda: self.clock())
        self._threads: OrderedDict[int, str | None] = OrderedDict()  # thread id -> its answer's question

    def _recent(self, snowflake: int) -> bool:
        """Whether the message (or thread) with this id is younger than the follow-up window."""
        return self.clock() - discord.utils.snowflake_time(snowflake).timestamp() <= self.minutes * 60

    async def question_in(self, message: discord.Message, me: discord.abc.User) -> str | None:
        """The text of a message that is not addressed to the bot but continues one of its answers
        (a reply to it, or a message in its thread); None otherwise, or when Discord withheld the text."""
        if self.minutes <= 0 or message.author.bot or message.webhook_id is not None or not message.content.strip():
            return None
        if await self._answer_replied_to(message, me) is None and await self._thread_previous(message, me) is None:
            return None
        return squash(message.content.replace(f"<@{me.id}>", "").replace(f"<@!{me.id}>", ""))

    async def read(self, message: discord.Message, me: discord.abc.User, question: str) -> Reading:
        """`question` read after the one it continues, if any; a thread started from one of the
        bot's answers remembers how it was read (no other thread does: a mention there is new)."""
        if self.minutes <= 0:
            return read(question, None)
        previous = await self._answer_replied_to(message, me)
        if previous is None:
            previous = await self._thread_previous(message, me)
        reading = read(question, previous)
        if await self._thread_question(message, me) is not None:
            self.context.remember(self._key(message), reading.read)
        return reading

    async def _thread_previous(self, message: discord.Message, me: discord.abc.User) -> str | None:
        """In a thread started from one of the bot's answers, the question a message continues: its
        author's last one there, else the answer's own, whichever is still recent."""
        answered = await self._thread_question(message, me)
        if answered is None:
            return None
        return self.context.previous(self._key(message)) or (answered if self._recent(message.channel.id) else None)

    @staticmethod
    def _key(message: discord.Message) -> tuple[int, int, int]:
        """Server, channel, user: context is never shared across any of them."""
        return (message.guild.id if message.guild else 0, message.channel.id, message.author.id)

    async def _answer_replied_to(self, message: discord.Message, me: discord.abc.User) -> str | None:
        """The question of the bot's recent answer this message replies to, if it replies to one."""
        ref = message.reference
        if ref is None or ref.message_id is None:
            return None
        target = ref.resolved if isinstance(ref.resolved, discord.Message) else ref.cached_message
        if target is None and ref.resolved is None:  # Discord sent no copy: read it (Read Message History)
            try:
                target = await message.channel.fetch_message(ref.message_id)
            except discord.HTTPException:
                return None
        if target is None or target.author.id != me.id or not self._recent(target.id):
            return None
        return question_shown(target.content)

    async def _thread_question(self, message: discord.Message, me: discord.abc.User) -> str | None:
        """The question of the bot's answer that started this message's thread, if one did."""
        thread = message.channel
        if not isinstance(thread, discord.Thread) or thread.parent is None:
            return None
        if thread.id not in self._threads:
            starter = thread.starter_message
            if starter is None and isinstance(thread.parent, discord.TextChannel):
                try:
                    starter = await thread.parent.fetch_message(thread.id)
                except discord.HTTPException:
                    starter = None
            mine = starter is not None and starter.author.id == me.id
            self._threads[thread.id] = question_shown(starter.content) if mine and starter else None
            while len(self._threads) > THREADS_KEPT:
                self._threads.popitem(last=False)
        return self._threads[thread.id]
