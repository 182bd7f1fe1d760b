"""Follow-ups on the fake Discord: a reply to one of the bot's answers is read with that answer's
question as context (shown as "Read as: ..."); a new question, a reply naming its own subject, a
reply to someone else's message and a reply after the context expired are read on their own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.discord.client import FactBot
from bot.testing.fakediscord import FakeDiscord
from bot.testing.fakediscord import world as w

if TYPE_CHECKING:
    from tests.discord_helpers import BotStarter

pytest_plugins = ["tests.bot_fixtures"]

FIRST = "How many troops does the CSTO peacekeeping force have?"
FOLLOW_UP = "when was it set up?"
READ = "**Read as:** When was the CSTO peacekeeping force set up?"


async def test_a_reply_to_an_answer_is_read_as_a_follow_up(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    answer = await fake_discord.reply(await fake_discord.slash("ask", {"question": FIRST}))
    assert answer.message is not None
    asked = await fake_discord.send_message(
        FOLLOW_UP, channel_id=answer.message.channel_id, mention_bot=True, reply_to=answer.message
    )
    followed = await fake_discord.reply_to(asked)
    assert followed.content.splitlines()[0] == READ
    full = await fake_discord.reply(await fake_discord.slash("ask", {"question": READ.removeprefix("**Read as:** ")}))
    assert followed.embeds == full.embeds, "answered as if asked in full"

    # A follow-up of the follow-up continues the question as it was read.
    again = await fake_discord.send_message(
        "and who asked for it?", channel_id=followed.channel_id, mention_bot=True, reply_to=followed
    )
    assert (await fake_discord.reply_to(again)).content.startswith(
        "**Read as:** Who asked for the CSTO peacekeeping force?"
    )


async def test_a_new_question_or_one_naming_its_subject_is_read_on_its_own(
    fake_discord: FakeDiscord, running_bot: FactBot
) -> None:
    answer = await fake_discord.reply(await fake_discord.slash("ask", {"question": FIRST}))
    assert answer.message is not None
    alone = await fake_discord.send_message(FOLLOW_UP, channel_id=answer.message.channel_id, mention_bot=True)
    assert (await fake_discord.reply_to(alone)).content.startswith(f"**Q:** {FOLLOW_UP}")
    own = "Who are the members of the CSTO?"
    named = await fake_discord.send_message(
        own, channel_id=answer.message.channel_id, mention_bot=True, reply_to=answer.message
    )
    assert (await fake_discord.reply_to(named)).content.startswith(f"**Q:** {own}")


async def test_a_reply_to_a_person_is_not_a_follow_up(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    said = await fake_discord.send_message(FIRST, channel_id=w.GENERAL_CHANNEL_ID, author_id=w.OTHER_USER_ID)
    asked = await fake_discord.send_message(FOLLOW_UP, channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True, reply_to=said)
    assert (await fake_discord.reply_to(asked)).content.startswith(f"**Q:** {FOLLOW_UP}")


async def test_context_expires(fake_discord: FakeDiscord, start_bot: BotStarter) -> None:
    async with start_bot(followup_minutes=0):
        answer = await fake_discord.reply(await fake_discord.slash("ask", {"question": FIRST}))
        assert answer.message is not None
        asked = await fake_discord.send_message(
            FOLLOW_UP, channel_id=answer.message.channel_id, mention_bot=True, reply_to=answer.message
        )
        assert (await fake_discord.reply_to(asked)).content.startswith(f"**Q:** {FOLLOW_UP}")
