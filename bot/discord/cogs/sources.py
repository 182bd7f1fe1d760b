"""/sources: moderators add, list, show and remove this server's sources and read its change log.

Every call is checked bot-side (the cog's interaction_check); the default permissions only hide
the commands in the client. Work that touches the library is deferred first, answered privately.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.asking import scope_of
from bot.discord.checks import NotModerator, is_moderator
from bot.discord.errors import describe
from bot.discord.fit import escape, fit
from bot.discord.forms import ConfirmView, PasteSourceModal
from bot.discord.pages import PageKey, Pages, StaticPages, send_pages
from bot.discord.sourceview import LOG_LIMIT, LibraryPages, log_pages, source_card, source_choices
from bot.discord.sourcing import actor, find_sources, read_upload, resolve_source
from storage.backends.base import check_removal
from storage.errors import FactbotError
from storage.ingest import MAX_FIELD_CHARS, MetaOverrides, add_document, add_text, add_url
from storage.models import SourceInfo

if TYPE_CHECKING:
    from bot.discord.client import FactBot


Field = app_commands.Range[str, 1, MAX_FIELD_CHARS]
EXCERPT_READ = 2000
FETCHING = "Fetching {url}…"  # shown while a URL is fetched, then replaced by the result
FETCHING_URL_CHARS = 500
ADDED = "Added to this server's library"
LIST_PAGES, LOG_PAGES = "list", "log"  # kinds of pages (pages.PageKinds)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class SourcesCog(commands.GroupCog, group_name="sources", group_description="Manage the sources this server quotes"):
    """Moderators only: Manage Server or the configured moderator role."""

    def __init__(self, bot: FactBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.page_kinds.register(LIST_PAGES, self._list_pages)
        self.bot.page_kinds.register(LOG_PAGES, self._log_pages)

    async def _list_pages(self, interaction: discord.Interaction[FactBot], key: str = "") -> Pages:
        """The list's pages, read afresh (also when a page button is clicked, by a moderator still)."""
        if not is_moderator(interaction, self.bot.settings):
            raise NotModerator(self.bot.settings)
        scope = scope_of(interaction.guild_id)
        return LibraryPages(self.bot.library, scope, await self.bot.library.count_sources(scope=scope))

    async def _log_pages(self, interaction: discord.Interaction[FactBot], key: str = "") -> Pages:
        if not is_moderator(interaction, self.bot.settings):
            raise NotModerator(self.bot.settings)
        entries = await self.bot.library.events(scope=scope_of(interaction.guild_id), limit=LOG_LIMIT)
        return StaticPages(log_pages(entries))

    async def interaction_check(self, interaction: discord.Interaction[FactBot]) -> bool:  # type: ignore[override]
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if not is_moderator(interaction, self.bot.settings):
            raise NotModerator(self.bot.settings)
        return True

    @app_commands.command(name="add", description="Add a source: upload a file, give a URL, or neither to paste text.")
    @app_commands.describe(
        file="A .txt, .md, .html or .pdf file",
        url="A web page to fetch (http or https)",
        title="The source's title (else the document's own)",
        author="Who wrote it",
        publisher="Who published it",
        date="When it was published, e.g. 2021-06-08 or June 2021",
        link="The address to cite (for a URL, defaults to the page fetched)",
    )
    async def add(
        self,
        interaction: discord.Interaction[FactBot],
        file: discord.Attachment | None = None,
        url: app_commands.Range[str, 1, 2000] | None = None,
        title: Field | None = None,
        author: Field | None = None,
        publisher: Field | None = None,
        date: app_commands.Range[str, 1, 64] | None = None,
        link: Field | None = None,
    ) -> None:
        given = MetaOverrides(title, author, publisher, link, date)
        if file is not None and url is not None:
            raise FactbotError("Give a file or a URL, not both (or neither, to paste text).")
        if file is None and url is None:
            await interaction.response.send_modal(PasteSourceModal(given, self._add_pasted))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        scope, added_by = scope_of(interaction.guild_id), actor(interaction.user)
        if file is not None:
            data = await read_upload(file)
            info = await add_document(
                self.bot.library,
                data,
                filename=file.filename,
                content_type=file.content_type,
                scope=scope,
                added_by=added_by,
                given=given,
            )
        else:
            assert url is not None
            shown = FETCHING.format(url=escape(fit(url, FETCHING_URL_CHARS)))
            await interaction.edit_original_response(content=shown)
            try:
                info = await add_url(
                    self.bot.library, url, self.bot.fetch_policy, scope=scope, added_by=added_by, given=given
                )
            except Exception as err:  # said in place of "Fetching", in the one handler's words
                await interaction.edit_original_response(content=describe(err, "/sources add"))
                return
            self.bot.encoding.wake()
            await interaction.edit_original_response(content=None, embed=source_card(info, heading=ADDED))
            return
        await self._added(interaction, info)

    async def _add_pasted(self, interaction: discord.Interaction[FactBot], text: str, given: MetaOverrides) -> None:
        """The paste modal's submit: the moderator is checked again, since the form may have waited."""
        if not is_moderator(interaction, self.bot.settings):
            raise NotModerator(self.bot.settings)
        await interaction.response.defer(ephemeral=True, thinking=True)
        info = await add_text(
            self.bot.library, text, given=given, scope=scope_of(interaction.guild_id), added_by=actor(interaction.user)
        )
        await self._added(interaction, info)

    @staticmethod
    async def _added(interaction: discord.Interaction[FactBot], info: SourceInfo) -> None:
        interaction.client.encoding.wake()  # answerable by its words now, by meaning in a moment
        card = source_card(info, heading=ADDED)
        await interaction.followup.send(embed=card, ephemeral=True)

    @app_commands.command(name="list", description="List the sources this server's answers can quote.")
    async def list_sources(self, interaction: discord.Interaction[FactBot]) -> None:
        await self._send_private_pages(interaction, LIST_PAGES, self._list_pages)

    @app_commands.command(name="show", description="Show one source: its citation details and how it begins.")
    @app_commands.describe(source="The source's number or title")
    async def show(self, interaction: discord.Interaction[FactBot], source: app_commands.Range[str, 1, 300]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        info = await resolve_source(self.bot.library, source, scope_of(interaction.guild_id))
        body = await self.bot.library.get_body(info.id)
        await interaction.followup.send(embed=source_card(info, excerpt=body[:EXCERPT_READ]), ephemeral=True)

    @app_commands.command(name="remove", description="Remove one of this server's sources (asks to confirm).")
    @app_commands.describe(source="The source's number or title")
    async def remove(self, interaction: discord.Interaction[FactBot], source: app_commands.Range[str, 1, 300]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        scope = scope_of(interaction.guild_id)
        info = await resolve_source(self.bot.library, source, scope)
        check_removal(info, info.id, scope)  # before asking to confirm: a global source is refused now
        view = ConfirmView(interaction.user.id, partial(self._remove, info))
        view.message = await interaction.followup.send(
            f"Remove source {info.id} from this server's library? Answers here will stop quoting it.",
            embed=source_card(info),
            view=view,
            ephemeral=True,
            wait=True,
        )

    async def _remove(self, info: SourceInfo, interaction: discord.Interaction[FactBot]) -> None:
        """The confirm button: checked again, since moderator status may have changed meanwhile."""
        if not is_moderator(interaction, self.bot.settings):
            raise NotModerator(self.bot.settings)
        await interaction.response.defer()
        removed = await self.bot.library.remove_source(
            info.id, scope=scope_of(interaction.guild_id), actor=actor(interaction.user)
        )
        done = f"Removed source {removed.id}: {escape(removed.title)}."
        await interaction.edit_original_response(content=done, embed=None, view=None)

    @app_commands.command(name="log", description="Who added and removed which sources in this server, and when.")
    async def log(self, interaction: discord.Interaction[FactBot]) -> None:
        await self._send_private_pages(interaction, LOG_PAGES, self._log_pages)

    @staticmethod
    async def _send_private_pages(
        interaction: discord.Interaction[FactBot],
        kind: str,
        build: Callable[[discord.Interaction[FactBot]], Awaitable[Pages]],
    ) -> None:
        """Pages only the person who asked sees, with buttons to turn them (`kind`: how they are rebuilt)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        pages = await build(interaction)
        send = partial(interaction.followup.send, ephemeral=True, wait=True)
        await send_pages(send, pages, PageKey(kind, interaction.user.id))

    @show.autocomplete("source")
    async def _any_source(
        self, interaction: discord.Interaction[FactBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return source_choices(await find_sources(self.bot.library, current, scope_of(interaction.guild_id)))

    @remove.autocomplete("source")
    async def _own_source(
        self, interaction: discord.Interaction[FactBot], current: str
    ) -> list[app_commands.Choice[str]]:
        found = await find_sources(self.bot.library, current, scope_of(interaction.guild_id), own_only=True)
        return source_choices(found)
