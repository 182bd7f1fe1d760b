"""Helpers for tests that drive the real FactBot on the fake Discord (fixtures: bot_fixtures.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from bot.discord.client import FactBot
from tests.fakediscord import ErrorRecord, FakeDiscord, InteractionLog, Message, Reply

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
    await fake.wait_until(lambda: message.id in store._synced_message_views, what=f"buttons on {message.id}")
    return await fake.click(message, custom_id, user_id=user_id)


async def submit(fake: FakeDiscord, bot: FactBot, opened: InteractionLog, values: dict[str, str]) -> InteractionLog:
    """Submit the modal the bot answered ``opened`` with, once the bot listens for it (see click)."""
    reply = await fake.reply(opened)
    assert reply.modal is not None, "the bot answered with a modal"
    store = bot._connection._view_store
    await fake.wait_until(lambda: reply.modal["custom_id"] in store._modals, what="the modal to be registered")
    return await fake.submit_modal(opened, values)


def take_refusals(fake: FakeDiscord, *codes: int) -> list[ErrorRecord]:
    """Check that Discord refused exactly these requests (by error code, in order), and clear them so
    the fixtures' closing "nothing refused" check still covers everything else."""
    assert [e.code for e in fake.errors] == list(codes), "\n".join(map(str, fake.errors))
    taken = list(fake.errors)
    fake.errors.clear()
    return taken
