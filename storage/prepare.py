"""Text preparation, shared by every backend: a body cut into paragraphs and sentences with each
sentence's index terms, its content hash and vocabulary words, and metadata cleaned of control
characters; what a backend stores is a checked `NewSource`. No SQL here.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from storage import text as textmod
from storage.models import GLOBAL_SCOPE, SourceInfo, SourceMeta
from storage.schema import BODY_CHUNK
from storage.segment import Paragraph, segment

if TYPE_CHECKING:
    from seeds import Seed

# Bump when what the vocabulary keeps of a word changes: the store rebuilds it on open.
VOCABULARY_VERSION = 1
# Words shorter than this are not kept in the vocabulary (spelling never corrects towards them).
VOCABULARY_MIN_LENGTH = 3


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def chunks(body: str) -> list[tuple[int, str]]:
    """A body cut into numbered pieces of BODY_CHUNK characters (how sentence text is read)."""
    return [(n, body[i : i + BODY_CHUNK]) for n, i in enumerate(range(0, len(body), BODY_CHUNK))]


def cut_sentence(start: int, end: int, text: str) -> str:
    """A sentence's text from the concatenated chunks that hold it (from its start's chunk on)."""
    first = start - start % BODY_CHUNK
    return text[start - first : end - first]


# Characters never kept in a title, author, publisher, URL or date: C0 and C1 controls, DEL
# (terminal escape sequences start with them), and lone surrogates (bytes that were not UTF-8).
def clean_field(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    value = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in value)
    return " ".join(value.split()) or None


def has_visible_text(value: str) -> bool:
    """Whether a text has something to see: not only spaces and zero-width or format characters."""
    return any(not ch.isspace() and unicodedata.category(ch) not in {"Cf", "Cc", "Zs"} for ch in value)


def content_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Prepared:
    """A body cut into paragraphs and sentences, with each sentence's index terms, in order."""

    paragraphs: list[Paragraph]
    terms: list[str]
    sha256: str
    words: Counter[str]


@dataclass(frozen=True, slots=True)
class NewSource:
    """A checked source, ready to store: its text prepared, its metadata cleaned. `source_id`: the
    id wished for (a copied library keeps its ids where it can; `stored_id`). `pages`: where each
    page starts in the body (a PDF's), page 1 first."""

    body: str
    prepared: Prepared
    meta: SourceMeta
    scope: int
    origin: str | None
    added_by: str | None
    added_at: str
    source_id: int | None = None
    pages: tuple[int, ...] = ()

    # The columns of the sources table that `row` fills, in its order (both backends insert by them).
    COLUMNS = "id, scope, title, author, publisher, url, published, origin, body, sha256, added_by, added_at"

    def row(self, source_id: int | None) -> tuple[object, ...]:
        """The values of COLUMNS for this source, stored under `source_id`."""
        m = self.meta
        return (
            source_id, self.scope, m.title, m.author, m.publisher, m.url, m.published, self.origin, self.body,
            self.prepared.sha256, self.added_by, self.added_at,
        )  # fmt: skip

    def stored_id(self, unused: int) -> int:
        """The id to store this source under, `unused` being the first id the library has never
        given: the wished-for id when it is at least that (no source there ever had it), else
        `unused`. So an id never names two sources in one library, and a copy made in id order
        keeps every id."""
        return self.source_id if self.source_id is not None and self.source_id >= unused else unused

    def info(self, source_id: int) -> SourceInfo:
        """The source as stored under `source_id`."""
        m, p = self.meta, self.prepared
        return SourceInfo(
            source_id, self.scope, m.title, m.author, m.publisher, m.url, m.published, self.origin, self.added_by,
            self.added_at, p.sha256, len(p.paragraphs), len(p.terms), len(self.body), len(self.pages),
        )  # fmt: skip

    def page_rows(self, source_id: int) -> list[tuple[int, int, int]]:
        """(source id, page number, start) of each page, for the pages table."""
        return [(source_id, number, start) for number, start in enumerate(self.pages, 1)]


def seed_source(seed: Seed, prepared: Prepared) -> NewSource:
    """A shipped seed article as a global source (added on a new library's first open)."""
    meta = SourceMeta(seed.title, seed.author, seed.publisher, seed.url, seed.published)
    return NewSource(seed.body, prepared, meta, GLOBAL_SCOPE, f"seed:{seed.key}", "factbot", now())


def prepare_text(body: str) -> Prepared:
    paragraphs = segment(body)
    terms = [textmod.index_text(body[s.start : s.end]) for p in paragraphs for s in p.sentences]
    return Prepared(paragraphs, terms, content_hash(body), vocabulary_words(body))


def vocabulary_words(text: str) -> Counter[str]:
    """The surface words of a text as the vocabulary keeps them, with how often each occurs:
    folded (lower case, no accents), letters only, at least VOCABULARY_MIN_LENGTH long."""
    counts: Counter[str] = Counter()
    for match in textmod.words(text):
        word = match.group()
        if word[0].isdigit() or len(word) < VOCABULARY_MIN_LENGTH:
            continue
        counts[textmod.fold(word).replace("’", "'")] += 1
    return counts
