"""From the bytes of an uploaded or fetched document to the text we store and quote, plus whatever
metadata the document states about itself.

The stored text is what every quote is sliced from, so plain text and Markdown are kept exactly as
written (only line endings and a byte-order mark are normalised). HTML goes through trafilatura,
which finds the article body and drops navigation, comments and boilerplate; its one-line-per-block
output is turned into blank-line-separated paragraphs, which is what the segmenter expects.
trafilatura is imported lazily (about 0.2 s) so the command line starts fast; it needs no network.
A PDF is read by storage.pdf in a child process, which rebuilds its paragraphs and says where each
page starts. Extraction is synchronous and can take seconds on a multi-megabyte page: async
callers should run it in a worker thread.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Any

from storage.dates import parse_date
from storage.errors import IngestError
from storage.limits import MAX_DOCUMENT_BYTES, size_text


@dataclass(frozen=True)
class Extracted:
    text: str  # the body to store and quote from
    title: str | None = None
    author: str | None = None
    publisher: str | None = None  # site name / publication
    published: str | None = None  # ISO: 'YYYY-MM-DD', 'YYYY-MM' or 'YYYY'
    url: str | None = None
    # Where each page starts in `text` (a PDF's; empty for a document without pages).
    pages: tuple[int, ...] = ()


# File extensions and media types we read, and what we read them as.
KINDS: dict[str, str] = {
    "txt": "text",
    "text": "text",
    "md": "markdown",
    "markdown": "markdown",
    "mdown": "markdown",
    "html": "html",
    "htm": "html",
    "xhtml": "html",
    "pdf": "pdf",
}
CONTENT_TYPES: dict[str, str] = {
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
}
SUPPORTED = "plain text (.txt), Markdown (.md), HTML (.html) or PDF (.pdf)"

# Formats people send that we cannot read as text: refused by name, with what would work instead.
_UNSUPPORTED_EXTENSIONS = frozenset({
    "doc", "docx", "odt", "rtf", "epub", "mobi", "xls", "xlsx", "ods", "ppt", "pptx", "odp",
    "png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff", "heic", "svg", "ico",
    "mp3", "mp4", "m4a", "wav", "ogg", "flac", "mov", "avi", "mkv", "webm",
    "zip", "gz", "tgz", "bz2", "xz", "7z", "rar", "tar", "exe", "dll", "bin", "iso", "dmg", "apk", "jar",
})  # fmt: skip
_UNSUPPORTED_TYPES = re.compile(
    r"(?:image|audio|video|font)/"
    r"|application/(?:msword|rtf|epub|zip|gzip|vnd\.|x-(?:zip|tar|gzip|bzip|7z|rar|msdownload))"
)

# Control characters other than tab, line feed, vertical tab, form feed and carriage return. More
# than 1% of them (or any NUL) means binary data that happened to decode.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_CONTROL_LIMIT = 0.01
# Declared charsets that in practice mean Windows-1252, as browsers treat them.
_MEANS_CP1252 = frozenset({"iso8859-1", "ascii"})
_UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


# --- kinds -------------------------------------------------------------------------------------


def detect_kind(filename: str | None, content_type: str | None) -> str:
    """'text', 'markdown', 'html' or 'pdf' for a document, from its file extension first, because uploads
    get their content type from the name anyway, then its content type; 'text' when neither says
    (decoding still refuses binary data). Raises IngestError for formats we cannot read."""
    return _declared_kind(filename, content_type) or "text"


def _declared_kind(filename: str | None, content_type: str | None) -> str | None:
    extension = _extension(filename)
    if extension in KINDS:
        return KINDS[extension]
    if extension in _UNSUPPORTED_EXTENSIONS:
        raise IngestError(f"Unsupported file type (.{extension}); send {SUPPORTED}.")
    media = (content_type or "").split(";")[0].strip().lower()
    if media in CONTENT_TYPES:
        return CONTENT_TYPES[media]
    if _UNSUPPORTED_TYPES.match(media):
        raise IngestError(f"Unsupported file type ({media}); send {SUPPORTED}.")
    if media.startswith("text/"):
        return "text"
    return None


def _extension(filename: str | None) -> str | None:
    name = re.split(r"[/\\]", filename or "")[-1]
    if "." not in name.strip("."):
        return None
    return name.rsplit(".", 1)[1].lower()


def _looks_like_pdf(data: bytes) -> bool:
    """A PDF's header, which readers look for in its first kilobyte."""
    return b"%PDF-" in data[:1024]


