"""What the bot may do where a message was sent, when discord.py's cache does not know the channel.

discord.py resolves permissions from the channels and threads in its cache. A message in one it
does not know (an older thread it never saw created, a forum post from before it joined) comes
with a `PartialMessageable`, whose permissions are always none, so the bot would answer in plain
text where it may send embeds. Such a channel is fetched (one request) and its permissions are
resolved from its parent channel, as Discord does for threads.
"""

from __future__ import annotations

import logging

import discord

log = logging.getLogger(__name__)


async def may_embed(message: discord.Message) -> bool:
    """Whether the bot may send embeds where `message` was sent (Embed Links; always in a DM).
    When it cannot tell (the channel cannot be fetched), no: a plain-text answer still arrives."""
    guild = message.guild
    if guild is None:
        return True
    channel: object = message.channel
    if isinstance(channel, discord.PartialMessageable):
        channel = guild.get_channel_or_thread(channel.id) or await _fetched(guild, channel.id)
    if not isinstance(channel, discord.abc.GuildChannel | discord.Thread):
        return False
    try:
        return channel.permissions_for(guild.me).embed_links
    except discord.ClientException:  # a thread whose parent channel is not known either
        return False


async def _fetched(guild: discord.Guild, channel_id: int) -> discord.abc.GuildChannel | discord.Thread | None:
    try:
        return await guild.fetch_channel(channel_id)
    except (discord.HTTPException, discord.InvalidData) as err:
        log.info("Could not look up channel %s (%s); answering there as text.", channel_id, err)
        return None
