"""Follow-ups in a thread started from one of the bot's answers, on the fake Discord: a message
there continues the answer's question, then the last question its author asked there; a thread
anywhere else, the parent channel and another server borrow nothing; and the context ends
FACTBOT_FOLLOWUP_MINUTES after the last question (or the answer) in the thread. A message there
that does not mention the bot is read only with the Message Content intent (which the bot asks for
when it has question channels); without it Discord withholds the text."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

from bot.discord.client import FactBot
from bot.discord.cogs.ask import AskCog
from bot.discord.followups import Followups
from bot.testing.fakediscord import FakeDiscord, Message
from bot.testing.fakediscord import world as w
from tests.discord_helpers import take_refusals

if TYPE_CHECKING:
    from tests.discord_helpers import BotStarter

pytest_plugins = ["tests.bot_fixtures"]

FIRST = "How many troops does the CSTO peacekeeping force have?"
FOLLOW_UP = "when was it set up?"
READ = "**Read as:** When was the CSTO peacekeeping force set up?"
ALONE = f"**Q:** {FOLLOW_UP}"
MEMBERS = "Who are the members of the CSTO?"
READING = frozenset({w.QUESTIONS_CHANNEL_ID})  # a question channel: the bot asks for Message Content


@pytest_asyncio.fixture
async def reading_bot(start_bot: BotStarter) -> AsyncIterator[FactBot]:
    """The bot with the Message Content intent: it sees messages that do not mention it."""
    async with start_bot(question_channels=READING) as bot:
        yield bot


async def answer_with_thread(fake: FakeDiscord, bot: FactBot, *, announce: bool = True) -> tuple[Message, int]:
    """A member asks with a mention in #general; someone starts a thread from the bot's answer."""
    answer = await fake.reply_to(await fake.send_message(FIRST, channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True))
    thread = await fake.start_thread(answer, "about the peacekeeping force", announce=announce)
    assert thread.id == answer.id, "a thread started from a message has the message's id"
    if announce:
        await fake.wait_until(lambda: bot.get_channel(thread.id), what="THREAD_CREATE")
    return answer, thread.id


async def unanswered(fake: FakeDiscord, said: Message) -> bool:
    """Whether the bot let ``said`` pass: the next thing it says in the channel answers a marker."""
    # Asked by someone else, so that it is no part of the asker's context.
    marker = await fake.send_message(MEMBERS, channel_id=said.channel_id, author_id=w.OTHER_USER_ID, mention_bot=True)
    assert (await fake.reply_to(marker)).content.startswith(f"**Q:** {MEMBERS}")
    await asyncio.sleep(0.2)  # time for an answer to ``said``, were one coming
    return not [m for m in fake.bot_messages(said.channel_id) if m.reference_id == said.id]


def followups_of(bot: FactBot) -> Followups:
    cog = bot.get_cog("AskCog")
    assert isinstance(cog, AskCog)
    return cog.followups


async def test_a_message_in_a_thread_started_from_an_answer_is_read_as_a_follow_up(
    fake_discord: FakeDiscord, reading_bot: FactBot
) -> None:
    _, thread_id = await answer_with_thread(fake_discord, reading_bot)
    asked = await fake_discord.send_message(FOLLOW_UP, channel_id=thread_id)  # no mention needed in its thread
    followed = await fake_discord.reply_to(asked)
    assert followed.content.splitlines()[0] == READ
    assert followed.reference_id == asked.id
    full = await fake_discord.reply_to(
        await fake_discord.send_message(READ.removeprefix("**Read as:** "), channel_id=thread_id, mention_bot=True)
    )
    assert full.content.splitlines()[0].startswith("**Q:** When was the CSTO")
    assert followed.embeds == full.embeds, "answered as if asked in full"

    # The next one continues the question as the thread last read it, mention or not.
    again = await fake_discord.send_message("and who asked for it?", channel_id=thread_id, mention_bot=True)
    assert (await fake_discord.reply_to(again)).content.startswith(
        "**Read as:** Who asked for the CSTO peacekeeping force?"
    )


async def test_without_message_content_a_follow_up_in_the_thread_mentions_the_bot(
    fake_discord: FakeDiscord, running_bot: FactBot
) -> None:
    _, thread_id = await answer_with_thread(fake_discord, running_bot)
    assert await unanswered(fake_discord, await fake_discord.send_message(FOLLOW_UP, channel_id=thread_id))
    asked = await fake_discord.send_message(FOLLOW_UP, channel_id=thread_id, mention_bot=True)
    assert (await fake_discord.reply_to(asked)).content.splitlines()[0] == READ


async def test_each_member_in_the_thread_continues_their_own_question(
    fake_discord: FakeDiscord, reading_bot: FactBot
) -> None:
    _, thread_id = await answer_with_thread(fake_discord, reading_bot)
    own = await fake_discord.send_message("What is the CSTO rapid reaction force?", channel_id=thread_id)
    assert (await fake_discord.reply_to(own)).content.startswith("**Q:** What is the CSTO rapid reaction force?")
    # Another member starts from the answer's question, not from the first member's last one.
    other = await fake_discord.send_message(FOLLOW_UP, channel_id=thread_id, author_id=w.OTHER_USER_ID)
    assert (await fake_discord.reply_to(other)).content.splitlines()[0] == READ
    mine = await fake_discord.send_message(FOLLOW_UP, channel_id=thread_id)
    assert (await fake_discord.reply_to(mine)).content.startswith(
        "**Read as:** When was the CSTO rapid reaction force set up?"
    )


