"""Sentence vectors as library data: how they are stored, and the exact search over them.

A sentence's vector (the sentence encoder's unit vector, bot/answer/encoder.py) is written beside
the sentence and removed with it, in either backend, as float16 bytes: the very values the engine
compares, so a vector read back from the library and one the encoder has just made give the same
cosine, and the same library answers the same on SQLite and PostgreSQL. The library records which
model made its vectors (`model`): vectors of another model are dropped and made again.

Search is exact: every vector visible from a scope against the question's, in numpy, the matrix
kept in memory and brought up to date when the library changes (only the rows that came or went
are read). Ties are broken by sentence id, so the order never depends on the process.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from storage.models import GLOBAL_SCOPE

# How a vector is stored: little-endian float16, one after another.
STORED_DTYPE = np.dtype("<f2")
# Sentences whose vectors are read in one statement when the index catches up with the library.
READ_BATCH = 5_000
# Cosines are rounded to this many decimals before they are compared: the last bits of a dot
# product depend on how BLAS splits the sum, and they must never decide an answer.
COSINE_DECIMALS = 6


def to_blob(vector: np.ndarray) -> bytes:
    """A vector as the library stores it."""
    return np.asarray(vector, dtype=STORED_DTYPE).tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    """A stored vector as float32 (the values that were stored, widened)."""
    return np.frombuffer(blob, dtype=STORED_DTYPE).astype(np.float32)


@dataclass(frozen=True, slots=True)
class StoredVector:
    """One sentence's vector as read from the library, with the scope of its source."""

    sentence_id: int
    scope: int
    blob: bytes


class VectorIndex:
    """Every stored vector of one library in memory, for exact nearest-sentence search."""

    def __init__(self) -> None:
        self.ids = np.zeros(0, dtype=np.int64)
        self.scopes = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, 0), dtype=np.float32)

    def __len__(self) -> int:
        return int(self.ids.size)

    def missing(self, present: Sequence[int]) -> list[int]:
        """Which of the sentence ids now in the library this index has no row for."""
        wanted = np.asarray(present, dtype=np.int64)
        return [int(i) for i in wanted[~np.isin(wanted, self.ids)]]

    def sync(self, present: Sequence[int], added: Iterable[StoredVector]) -> None:
        """Keep the rows whose sentence ids are still `present`, add `added`, sorted by id."""
        keep = np.isin(self.ids, np.asarray(present, dtype=np.int64))
        new = list(added)
        ids = np.concatenate([self.ids[keep], np.asarray([v.sentence_id for v in new], dtype=np.int64)])
        scopes = np.concatenate([self.scopes[keep], np.asarray([v.scope for v in new], dtype=np.int64)])
        rows = [self.matrix[keep]] if self.matrix.size else []
        if new:
            rows.append(np.stack([from_blob(v.blob) for v in new]))
        matrix = np.concatenate(rows) if rows else np.zeros((0, 0), dtype=np.float32)
        order = np.argsort(ids, kind="stable")
        self.ids, self.scopes, self.matrix = ids[order], scopes[order], np.ascontiguousarray(matrix[order])

    def nearest(self, query: np.ndarray, *, scope: int, limit: int) -> list[tuple[int, float]]:
        """The `limit` sentences visible from `scope` closest to `query`: (id, cosine), closest
        first, ties by id."""
        if not len(self) or limit <= 0:
            return []
        visible = (self.scopes == GLOBAL_SCOPE) | (self.scopes == scope)
        cosines = np.round(self.matrix @ np.asarray(query, dtype=np.float32), COSINE_DECIMALS)
        cosines = np.where(visible, cosines, -np.inf)
        count = min(limit, int(visible.sum()))
        if count == 0:
            return []
        top = np.argpartition(-cosines, count - 1)[:count] if count < len(cosines) else np.arange(len(cosines))
        # Ties at the cut: every row as close as the last one kept competes, the lower id wins.
        floor = cosines[top].min()
        top = np.flatnonzero(cosines >= floor)
        order = np.lexsort((self.ids[top], -cosines[top]))[:count]
        return [(int(self.ids[top[i]]), float(cosines[top[i]])) for i in order]

    def cosines(self, ids: Iterable[int], query: np.ndarray) -> dict[int, float]:
        """The cosine with `query` of each given sentence this index holds (others are left out)."""
        wanted = np.asarray(sorted(set(ids)), dtype=np.int64)
        if not len(self) or not wanted.size:
            return {}
        at = np.searchsorted(self.ids, wanted)
        at = np.minimum(at, len(self.ids) - 1)
        found = self.ids[at] == wanted
        values = np.round(self.matrix[at[found]] @ np.asarray(query, dtype=np.float32), COSINE_DECIMALS)
        return {int(i): float(c) for i, c in zip(wanted[found], values, strict=True)}
