"""The figures a library keeps in memory between writes (storage.backends.base reads them).

Term and source counts, sentence totals and spelling candidates change only when someone writes:
each is read from the store once and kept until the library's version moves (`Figures.renew`). A
cache that grows past its limit is emptied rather than trimmed, so it needs no bookkeeping and
never holds much more than its limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")

# Entries kept at most in each cache of counts before it is emptied.
COUNTS_LIMIT = 100_000
# The same for the spelling candidates (each entry holds many words).
SIMILAR_LIMIT = 10_000


class Bounded(dict[K, V]):
    """A dict that `remember` empties once it holds more than `limit` entries."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def remember(self, items: Mapping[K, V]) -> None:
        """Keep `items`, after emptying the cache if it is over its limit."""
        if len(self) > self.limit:
            self.clear()
        self.update(items)


def _counts() -> Bounded[str, int]:
    return Bounded(COUNTS_LIMIT)


def _scoped_counts() -> Bounded[tuple[str, int], int]:
    return Bounded(COUNTS_LIMIT)


def _similar() -> Bounded[tuple[str, int, int], dict[str, int]]:
    return Bounded(SIMILAR_LIMIT)


@dataclass(slots=True)
class Figures:
    """One library's cached figures, valid for the library at `version`."""

    version: object = None
    sentence_stats: tuple[int, float] = (0, 0.0)  # the whole library's sentences and mean length
    term_counts: Bounded[str, int] = field(default_factory=_counts)  # library-wide
    source_counts: dict[int | None, int] = field(default_factory=dict)  # by scope (None: all)
    scoped_counts: Bounded[tuple[str, int], int] = field(default_factory=_scoped_counts)  # (term, scope)
    scoped_stats: dict[int, tuple[int, float]] = field(default_factory=dict)  # sentence_stats by scope
    similar: Bounded[tuple[str, int, int], dict[str, int]] = field(default_factory=_similar)  # (word, scope, spread)

    def renew(self, version: object, sentence_stats: tuple[int, float]) -> None:
        """Forget every figure: the library is now at `version`, with these sentence totals."""
        self.version = version
        self.sentence_stats = sentence_stats
        self.term_counts.clear()
        self.source_counts.clear()
        self.scoped_counts.clear()
        self.scoped_stats.clear()
        self.similar.clear()
