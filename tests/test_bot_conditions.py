"""Real Discord conditions, on the fake: interactions that expire and questions deleted before the
reply, page buttons that outlive a restart of the bot, a channel without Embed Links, and rate
limits (429) that must not lose an answer.
"""

from __future__ import annotations

import logging
import re
from functools import partial
from typing import TYPE_CHECKING, Any

import discord
import pytest

from bot.discord.client import FactBot
from bot.discord.pages import NEXT, POSITION, PREVIOUS
from bot.testing.fakediscord import FakeDiscord, Message
from bot.testing.fakediscord import world as w
from storage.backends.base import Library
from storage.models import SourceMeta
from tests.discord_helpers import (
    FILLER,
    ZEBRA,
    add_zebra_reports,
    page_button,
    take_refusals,
    titles,
    turn_page,
)

if TYPE_CHECKING:
    from tests.discord_helpers import BotStarter

pytest_plugins = ["tests.bot_fixtures"]

MEMBERS = "Who are the members of the CSTO?"
CSTO = "CSTO Sets Up Peacekeeping Force"


def nothing_sent_warning(caplog: pytest.LogCaptureFixture) -> logging.LogRecord | None:
    return next((r for r in caplog.records if r.getMessage().startswith("Nothing sent for")), None)


def assert_no_error_logged(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors


# -- what is gone is not answered ------------------------------------------------------------------


async def test_an_expired_interaction_is_one_warning_and_no_second_request(
    fake_discord: FakeDiscord, running_bot: FactBot, caplog: pytest.LogCaptureFixture
) -> None:
    fake_discord.interaction_deadline = 0.0  # Discord's 3 s, already over when the bot answers
    with caplog.at_level(logging.WARNING):
        ix = await fake_discord.slash("ask", {"question": MEMBERS})
        warning = await fake_discord.wait_until(lambda: nothing_sent_warning(caplog), what="the warning")
    assert warning.levelno == logging.WARNING and warning.exc_info is None
    assert "expired" in warning.getMessage() and "\n" not in warning.getMessage()
    assert_no_error_logged(caplog)
    tried = [r.path for r in fake_discord.requests if str(ix.id) in r.path or ix.token in r.path]
    assert tried == [f"/interactions/{ix.id}/{ix.token}/callback"], "no second request bound to fail"
    take_refusals(fake_discord, 10062)


async def test_a_question_deleted_before_the_reply_is_one_warning_and_no_second_request(
    fake_discord: FakeDiscord, running_bot: FactBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ask = running_bot.engine.ask

    async def deleted_while_thinking(question: str, **kwargs: Any) -> Any:
        asked = next(m for m in reversed(fake_discord.messages) if not m.by_bot)
        await fake_discord.delete_message(asked)
        return await ask(question, **kwargs)

    monkeypatch.setattr(running_bot.engine, "ask", deleted_while_thinking)
    with caplog.at_level(logging.WARNING):
        await fake_discord.send_message(MEMBERS, channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
        warning = await fake_discord.wait_until(lambda: nothing_sent_warning(caplog), what="the warning")
    assert warning.exc_info is None and "deleted" in warning.getMessage()
    assert_no_error_logged(caplog)
    posts = [r for r in fake_discord.requests if r.method == "POST" and r.path.endswith("/messages")]
    assert len(posts) == 1, "no second reply to a deleted message"
    assert not fake_discord.bot_messages()
    take_refusals(fake_discord, 50035)


# -- page buttons outlive the bot ------------------------------------------------------------------


async def test_a_page_button_turns_the_page_after_the_bot_restarts(
    fake_discord: FakeDiscord, start_bot: BotStarter, library: Library
) -> None:
    await add_zebra_reports(library, w.GUILD_ID)
    async with start_bot():
        first = await fake_discord.reply(await fake_discord.slash("ask", {"question": ZEBRA}))
        count = int(page_button(first, POSITION)["label"].split(" / ")[1])
        second = await fake_discord.reply(await turn_page(fake_discord, first, NEXT, user_id=w.MEMBER_ID))
        await fake_discord.reply(await turn_page(fake_discord, first, PREVIOUS, user_id=w.MEMBER_ID))
    assert count > 1 and titles(second) != titles(first)

    async with start_bot():  # a new process: nothing of the first bot is left but the message
        refused = await fake_discord.reply(await turn_page(fake_discord, first, NEXT, user_id=w.OTHER_USER_ID))
        assert refused.ephemeral and "Only the person who asked" in refused.content
        turned = await fake_discord.reply(await turn_page(fake_discord, first, NEXT, user_id=w.MEMBER_ID))
        assert page_button(turned, POSITION)["label"] == f"2 / {count}"
        assert turned.embeds == second.embeds and turned.content == second.content
        back = await fake_discord.reply(await turn_page(fake_discord, first, PREVIOUS, user_id=w.MEMBER_ID))
        assert back.embeds == first.embeds and page_button(back, PREVIOUS)["disabled"]


# -- no Embed Links --------------------------------------------------------------------------------


async def bot_cannot_embed(fake: FakeDiscord, bot: FactBot, channel_id: int) -> None:
    await fake.deny_bot(channel_id, w.EMBED_LINKS)
    channel = bot.get_channel(channel_id)
    assert isinstance(channel, discord.abc.GuildChannel)
    await fake.wait_until(lambda: not channel.permissions_for(channel.guild.me).embed_links, what="the overwrite")


async def test_without_embed_links_a_mention_is_answered_in_plain_text(
    fake_discord: FakeDiscord, running_bot: FactBot
) -> None:
    await bot_cannot_embed(fake_discord, running_bot, w.GENERAL_CHANNEL_ID)
    asked = await fake_discord.send_message(MEMBERS, channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
    reply = await fake_discord.reply_to(asked)
    assert reply.reference_id == asked.id and reply.embeds == []
    assert reply.content.startswith(f"**Q:** {MEMBERS}\n")
    assert f"**[1] {CSTO}**" in reply.content
    assert "Alex Gorka · strategic-culture.org · June 2021" in reply.content
    assert "are members of both the CSTO and the **SCO**" in reply.content
    assert re.search(r"^> “.*” — ¶ \d+$", reply.content, re.MULTILINE)


async def test_without_embed_links_a_long_answer_pages_in_plain_text_and_keeps_every_word(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library
) -> None:
    await add_zebra_reports(library, w.GUILD_ID)
    await bot_cannot_embed(fake_discord, running_bot, w.GENERAL_CHANNEL_ID)
    asked = await fake_discord.send_message(ZEBRA, channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
    reply = await fake_discord.reply_to(asked)
    count = int(page_button(reply, POSITION)["label"].split(" / ")[1])
    shown = [reply.content]
    for _ in range(count - 1):
        turned = await fake_discord.reply(await turn_page(fake_discord, reply, NEXT, user_id=w.MEMBER_ID))
        assert turned.embeds == [] and turned.content.startswith(f"**Q:** {ZEBRA}")
        shown.append(turned.content)
    assert all(len(page) <= 2000 for page in shown)
    plain = re.sub(r"[*\\]", "", "\n".join(shown))
    for i in range(6):
        herd = chr(ord("A") + i)
        assert re.search(rf"\[\d\] Zebra report {herd}", plain)
        for j in range(3):
            assert f"herd {herd}{j} travels {100 + 10 * i + j} kilometres" in plain
    assert plain.count(FILLER) == 6 * 3 * 4, "no quote was shortened"
    assert "<https://example.org/zebra/A>" in plain


async def test_embed_links_lost_unannounced_still_gets_a_plain_text_answer(
    fake_discord: FakeDiscord, running_bot: FactBot
) -> None:
    fake_discord.world.bot_denied[w.GENERAL_CHANNEL_ID] = w.EMBED_LINKS  # the bot's cache still says it may
    asked = await fake_discord.send_message(MEMBERS, channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
    reply = await fake_discord.reply_to(asked)
    assert reply.embeds == [] and f"**[1] {CSTO}**" in reply.content
    take_refusals(fake_discord, 50013)


# -- rate limits -----------------------------------------------------------------------------------


async def test_no_answer_is_lost_under_rate_limiting(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    fake_discord.rate_limit(3, retry_after=0.02)  # every third request: 429, try again in 20 ms
    questions = [MEMBERS, "Who asked the CSTO to create a peacekeeping force?", "What is the SCO?"]
    asked = [await fake_discord.send_message(q, channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True) for q in questions]
    slashed = [await fake_discord.slash("ask", {"question": q}) for q in questions]

    def answer_to(message: Message) -> Message | None:
        return next((m for m in fake_discord.bot_messages() if m.reference_id == message.id), None)

    for message, question in zip(asked, questions, strict=True):
        answer = await fake_discord.wait_until(partial(answer_to, message), what="an answer")
        assert answer.content.startswith(f"**Q:** {question}")
    for ix, question in zip(slashed, questions, strict=True):
        reply = await fake_discord.reply(ix)
        assert reply.content.startswith(f"**Q:** {question}")
    assert len(fake_discord.rate_limited) >= 3
    assert len(fake_discord.bot_messages()) == 2 * len(questions), "each answered once"


async def test_the_sources_list_turns_after_a_restart(
    fake_discord: FakeDiscord, start_bot: BotStarter, library: Library
) -> None:
    for n in range(12):
        await library.add_source(
            f"Fact number {n} is about otters.", SourceMeta(f"Otter fact {n:02}"), scope=w.GUILD_ID
        )
    async with start_bot():
        listed = await fake_discord.reply(await fake_discord.slash("sources list", user_id=w.MODERATOR_ID))
    assert listed.ephemeral and page_button(listed, POSITION)["label"] == "1 / 2"
    async with start_bot():
        turned = await fake_discord.reply(await turn_page(fake_discord, listed, NEXT, user_id=w.MODERATOR_ID))
    assert "Otter fact 11" in turned.embeds[0]["description"] and page_button(turned, POSITION)["label"] == "2 / 2"


async def test_page_buttons_from_before_persistence_are_taken_off_with_a_word(
    fake_discord: FakeDiscord, running_bot: FactBot
) -> None:
    channel = fake_discord.world.channel(w.GENERAL_CHANNEL_ID)
    assert channel is not None
    row = [
        {"type": 2, "style": 2, "label": label, "custom_id": f"factbot:page:{action}"}
        for label, action in (("Previous", "previous"), ("2 / 3", "position"), ("Next", "next"))
    ]
    old = fake_discord.new_message(
        channel, fake_discord.world.bot, content="**Q:** an old answer", components=[{"type": 1, "components": row}]
    )
    ix = await fake_discord.click(old, "factbot:page:next", user_id=w.MEMBER_ID)
    told = await fake_discord.reply(ix, count=2)
    now = fake_discord.message(old.id)
    assert now is not None and now.components == [] and now.content == old.content
    assert told.followups[0].ephemeral and "Ask again" in told.followups[0].content


async def test_a_question_too_long_to_read_back_says_ask_again_after_a_restart(
    fake_discord: FakeDiscord, start_bot: BotStarter, library: Library
) -> None:
    await add_zebra_reports(library, w.GUILD_ID)
    question = " ".join([ZEBRA] * 6)  # longer than the 300 characters a page shows of it
    async with start_bot():
        first = await fake_discord.reply(await fake_discord.slash("ask", {"question": question}))
    assert first.content.split("\n")[0].endswith("…")
    async with start_bot():
        told = await fake_discord.reply(await turn_page(fake_discord, first, NEXT, user_id=w.MEMBER_ID))
    assert told.followups and told.followups[0].ephemeral and "Ask again" in told.followups[0].content
    assert first.message is not None
    shown = fake_discord.message(first.message.id)
    assert shown is not None and shown.embeds == first.embeds, "the page stays as it was"