def _looks_like_html(data: bytes) -> bool:
    """For documents that do not say what they are (a URL with no content type)."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--"))


def _meta_charset(data: bytes) -> str | None:
    """The charset a page declares in a <meta> tag, for pages fetched without one in the header."""
    match = re.search(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", data[:4096], re.I)
    return match.group(1).decode("ascii") if match else None


# --- decoding ----------------------------------------------------------------------------------


def decode(data: bytes, charset: str | None = None) -> str:
    """Bytes to text: a byte-order mark decides if there is one, then UTF-8, then the declared
    charset, then Windows-1252 (what "Latin-1" text usually really is) if the result reads as text.

    UTF-8 goes first because it almost never decodes anything else by accident, while declared
    charsets are often wrong. Raises IngestError for empty, whitespace-only, binary or undecodable
    data. A leading byte-order mark is not part of the result.
    """
    if not data:
        raise IngestError("The file is empty.")
    bom_codec = _bom_codec(data)
    declared = _codec(charset)
    wide = bom_codec in ("utf-16", "utf-32") or (declared or "").startswith(("utf-16", "utf-32"))
    if b"\x00" in data and not wide:
        raise IngestError("This file looks binary, not text.")
    looked_binary = False
    for codec in _candidates(bom_codec, declared):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        text = text.removeprefix("\ufeff")
        if _mostly_text(text):
            if not text.strip():
                raise IngestError("The file contains only whitespace.")
            return text
        looked_binary = True
    if looked_binary or not _mostly_text(data.decode("latin-1")):
        raise IngestError("This file looks binary, not text.")
    raise IngestError("Could not work out this file's text encoding; please save it as UTF-8.")


def _bom_codec(data: bytes) -> str | None:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for bom in _UTF16_32_BOMS:  # UTF-32 first: its little-endian BOM starts with UTF-16's
        if data.startswith(bom):
            return "utf-32" if len(bom) == 4 else "utf-16"
    return None


def _codec(charset: str | None) -> str | None:
    """Python's name for a declared charset, or None when it is missing or unknown."""
    if not charset:
        return None
    try:
        name = codecs.lookup(charset.strip().strip("\"'")).name
    except LookupError:
        return None
    return "cp1252" if name in _MEANS_CP1252 else name


def _candidates(bom_codec: str | None, declared: str | None) -> list[str]:
    if bom_codec:
        return [bom_codec]
    return list(dict.fromkeys(c for c in ("utf-8", declared, "cp1252") if c))


def _mostly_text(text: str) -> bool:
    """False for NUL characters or more than a few control characters: binary data decoded as text."""
    if "\x00" in text:
        return False
    return len(_CONTROL.findall(text)) <= _CONTROL_LIMIT * len(text)


# --- extraction --------------------------------------------------------------------------------


