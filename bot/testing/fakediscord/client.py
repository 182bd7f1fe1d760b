"""Runs a real discord.py client against the fake (no pytest needed: the benchmarks use it too).

Only two class attributes of discord.py are patched, and only while the client runs:
``discord.http.Route.BASE`` (every REST and webhook URL) and
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` (the websocket).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

import discord
import yarl

from .server import FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.contextmanager
def _patched(target: Any, name: str, value: Any) -> Iterator[None]:
    """Set ``target.name`` to ``value`` for the block, then put the old value back, however it ends."""
    old = getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        setattr(target, name, old)


@contextlib.asynccontextmanager
async def run_client(
    client: ClientT, fake: FakeDiscord, *, token: str | None = None, ready_timeout: float = 10.0
) -> AsyncIterator[ClientT]:
    """Log ``client`` in to ``fake``, wait until it is ready, yield it, then close it.

    A bad token raises ``discord.LoginFailure`` from the ``async with``. Create clients with a
    small ``guild_ready_timeout`` (e.g. 0.05) or readiness waits 2 s for more guilds.
    """
    with (
        _patched(discord.http.Route, "BASE", fake.api_base),
        _patched(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url)),
    ):
        fake.attach(client)
        runner: asyncio.Task[None] | None = None
        try:
            await client.login(fake.token if token is None else token)
            runner = asyncio.create_task(client.connect(reconnect=True), name="fake-discord-client")
            ready = asyncio.create_task(client.wait_until_ready())
            done, _ = await asyncio.wait({runner, ready}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED)
            if ready not in done:
                ready.cancel()
                if runner in done:
                    runner.result()  # re-raise why the connection ended
                raise TimeoutError(f"client not ready after {ready_timeout}s")
            yield client
        finally:
            await client.close()
            if runner is not None:
                with contextlib.suppress(asyncio.CancelledError, discord.ConnectionClosed):
                    await asyncio.wait_for(runner, 5)
            fake.attach(None)
