"""The pytest fixture: a fresh fake Discord for each test (``pytest_plugins`` in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from .client import run_client
from .server import FakeDiscord

__all__ = ["fake_discord", "run_client"]


@pytest_asyncio.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A fresh fake Discord on 127.0.0.1 for one test."""
    async with FakeDiscord() as fake:
        yield fake
