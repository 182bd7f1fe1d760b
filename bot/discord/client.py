"""FactBot: a discord.py `commands.Bot` over one Library, built from Settings.

It asks for no privileged intent unless question channels are configured (those need message
content); mentions, DMs and slash commands work without. It never pings anyone: every message it
sends parses no mentions, whatever the quoted text contains.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer.vectorize import BackgroundEncoder, NoEncoding
from bot.discord.cogs.ask import AskCog
from bot.discord.cogs.feedback import FeedbackCog
from bot.discord.cogs.sources import SourcesCog
from bot.discord.cogs.timeline import TimelineCog
from bot.discord.cooldown import AskCooldown
from bot.discord.edits import EditsCog, Replies
from bot.discord.errors import on_interaction_error
from bot.discord.feedback import VoteButton
from bot.discord.pages import PageButton, PageKinds, RetiredPageButton
from bot.discord.sharding import Sharding
from bot.engines import engine_from_settings
from bot.settings import Settings
from storage.backends.base import Library
from storage.fetch import FetchPolicy
from storage.shared import SharedCooldowns

log = logging.getLogger(__name__)


def intents_for(settings: Settings) -> discord.Intents:
    """Guilds (channels, roles), guild and DM messages; message content only for question channels."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = bool(settings.question_channels)
    return intents


def fetch_policy_for(settings: Settings) -> FetchPolicy:
    return FetchPolicy(allowed_networks=settings.fetch_allow_networks)


class FactBot(commands.Bot):
    """The bot; cogs reach the library, engine, settings and limits through it."""

    def __init__(
        self,
        settings: Settings,
        library: Library,
        *,
        sync_on_setup: bool = True,
        shared_cooldowns: SharedCooldowns | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,  # required by commands.Bot; no prefix commands exist
            intents=intents_for(settings),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            **options,
        )
        self.settings = settings
        self.library = library
        self.engine = engine_from_settings(library, settings)
        # New sources' sentences get their vectors in meaning in the background (bot.answer.vectorize).
        self.encoding = BackgroundEncoder(library, self.engine.encoder) if self.engine.encoder else NoEncoding()
        self.fetch_policy = fetch_policy_for(settings)
        self.ask_cooldown = AskCooldown(
            settings.ask_cooldown_rate, settings.ask_cooldown_seconds, shared=shared_cooldowns
        )
        self.sync_on_setup = sync_on_setup
        self.synced: list[app_commands.AppCommand] = []
        self.page_kinds = PageKinds()  # how each cog's pages are rebuilt when a page button is clicked
        self.replies = Replies()  # each recent question's reply, edited when the question is edited
        self.tree.error(on_interaction_error)

    async def setup_hook(self) -> None:
        # Page and vote buttons work on every message, after restarts.
        self.add_dynamic_items(PageButton, RetiredPageButton, VoteButton)
        await self.add_cog(AskCog(self))
        await self.add_cog(EditsCog(self))
        await self.add_cog(FeedbackCog(self))
        await self.add_cog(SourcesCog(self))
        await self.add_cog(TimelineCog(self))
        self.encoding.start()
        if self.sync_on_setup:
            self.synced = await self.sync_commands()

    async def sync_commands(self) -> list[app_commands.AppCommand]:
        """To the development server when one is set (instant), else globally (may take a while to show)."""
        if self.settings.dev_guild_id is not None:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("Synced %d commands to server %s", len(synced), guild.id)
        else:
            synced = await self.tree.sync()
            log.info("Synced %d commands globally (they can take a while to appear)", len(synced))
        return synced

    async def close(self) -> None:
        await self.encoding.stop()
        await super().close()

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: questions in messages are the ask cog's listener's job."""

    async def on_ready(self) -> None:
        log.info("Logged in as %s (%s) in %d servers", self.user, getattr(self.user, "id", "?"), len(self.guilds))


class ShardedFactBot(FactBot, commands.AutoShardedBot):
    """FactBot running some of the bot's shards (discord.py's AutoShardedBot). It never pushes
    slash commands: `factbot sync` does, once, so shard processes never race on it."""


def make_bot(settings: Settings, library: Library, *, sharding: Sharding | None = None, **options: Any) -> FactBot:
    """The bot for one process: all of Discord's events (no sharding), or those of `sharding.ids`."""
    if sharding is None:
        return FactBot(settings, library, **options)
    options["sync_on_setup"] = False
    return ShardedFactBot(settings, library, shard_count=sharding.count, shard_ids=list(sharding.ids), **options)
