"""Pages of a reply and the buttons that turn them.

A reply too long for one message is split into pages rather than cut, and only the person who
asked can turn them (others would otherwise page a shared answer under the asker's feet). Pages
may be computed up front (an answer) or loaded on demand (a library of a thousand sources).

The buttons are persistent: each one's custom id carries what is needed to rebuild its pages
(which kind of pages, a short key the kind understands, the page shown, the asker), and one
`DynamicItem` registered with the client handles every click. Nothing is kept per message, so a
click still turns the page after the bot restarts, however old the message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import discord

from bot.discord import errors
from storage.errors import FactbotError

log = logging.getLogger(__name__)

# What a button does, as written in its custom id.
PREVIOUS, POSITION, NEXT = "p", "x", "n"
_STEP = {PREVIOUS: -1, POSITION: 0, NEXT: 1}
_PREFIX = "factbot:page"
# Discord allows 100 characters; this is at most 13 + 2 + 9 + 7 + 21 + 41 = 93.
TEMPLATE = re.compile(
    _PREFIX + r":(?P<action>[pxn]):(?P<kind>[a-z]{1,8}):(?P<index>\d{1,6}):(?P<owner>\d{1,20}):(?P<key>[\w.-]{0,40})"
)
NOT_YOURS = "Only the person who asked can turn these pages. Ask your own question to get a copy."
CANNOT_REBUILD = "These pages can't be turned any more. Ask again for a fresh copy."


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


# Rebuilds the pages of one kind from a click's interaction and the key in the button's id. It
# raises FactbotError when it can't (the user gets that one line).
Rebuild = Callable[[discord.Interaction[Any], str], Awaitable[Pages]]
# Makes the other (persistent) buttons a kind of pages carries on every page, such as feedback.
Extras = Callable[[], Sequence[discord.ui.Item[Any]]]


@dataclass(frozen=True)
class PageKey:
    """What a set of page buttons carries: the kind of pages, its key, and who may turn them."""

    kind: str
    owner_id: int
    key: str = ""

    def custom_id(self, action: str, index: int) -> str:
        return f"{_PREFIX}:{action}:{self.kind}:{index}:{self.owner_id}:{self.key}"


class PageKinds:
    """The client's kinds of pages (a cog registers how to rebuild each), read when a button is clicked."""

    def __init__(self) -> None:
        self._kinds: dict[str, Rebuild] = {}
        self._extras: dict[str, Extras] = {}

    def register(self, kind: str, rebuild: Rebuild) -> None:
        if not re.fullmatch(r"[a-z]{1,8}", kind):
            raise ValueError(f"page kind {kind!r}: 1 to 8 lowercase letters")
        self._kinds[kind] = rebuild

    def get(self, kind: str) -> Rebuild | None:
        return self._kinds.get(kind)

    def add_extras(self, kind: str, extras: Extras) -> None:
        """Buttons every page of `kind` carries besides the page buttons (kept when a page turns)."""
        self._extras[kind] = extras

    def extras(self, kind: str) -> list[discord.ui.Item[Any]]:
        make = self._extras.get(kind)
        return list(make()) if make is not None else []


class PageButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
    """Previous, the page number (a label, disabled) or Next, wherever and whenever it was sent."""

    def __init__(self, action: str, page_key: PageKey, index: int, count: int = 0) -> None:
        label = {PREVIOUS: "Previous", NEXT: "Next"}.get(action, f"{index + 1} / {count}")
        disabled = action == POSITION or (action == PREVIOUS and index == 0) or (action == NEXT and index >= count - 1)
        emoji = {PREVIOUS: "◀️", NEXT: "▶️"}.get(action)
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label,
            emoji=emoji,
            style=discord.ButtonStyle.secondary,
            disabled=disabled,
            custom_id=page_key.custom_id(action, index),
        )
        super().__init__(button)
        self.action = action
        self.page_key = page_key
        self.index = index

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PageButton:
        page_key = PageKey(match["kind"], int(match["owner"]), match["key"])
        return cls(match["action"], page_key, int(match["index"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """discord.py only logs what a dynamic item raises, so failures are routed here."""
        try:
            await self._turn(interaction)
        except Exception as err:
            await errors.on_interaction_error(interaction, err)

    async def _turn(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.user.id != self.page_key.owner_id:
            await interaction.response.send_message(NOT_YOURS, ephemeral=True)
            return
        # Acknowledge first: rebuilding may read the library, which must not hold up the 3 s.
        await interaction.response.defer()
        if self.action == POSITION:
            return
        kinds: PageKinds | None = getattr(interaction.client, "page_kinds", None)
        rebuild = kinds.get(self.page_key.kind) if kinds is not None else None
        if rebuild is None:
            raise FactbotError(CANNOT_REBUILD)
        pages = await rebuild(interaction, self.page_key.key)
        index = max(0, min(self.index + _STEP[self.action], pages.count - 1))
        page = await pages.page(index)
        view = pager(self.page_key, index, pages.count, kinds.extras(self.page_key.kind) if kinds else ())
        await interaction.edit_original_response(content=page.content, embeds=page.embeds, view=view)


class RetiredPageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=_PREFIX + r":(?P<action>previous|position|next)"
):
    """Buttons sent before pages were persistent name no pages: they are taken off, with a word why."""

    def __init__(self, custom_id: str) -> None:
        super().__init__(discord.ui.Button(label="…", custom_id=custom_id))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RetiredPageButton:
        return cls(match.string)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await interaction.response.edit_message(view=None)
            await interaction.followup.send(CANNOT_REBUILD, ephemeral=True)
        except Exception as err:
            await errors.on_interaction_error(interaction, err)


def pager(page_key: PageKey, index: int, count: int, extras: Sequence[discord.ui.Item[Any]] = ()) -> discord.ui.View:
    """Previous / page number / Next for page `index` of `count` (when there is more than one),
    then `extras`; it holds no state of its own."""
    view = discord.ui.View(timeout=None)
    if count > 1:
        for action in (PREVIOUS, POSITION, NEXT):
            view.add_item(PageButton(action, page_key, index, count))
    for item in extras:
        view.add_item(item)
    return view


async def send_pages(
    send: Callable[..., Awaitable[discord.Message | discord.WebhookMessage]],
    pages: Pages,
    page_key: PageKey,
    extras: Sequence[discord.ui.Item[Any]] = (),
) -> discord.Message | discord.WebhookMessage:
    """Send the first page with `send` (a reply, a followup...), with page buttons when there are
    more, and `extras` (other persistent buttons)."""
    first = await pages.page(0)
    kwargs: dict[str, Any] = {"content": first.content, "embeds": first.embeds}
    if pages.count > 1 or extras:
        kwargs["view"] = pager(page_key, 0, pages.count, extras)
    return await send(**kwargs)
