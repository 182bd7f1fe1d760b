"""Pages of a reply and the buttons that turn them.

A reply too long for one message is split into pages rather than cut, and only the person who
asked can turn them (others would otherwise page a shared answer under the asker's feet). Pages
may be computed up front (an answer) or loaded on demand (a library of a thousand sources).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import discord

from bot.discord import errors

log = logging.getLogger(__name__)

# Stable ids: a view is bound to its message, so they need only be unique within one message.
PREVIOUS, POSITION, NEXT = "factbot:page:previous", "factbot:page:position", "factbot:page:next"
PAGE_TIMEOUT = 600.0  # seconds; interaction tokens (used to edit ephemeral replies) last 15 minutes


@dataclass
class Page:
    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)


class Pages(Protocol):
    """Something with `count` pages that can produce any one of them."""

    @property
    def count(self) -> int: ...

    async def page(self, index: int) -> Page: ...


class StaticPages:
    """Pages computed up front."""

    def __init__(self, pages: Sequence[Page]) -> None:
        if not pages:
            raise ValueError("at least one page")
        self._pages = list(pages)

    @property
    def count(self) -> int:
        return len(self._pages)

    async def page(self, index: int) -> Page:
        return self._pages[index]


class Pager(discord.ui.View):
    """Previous / page number / Next. The message it sits on is set once it has been sent."""

    def __init__(self, owner_id: int, pages: Pages) -> None:
        super().__init__(timeout=PAGE_TIMEOUT)
        self.owner_id = owner_id
        self.pages = pages
        self.index = 0
        self.message: discord.Message | discord.WebhookMessage | None = None
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous_page.disabled = self.index == 0
        self.next_page.disabled = self.index >= self.pages.count - 1
        self.position.label = f"{self.index + 1} / {self.pages.count}"

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            "Only the person who asked can turn these pages. Ask your own question to get a copy.", ephemeral=True
        )
        return False

    async def _show(self, interaction: discord.Interaction, index: int) -> None:
        """Acknowledge first: a page may be read from the library, which must not hold up the 3 s."""
        await interaction.response.defer()
        self.index = max(0, min(index, self.pages.count - 1))
        page = await self.pages.page(self.index)
        self._sync_buttons()
        await interaction.edit_original_response(content=page.content, embeds=page.embeds, view=self)

    @discord.ui.button(label="Previous", emoji="◀️", style=discord.ButtonStyle.secondary, custom_id=PREVIOUS)
    async def previous_page(self, interaction: discord.Interaction, _: discord.ui.Button[Pager]) -> None:
        await self._show(interaction, self.index - 1)

    @discord.ui.button(label="1 / 1", style=discord.ButtonStyle.secondary, disabled=True, custom_id=POSITION)
    async def position(self, interaction: discord.Interaction, _: discord.ui.Button[Pager]) -> None:
        """A label, not a button: it shows where the reader is."""

    @discord.ui.button(label="Next", emoji="▶️", style=discord.ButtonStyle.secondary, custom_id=NEXT)
    async def next_page(self, interaction: discord.Interaction, _: discord.ui.Button[Pager]) -> None:
        await self._show(interaction, self.index + 1)

    async def on_timeout(self) -> None:
        """Take the buttons away so nobody clicks a control that no longer answers."""
        if self.message is None:
            return
        try:
            await self.message.edit(view=None)
        except discord.HTTPException as err:  # deleted meanwhile, or the token expired
            log.debug("Could not remove page buttons: %s", err)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]) -> None:
        await errors.on_interaction_error(interaction, error)


async def send_pages(
    send: Callable[..., Awaitable[discord.Message | discord.WebhookMessage]], pages: Pages, owner_id: int
) -> discord.Message | discord.WebhookMessage:
    """Send the first page with `send` (a reply, a followup...), with page buttons when there are more."""
    first = await pages.page(0)
    kwargs: dict[str, Any] = {"content": first.content, "embeds": first.embeds}
    view = Pager(owner_id, pages) if pages.count > 1 else None
    if view is not None:
        kwargs["view"] = view
    message = await send(**kwargs)
    if view is not None:
        view.message = message
    return message
