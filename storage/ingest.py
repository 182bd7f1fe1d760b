"""From a file, a URL or pasted text to a stored source: extract the text, settle the metadata,
add it in one transaction. The command line and the Discord bot both come through here."""

from __future__ import annotations

import asyncio
import stat
from dataclasses import dataclass
from pathlib import Path

from storage.backends.base import Library
from storage.dates import parse_date
from storage.errors import IngestError
from storage.extract import Extracted, extract
from storage.fetch import FetchPolicy, fetch_url
from storage.limits import MAX_DOCUMENT_BYTES, too_large
from storage.models import GLOBAL_SCOPE, SourceInfo, SourceMeta

MAX_FIELD_CHARS = 300


@dataclass(frozen=True, slots=True)
class MetaOverrides:
    """What the person adding a source said about it; wins over what the document says."""

    title: str | None = None
    author: str | None = None
    publisher: str | None = None
    url: str | None = None
    published: str | None = None


def settle_meta(found: Extracted, given: MetaOverrides, fallback_title: str) -> SourceMeta:
    """Merge given and found metadata; a date must parse, and nothing is invented."""
    published = given.published or found.published
    if given.published:
        published = parse_date(given.published)
        if published is None:
            raise IngestError(f"Could not read {given.published!r} as a date (try 2021-06-08 or June 2021).")
    for name in ("title", "author", "publisher", "url"):
        value = _clean(getattr(given, name))
        if value and len(value) > MAX_FIELD_CHARS:
            raise IngestError(f"The {name} is too long ({len(value)} characters; at most {MAX_FIELD_CHARS}).")
    # What the document says about itself is a guess: one too long to be a field is left out.
    fields = {
        "title": _clean(given.title) or _found(found.title) or fallback_title[:MAX_FIELD_CHARS],
        "author": _clean(given.author) or _found(found.author),
        "publisher": _clean(given.publisher) or _found(found.publisher),
        "url": _clean(given.url) or _found(found.url),
    }
    if fields["url"] and not fields["url"].lower().startswith(("http://", "https://")):
        raise IngestError("A source's URL must start with http:// or https://.")
    return SourceMeta(published=published, **fields)  # type: ignore[arg-type]


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


def _found(value: str | None) -> str | None:
    value = _clean(value)
    return value if value and len(value) <= MAX_FIELD_CHARS else None


async def add_document(
    library: Library,
    data: bytes,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    charset: str | None = None,
    given: MetaOverrides = MetaOverrides(),
    scope: int = GLOBAL_SCOPE,
    added_by: str | None = None,
    origin: str | None = None,
    fallback_title: str | None = None,
) -> SourceInfo:
    """Extract a document's text and add it as one source."""
    # Extraction is CPU work (an HTML page can take seconds) or waits on a child (a PDF): keep the
    # event loop free.
    found = await asyncio.to_thread(
        extract, data, filename=filename, content_type=content_type, charset=charset, max_bytes=MAX_DOCUMENT_BYTES
    )
    if fallback_title is None and filename:
        fallback_title = Path(filename).stem.replace("_", " ").replace("-", " ").strip()
    meta = settle_meta(found, given, fallback_title or "Untitled")
    return await library.add_source(
        found.text, meta, scope=scope, origin=origin or filename, added_by=added_by, pages=found.pages
    )


async def add_file(
    library: Library,
    path: Path,
    *,
    given: MetaOverrides = MetaOverrides(),
    scope: int = GLOBAL_SCOPE,
    added_by: str | None = None,
) -> SourceInfo:
    """Add a file from disk (the operator's command line)."""
    data = await asyncio.to_thread(_read_file, path)
    return await add_document(
        library, data, filename=path.name, given=given, scope=scope, added_by=added_by, origin=str(path.name)
    )


def _read_file(path: Path) -> bytes:
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block or never end
            raise IngestError(f"{path} is not a regular file.")
        size = info.st_size
        if size > MAX_DOCUMENT_BYTES:
            raise IngestError(too_large(path.name, size))
        return path.read_bytes()
    except FileNotFoundError:
        raise IngestError(f"No such file: {path}") from None
    except IsADirectoryError:
        raise IngestError(f"{path} is a folder, not a file.") from None
    except PermissionError:
        raise IngestError(f"Cannot read {path}: permission denied.") from None
    except OSError as err:  # ENOTDIR, name too long, a symlink loop...
        raise IngestError(f"Cannot read {path}: {err.strerror or err}.") from None


async def add_url(
    library: Library,
    url: str,
    policy: FetchPolicy,
    *,
    given: MetaOverrides = MetaOverrides(),
    scope: int = GLOBAL_SCOPE,
    added_by: str | None = None,
) -> SourceInfo:
    """Fetch a page safely and add its article text; the page's address becomes the source's URL."""
    fetched = await fetch_url(url, policy)
    if given.url is None:
        given = MetaOverrides(given.title, given.author, given.publisher, fetched.url, given.published)
    return await add_document(
        library,
        fetched.body,
        content_type=fetched.content_type,
        charset=fetched.charset,
        given=given,
        scope=scope,
        added_by=added_by,
        origin=fetched.url,
        fallback_title=fetched.url,
    )


async def add_text(
    library: Library,
    text: str,
    *,
    given: MetaOverrides,
    scope: int = GLOBAL_SCOPE,
    added_by: str | None = None,
) -> SourceInfo:
    """Add pasted text (a Discord modal); it is stored exactly as pasted."""
    return await add_document(
        library,
        text.encode("utf-8"),
        filename="pasted.txt",
        given=given,
        scope=scope,
        added_by=added_by,
        origin="pasted",
    )