def extract(
    data: bytes,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    charset: str | None = None,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> Extracted:
    """The text to store and the metadata a document states, for txt, Markdown, HTML or PDF bytes."""
    if len(data) > max_bytes:
        raise IngestError(f"The document is too large ({size_text(len(data))}; the limit is {size_text(max_bytes)}).")
    kind = _declared_kind(filename, content_type)
    if kind is None:
        kind = "pdf" if _looks_like_pdf(data) else "html" if _looks_like_html(data) else "text"
    if kind == "pdf":
        return _pdf(data, max_bytes)
    if kind == "html" and not charset:
        charset = _meta_charset(data)
    text = decode(data, charset).replace("\r\n", "\n").replace("\r", "\n")
    if kind == "markdown":
        return _markdown(text)
    if kind == "html":
        return _html(text)
    return Extracted(text=text, title=_title_from_text(text))


# --- PDF ---------------------------------------------------------------------------------------

# Titles that document-information dictionaries carry but no one wrote: a file name, a template's.
_JUNK_TITLE = re.compile(
    r".*\.(?:docx?|odt|rtf|pdf|txt|tex|indd|pptx?|xlsx?|html?)|untitled.*|microsoft word\b.*", re.I
)
_PDF_DATE = re.compile(r"(?:D:)?(\d{4})(\d{2})?(\d{2})?")


def _pdf(data: bytes, max_bytes: int) -> Extracted:
    """A PDF's text (storage.pdf, in a child process) and what its information dictionary says."""
    from storage.pdf import read_pdf

    found = read_pdf(data, max_bytes=max_bytes)
    title = (found.title or "").strip()
    return Extracted(
        text=found.text,
        title=title if title and not _JUNK_TITLE.fullmatch(title) else _title_from_text(found.text),
        author=found.author,  # spaces are tidied, and a field too long left out, by storage.ingest
        published=_pdf_date(found.created),
        pages=found.pages,
    )


def _pdf_date(value: str | None) -> str | None:
    """An ISO date from a PDF date ("D:20210608120000Z"), at the precision it gives."""
    match = _PDF_DATE.match((value or "").strip())
    if not match:
        return None
    return parse_date("-".join(part for part in match.groups() if part))


# --- Markdown ----------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FIELD = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*)$", re.M)  # values are stripped after: no backtracking
_ATX_OPENER = re.compile(r"#[ \t]+")
_SETEXT_RULE = re.compile(r"=+[ \t]*")
_FIELD_NAMES = {
    "title": "title",
    "author": "author",
    "authors": "author",
    "date": "published",
    "published": "published",
    "publisher": "publisher",
    "site": "publisher",
    "site_name": "publisher",
    "url": "url",
    "source": "url",
}


def _markdown(text: str) -> Extracted:
    """Markdown is stored as written; metadata comes from YAML-style front matter (which is
    removed from the body) and the title also from a leading '# Heading'."""
    meta: dict[str, str] = {}
    match = _FRONT_MATTER.match(text)
    if match and _FIELD.search(match.group(1)):
        meta = _front_matter(match.group(1))
        text = text[match.end() :].lstrip("\n")
        if not text.strip():
            raise IngestError("The file has front matter but no text after it.")
    published = meta.get("published")
    return Extracted(
        text=text,
        title=meta.get("title") or _title_from_text(text),
        author=meta.get("author"),
        publisher=meta.get("publisher"),
        published=parse_date(published) if published else None,
        url=meta.get("url") if (meta.get("url") or "").startswith(("http://", "https://")) else None,
    )


def _front_matter(block: str) -> dict[str, str]:
    """Scalar `key: value` lines of front matter; lists and nested values are ignored."""
    found: dict[str, str] = {}
    for key, raw in _FIELD.findall(block):
        name = _FIELD_NAMES.get(key.lower())
        value = _unquote(raw)
        if name and value and name not in found and not value.startswith(("[", "{", "|", ">")):
            found[name] = value
    return found


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1].strip()
    return value


# --- titles ------------------------------------------------------------------------------------

# Only the head of a document is looked at, so a title costs the same for any size of document.
_TITLE_HEAD_CHARS = 4_000
# A first line that is a title rather than the start of the text: short, not a sentence or a list
# item, and on a line of its own (a blank line after it, or a line that starts a new sentence).
TITLE_MAX_CHARS = 150
TITLE_MAX_WORDS = 20
_NOT_TITLE_END = re.compile(r"[.,;:\-–—]$")
_LIST_ITEM = re.compile(r"(?:[-*+•◦‣▪]|\d{1,3}[.)])(?:\s|$)")


