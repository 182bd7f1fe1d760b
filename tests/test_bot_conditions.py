"""Real Discord conditions, on the fake: interactions that expire and questions deleted before the
reply, page buttons that outlive a restart of the bot, a channel without Embed Links, and rate
limits (429) that must not lose an answer.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.discord.client import FactBot
from tests.discord_helpers import take_refusals
from tests.fakediscord import FakeDiscord
from tests.fakediscord import world as w

pytest_plugins = ["tests.bot_fixtures"]

MEMBERS = "Who are the members of the CSTO?"


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
