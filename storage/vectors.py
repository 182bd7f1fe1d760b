"""Sentence vectors as library data: how they are stored, and the exact search over them.

A sentence's vector (the sentence encoder's unit vector, bot/answer/encoder.py) is written beside
the sentence and removed with it, in either backend, as float16 bytes: the very values the engine
compares, so a vector read back from the library and one the encoder has just made give the same
cosine, and the same library answers the same on SQLite and PostgreSQL. The library records which
model made its vectors (`model`): vectors of another model are dropped and made again.

Search is exact: every vector visible from a scope against the question's. The float16 rows are
kept in memory as stored (half the bytes of float32) and brought up to date when the library
changes (only the rows that came or went are read); simsimd multiplies them in float16 with SIMD,
where numpy has no fast float16 product. Ties are broken by sentence id, so the order never
depends on the process.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import simsimd

from storage.models import GLOBAL_SCOPE

# How a vector is stored: little-endian float16, one after another.
STORED_DTYPE = np.dtype("<f2")
# Sentences whose vectors are read in one statement when the index catches up with the library.
READ_BATCH = 5_000
# Cosines are rounded to this many decimals before they are compared: the last bits of a dot
# product depend on how the SIMD code the CPU offers splits the sum, and they must never decide an answer.
COSINE_DECIMALS = 6


def to_blob(vector: np.ndarray) -> bytes:
    """A vector as the library stores it."""
    return np.asarray(vector, dtype=STORED_DTYPE).tobytes()


def cosines_with(rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Each stored row's cosine with `query`, rounded. The question is taken to float16 like the
    rows, and each pair's product is computed on its own: a sentence gets the same cosine whether
    it is compared alone or with the whole library."""
    if not rows.shape[0]:
        return np.zeros(0)
    asked = np.asarray(query, dtype=STORED_DTYPE).reshape(1, -1)
    products: np.ndarray = np.asarray(simsimd.cdist(asked, rows, metric="dot", threads=1))[0]
    return np.round(products, COSINE_DECIMALS)


@dataclass(frozen=True, slots=True)
class StoredVector:
    """One sentence's vector as read from the library, with the scope of its source."""

    sentence_id: int
    scope: int
    blob: bytes


@dataclass(frozen=True, slots=True)
class VectorBlock:
    """Vectors read together, as three arrays: a library's worth of vectors held as one object
    each (and each widened on its own) took several times the memory of the matrix they fill."""

    ids: np.ndarray  # int64 sentence ids
    scopes: np.ndarray  # int64, the scope of each sentence's source
    rows: np.ndarray  # one stored (float16) vector a row

    @classmethod
    def of(cls, vectors: Sequence[StoredVector]) -> VectorBlock:
        ids = np.fromiter((v.sentence_id for v in vectors), dtype=np.int64, count=len(vectors))
        scopes = np.fromiter((v.scope for v in vectors), dtype=np.int64, count=len(vectors))
        rows = np.frombuffer(b"".join(v.blob for v in vectors), dtype=STORED_DTYPE).reshape(len(vectors), -1)
        return cls(ids, scopes, rows)


class VectorIndex:
    """Every stored vector of one library in memory, for exact nearest-sentence search."""

    def __init__(self) -> None:
        self.ids = np.zeros(0, dtype=np.int64)
        self.scopes = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, 0), dtype=STORED_DTYPE)

    def __len__(self) -> int:
        return int(self.ids.size)

    def missing(self, present: Sequence[int]) -> list[int]:
        """Which of the sentence ids now in the library this index has no row for."""
        wanted = np.asarray(present, dtype=np.int64)
        return [int(i) for i in wanted[~np.isin(wanted, self.ids)]]

    def sync(self, present: Sequence[int], added: Iterable[VectorBlock]) -> None:
        """Keep the rows whose sentence ids are still `present`, add the blocks `added`, sorted by id."""
        blocks = list(added)
        refill = self.refill(present, incoming=sum(b.ids.size for b in blocks))
        for b in blocks:
            refill.add(b)
        refill.finish()

    def refill(self, present: Sequence[int], *, incoming: int) -> Refill:
        """A new matrix for this index: the rows still `present`, then up to `incoming` rows added
        block by block as they are read (`Refill.add`), in place when `Refill.finish` is called."""
        return Refill(self, np.isin(self.ids, np.asarray(present, dtype=np.int64)), incoming)

    def nearest(self, query: np.ndarray, *, scope: int, limit: int) -> list[tuple[int, float]]:
        """The `limit` sentences visible from `scope` closest to `query`: (id, cosine), closest
        first, ties by id."""
        if not len(self) or limit <= 0:
            return []
        visible = (self.scopes == GLOBAL_SCOPE) | (self.scopes == scope)
        cosines = np.where(visible, cosines_with(self.matrix, query), -np.inf)
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
        values = cosines_with(self.matrix[at[found]], query)
        return {int(i): float(c) for i, c in zip(wanted[found], values, strict=True)}


class Refill:
    """The rows of a VectorIndex rebuilt: the kept ones copied once into a new matrix, each block
    written into it as it is read. Nothing else of a block outlives its `add`: a library's vectors
    read in full before filling held two to three times the matrix, and the process's heap kept
    most of it after."""

    def __init__(self, index: VectorIndex, keep: np.ndarray, incoming: int) -> None:
        self.index = index
        self.filled = int(keep.sum())
        self.capacity = self.filled + incoming
        self.ids: list[np.ndarray] = [index.ids[keep]]
        self.scopes: list[np.ndarray] = [index.scopes[keep]]
        self.matrix: np.ndarray | None = None
        if self.filled:
            self.matrix = self._empty(index.matrix.shape[1])
            np.compress(keep, index.matrix, axis=0, out=self.matrix[: self.filled])

    def _empty(self, width: int) -> np.ndarray:
        # np.empty: rows never written (vectors removed while being read) never take memory.
        return np.empty((self.capacity, width), dtype=STORED_DTYPE)

    def add(self, block: VectorBlock) -> None:
        if not block.ids.size:
            return
        if self.matrix is None:
            self.matrix = self._empty(block.rows.shape[1])
        end = self.filled + block.ids.size
        if end > self.capacity:
            raise ValueError(f"{end} vectors for an index refilled for {self.capacity}")
        self.matrix[self.filled : end] = block.rows
        self.ids.append(block.ids)
        self.scopes.append(block.scopes)
        self.filled = end

    def finish(self) -> None:
        ids, scopes = np.concatenate(self.ids), np.concatenate(self.scopes)
        matrix = self.matrix[: self.filled] if self.matrix is not None else np.zeros((0, 0), dtype=STORED_DTYPE)
        if ids.size > 1 and not bool(np.all(ids[1:] > ids[:-1])):
            order = np.argsort(ids, kind="stable")
            ids, scopes, matrix = ids[order], scopes[order], matrix[order]
        self.index.ids, self.index.scopes, self.index.matrix = ids, scopes, matrix
