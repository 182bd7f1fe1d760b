"""What Discord does to a bot in ordinary use, on the fake: page buttons of chat-style questions
after a restart, removal from a server mid-answer, threads the bot's cache does not know, a DM
with only a file, and questions fixed by editing them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from typing import TYPE_CHECKING, Any

import pytest

from bot.discord import edits
from bot.discord.client import FactBot
from bot.discord.pages import NEXT, POSITION, PREVIOUS, PageKey, pager
from bot.testing.fakediscord import FakeDiscord, Message
from bot.testing.fakediscord import world as w
from storage.backends.base import Library
from tests.discord_helpers import TEMPLATE, ZEBRA, add_zebra_reports, page_button, take_refusals, titles, turn_page

if TYPE_CHECKING:
    from tests.discord_helpers import BotStarter

pytest_plugins = ["tests.bot_fixtures"]

MEMBERS = "Who are the members of the CSTO?"
CSTO = "CSTO Sets Up Peacekeeping Force"
CHATTY_ZEBRA = f"Hey, {ZEBRA[0].lower()}{ZEBRA[1:]} thanks!"
SHOWN_ZEBRA = f"{ZEBRA[0].lower()}{ZEBRA[1:]}"


# -- page buttons of chat-style questions ------------------------------------------------------------


async def test_a_chat_style_slash_question_turns_its_pages_after_a_restart(
    fake_discord: FakeDiscord, start_bot: BotStarter, library: Library
) -> None:
    await add_zebra_reports(library, w.GUILD_ID)
    async with start_bot():
        first = await fake_discord.reply(await fake_discord.slash("ask", {"question": CHATTY_ZEBRA}))
        second = await fake_discord.reply(await turn_page(fake_discord, first, NEXT, user_id=w.MEMBER_ID))
        await fake_discord.reply(await turn_page(fake_discord, first, PREVIOUS, user_id=w.MEMBER_ID))
    assert first.content.splitlines()[0] == f"**Q:** {SHOWN_ZEBRA}", "the page shows the cleaned question"
    async with start_bot():  # a new process: only the message is left
        turned = await fake_discord.reply(await turn_page(fake_discord, first, NEXT, user_id=w.MEMBER_ID))
    assert not turned.followups, turned.followups[0].content if turned.followups else ""
    assert page_button(turned, POSITION)["label"].startswith("2 / ")
    assert titles(turned) == titles(second)


async def test_a_chat_style_mention_turns_its_pages_after_a_restart(
    fake_discord: FakeDiscord, start_bot: BotStarter, library: Library
) -> None:
    await add_zebra_reports(library, w.GUILD_ID)
    chatty = f"hey <@{w.BOT_ID}>, {SHOWN_ZEBRA} thanks!"
    async with start_bot():
        asked = await fake_discord.send_message(chatty, channel_id=w.GENERAL_CHANNEL_ID)
        first = await fake_discord.reply_to(asked)
    assert first.content.splitlines()[0] == f"**Q:** {SHOWN_ZEBRA}"
    async with start_bot():
        turned = await fake_discord.reply(await turn_page(fake_discord, first, NEXT, user_id=w.MEMBER_ID))
    assert not turned.followups, turned.followups[0].content if turned.followups else ""
    assert page_button(turned, POSITION)["label"].startswith("2 / ")


async def test_pages_whose_question_does_not_match_say_so_without_blaming_its_length(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library
) -> None:
    """Buttons sent by an older version, keyed by the question as typed: the refusal names no
    length, since the question shown is short."""
    channel = fake_discord.world.channel(w.GENERAL_CHANNEL_ID)
    assert channel is not None
    typed_key = hashlib.blake2b(CHATTY_ZEBRA.encode(), digest_size=8).hexdigest()
    view = pager(PageKey("ask", w.MEMBER_ID, "e" + typed_key), 0, 3)
    old = fake_discord.new_message(
        channel,
        fake_discord.world.bot,
        content=f"**Q:** {SHOWN_ZEBRA}",
        components=view.to_components(),
        allowed_mentions={"parse": []},
    )
    told = await fake_discord.reply(await turn_page(fake_discord, old, NEXT, user_id=w.MEMBER_ID))
    said = told.followups[0].content
    assert told.followups[0].ephemeral and "Ask again" in said
    assert "too long" not in said


# -- removed from a server mid-answer ----------------------------------------------------------------


async def test_removed_from_a_server_mid_answer_is_one_warning_and_no_apology(
    fake_discord: FakeDiscord, running_bot: FactBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ask = running_bot.engine.ask

    async def removed_while_thinking(question: str, **kwargs: Any) -> Any:
        await fake_discord.remove_bot(w.GUILD_ID)
        await fake_discord.wait_until(lambda: running_bot.get_guild(w.GUILD_ID) is None, what="GUILD_DELETE")
        return await ask(question, **kwargs)

    monkeypatch.setattr(running_bot.engine, "ask", removed_while_thinking)
    with caplog.at_level(logging.WARNING):
        await fake_discord.send_message(MEMBERS, channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
        warning = await fake_discord.wait_until(
            lambda: next((r for r in caplog.records if r.getMessage().startswith("Nothing sent for")), None),
            what="the warning",
        )
        await asyncio.sleep(0.2)  # time for a second request, were one coming
    assert warning.levelno == logging.WARNING and warning.exc_info is None and "\n" not in warning.getMessage()
    assert "50001" in warning.getMessage()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors
    posts = [r for r in fake_discord.requests if r.method == "POST" and r.path.endswith("/messages")]
    assert len(posts) == 1, "no apology into a server the bot was removed from"
    take_refusals(fake_discord, 50001)


# -- threads the bot's cache does not know -----------------------------------------------------------


async def test_a_thread_the_bot_never_saw_gets_embeds(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    thread = await fake_discord.create_thread(w.GENERAL_CHANNEL_ID, "an older thread")
    assert running_bot.get_channel(thread.id) is None, "the bot's cache does not know the thread"
    reply = await fake_discord.reply_to(
        await fake_discord.send_message(MEMBERS, channel_id=thread.id, mention_bot=True)
    )
    assert reply.embeds and reply.embeds[0]["title"] == f"[1] {CSTO}"


async def test_a_forum_post_gets_embeds(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    forum = await fake_discord.create_forum(w.GUILD_ID, "questions-forum")
    await fake_discord.wait_until(lambda: running_bot.get_channel(forum.id), what="the forum to be known")
    post = await fake_discord.create_thread(forum.id, "Who is in the CSTO?")
    asked = await fake_discord.send_message(MEMBERS, channel_id=post.id, mention_bot=True)
    reply = await fake_discord.reply_to(asked)
    assert reply.embeds and reply.embeds[0]["title"] == f"[1] {CSTO}"


async def test_a_thread_the_bot_never_saw_keeps_its_parents_embed_links_denial(
    fake_discord: FakeDiscord, running_bot: FactBot
) -> None:
    await fake_discord.deny_bot(w.GENERAL_CHANNEL_ID, w.EMBED_LINKS)
    thread = await fake_discord.create_thread(w.GENERAL_CHANNEL_ID)
    reply = await fake_discord.reply_to(
        await fake_discord.send_message(MEMBERS, channel_id=thread.id, mention_bot=True)
    )
    assert reply.embeds == [] and f"**[1] {CSTO}**" in reply.content  # and nothing refused (the fixture checks)


# -- a DM with only a file ---------------------------------------------------------------------------


async def test_a_dm_with_only_a_file_is_told_to_type_the_question(
    fake_discord: FakeDiscord, running_bot: FactBot
) -> None:
    document = fake_discord.add_attachment("The CSTO has six members.", "notes.txt")
    asked = await fake_discord.send_message(channel_id=w.DM_CHANNEL_ID, attachments=[document])
    reply = await fake_discord.reply_to(asked)
    assert "mention" not in reply.content.casefold() and "@" not in reply.content
    assert "type your question" in reply.content


async def test_a_bare_mention_still_gets_the_mention_hint(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    document = fake_discord.add_attachment("The CSTO has six members.", "notes.txt")
    asked = await fake_discord.send_message(channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True, attachments=[document])
    reply = await fake_discord.reply_to(asked)
    assert reply.content.startswith("Ask me a question after the mention") and "@FactBot who" in reply.content


# -- edited questions --------------------------------------------------------------------------------

TYPO = "Who are the membres of the CSTO?"


async def test_an_edited_question_edits_the_answer(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    asked = await fake_discord.send_message("What is the SCO?", channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
    first = await fake_discord.reply_to(asked)
    await fake_discord.edit_message(asked, f"<@{w.BOT_ID}> {MEMBERS}")

    def edited() -> Message | None:
        now = fake_discord.message(first.id)
        return now if now is not None and now.content.startswith(f"**Q:** {MEMBERS}") else None

    answer = await fake_discord.wait_until(edited, what="the reply to be edited")
    assert answer.embeds and answer.embeds[0]["title"] == f"[1] {CSTO}"
    assert [m.id for m in fake_discord.bot_messages()] == [first.id], "no second message"


async def test_a_message_edited_to_mention_the_bot_is_answered(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    said = await fake_discord.send_message(MEMBERS, channel_id=w.GENERAL_CHANNEL_ID)
    # Let the bot take the message as sent before it is edited (no person edits within milliseconds;
    # discord.py would update its cached copy before the listener reads it).
    seen = lambda: any(m.id == said.id for m in running_bot.cached_messages)  # noqa: E731
    await fake_discord.wait_until(seen, what="the bot to see the message")
    await asyncio.sleep(0.1)
    await fake_discord.edit_message(said, f"<@{w.BOT_ID}> {MEMBERS}")
    reply = await fake_discord.reply_to(said)
    assert reply.content.startswith(f"**Q:** {MEMBERS}") and len(fake_discord.bot_messages()) == 1


async def test_an_edit_long_after_the_question_is_left_alone(
    fake_discord: FakeDiscord, running_bot: FactBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = await fake_discord.send_message(TYPO, channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
    first = await fake_discord.reply_to(asked)
    monkeypatch.setattr(edits, "EDIT_WINDOW", dt.timedelta(0))  # the question is now too old
    await fake_discord.edit_message(asked, f"<@{w.BOT_ID}> {MEMBERS}")
    marker = await fake_discord.send_message("What is the SCO?", channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
    await fake_discord.reply_to(marker)
    now = fake_discord.message(first.id)
    assert now is not None and now.content == first.content and now.edits == first.edits
    assert len(fake_discord.bot_messages()) == 2


async def test_an_edit_that_pages_then_fits_one_page_takes_the_buttons_off(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library
) -> None:
    await add_zebra_reports(library, w.GUILD_ID)
    asked = await fake_discord.send_message(ZEBRA, channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
    first = await fake_discord.reply_to(asked)
    assert page_button(first, NEXT)
    await fake_discord.edit_message(asked, f"<@{w.BOT_ID}> {MEMBERS}")

    def edited() -> Message | None:
        now = fake_discord.message(first.id)
        return now if now is not None and now.content.startswith(f"**Q:** {MEMBERS}") else None

    answer = await fake_discord.wait_until(edited, what="the reply to be edited")
    page_ids = [c for c in answer.custom_ids() if TEMPLATE.fullmatch(c)]
    assert page_ids == [] and answer.embeds[0]["title"] == f"[1] {CSTO}", "one page: no page buttons"
