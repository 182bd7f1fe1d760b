"""One per-user question budget shared by every way of asking: /ask, the context menu, mentions,
question channels and DMs. A per-command cooldown would let a user ask three times as often by
switching between them, and prefix-less messages have no command cooldown at all.

One process keeps the budgets in memory. Sharded processes over one library keep them in the
library's shared state (storage.shared), so a user cannot escape the budget by asking on a server
that another process answers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands

if TYPE_CHECKING:
    from bot.discord.client import FactBot
    from storage.shared import SharedCooldowns

T = TypeVar("T")
_PRUNE_AT = 10_000  # buckets kept before idle ones are dropped


class AskCooldown:
    """At most `rate` questions per `per` seconds for each user; rate or per <= 0 turns it off.
    With `shared`, the budgets are those every process of the library sees."""

    def __init__(self, rate: int, per: float, *, shared: SharedCooldowns | None = None) -> None:
        self.rate = rate
        self.per = per
        self.shared = shared
        self._buckets: dict[int, app_commands.Cooldown] = {}

    @property
    def enabled(self) -> bool:
        return self.rate > 0 and self.per > 0

    async def hit(self, user_id: int, now: float | None = None) -> tuple[app_commands.Cooldown, float] | None:
        """Spend one question of `user_id`'s budget; (bucket, seconds to wait) when it is spent."""
        if not self.enabled:
            return None
        if self.shared is not None:
            wait = await self.shared.spend(user_id, self.rate, self.per)
            return (app_commands.Cooldown(self.rate, self.per), wait) if wait else None
        now = now or time.time()
        if len(self._buckets) >= _PRUNE_AT:
            self._prune(now)
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = app_commands.Cooldown(self.rate, self.per)
        retry_after = bucket.update_rate_limit(now)
        return (bucket, retry_after) if retry_after else None

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