async def test_no_context_outside_the_answers_thread(fake_discord: FakeDiscord, reading_bot: FactBot) -> None:
    _, thread_id = await answer_with_thread(fake_discord, reading_bot)
    followed = await fake_discord.send_message(FOLLOW_UP, channel_id=thread_id)
    assert (await fake_discord.reply_to(followed)).content.splitlines()[0] == READ

    # The parent channel: a mention replying to nothing is a new question; a plain message is chat.
    parent = await fake_discord.send_message(FOLLOW_UP, channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
    assert (await fake_discord.reply_to(parent)).content.startswith(ALONE)
    assert await unanswered(fake_discord, await fake_discord.send_message(FOLLOW_UP, channel_id=w.GENERAL_CHANNEL_ID))

    # A thread started from a person's message, in the same channel, and one in another server.
    said = await fake_discord.send_message(FIRST, channel_id=w.GENERAL_CHANNEL_ID, author_id=w.OTHER_USER_ID)
    theirs = await fake_discord.start_thread(said, announce=True)
    elsewhere = await fake_discord.create_thread(w.OTHER_GENERAL_CHANNEL_ID, "other server", announce=True)
    await fake_discord.wait_until(
        lambda: reading_bot.get_channel(theirs.id) and reading_bot.get_channel(elsewhere.id), what="THREAD_CREATE"
    )
    for thread in (theirs, elsewhere):
        mention = await fake_discord.send_message(FOLLOW_UP, channel_id=thread.id, mention_bot=True)
        assert (await fake_discord.reply_to(mention)).content.startswith(ALONE), thread.name
        assert await unanswered(fake_discord, await fake_discord.send_message(FOLLOW_UP, channel_id=thread.id))
        # Nor does a question asked there become context: the next mention is a new question too.
        asked = await fake_discord.send_message(FIRST, channel_id=thread.id, mention_bot=True)
        assert (await fake_discord.reply_to(asked)).content.startswith(f"**Q:** {FIRST}")
        again = await fake_discord.send_message(FOLLOW_UP, channel_id=thread.id, mention_bot=True)
        assert (await fake_discord.reply_to(again)).content.startswith(ALONE), thread.name
    # A thread not started from a message: the bot looked for its first message once, as it must.
    assert [(e.code, e.path) for e in take_refusals(fake_discord, 10008)] == [
        (10008, f"/channels/{w.OTHER_GENERAL_CHANNEL_ID}/messages/{elsewhere.id}")
    ]


async def test_a_message_with_no_text_in_the_thread_is_left_alone(
    fake_discord: FakeDiscord, reading_bot: FactBot
) -> None:
    _, thread_id = await answer_with_thread(fake_discord, reading_bot)
    document = fake_discord.add_attachment("The CSTO has six members.", "notes.txt")
    only_a_file = await fake_discord.send_message(channel_id=thread_id, attachments=[document])
    assert await unanswered(fake_discord, only_a_file)


async def test_a_thread_started_before_a_restart_is_still_followed(
    fake_discord: FakeDiscord, start_bot: BotStarter
) -> None:
    async with start_bot(question_channels=READING) as bot:
        _, thread_id = await answer_with_thread(fake_discord, bot)
    async with start_bot(
        question_channels=READING
    ):  # a new process: the thread comes in GUILD_CREATE, its first message is fetched
        asked = await fake_discord.send_message(FOLLOW_UP, channel_id=thread_id)
        assert (await fake_discord.reply_to(asked)).content.splitlines()[0] == READ


async def test_a_thread_started_from_an_old_answer_is_not_followed(
    fake_discord: FakeDiscord, start_bot: BotStarter
) -> None:
    """FACTBOT_FOLLOWUP_MINUTES after the answer, its thread is an ordinary thread: chat there is
    not answered, and a mention there is a new question."""
    minutes = 0.01
    async with start_bot(followup_minutes=minutes, question_channels=READING) as bot:
        _, thread_id = await answer_with_thread(fake_discord, bot)
        await asyncio.sleep(minutes * 60 + 0.2)
        chat = await fake_discord.send_message(FOLLOW_UP, channel_id=thread_id)
        assert await unanswered(fake_discord, chat)
        mention = await fake_discord.send_message(FOLLOW_UP, channel_id=thread_id, mention_bot=True)
        assert (await fake_discord.reply_to(mention)).content.startswith(ALONE)


async def test_the_thread_stays_followed_while_its_questions_keep_coming(
    fake_discord: FakeDiscord, reading_bot: FactBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window runs from the thread's last question, not from the answer that started it."""
    followups = followups_of(reading_bot)
    window = followups.minutes * 60
    later = 0.0
    monkeypatch.setattr(followups, "clock", lambda: time.time() + later)
    _, thread_id = await answer_with_thread(fake_discord, reading_bot)

    later = window * 0.6
    first = await fake_discord.send_message("and who asked for it?", channel_id=thread_id)
    assert (await fake_discord.reply_to(first)).content.startswith("**Read as:**")
    later = window * 1.2  # the answer is past the window, the last question is not
    second = await fake_discord.send_message(FOLLOW_UP, channel_id=thread_id)
    assert (await fake_discord.reply_to(second)).content.splitlines()[0] == READ
    later = window * 2.3  # and now the last question is past it too
    third = await fake_discord.send_message(FOLLOW_UP, channel_id=thread_id)
    assert await unanswered(fake_discord, third)
