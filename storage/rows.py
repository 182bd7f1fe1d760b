"""Rows read back into factbot's values, by column name, the same way on every backend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol

from storage.models import LogEntry, PagePlace, Sentence, SourceInfo
from storage.prepare import cut_sentence


class NamedRow(Protocol):
    """A row whose columns are read by name (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, name: str, /) -> Any: ...


_SOURCE_FIELDS = tuple(f.name for f in fields(SourceInfo))
_LOG_FIELDS = tuple(f.name for f in fields(LogEntry))


def source_from_row(row: NamedRow) -> SourceInfo:
    """A source from a row whose columns are named as SourceInfo's fields (either backend)."""
    return SourceInfo(**{name: row[name] for name in _SOURCE_FIELDS})


def sentence_from_row(row: NamedRow) -> Sentence:
    """A sentence from a row of its columns and `pieces`, the body chunks it lies in (cut_sentence)."""
    start, end = row["start"], row["end"]
    return Sentence(
        row["id"],
        row["source_id"],
        row["paragraph"],
        row["number"],
        start,
        end,
        cut_sentence(start, end, row["pieces"]),
    )


# The page a spot of a source lies on (the last page starting at or before it), and the last
# paragraph up to the spot's that ends before that page starts: the paragraph on the page is the
# spot's less that one. Parameters: the spot's paragraph, the source, the spot's offset.
PAGE_PLACE = """
    SELECT p.number,
           (SELECT g.number FROM paragraphs g
            WHERE g.source_id = p.source_id AND g.number <= ? AND g."end" <= p.start
            ORDER BY g.number DESC LIMIT 1)
    FROM pages p WHERE p.source_id = ? AND p.start <= ? ORDER BY p.number DESC LIMIT 1
"""


def page_place(row: Sequence[Any] | None, paragraph: int) -> PagePlace | None:
    """A PagePlace from PAGE_PLACE's row (None: the source has no pages)."""
    if row is None:
        return None
    return PagePlace(row[0], paragraph - (row[1] or 0))


def log_entry_from_row(row: NamedRow) -> LogEntry:
    return LogEntry(**{name: row[name] for name in _LOG_FIELDS})


def after(prefix: str) -> str:
    """The least string greater than every string that starts with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


@dataclass(frozen=True, slots=True)
class StoredSource:
    """Everything of one source as stored, for copying a library: metadata and body."""

    info: SourceInfo
    body: str
