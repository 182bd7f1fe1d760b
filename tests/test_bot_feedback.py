"""Feedback on answers through the real bot on the fake Discord: every answer carries "Helpful" and
"Wrong or missing"; a vote, a changed vote (through the form), a vote after the bot restarts; the
votes in /feedback list for this server's moderators only, never another server's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.discord.client import FactBot
from bot.discord.feedback import HELPFUL_BUTTON, WRONG_BUTTON
from bot.testing.fakediscord import FakeDiscord, Reply
from bot.testing.fakediscord import world as w
from storage.backends.base import Library
from storage.feedback import HELPFUL, SAY_NOTHING, WRONG_QUOTE
from tests.discord_helpers import click, submit

if TYPE_CHECKING:
    from tests.discord_helpers import BotStarter

pytest_plugins = ["tests.bot_fixtures"]

MEMBERS = "Who are the members of the CSTO?"
HELPFUL_ID, WRONG_ID = f"factbot:vote:{HELPFUL_BUTTON}", f"factbot:vote:{WRONG_BUTTON}"


async def ask(fake: FakeDiscord, question: str = MEMBERS) -> Reply:
    answer = await fake.reply(await fake.slash("ask", {"question": question}))
    assert answer.message is not None
    assert {HELPFUL_ID, WRONG_ID} <= set(answer.message.custom_ids()), "every answer carries the two buttons"
    return answer


async def test_a_vote_and_a_changed_vote(fake_discord: FakeDiscord, running_bot: FactBot, library: Library) -> None:
    answer = await ask(fake_discord)
    assert answer.message is not None
    done = await fake_discord.reply(await click(fake_discord, running_bot, answer, HELPFUL_ID, user_id=w.MEMBER_ID))
    assert done.ephemeral and done.content == "Thanks, recorded: Helpful."
    vote = await library.feedback_vote(answer.message.id, w.MEMBER_ID)
    assert vote is not None and vote.kind == HELPFUL and vote.question == MEMBERS and vote.scope == w.GUILD_ID
    assert vote.answer["answered"] and vote.answer["sources"], "the answer's JSON is kept"
    assert vote.library_version.startswith("factbot ")

    opened = await click(fake_discord, running_bot, answer, WRONG_ID, user_id=w.MEMBER_ID)
    assert (await fake_discord.reply(opened)).modal is not None
    changed = await fake_discord.reply(
        await submit(fake_discord, running_bot, opened, {"what": WRONG_QUOTE, "comment": "The SCO is not the CSTO."})
    )
    assert changed.ephemeral and changed.content == "Changed your vote to: A wrong quote."
    vote = await library.feedback_vote(answer.message.id, w.MEMBER_ID)
    assert vote is not None and vote.kind == WRONG_QUOTE and vote.comment == "The SCO is not the CSTO."
    assert await library.count_feedback() == 1, "one vote per user per answer"


async def test_a_vote_after_a_restart(fake_discord: FakeDiscord, start_bot: BotStarter, library: Library) -> None:
    async with start_bot():
        answer = await ask(fake_discord, "What is the boiling point of tungsten?")
    assert answer.message is not None
    async with start_bot() as bot:  # a new process: nothing of the first bot is left but the message
        opened = await click(fake_discord, bot, answer, WRONG_ID, user_id=w.OTHER_USER_ID)
        done = await fake_discord.reply(await submit(fake_discord, bot, opened, {"what": SAY_NOTHING}))
        assert done.content == "Thanks, recorded: It should have said nothing."
        again = await fake_discord.reply(await click(fake_discord, bot, answer, HELPFUL_ID, user_id=w.OTHER_USER_ID))
        assert again.content == "Changed your vote to: Helpful."
    vote = await library.feedback_vote(answer.message.id, w.OTHER_USER_ID)
    assert vote is not None and vote.kind == HELPFUL and not vote.answer["answered"]


async def test_feedback_list_is_for_this_servers_moderators_only(
    fake_discord: FakeDiscord, running_bot: FactBot
) -> None:
    answer = await ask(fake_discord)
    await fake_discord.reply(await click(fake_discord, running_bot, answer, HELPFUL_ID, user_id=w.MEMBER_ID))

    listed = await fake_discord.reply(await fake_discord.slash("feedback list", user_id=w.MODERATOR_ID))
    assert listed.ephemeral and MEMBERS in str(listed.embeds) and f"<@{w.MEMBER_ID}>" in str(listed.embeds)
    wrong_only = await fake_discord.reply(
        await fake_discord.slash("feedback list", {"kind": WRONG_QUOTE}, user_id=w.MODERATOR_ID)
    )
    assert MEMBERS not in str(wrong_only.embeds) and "No feedback yet." in str(wrong_only.embeds)

    elsewhere = await fake_discord.reply(
        await fake_discord.slash("feedback list", user_id=w.MODERATOR_ID, channel_id=w.OTHER_GENERAL_CHANNEL_ID)
    )
    assert MEMBERS not in str(elsewhere.embeds) and "No feedback yet." in str(elsewhere.embeds)
    member = await fake_discord.reply(await fake_discord.slash("feedback list", user_id=w.MEMBER_ID))
    assert member.ephemeral and "Only moderators" in member.content


async def test_feedback_is_hidden_from_members_and_guild_only(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    feedback = next(c for c in fake_discord.commands() if c["name"] == "feedback")
    assert int(feedback["default_member_permissions"]) == w.MANAGE_GUILD
    assert feedback.get("contexts") == [0] or feedback.get("dm_permission") is False
