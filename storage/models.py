"""Plain values the store hands out: no database handles, safe to pass to any front end."""

from __future__ import annotations

from dataclasses import dataclass

GLOBAL_SCOPE = 0
"""Scope of the global library (the seeds and what the operator adds); any other scope is the
id of the Discord server that owns the source."""


@dataclass(frozen=True, slots=True)
class SourceMeta:
    """What a person may say about a source when adding it."""

    title: str
    author: str | None = None
    publisher: str | None = None
    url: str | None = None
    published: str | None = None


@dataclass(frozen=True, slots=True)
class SourceInfo:
    id: int
    scope: int
    title: str
    author: str | None
    publisher: str | None
    url: str | None
    published: str | None
    origin: str | None
    added_by: str | None
    added_at: str
    sha256: str
    paragraphs: int
    sentences: int
    chars: int
    pages: int = 0  # a PDF's pages (storage.pdf); 0 for a document without pages

    @property
    def is_global(self) -> bool:
        return self.scope == GLOBAL_SCOPE


@dataclass(frozen=True, slots=True)
class Sentence:
    """One indexed sentence: `text` is `body[start:end]` of its source, nothing else."""

    id: int
    source_id: int
    paragraph: int
    number: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class PagePlace:
    """Where a spot of a paged source (a PDF) stands: its page, and which paragraph that is on the
    page, counting one continued from the page before as the first."""

    page: int
    paragraph: int


@dataclass(frozen=True, slots=True)
class LogEntry:
    at: str
    scope: int
    actor: str | None
    action: str
    source_id: int | None
    title: str | None
