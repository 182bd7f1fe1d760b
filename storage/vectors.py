"""Sentence vectors as library data: how they are stored, and the exact search over them.

A sentence's vector (the sentence encoder's unit vector, bot/answer/encoder.py) is written beside
the sentence and removed with it, in either backend, as float16 bytes: the values the engine
compares are made from those alone, so a vector read back from the library and one the encoder has
just made give the same cosine, and the same library answers the same on SQLite and PostgreSQL.
The library records which model made its vectors (`model`): vectors of another model are dropped
and made again.

Search is exact: every vector visible from a scope against the question's. In memory each stored
row is held as int8 with one scale (its largest value over 127: a quarter of the bytes of float32,
half of the float16 stored), brought up to date when the library changes (only the rows that came
or went are read). simsimd multiplies them with SIMD in integers, which add up exactly whatever the
CPU, so a cosine is the same to the last bit on every machine; the question is taken to float16,
then int8, like the rows. Ties are broken by sentence id, so the order never depends on the process.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import simsimd

from storage.models import GLOBAL_SCOPE

# How a vector is stored: little-endian float16, one after another.
STORED_DTYPE = np.dtype("<f2")
# Sentences whose vectors are read in one statement when the index catches up with the library.
READ_BATCH = 5_000
# Room for rows to come that a new matrix buffer keeps, as a share of its rows: vectors encoded
# later are written there without copying the rest (address space until written, not memory).
ROOM = 0.25
# How a row is held in memory: int8, its largest value (in magnitude) at +-QUANT_STEPS.
HELD_DTYPE = np.dtype("i1")
QUANT_STEPS = 127
# Cosines are rounded to this many decimals: the encoder's own cosines (sentences not yet stored,
# bot/answer/engine.py) are float32 products, whose last bits must never decide an answer either.
COSINE_DECIMALS = 6


def to_blob(vector: np.ndarray) -> bytes:
    """A vector as the library stores it."""
    return np.asarray(vector, dtype=STORED_DTYPE).tobytes()


def quantized(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stored (float16) rows as held in memory: int8 rows and each row's scale (float64), so that
    row * scale is the stored vector to within half a step of its largest value. A row holding a
    NaN or an infinity (damaged data) is held as zeros: near nothing, the same on every CPU."""
    wide = np.asarray(rows, dtype=np.float32)
    damaged = np.asarray(~np.isfinite(wide).all(axis=1), dtype=bool)
    if damaged.any():
        wide = np.where(damaged[:, None], np.float32(0), wide)
    peaks = np.abs(wide).max(axis=1) if wide.size else np.zeros(wide.shape[0], dtype=np.float32)
    scales = np.where(peaks > 0, peaks / np.float32(QUANT_STEPS), np.float32(1))
    steps = np.clip(np.rint(wide / scales[:, None]), -QUANT_STEPS, QUANT_STEPS).astype(HELD_DTYPE)
    return steps, scales.astype(np.float64)