def _title_from_text(text: str) -> str | None:
    """A title the text states at its top: a first-line Markdown heading ('# Title', or 'Title'
    underlined with '==='), else a short first line that reads as a title (after a dateline,
    if the text opens with one). None when the text does not open with one."""
    head = text[:_TITLE_HEAD_CHARS]
    lines = head.lstrip().split("\n")
    if len(head) < len(text):
        lines.pop()  # it may go on past the head
    if not lines:
        return None
    heading = _atx_title(lines[0].strip())
    if heading:
        return heading
    if len(lines) > 1 and _SETEXT_RULE.fullmatch(lines[1].strip()):
        return lines[0].strip() or None
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if len(filled) > 1 and parse_date(lines[filled[0]]):  # "JUNE 2021" above the title
        filled = filled[1:]
    if len(filled) < 2:
        return None  # no text after the line: the line is the text
    first, after = filled[0], lines[filled[0] + 1]
    line = lines[first].strip()
    if not _looks_like_title(line):
        return None
    opening = after.strip().lstrip("\"'“‘([")[:1]
    if opening and not (opening.isupper() or opening.isdigit()):
        return None  # a line wrapped mid-sentence, not a title
    return line


def _atx_title(line: str) -> str | None:
    """The text of a stripped '# Title' or '# Title #' line (level one only). Done by hand: the
    closing '#'s are optional, and a pattern that finds them backtracks over runs of spaces."""
    opener = _ATX_OPENER.match(line)
    if not opener:
        return None
    body = line[opener.end() :]
    unclosed = body.rstrip("#")
    if unclosed != body and unclosed.endswith((" ", "\t")) and unclosed.strip():
        body = unclosed
    return body.strip() or None


def _looks_like_title(line: str) -> bool:
    return (
        len(line) <= TITLE_MAX_CHARS
        and len(line.split()) <= TITLE_MAX_WORDS
        and any(ch.isalpha() for ch in line)
        and not line.startswith(("#", "=", "---", "***", "___", ">", "|", "<"))
        and not _LIST_ITEM.match(line)
        and not _NOT_TITLE_END.search(line)
    )


# --- HTML --------------------------------------------------------------------------------------


MIN_ARTICLE_WORDS = 8


def _html(markup: str) -> Extracted:
    """The article text of a web page and its metadata, by trafilatura."""
    import trafilatura  # lazy: about 0.2 s of imports that the command line rarely needs

    from storage import htmlshape

    if htmlshape.max_depth_reached(markup):
        markup = htmlshape.flatten(markup)
    document = trafilatura.bare_extraction(
        markup,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
        with_metadata=True,
        fast=len(markup) > htmlshape.FALLBACK_MAX_CHARS,
    )
    fields = _as_dict(document)
    text = _paragraphs(fields.get("text") or "")
    # A page of navigation can leave a scrap ("Home") that is no article to quote from.
    if len(text.split()) < MIN_ARTICLE_WORDS:
        raise IngestError("No article text found in this page.")
    date = fields.get("date")
    return Extracted(
        text=text,
        title=_field(fields, "title"),
        author=_field(fields, "author"),
        publisher=_field(fields, "sitename"),
        published=parse_date(date) if isinstance(date, str) else None,
        url=_field(fields, "url"),
    )


def _as_dict(document: Any) -> dict[str, Any]:
    """trafilatura 2 returns a Document, 1.x a dict (or None when it finds nothing)."""
    if document is None:
        return {}
    found: dict[str, Any] = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    return found


def _field(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    return value.strip() or None if isinstance(value, str) else None


def _paragraphs(text: str) -> str:
    """trafilatura's plain text has one block per line: make each line its own paragraph."""
    return "\n\n".join(line.strip() for line in text.split("\n") if line.strip())
