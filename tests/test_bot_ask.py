"""Asking the real bot through the fake Discord: /ask, mentions, question channels, the context
menu, DMs, long answers paged with buttons, the cooldown, and sources that try to ping people.

Every test ends with the `running_bot`/`start_bot` check that the fake refused nothing the bot
sent (no Discord limit broken) and that no message it sent notified anyone.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import pytest

from bot.answer.vectorize import BackgroundEncoder
from bot.discord.client import FactBot
from bot.discord.pages import NEXT, POSITION, PREVIOUS
from bot.testing.fakediscord import FakeDiscord
from bot.testing.fakediscord import world as w
from storage.backends.base import Library
from storage.models import GLOBAL_SCOPE, SourceMeta
from tests.discord_helpers import FILLER, ZEBRA, add_zebra_reports, descriptions, page_button, titles, turn_page

if TYPE_CHECKING:
    from tests.discord_helpers import BotStarter

pytest_plugins = ["tests.bot_fixtures"]

MEMBERS = "Who are the members of the CSTO?"
CSTO = "CSTO Sets Up Peacekeeping Force"
# -- /ask -----------------------------------------------------------------------------------------


async def test_ask_answers_publicly_with_quotes_and_citations(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    ix = await fake_discord.slash("ask", {"question": MEMBERS})
    reply = await fake_discord.reply(ix)
    assert reply.deferred, "the library is touched only after the interaction is acknowledged"
    assert not reply.ephemeral
    assert reply.content.startswith(f"**Q:** {MEMBERS}")
    first = reply.embeds[0]
    assert first["title"] == f"[1] {CSTO}"
    assert first["author"]["name"] == "Alex Gorka · strategic-culture.org · June 2021"
    assert "are members of both the CSTO and the **SCO**" in first["description"]
    assert re.search(r"” — ¶ \d+", first["description"])
    assert first["footer"]["text"].endswith("global library")


async def test_ask_private_is_ephemeral(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    ix = await fake_discord.slash("ask", {"question": MEMBERS, "private": True})
    reply = await fake_discord.reply(ix)
    assert reply.ephemeral
    assert titles(reply)[0] == f"[1] {CSTO}"


async def test_nothing_answers_says_so_and_names_what_was_searched(
    fake_discord: FakeDiscord, running_bot: FactBot
) -> None:
    ix = await fake_discord.slash("ask", {"question": "What is the boiling point of tungsten?"})
    reply = await fake_discord.reply(ix)
    assert "Nothing in the sources answers this." in reply.content
    assert "Sources searched:" in reply.content and CSTO in reply.content
    assert reply.embeds == []


async def test_differing_numbers_are_lined_up(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library
) -> None:
    for title, number in (("Report one", "17,000"), ("Report two", "3,600")):
        body = f"The rapid reaction force numbers {number} troops."
        await library.add_source(body, SourceMeta(title), scope=w.GUILD_ID)
    ix = await fake_discord.slash("ask", {"question": "How many troops does the rapid reaction force number?"})
    reply = await fake_discord.reply(ix)
    assert re.search(
        r"\*Numbers:\*.*\*\*17,000\*\*.*\*\*3,600\*\*|\*Numbers:\*.*\*\*3,600\*\*.*\*\*17,000\*\*", reply.content
    )
    assert "**17,000**" in descriptions(reply) and "**3,600**" in descriptions(reply)


async def test_an_unexpected_error_gets_an_error_id_and_a_logged_traceback(
    fake_discord: FakeDiscord, running_bot: FactBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(running_bot.engine, "ask", broken)
    with caplog.at_level(logging.ERROR, logger="bot.discord.errors"):
        ix = await fake_discord.slash("ask", {"question": MEMBERS, "private": True})
        reply = await fake_discord.reply(ix)
    error_id = re.search(r"error id `([0-9a-f]{8})`", reply.content)
    assert error_id and reply.ephemeral
    assert "engine exploded" not in reply.content
    record = next(r for r in caplog.records if error_id.group(1) in r.getMessage())
    assert record.exc_info and "engine exploded" in str(record.exc_info[1])


# -- paging ---------------------------------------------------------------------------------------


async def test_a_long_answer_pages_and_only_the_asker_can_turn_pages(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library
) -> None:
    await add_zebra_reports(library, w.GUILD_ID)
    ix = await fake_discord.slash("ask", {"question": ZEBRA})
    first = await fake_discord.reply(ix)
    position = page_button(first, POSITION)
    assert re.fullmatch(r"1 / [2-9]", position["label"]) and position["disabled"]
    assert page_button(first, PREVIOUS)["disabled"] and not page_button(first, NEXT).get("disabled")
    pages = int(position["label"].split("/")[1])
    seen = [titles(first)]

    other = await turn_page(fake_discord, first, NEXT, user_id=w.OTHER_USER_ID)
    refusal = await fake_discord.reply(other)
    assert refusal.ephemeral and "Only the person who asked" in refusal.content
    assert first.message is not None
    unchanged = fake_discord.message(first.message.id)
    assert unchanged is not None and unchanged.embeds == first.embeds, "someone else's click changed nothing"

    for number in range(2, pages + 1):
        turned = await fake_discord.reply(await turn_page(fake_discord, first, NEXT, user_id=w.MEMBER_ID))
        assert page_button(turned, POSITION)["label"] == f"{number} / {pages}"
        assert turned.content.startswith(f"**Q:** {ZEBRA}")
        seen.append(titles(turned))
    assert page_button(turned, NEXT)["disabled"]
    back = await fake_discord.reply(await turn_page(fake_discord, first, PREVIOUS, user_id=w.MEMBER_ID))
    assert page_button(back, POSITION)["label"] == f"{pages - 1} / {pages}"

    shown = [t for page in seen for t in page if "(continued)" not in t]
    # Every source once, numbered 1 to 6 in the order shown (which equally good source comes first
    # is the engine's business, not the pages').
    assert [t.split("]")[0] for t in shown] == [f"[{n}" for n in range(1, 7)]
    assert sorted(t.split("] ", 1)[1] for t in shown) == [f"Zebra report {chr(ord('A') + i)}" for i in range(6)]


async def test_a_long_answer_keeps_every_quoted_word(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library
) -> None:
    await add_zebra_reports(library, w.GUILD_ID)
    ix = await fake_discord.slash("ask", {"question": ZEBRA})
    reply = await fake_discord.reply(ix)
    text = descriptions(reply)
    for _ in range(int(page_button(reply, POSITION)["label"].split("/")[1]) - 1):
        text += "\n" + descriptions(
            await fake_discord.reply(await turn_page(fake_discord, reply, NEXT, user_id=w.MEMBER_ID))
        )
    plain = re.sub(r"[*\\]", "", text)
    for i in range(6):
        for j in range(3):
            herd = chr(ord("A") + i)
            assert f"herd {herd}{j} travels {100 + 10 * i + j} kilometres" in plain
    assert plain.count(FILLER) == 6 * 3 * 4, "no quote was shortened"


# -- messages -------------------------------------------------------------------------------------


async def test_a_mention_is_answered_as_a_reply(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    asked = await fake_discord.send_message(MEMBERS, channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
    reply = await fake_discord.reply_to(asked)
    assert reply.reference_id == asked.id
    assert reply.content.startswith(f"**Q:** {MEMBERS}")
    assert reply.embeds[0]["title"] == f"[1] {CSTO}"
    assert not fake_discord.pings(reply), "the asker is not pinged by the reply"


async def test_a_question_typed_as_chat_gets_the_plain_questions_answer_and_a_clean_echo(
    fake_discord: FakeDiscord, running_bot: FactBot
) -> None:
    plain = await fake_discord.reply_to(
        await fake_discord.send_message(MEMBERS, channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
    )
    chatty = f"hey <@{w.BOT_ID}>, who are the members of the CSTO? thanks! <:wave:{w.GENERAL_CHANNEL_ID}> 🙏"
    reply = await fake_discord.reply_to(await fake_discord.send_message(chatty, channel_id=w.GENERAL_CHANNEL_ID))
    assert reply.content.splitlines()[0] == "**Q:** who are the members of the CSTO?"
    assert reply.embeds and reply.embeds == plain.embeds, "the same sources, quotes and citations"
    assert reply.content.splitlines()[1:] == plain.content.splitlines()[1:]


async def test_a_failure_answering_a_mention_gets_an_error_id(
    fake_discord: FakeDiscord, running_bot: FactBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(running_bot.engine, "ask", broken)
    asked = await fake_discord.send_message(MEMBERS, channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
    reply = await fake_discord.reply_to(asked)
    assert reply.reference_id == asked.id
    assert re.search(r"error id `[0-9a-f]{8}`", reply.content) and "exploded" not in reply.content


async def test_a_bare_mention_gets_a_hint(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    asked = await fake_discord.send_message("", channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
    reply = await fake_discord.reply_to(asked)
    assert "Ask me a question after the mention" in reply.content


async def test_messages_that_do_not_ask_are_left_alone(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    await fake_discord.send_message(MEMBERS, channel_id=w.GENERAL_CHANNEL_ID)
    await fake_discord.send_message(MEMBERS, channel_id=w.QUESTIONS_CHANNEL_ID)  # not configured as one
    marker = await fake_discord.send_message("What is the SCO?", channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
    await fake_discord.reply_to(marker)
    assert [m.reference_id for m in fake_discord.bot_messages()] == [marker.id]


async def test_question_channels_answer_every_message(fake_discord: FakeDiscord, start_bot: BotStarter) -> None:
    async with start_bot(question_channels=frozenset({w.QUESTIONS_CHANNEL_ID})) as bot:
        assert bot.intents.message_content
        asked = await fake_discord.send_message(MEMBERS, channel_id=w.QUESTIONS_CHANNEL_ID)
        reply = await fake_discord.reply_to(asked)
        assert reply.reference_id == asked.id and reply.embeds


async def test_no_privileged_intent_without_question_channels(running_bot: FactBot) -> None:
    assert not running_bot.intents.message_content
    assert not running_bot.intents.members and not running_bot.intents.presences


async def test_find_in_sources_asks_with_the_selected_message(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    target = await fake_discord.send_message(MEMBERS, channel_id=w.GENERAL_CHANNEL_ID, author_id=w.OTHER_USER_ID)
    ix = await fake_discord.message_command("Find in sources", target, user_id=w.MEMBER_ID)
    reply = await fake_discord.reply(ix)
    assert reply.ephemeral
    assert reply.content.startswith(f"**Q:** {MEMBERS}")
    assert titles(reply)[0] == f"[1] {CSTO}"


async def test_find_in_sources_on_a_message_without_text(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    target = await fake_discord.send_message("", channel_id=w.GENERAL_CHANNEL_ID, embeds=[{"title": "a picture"}])
    reply = await fake_discord.reply(await fake_discord.message_command("Find in sources", target))
    assert reply.ephemeral and reply.content == "That message has no text to look up."


# -- DMs and scopes -------------------------------------------------------------------------------


async def test_a_dm_answers_from_the_global_library_only(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library
) -> None:
    await library.add_source(
        "The Ruritanian assembly gathered in Strelsau in 2009.", SourceMeta("Server notes"), scope=w.GUILD_ID
    )
    asked = await fake_discord.send_message(MEMBERS, channel_id=w.DM_CHANNEL_ID)
    reply = await fake_discord.reply_to(asked)
    assert reply.embeds and "Server notes" not in str(reply.embeds) + reply.content

    ix = await fake_discord.slash(
        "ask", {"question": "Where did the Ruritanian assembly gather?"}, channel_id=w.DM_CHANNEL_ID
    )
    answer = await fake_discord.reply(ix)
    assert "Strelsau" not in str(answer.embeds) and "Server notes" not in answer.content
    ix = await fake_discord.slash("ask", {"question": "Where did the Ruritanian assembly gather?"})
    in_server = await fake_discord.reply(ix)
    assert "Strelsau" in descriptions(in_server)


# -- cooldown -------------------------------------------------------------------------------------


async def test_the_cooldown_is_shared_by_every_way_of_asking(fake_discord: FakeDiscord, start_bot: BotStarter) -> None:
    async with start_bot(ask_cooldown_rate=2, ask_cooldown_seconds=60):
        await fake_discord.reply(await fake_discord.slash("ask", {"question": MEMBERS}))
        asked = await fake_discord.send_message(MEMBERS, channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
        assert (await fake_discord.reply_to(asked)).embeds

        refused = await fake_discord.reply(await fake_discord.slash("ask", {"question": MEMBERS}))
        assert refused.ephemeral and not refused.embeds
        when = re.search(r"Try again <t:(\d+):R>\.", refused.content)
        assert when, refused.content
        again = await fake_discord.send_message(MEMBERS, channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
        assert "Try again <t:" in (await fake_discord.reply_to(again)).content

        ix = await fake_discord.slash("ask", {"question": MEMBERS}, user_id=w.OTHER_USER_ID)
        other = await fake_discord.reply(ix)
        assert other.embeds, "another user has their own budget"


# -- nobody is pinged -----------------------------------------------------------------------------


HOSTILE = (
    "@everyone the rapid reaction force of Ruritania numbers 9,000 troops, says <@&{role}> and <@{user}>. "
    "@here the rapid reaction force of Ruritania is [a link](https://evil.example) with **bold** claims."
)


async def test_everyone_and_role_mentions_in_a_source_ping_nobody(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library
) -> None:
    body = HOSTILE.format(role=w.MODERATOR_ROLE_ID, user=w.OWNER_ID)
    await library.add_source(body, SourceMeta("Pinger"), scope=w.GUILD_ID)
    question = f"@everyone <@&{w.MODERATOR_ROLE_ID}> how large is the rapid reaction force of Ruritania?"
    ix = await fake_discord.slash("ask", {"question": question})
    reply = await fake_discord.reply(ix)
    asked = await fake_discord.send_message(question, channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
    replied = await fake_discord.reply_to(asked)
    for message in (reply.message, replied):
        assert message is not None
        assert message.allowed_mentions == {"parse": [], "replied_user": False} or message.allowed_mentions == {
            "parse": []
        }
        assert not fake_discord.pings(message)
        assert "@everyone" in str(message.embeds), "the source's text is quoted as it is"
        assert "@everyone" not in message.content, "mentions are no part of the question echoed"
        assert r"\*\*bold\*\*" in str(message.embeds).replace("\\\\", "\\"), "quoted markdown is escaped"


async def test_global_sources_answer_in_every_server(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    for channel in (w.GENERAL_CHANNEL_ID, w.OTHER_GENERAL_CHANNEL_ID):
        reply = await fake_discord.reply(await fake_discord.slash("ask", {"question": MEMBERS}, channel_id=channel))
        assert titles(reply)[0] == f"[1] {CSTO}"
    assert GLOBAL_SCOPE == 0


# -- meaning ----------------------------------------------------------------------------------------

HARBOUR = (
    "The harbour authority published its annual figures on Monday. Cargo volumes rose for the third year"
    " running. Most of the growth came from container traffic.\n\n"
    "Dockworkers went on strike for two days in June over pay. Ferry services to the islands were not affected."
)


async def test_a_question_in_other_words_is_answered_from_its_meaning(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library
) -> None:
    """The source is added behind the bot's back, encoded in its background, and asked with no word
    of the answer: only the vectors can find it."""
    await _asked_of_the_harbour_report(
        fake_discord, running_bot, library, "what drove the increase in freight?", "Most of the growth came from"
    )


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="issue 19: the no-answer model, fitted on SQuAD where questions share words with their answer,"
    " refuses a question sharing none (probability 0.1); passes again once it is fitted on such questions",
)
async def test_a_question_sharing_no_word_with_its_answer_is_answered(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library
) -> None:
    """The source is added behind the bot's back, encoded in its background, and asked in other words."""
    await _asked_of_the_harbour_report(
        fake_discord, running_bot, library, "did the ships to the isles keep sailing?", "Ferry services to the islands"
    )


async def _asked_of_the_harbour_report(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library, question: str, answer: str
) -> None:
    """HARBOUR added behind the bot's back and encoded in its background; `question`, mentioning the
    bot, is answered from it with a quote holding `answer`."""
    await library.add_source(HARBOUR, SourceMeta("Harbour report"), scope=w.GUILD_ID)
    encoding = running_bot.encoding
    assert isinstance(encoding, BackgroundEncoder), "the bot runs the sentence encoder"
    encoding.wake()
    await encoding.idle.wait()
    encoded, sentences = await library.vector_progress()
    assert encoded == sentences > 0, "every sentence is searchable by meaning"
    asked = await fake_discord.send_message(question, channel_id=w.GENERAL_CHANNEL_ID, mention_bot=True)
    reply = await fake_discord.reply_to(asked)
    assert reply.embeds, "answered from the source that says it in other words"
    assert reply.embeds[0]["title"] == "[1] Harbour report"
    assert answer in reply.embeds[0]["description"]
