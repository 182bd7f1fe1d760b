"""Helpers for tests that drive the real FactBot on the fake Discord (fixtures: bot_fixtures.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from bot.discord.client import FactBot
from bot.discord.pages import TEMPLATE
from bot.testing.fakediscord import ErrorRecord, FakeDiscord, InteractionLog, Message, Reply
from storage.backends.base import Library
from storage.models import SourceMeta

BotStarter = Callable[..., contextlib.AbstractAsyncContextManager[FactBot]]


async def click(
    fake: FakeDiscord, bot: FactBot, on: Reply | Message, custom_id: str, *, user_id: int
) -> InteractionLog:
    """Click a button once the bot listens for it.

    discord.py binds a view to its message only after the send returns, while the fake shows the
    message as soon as it has it, so a test could otherwise click before the bot listens (no
    person is that quick). The view store is private; this is the one place that reads it.
    """
    message = on.message if isinstance(on, Reply) else on
    assert message is not None
    store = bot._connection._view_store
    if not any(pattern.fullmatch(custom_id) for pattern in store._dynamic_items):  # those listen from the start
        await fake.wait_until(lambda: message.id in store._synced_message_views, what=f"buttons on {message.id}")
    return await fake.click(message, custom_id, user_id=user_id)


def page_button(on: Reply | Message, action: str) -> dict[str, Any]:
    """The page button (pages.PREVIOUS, POSITION or NEXT) on a message or a snapshot of it."""
    message = on.message if isinstance(on, Reply) else on
    assert message is not None
    for custom_id in message.custom_ids():
        if (match := TEMPLATE.fullmatch(custom_id)) and match["action"] == action:
            found = message.component(custom_id)
            assert found is not None
            return found
    raise AssertionError(f"no page button {action!r} on message {message.id}: {message.custom_ids()}")


async def turn_page(fake: FakeDiscord, on: Reply | Message, action: str, *, user_id: int) -> InteractionLog:
    """Click a page button on the message as it is now (its buttons' ids change with the page)."""
    snapshot = on.message if isinstance(on, Reply) else on
    assert snapshot is not None
    live = fake.message(snapshot.id)
    assert live is not None
    return await fake.click(live, page_button(live, action)["custom_id"], user_id=user_id)


async def submit(fake: FakeDiscord, bot: FactBot, opened: InteractionLog, values: dict[str, str]) -> InteractionLog:
    """Submit the modal the bot answered ``opened`` with, once the bot listens for it (see click)."""
    reply = await fake.reply(opened)
    modal = reply.modal
    assert modal is not None, "the bot answered with a modal"
    store = bot._connection._view_store
    await fake.wait_until(lambda: modal["custom_id"] in store._modals, what="the modal to be registered")
    return await fake.submit_modal(opened, values)


def take_refusals(fake: FakeDiscord, *codes: int) -> list[ErrorRecord]:
    """Check that Discord refused exactly these requests (by error code, in order), and clear them so
    the fixtures' closing "nothing refused" check still covers everything else."""
    assert [e.code for e in fake.errors] == list(codes), "\n".join(map(str, fake.errors))
    taken = list(fake.errors)
    fake.errors.clear()
    return taken


ZEBRA = "How many kilometres does the zebra migration travel each year?"
FILLER = "through grassland and river crossings where herds gather under the watchful eyes of guides"


def titles(reply: Reply) -> list[str]:
    return [e.get("title", "") for e in reply.embeds]


def descriptions(reply: Reply) -> str:
    return "\n".join(e.get("description", "") for e in reply.embeds)


async def add_zebra_reports(library: Library, scope: int, count: int = 6) -> None:
    """Sources whose quotes are long enough that an answer needs several pages."""
    for i in range(count):
        herd = chr(ord("A") + i)
        paragraphs = [
            f"The zebra migration of herd {herd}{j} travels {100 + 10 * i + j} kilometres each year, "
            + ", ".join([FILLER] * 4)
            + "."
            for j in range(3)
        ]
        meta = SourceMeta(f"Zebra report {herd}", author="A. Writer", url=f"https://example.org/zebra/{herd}")
        await library.add_source("\n\n".join(paragraphs), meta, scope=scope)


async def settled(fake: FakeDiscord, interaction: InteractionLog) -> Reply:
    """The reply once it no longer says that work is under way ("Fetching <url>…"): what the user
    sees when the work is done."""
    from bot.discord.cogs.sources import FETCHING

    busy = FETCHING.split("{", 1)[0]
    await fake.reply(interaction)

    def done() -> Reply | None:
        snap = fake.snapshot(fake.interactions[interaction.id])
        return None if snap.content.startswith(busy) else snap

    return await fake.wait_until(done, what="the work under way to finish")
