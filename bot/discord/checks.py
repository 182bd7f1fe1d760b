"""Who may manage sources: the server's Manage Server permission or the configured moderator role.

Checked on the bot's side on every call. A command's default permissions only decide who sees it
in the client; a server admin can change them, and a crafted request ignores them entirely.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.settings import Settings


class NotModerator(app_commands.CheckFailure):
    """The caller may not manage this server's sources."""

    def __init__(self, settings: Settings) -> None:
        role = f" or the {settings.moderator_role} role" if settings.moderator_role else ""
        super().__init__(f"Only moderators (Manage Server permission{role}) can manage sources.")


def has_moderator_role(member: discord.Member, role_setting: str | None) -> bool:
    """Whether `member` holds the role named (or numbered) by the FACTBOT_MODERATOR_ROLE setting."""
    if not role_setting:
        return False
    wanted = role_setting.strip().lstrip("@")
    if wanted.isdigit() and member.get_role(int(wanted)) is not None:
        return True
    return any(role.name.casefold() == wanted.casefold() for role in member.roles)


def is_moderator(interaction: discord.Interaction, settings: Settings) -> bool:
    """Manage Server as Discord resolved it for this interaction, or the moderator role."""
    if interaction.guild_id is None or not isinstance(interaction.user, discord.Member):
        return False
    if interaction.permissions.manage_guild:
        return True
    return has_moderator_role(interaction.user, settings.moderator_role)
