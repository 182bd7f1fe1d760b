"""The one place failures become replies: the command tree's error handler (views, modals and the
message listener route here too), so commands never carry their own try/except.

What a user caused gets a short private message; a bug is logged with its traceback under a short
error id, and the user gets that id to report instead of a stack trace. What Discord makes normal
(an interaction that expired before the reply, a question deleted before its answer, the bot
removed from the server while it answered) is one
warning line, and nothing more is sent: a reply to something gone would fail too.
"""

from __future__ import annotations

import logging
import secrets
import time

import discord
from discord import app_commands

from storage.errors import LIBRARY_UNAVAILABLE, FactbotError, LibraryUnavailable

log = logging.getLogger(__name__)


def cooldown_message(retry_after: float) -> str:
    """Friendly, and says when: Discord renders the timestamp as "in 7 seconds" in the reader's locale."""
    when = int(time.time() + max(retry_after, 1.0)) + 1
    return f"You're asking faster than I can look things up. Try again <t:{when}:R>."


# Discord's codes for "what you answer is gone": the interaction expired (3 s to acknowledge),
# its token expired (15 minutes), the message was deleted, or the bot can no longer see the
# channel (removed from the server, or the channel hidden from it: both normal on Discord).
UNKNOWN_MESSAGE, UNKNOWN_INTERACTION, INVALID_WEBHOOK_TOKEN = 10008, 10062, 50027
MISSING_ACCESS = 50001
INVALID_FORM_BODY = 50035
MISSING_PERMISSIONS = 50013


def _unwrap(error: BaseException) -> BaseException:
    return error.original if isinstance(error, app_commands.CommandInvokeError) else error


def gone(error: BaseException) -> str | None:
    """Why the reply can't be delivered when `error` says its target is gone, else None."""
    original = _unwrap(error)
    if not isinstance(original, discord.HTTPException):
        return None
    if original.code == UNKNOWN_INTERACTION:
        return "the interaction expired before it was acknowledged"
    if original.code == INVALID_WEBHOOK_TOKEN:
        return "the interaction's token expired"
    if original.code == UNKNOWN_MESSAGE:
        return "the message was deleted"
    if original.code == MISSING_ACCESS:
        return "the bot can no longer see the channel (removed from the server, or the channel hidden from it)"
    if original.code == INVALID_FORM_BODY and "message_reference" in original.text:
        return "the question was deleted before the reply"
    return None


def _discord_said(error: BaseException) -> str:
    """Discord's code and message on one line."""
    original = _unwrap(error)
    if isinstance(original, discord.HTTPException):
        return f"{original.code}: {' '.join(original.text.split())}"
    return " ".join(str(original).split())


def describe(error: BaseException, where: str) -> str:
    """The short message for `error`; unexpected ones are logged with their traceback first."""
    original = _unwrap(error)
    if isinstance(original, LibraryUnavailable):  # the operator's business: the host goes to the log only
        log.warning("%s: %s", where, original.message)
        return LIBRARY_UNAVAILABLE
    if isinstance(original, FactbotError):
        return original.message
    if isinstance(original, app_commands.CommandOnCooldown):
        return cooldown_message(original.retry_after)
    if isinstance(original, app_commands.NoPrivateMessage):
        return "This command works only in a server."
    if isinstance(original, app_commands.CheckFailure):
        return str(original) or "You can't use this command here."
    if isinstance(original, app_commands.TransformerError):
        return f"I couldn't read {original.value!r} as {original.type.name.lower()}."
    error_id = secrets.token_hex(4)
    log.error("Unexpected error %s in %s", error_id, where, exc_info=(type(original), original, original.__traceback__))
    return f"Something went wrong on my side (error id `{error_id}`). It has been logged; please try again later."


def _where(interaction: discord.Interaction) -> str:
    command = interaction.command.qualified_name if interaction.command else None
    custom_id = (interaction.data or {}).get("custom_id") if interaction.data else None
    return f"/{command}" if command else f"component {custom_id}" if custom_id else f"interaction {interaction.id}"


async def on_interaction_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Registered as the tree's on_error; views and modals call it from their own on_error."""
    if (why := gone(error)) is not None:
        log.warning("Nothing sent for %s: %s (Discord %s).", _where(interaction), why, _discord_said(error))
        return
    text = describe(error, _where(interaction))
    try:
        if interaction.type is discord.InteractionType.autocomplete:
            if not interaction.response.is_done():
                await interaction.response.autocomplete([])
        elif interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("Could not tell the user about an error in %s: %s", _where(interaction), text)


async def on_message_error(message: discord.Message, error: Exception) -> None:
    """The same treatment for questions asked by mention, in a question channel or in a DM."""
    if (why := gone(error)) is not None:
        log.warning("Nothing sent for message %s: %s (Discord %s).", message.id, why, _discord_said(error))
        return
    text = describe(error, f"message {message.id}")
    try:
        await message.reply(text, mention_author=False)
    except discord.HTTPException:
        log.warning("Could not reply to message %s about an error: %s", message.id, text)
