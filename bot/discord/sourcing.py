"""The small decisions between a moderator's command and the library: which uploads to accept,
which source a typed name means, and how a person is named in the change log."""

from __future__ import annotations

from pathlib import PurePosixPath

import discord

from storage.backends.base import Library
from storage.errors import FactbotError, IngestError, UnknownSource
from storage.extract import KINDS
from storage.limits import MAX_DOCUMENT_BYTES, too_large
from storage.models import SourceInfo

UPLOAD_TYPES = frozenset(f".{ext}" for ext in KINDS)
AUTOCOMPLETE_SCAN = 200  # rows read to find 25 matching sources


def actor(user: discord.abc.User) -> str:
    """Who did it, as the change log records it: a readable name and the id that stays true."""
    return f"{user.name} ({user.id})"


async def read_upload(attachment: discord.Attachment) -> bytes:
    """The attachment's bytes, after refusing what cannot be a source without downloading it."""
    suffix = PurePosixPath(attachment.filename).suffix.lower()
    if suffix not in UPLOAD_TYPES:
        raise IngestError(f"{attachment.filename} is not a file I can read; upload a .txt, .md, .html or .pdf file.")
    if attachment.size > MAX_DOCUMENT_BYTES:
        raise IngestError(too_large(attachment.filename, attachment.size))
    try:
        return await attachment.read()
    except discord.HTTPException as err:
        raise IngestError(f"Could not download {attachment.filename} from Discord ({err.status}); try again.") from err


async def resolve_source(library: Library, text: str, scope: int) -> SourceInfo:
    """The source a moderator named: an id (what autocomplete fills in) or an unambiguous title."""
    wanted = text.strip().lstrip("#").strip()
    if wanted.isdigit():
        return await library.get_source(int(wanted), scope=scope)
    matches = await library.list_sources(scope=scope, title_contains=wanted, limit=AUTOCOMPLETE_SCAN) if wanted else []
    exact = [s for s in matches if s.title.casefold() == wanted.casefold()]
    if len(exact) == 1 or len(matches) == 1:
        return (exact or matches)[0]
    if not matches:
        raise UnknownSource(f"“{wanted}”" if wanted else "by that name")
    raise FactbotError(f"{len(matches)} sources match “{wanted}”; pick one from the list or give its number.")


async def find_sources(library: Library, typed: str, scope: int, *, own_only: bool = False) -> list[SourceInfo]:
    """Sources whose title contains what is typed so far (or whose id starts with it), for
    autocomplete. `own_only` leaves out the global library, which a server cannot remove from."""
    typed = typed.strip().lstrip("#")
    found = await library.list_sources(
        scope=scope, title_contains="" if typed.isdigit() else typed, limit=AUTOCOMPLETE_SCAN, own_only=own_only
    )
    if typed.isdigit():
        found = [s for s in found if str(s.id).startswith(typed)]
    return found
