"""One per-user question budget shared by every way of asking: /ask, the context menu, mentions,
question channels and DMs. A per-command cooldown would let a user ask three times as often by
switching between them, and prefix-less messages have no command cooldown at all.

One process keeps the budgets in memory. Sharded processes over one library keep them in the
library's shared state (storage.shared), so a user cannot escape the budget by asking on a server
that another process answers. When that state cannot be reached (the database is down or slow),
the process falls back to its own budgets, with one warning per outage: questions keep being
acknowledged, and a user may get up to one budget per process until the state is back."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands

from storage.errors import StoreError

if TYPE_CHECKING:
    from bot.discord.client import FactBot
    from storage.shared import SharedCooldowns

T = TypeVar("T")
log = logging.getLogger(__name__)
# How long a question waits for the shared budgets before this process's own are used: Discord
# wants the interaction acknowledged within 3 s, and the check runs before the acknowledgement.
SHARED_WAIT_SECONDS = 1.0
_PRUNE_AT = 10_000  # buckets kept before idle ones are dropped


class AskCooldown:
    """At most `rate` questions per `per` seconds for each user; rate or per <= 0 turns it off.
    With `shared`, the budgets are those every process of the library sees."""

    def __init__(self, rate: int, per: float, *, shared: SharedCooldowns | None = None) -> None:
        self.rate = rate
        self.per = per
        self.shared = shared
        self._buckets: dict[int, app_commands.Cooldown] = {}
        self.falling_back = False  # the shared budgets failed at the last question

    @property
    def enabled(self) -> bool:
        return self.rate > 0 and self.per > 0

    async def hit(self, user_id: int, now: float | None = None) -> tuple[app_commands.Cooldown, float] | None:
        """Spend one question of `user_id`'s budget; (bucket, seconds to wait) when it is spent."""
        if not self.enabled:
            return None
        if self.shared is not None:
            try:
                wait = await asyncio.wait_for(self.shared.spend(user_id, self.rate, self.per), SHARED_WAIT_SECONDS)
            except Exception as err:  # whatever it is, a failed budget check must not fail the question
                self._fell_back(err)
            else:
                if self.falling_back:
                    self.falling_back = False
                    log.warning("The shared question budgets answer again; using them.")
                return (app_commands.Cooldown(self.rate, self.per), wait) if wait else None
        now = now or time.time()
        if len(self._buckets) >= _PRUNE_AT:
            self._prune(now)
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = app_commands.Cooldown(self.rate, self.per)
        retry_after = bucket.update_rate_limit(now)
        return (bucket, retry_after) if retry_after else None

    def _fell_back(self, err: BaseException) -> None:
        if not self.falling_back:
            self.falling_back = True
            why = (
                f"no answer within {SHARED_WAIT_SECONDS:g} s"
                if isinstance(err, TimeoutError)
                else str(err)
                if isinstance(err, StoreError)
                else repr(err)
            )
            log.warning("The shared question budgets cannot be reached (%s); this process keeps its own.", why)

    def _prune(self, now: float) -> None:
        self._buckets = {uid: b for uid, b in self._buckets.items() if b.get_tokens(now) < b.rate}


async def ask_cooldown_check(interaction: discord.Interaction[FactBot]) -> bool:
    """An app-command check: raises CommandOnCooldown, which the tree's error handler words kindly."""
    spent = await interaction.client.ask_cooldown.hit(interaction.user.id)
    if spent is not None:
        raise app_commands.CommandOnCooldown(*spent)
    return True


def ask_cooldown() -> Callable[[T], T]:
    """Decorator form of `ask_cooldown_check` for slash commands."""
    check: Any = app_commands.check(ask_cooldown_check)
    return check