def cosines_with(rows: np.ndarray, scales: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Each held row's cosine with `query`, rounded. The question is taken to float16 then int8
    like the rows, and each pair's integer product is exact: a sentence gets the same cosine
    whether it is compared alone or with the whole library, on any CPU."""
    if not rows.shape[0]:
        return np.zeros(0)
    asked, asked_scale = quantized(np.asarray(query, dtype=STORED_DTYPE).reshape(1, -1))
    products: np.ndarray = np.asarray(simsimd.cdist(asked, rows, metric="dot", threads=1))[0]
    cosines: np.ndarray = np.round(products * (scales * asked_scale[0]), COSINE_DECIMALS)
    return cosines


@dataclass(frozen=True, slots=True)
class StoredVector:
    """One sentence's vector as read from the library, with the scope of its source."""

    sentence_id: int
    scope: int
    blob: bytes


@dataclass(frozen=True, slots=True)
class VectorBlock:
    """Vectors read together, as arrays: a library's worth of vectors held as one object each (and
    each widened on its own) took several times the memory of the matrix they fill."""

    ids: np.ndarray  # int64 sentence ids
    scopes: np.ndarray  # int64, the scope of each sentence's source
    rows: np.ndarray  # one vector a row, as held (int8, `quantized`)
    scales: np.ndarray  # float64, each row's scale

    @classmethod
    def of(cls, vectors: Sequence[StoredVector]) -> VectorBlock:
        ids = np.fromiter((v.sentence_id for v in vectors), dtype=np.int64, count=len(vectors))
        scopes = np.fromiter((v.scope for v in vectors), dtype=np.int64, count=len(vectors))
        if not vectors:  # every vector asked for was removed meanwhile
            return cls(ids, scopes, np.zeros((0, 0), dtype=HELD_DTYPE), np.zeros(0))
        stored = np.frombuffer(b"".join(v.blob for v in vectors), dtype=STORED_DTYPE).reshape(len(vectors), -1)
        return cls(ids, scopes, *quantized(stored))


@dataclass(frozen=True, slots=True)
class Rows:
    """The index's rows at one moment, replaced whole when the index catches up: a search running
    in a thread while the library changes reads one consistent set, never ids of one and a matrix
    of another."""

    ids: np.ndarray  # int64 sentence ids, ascending
    scopes: np.ndarray  # int64, the scope of each sentence's source
    matrix: np.ndarray  # one vector a row, as held (int8): the first rows of the index's buffer
    scales: np.ndarray  # float64, each row's scale

    @classmethod
    def empty(cls) -> Rows:
        nothing = np.zeros(0, dtype=np.int64)
        return cls(nothing, nothing, np.zeros((0, 0), dtype=HELD_DTYPE), np.zeros(0))


class VectorIndex:
    """Every stored vector of one library in memory, for exact nearest-sentence search. `model`:
    the model that made them (None: the library has none yet)."""

    def __init__(self, model: str | None = None) -> None:
        self.model = model
        self.rows = Rows.empty()
        # The matrix's memory: `rows.matrix` is its first rows, the rest is room for rows to come.
        self.buffer = self.rows.matrix

    def __len__(self) -> int:
        return int(self.rows.ids.size)

    def missing(self, present: Sequence[int] | np.ndarray) -> list[int]:
        """Which of the sentence ids now in the library this index has no row for, in id order
        (read in that order, they are added after the rows held without sorting them again)."""
        wanted = np.asarray(present, dtype=np.int64)
        return [int(i) for i in np.sort(wanted[~np.isin(wanted, self.rows.ids)])]

    def refill(self, present: Sequence[int] | np.ndarray, *, incoming: int) -> Refill:
        """The rows still `present`, then up to `incoming` rows added block by block as they are
        read (`Refill.add`), the index's rows when `Refill.finish` is called."""
        return Refill(self, np.isin(self.rows.ids, np.asarray(present, dtype=np.int64)), incoming)

    def nearest(self, query: np.ndarray, *, scope: int, limit: int) -> list[tuple[int, float]]:
        """The `limit` sentences visible from `scope` closest to `query`: (id, cosine), closest
        first, ties by id."""
        rows = self.rows
        if not rows.ids.size or limit <= 0:
            return []
        visible = (rows.scopes == GLOBAL_SCOPE) | (rows.scopes == scope)
        cosines = np.where(visible, cosines_with(rows.matrix, rows.scales, query), -np.inf)
        count = min(limit, int(visible.sum()))
        if count == 0:
            return []
        # The count-th closest cosine (a partition finds it in half an argpartition's time); ties
        # at the cut: every row as close competes, the lower id wins.
        floor = np.partition(cosines, len(cosines) - count)[len(cosines) - count]
        top = np.flatnonzero(cosines >= floor)
        order = np.lexsort((rows.ids[top], -cosines[top]))[:count]
        return [(int(rows.ids[top[i]]), float(cosines[top[i]])) for i in order]

    def cosines(self, ids: Iterable[int], query: np.ndarray) -> dict[int, float]:
        """The cosine with `query` of each given sentence this index holds (others are left out)."""
        rows = self.rows
        wanted = np.asarray(sorted(set(ids)), dtype=np.int64)
        if not rows.ids.size or not wanted.size:
            return {}
        at = np.searchsorted(rows.ids, wanted)
        at = np.minimum(at, len(rows.ids) - 1)
        found = rows.ids[at] == wanted
        values = cosines_with(rows.matrix[at[found]], rows.scales[at[found]], query)
        return {int(i): float(c) for i, c in zip(wanted[found], values, strict=True)}


class Refill:
    """The rows of a VectorIndex brought up to date. Rows only added (sentences encoded since the
    last look, the common case) are written after the others in the room the buffer keeps for
    them: the rows already held are neither copied nor doubled in memory, and searches still
    running on the old rows never see a row change. Rows removed, or no room left, make a new
    buffer: the kept rows copied once, with room again. Nothing else of a block outlives its
    `add`: a library's vectors read in full before filling held two to three times the matrix."""

    def __init__(self, index: VectorIndex, keep: np.ndarray, incoming: int) -> None:
        self.index = index
        old = index.rows
        self.filled = int(keep.sum())
        self.capacity = self.filled + incoming
        self.ids: list[np.ndarray] = [old.ids[keep]]
        self.scopes: list[np.ndarray] = [old.scopes[keep]]
        self.scales: list[np.ndarray] = [old.scales[keep]]
        self.buffer: np.ndarray | None = None
        kept_all = self.filled == old.ids.size
        if self.filled and kept_all and index.buffer.shape[0] >= self.capacity:
            self.buffer = index.buffer
        elif self.filled:
            self.buffer = self._empty(self.capacity, old.matrix.shape[1])
            np.compress(keep, old.matrix, axis=0, out=self.buffer[: self.filled])

    @staticmethod
    def _empty(rows: int, width: int) -> np.ndarray:
        # np.empty: rows never written (the room kept, vectors removed while being read) take
        # address space only, no memory.
        return np.empty((rows + math.ceil(rows * ROOM), width), dtype=HELD_DTYPE)

    def add(self, block: VectorBlock) -> None:
        if not block.ids.size:
            return
        if self.buffer is None:
            self.buffer = self._empty(self.capacity, block.rows.shape[1])
        end = self.filled + block.ids.size
        if end > self.capacity:
            raise ValueError(f"{end} vectors for an index refilled for {self.capacity}")
        self.buffer[self.filled : end] = block.rows
        self.ids.append(block.ids)
        self.scopes.append(block.scopes)
        self.scales.append(block.scales)
        self.filled = end

    def finish(self) -> None:
        ids, scopes, scales = np.concatenate(self.ids), np.concatenate(self.scopes), np.concatenate(self.scales)
        buffer = self.buffer if self.buffer is not None else Rows.empty().matrix  # no row at all
        matrix = buffer[: self.filled]
        if ids.size > 1 and not bool(np.all(ids[1:] > ids[:-1])):
            # Out of order (an id below one already held): a new buffer, rows sorted, with room.
            order = np.argsort(ids, kind="stable")
            ids, scopes, scales = ids[order], scopes[order], scales[order]
            buffer = self._empty(self.filled, matrix.shape[1])
            np.take(matrix, order, axis=0, out=buffer[: self.filled], mode="clip")  # "raise" copies first
            matrix = buffer[: self.filled]
        self.index.rows, self.index.buffer = Rows(ids, scopes, matrix, scales), buffer
