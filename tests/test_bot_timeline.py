"""/timeline on the fake Discord: the picture travels as an attachment shown inside the first
embed, every numbered event is listed with its quote and citation, long lists spill into more
messages within every limit, and an empty or undated library gets one clear line, no picture.

Every test ends with the `running_bot`/`start_bot` check that the fake refused nothing the bot
sent (no Discord limit broken) and that no message it sent notified anyone.
"""

from __future__ import annotations

import re
import struct

from bot.answer.timeline import Empty, library_timeline
from bot.discord.client import FactBot
from bot.testing.fakediscord import FakeDiscord, Reply
from bot.testing.fakediscord import world as w
from bot.timeline.draw import FILENAME, WIDTH_PX
from bot.wording import EMPTY
from storage.backends.base import Library
from storage.models import SourceMeta

pytest_plugins = ["tests.bot_fixtures"]

DRAWING = 120.0  # seconds: drawing is slow on a loaded two-core CI machine


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def listed(reply: Reply) -> str:
    return "\n".join(e.get("description", "") for m in reply.messages for e in m.embeds)


def numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"^\*\*(\d+)\*\* ", text, re.MULTILINE)]


async def remove_seeds(library: Library) -> None:
    for source in await library.list_sources():
        await library.remove_source(source.id)


async def test_the_library_timeline_is_a_picture_inside_the_embed(
    fake_discord: FakeDiscord, running_bot: FactBot
) -> None:
    ix = await fake_discord.slash("timeline", {})
    reply = await fake_discord.reply(ix, timeout=DRAWING)
    assert reply.deferred, "drawing takes time: the interaction is acknowledged first"
    assert not reply.ephemeral
    [picture] = reply.attachments
    assert picture.filename == FILENAME
    width, height = png_size(picture.data)
    assert width == WIDTH_PX and height > 400
    first = reply.embeds[0]
    assert first["image"]["url"] == f"attachment://{FILENAME}"
    text = listed(reply)
    assert numbers(text) == list(range(1, 15)), "every event of the two seed articles, numbered in order"
    # The relative date is placed by the exercise's own name, not by the article's 2021 dateline.
    assert "Last October → Oct 2017" in text
    assert "Oct 2020" not in text
    assert "**[1]** CSTO Sets Up Peacekeeping Force — Alex Gorka" in text  # the citation legend
    assert "Feb.8 · no year stated" in text
    assert re.search(r"” — ¶ \d+", text), "each quote carries its paragraph"
    assert "Not placed" in text


async def test_a_topic_draws_the_dates_of_its_answer(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    topic = "When did Russia consider deploying CSTO units in Lebanon?"
    reply = await fake_discord.reply(
        await fake_discord.slash("timeline", {"topic": topic, "private": True}), timeout=DRAWING
    )
    assert reply.ephemeral
    assert len(reply.attachments) == 1
    text = listed(reply)
    assert "**December 2021**, Russia considered the possibility of deploying CSTO units" in text
    assert reply.embeds[0]["title"].startswith("Timeline: When did Russia consider")


async def test_a_topic_nothing_answers_gets_a_line_not_a_picture(
    fake_discord: FakeDiscord, running_bot: FactBot
) -> None:
    reply = await fake_discord.reply(
        await fake_discord.slash("timeline", {"topic": "How far do zebras migrate across the Serengeti?"})
    )
    assert reply.attachments == []
    assert reply.embeds == []
    assert reply.content


async def test_an_answer_without_dates_says_so(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    reply = await fake_discord.reply(
        await fake_discord.slash("timeline", {"topic": "How large is the CSTO rapid reaction force?"})
    )
    assert reply.attachments == []
    assert reply.content == EMPTY[Empty.NO_DATES_IN_ANSWER]


async def test_an_empty_library_gets_one_clear_line(fake_discord: FakeDiscord, library: Library, start_bot) -> None:
    await remove_seeds(library)
    async with start_bot():
        reply = await fake_discord.reply(await fake_discord.slash("timeline", {}))
        assert reply.content == EMPTY[Empty.EMPTY_LIBRARY]
        assert reply.attachments == [] and reply.embeds == []


async def test_an_undated_library_gets_one_clear_line(fake_discord: FakeDiscord, library: Library, start_bot) -> None:
    await remove_seeds(library)
    await library.add_source("Otters hold hands while they sleep. They eat sea urchins.", SourceMeta("Otters"))
    async with start_bot():
        reply = await fake_discord.reply(await fake_discord.slash("timeline", {}))
        assert reply.content == EMPTY[Empty.NO_DATES]
        assert reply.attachments == [] and reply.embeds == []


async def test_dates_without_a_year_are_listed_but_not_drawn(
    fake_discord: FakeDiscord, library: Library, start_bot
) -> None:
    await remove_seeds(library)
    body = "The talks opened on Feb. 8 in Geneva. Last year, the council met twice."
    await library.add_source(body, SourceMeta("Talks", published="2021-06"))
    async with start_bot():
        reply = await fake_discord.reply(await fake_discord.slash("timeline", {}))
        assert reply.content == EMPTY[Empty.NO_DATES]
        assert reply.attachments == []
        text = listed(reply)
        assert numbers(text) == [1, 2]
        assert "Feb. 8 · no year stated" in text
        assert "Last year · relative" in text, "not placed at 2020 from the 2021 publication date"


async def test_long_quotes_spill_into_more_messages_within_every_limit(
    fake_discord: FakeDiscord, library: Library, start_bot
) -> None:
    """Sixteen dated sentences of about 550 characters each: more than one message holds."""
    await remove_seeds(library)
    filler = ", ".join(["the herds crossed the river under the eyes of the rangers"] * 24)
    for s in range(3):
        body = "\n\n".join(f"In {1990 + 3 * i + s}, herd {s}-{i} moved on, {filler}." for i in range(7))
        await library.add_source(body, SourceMeta(f"Herd report {s}"), scope=w.GUILD_ID)
    async with start_bot():
        ix = await fake_discord.slash("timeline", {})
        await fake_discord.reply(ix, timeout=DRAWING)

        def finished() -> Reply | None:
            snap = fake_discord.snapshot(fake_discord.interactions[ix.id])
            return snap if "more dated statements not shown" in listed(snap) else None

        full = await fake_discord.wait_until(finished, what="the last message of the list")
        assert len(full.messages) > 2
        assert len(full.messages[0].attachments) == 1
        assert all(not m.attachments for m in full.messages[1:])
        text = listed(full)
        assert numbers(text) == list(range(1, 17)), "the cap: sixteen events, each listed once"
        assert "And 5 more dated statements not shown" in text
        shown = await library_timeline(library, w.GUILD_ID)
        whole = sum(e.sentence.count("the eyes of the rangers") for e in shown.events)
        assert whole > 100
        assert text.count("the eyes of the rangers") == whole, "quotes are never shortened"
