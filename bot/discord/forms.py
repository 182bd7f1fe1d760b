"""The two interactive forms of source management: the modal for pasted text and the confirm
button for removal. They collect an answer and hand it to a callback in the cog; failures go to
the same error handler as commands."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.discord import errors
from storage.ingest import MAX_FIELD_CHARS, MetaOverrides

log = logging.getLogger(__name__)

PASTE_MAX = 4000  # Discord's limit for one text input
CONFIRM_TIMEOUT = 120.0
CONFIRM, CANCEL = "factbot:confirm:yes", "factbot:confirm:no"

PastedCallback = Callable[[discord.Interaction[Any], str, MetaOverrides], Awaitable[None]]
Callback = Callable[[discord.Interaction], Awaitable[None]]


class PasteSourceModal(discord.ui.Modal, title="Add a source from pasted text"):
    """The text and its citation details; what was given as command options is filled in."""

    text: discord.ui.TextInput[PasteSourceModal] = discord.ui.TextInput(
        label="Text",
        custom_id="text",
        style=discord.TextStyle.paragraph,
        max_length=PASTE_MAX,
        placeholder="Paste the article text, paragraphs separated by blank lines.",
    )
    source_title: discord.ui.TextInput[PasteSourceModal] = discord.ui.TextInput(
        label="Title", custom_id="title", max_length=MAX_FIELD_CHARS
    )
    author: discord.ui.TextInput[PasteSourceModal] = discord.ui.TextInput(
        label="Author", custom_id="author", required=False, max_length=MAX_FIELD_CHARS
    )
    publisher: discord.ui.TextInput[PasteSourceModal] = discord.ui.TextInput(
        label="Publisher", custom_id="publisher", required=False, max_length=MAX_FIELD_CHARS
    )
    date: discord.ui.TextInput[PasteSourceModal] = discord.ui.TextInput(
        label="Published (e.g. 2021-06-08 or June 2021)", custom_id="date", required=False, max_length=64
    )

    def __init__(self, given: MetaOverrides, on_submit: PastedCallback) -> None:
        super().__init__(timeout=900, custom_id="factbot:paste")
        self.given = given
        self._on_submit = on_submit
        self.source_title.default = given.title
        self.author.default = given.author
        self.publisher.default = given.publisher
        self.date.default = given.published

    async def on_submit(self, interaction: discord.Interaction) -> None:
        given = MetaOverrides(
            title=self.source_title.value or None,
            author=self.author.value or None,
            publisher=self.publisher.value or None,
            url=self.given.url,
            published=self.date.value or None,
        )
        await self._on_submit(interaction, self.text.value, given)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        await errors.on_interaction_error(interaction, error)


class ConfirmView(discord.ui.View):
    """Confirm or cancel one destructive action; only the person who asked can press either."""

    def __init__(self, owner_id: int, on_confirm: Callback, *, confirm_label: str = "Remove") -> None:
        super().__init__(timeout=CONFIRM_TIMEOUT)
        self.owner_id = owner_id
        self._on_confirm = on_confirm
        self.confirm.label = confirm_label
        self.message: discord.Message | discord.WebhookMessage | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message("Only the person who asked can answer this.", ephemeral=True)
        return False

    @discord.ui.button(label="Remove", style=discord.ButtonStyle.danger, custom_id=CONFIRM)
    async def confirm(self, interaction: discord.Interaction, _: discord.ui.Button[ConfirmView]) -> None:
        self.stop()
        await self._on_confirm(interaction)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id=CANCEL)
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button[ConfirmView]) -> None:
        self.stop()
        await interaction.response.edit_message(content="Cancelled; nothing was removed.", embed=None, view=None)

    async def on_timeout(self) -> None:
        if self.message is None:
            return
        try:
            await self.message.edit(content="No answer in time; nothing was removed.", embed=None, view=None)
        except discord.HTTPException as err:
            log.debug("Could not expire a confirmation: %s", err)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]) -> None:
        await errors.on_interaction_error(interaction, error)
