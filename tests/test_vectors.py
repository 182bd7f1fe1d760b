"""Sentence vectors as library data: stored with their sentences and removed with them, on both
backends; made again when the model changes; resumed after a kill; searched within a scope."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.answer import Engine
from bot.answer.encoder import shipped
from bot.answer.vectorize import BackgroundEncoder, encode_pending, pending_count
from storage.backends import open_library
from storage.backends.base import Library, ModelSwitch, replaced_after_switch
from storage.backends.sqlite import SqliteLibrary
from storage.backends.sqlite_connect import MMAP_BYTES
from storage.models import GLOBAL_SCOPE, SourceMeta
from storage.vectors import COSINE_DECIMALS, QUANT_STEPS, StoredVector, VectorBlock, VectorIndex, quantized, to_blob
from tests.stores import sql_execute, sql_value

BAKERY = (
    "The bakery on Mill Street opened in 1921.\n\n"
    "Its ovens burn wood from the valley, and the bread is sold before dawn.\n\n"
    "The owner, Ada Brill, trained in Lyon for six years."
)
HARBOUR = "The harbour froze in the winter of 1947.\n\nShips waited at sea for nine days until the ice broke."


def sync(index: VectorIndex, present: Sequence[int], added: Iterable[VectorBlock]) -> None:
    """Keep the rows whose sentence ids are still `present`, add the blocks `added` (the library's
    refill, all at once)."""
    blocks = list(added)
    refill = index.refill(present, incoming=sum(b.ids.size for b in blocks))
    for b in blocks:
        refill.add(b)
    refill.finish()


def unit(*values: float) -> np.ndarray:
    v = np.asarray(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_rows_are_held_as_the_stored_values_to_within_half_a_step() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((50, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    block = VectorBlock.of([StoredVector(i, GLOBAL_SCOPE, to_blob(v)) for i, v in enumerate(vectors)])
    assert block.rows.dtype == np.int8 and block.rows.nbytes == vectors.nbytes // 4
    stored = vectors.astype(np.float16).astype(np.float64)
    step = np.abs(stored).max(axis=1) / QUANT_STEPS
    assert np.all(np.abs(block.rows * block.scales[:, None] - stored) <= step[:, None] * 0.5001)
    assert np.array_equal(np.abs(block.rows).max(axis=1), np.full(50, QUANT_STEPS))  # every step used


def test_index_search_is_scoped_exact_and_breaks_ties_by_id() -> None:
    index = VectorIndex()
    rows = [
        StoredVector(5, GLOBAL_SCOPE, to_blob(unit(1, 0))),
        StoredVector(3, GLOBAL_SCOPE, to_blob(unit(1, 0))),  # a tie with 5: the lower id first
        StoredVector(4, 77, to_blob(unit(1, 0.1))),  # another server's
        StoredVector(9, 42, to_blob(unit(0, 1))),
    ]
    sync(index, [3, 4, 5, 9], [VectorBlock.of(rows)])
    assert [i for i, _ in index.nearest(unit(1, 0), scope=42, limit=3)] == [3, 5, 9]
    assert [i for i, _ in index.nearest(unit(1, 0), scope=77, limit=2)] == [3, 5]
    assert [i for i, _ in index.nearest(unit(1, 0.1), scope=77, limit=1)] == [4]
    # Rows whose sentences are gone leave; new ones come in.
    sync(index, [3, 9, 11], [VectorBlock.of([StoredVector(11, GLOBAL_SCOPE, to_blob(unit(0, 1)))])])
    assert index.missing([3, 9, 11, 12]) == [12]
    assert [i for i, _ in index.nearest(unit(0, 1), scope=42, limit=5)] == [9, 11, 3]
    assert set(index.cosines([3, 5, 11], unit(0, 1))) == {3, 11}
    # Every sentence gone: an empty index, then filled again from nothing.
    sync(index, [], [])
    assert len(index) == 0 and index.nearest(unit(0, 1), scope=42, limit=5) == []
    sync(index, [12], [VectorBlock.of([StoredVector(12, 42, to_blob(unit(0, 1)))])])
    assert index.cosines([12], unit(0, 1)) == {12: 1.0}


def test_no_vector_read_is_an_empty_block() -> None:
    """Every vector of a batch removed between listing the ids and reading them: nothing to add."""
    index = VectorIndex()
    sync(index, [1], [VectorBlock.of([StoredVector(1, GLOBAL_SCOPE, to_blob(unit(1, 0)))])])
    sync(index, [1, 2], [VectorBlock.of([])])
    assert index.rows.ids.tolist() == [1]


def test_a_sentence_has_one_cosine_alone_or_among_the_whole_library() -> None:
    """The cosine a candidate gets (VectorIndex.cosines) is the one the nearest search ranked it
    by, both the exact integer product of the held rows, scaled: what decides an answer never
    depends on how many rows were multiplied together, or on the CPU."""
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((3_000, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex()
    sync(
        index,
        range(3_000),
        [VectorBlock.of([StoredVector(i, GLOBAL_SCOPE, to_blob(v)) for i, v in enumerate(vectors)])],
    )
    assert index.rows.matrix.dtype == np.int8  # a quarter of the memory of float32
    query = vectors[11] + 0.5 * vectors[12]
    near = index.nearest(query, scope=0, limit=50)
    assert near[:2] == sorted(near[:2], key=lambda n: -n[1]) and {near[0][0], near[1][0]} == {11, 12}
    assert index.cosines([i for i, _ in near], query) == dict(near)
    for i, cosine in near[:5]:
        assert index.cosines([i], query) == {i: cosine}
        row, row_scale = quantized(vectors[i : i + 1].astype(np.float16))
        asked, asked_scale = quantized(query.astype(np.float16).reshape(1, -1))
        integer = int(row[0].astype(np.int64) @ asked[0].astype(np.int64))
        assert cosine == round(integer * (row_scale[0] * asked_scale[0]), COSINE_DECIMALS)
        stored = vectors[i].astype(np.float16).astype(np.float64) @ query.astype(np.float16).astype(np.float64)
        assert cosine == pytest.approx(stored, abs=3e-3)


def test_a_damaged_vector_is_held_as_zeros_and_near_nothing() -> None:
    """A stored vector holding a NaN or an infinity becomes zeros in memory: cast to int8 as it is,
    its steps were whatever the CPU makes of NaN, and so was every cosine with it."""
    steps, scales = quantized(np.array([[np.nan, 0.5], [np.inf, 0.5], [0.6, 0.8]], dtype=np.float16))
    assert steps[:2].tolist() == [[0, 0], [0, 0]] and scales[:2].tolist() == [1.0, 1.0]
    assert steps[2].tolist() == [95, QUANT_STEPS]
    index = VectorIndex()
    damaged = [StoredVector(i, GLOBAL_SCOPE, to_blob(np.array([np.nan, 1.0]))) for i in (1, 2)]
    sync(index, [1, 2, 3], [VectorBlock.of([*damaged, StoredVector(3, GLOBAL_SCOPE, to_blob(unit(1, 0)))])])
    assert index.cosines([1, 2, 3], unit(1, 0)) == {1: 0.0, 2: 0.0, 3: 1.0}
    assert index.nearest(unit(1, 0), scope=0, limit=1) == [(3, 1.0)]


def test_rows_added_are_written_in_place_and_a_running_search_keeps_its_rows() -> None:
    """Sentences encoded since the last look are written into the room after the rows held: no
    copy of the library's matrix for each batch, and the rows a search already holds never change.
    A removal or a lower id rebuilds, sorted."""

    def block(*pairs: tuple[int, np.ndarray]) -> VectorBlock:
        return VectorBlock.of([StoredVector(i, GLOBAL_SCOPE, to_blob(v)) for i, v in pairs])

    index = VectorIndex()
    sync(index, [1, 2, 3, 4], [block((1, unit(1, 0)), (2, unit(0, 1)), (3, unit(1, 1)), (4, unit(1, -1)))])
    held, buffer = index.rows, index.buffer
    assert buffer.shape[0] > len(index)  # room kept
    sync(index, [1, 2, 3, 4, 5], [block((5, unit(-1, 0)))])
    assert index.buffer is buffer and np.shares_memory(index.rows.matrix, held.matrix)
    assert held.ids.tolist() == [1, 2, 3, 4] and held.matrix.shape[0] == 4  # the old rows, whole
    assert [i for i, _ in index.nearest(unit(-1, 0), scope=0, limit=1)] == [5]
    # No room left: a new buffer, the rows held before still whole.
    sync(index, range(1, 8), [block((6, unit(1, 0)), (7, unit(0, 1)))])
    assert index.buffer is not buffer and index.rows.ids.tolist() == list(range(1, 8))
    assert held.ids.tolist() == [1, 2, 3, 4] and np.array_equal(held.matrix, index.rows.matrix[:4])
    buffer = index.buffer
    # A removal: a new buffer with only the kept rows; the rows held before are untouched.
    sync(index, [1, 3, 5], [])
    assert index.rows.ids.tolist() == [1, 3, 5] and not np.shares_memory(index.buffer, buffer)
    assert np.array_equal(held.matrix[1], [0, QUANT_STEPS])
    # An id below the ones held (a reused id): rebuilt in id order.
    sync(index, [0, 1, 3, 5], [block((0, unit(0, -1)))])
    assert index.rows.ids.tolist() == [0, 1, 3, 5]
    assert index.cosines([0, 5], unit(0, -1)) == {0: 1.0, 5: 0.0}
    assert [i for i, _ in index.nearest(unit(0, -1), scope=0, limit=1)] == [0]


async def test_vectors_are_read_unmapped(tmp_path: Path) -> None:
    """The connection that reads every vector into memory reads without a memory map (the pages
    would stay in the process beside the matrix); the pool's question readers keep theirs, and
    what they read about vectors touches no vector."""
    async with await open_library(tmp_path / "library.db", seed=False) as library:
        assert isinstance(library, SqliteLibrary)
        assert await (await library._stats_reader.execute("PRAGMA mmap_size")).fetchone() == (0,)
        async with library._pool.reader() as reader:
            assert await (await reader.execute("PRAGMA mmap_size")).fetchone() == (MMAP_BYTES,)
            # Which sentences have a vector, and which wait for one, are read from a narrow index:
            # never a page of the vectors themselves.
            for sql in (
                "SELECT group_concat(sentence_id) FROM sentence_vectors",
                "SELECT id FROM sentences s WHERE s.id > 0"
                " AND s.id NOT IN (SELECT sentence_id + 0 FROM sentence_vectors WHERE +sentence_id > 0)",
            ):
                plan = " ".join(str(r) for r in await (await reader.execute(f"EXPLAIN QUERY PLAN {sql}")).fetchall())
                assert "COVERING INDEX sentence_vectors_by_scope" in plan, plan


async def _vector_rows(library: Library) -> int:
    value = await sql_value(library, "SELECT count(*) FROM sentence_vectors")
    assert isinstance(value, int)
    return value


async def test_vectors_are_stored_and_removed_with_their_source(library_target: Path | str) -> None:
    encoder = shipped()
    async with await open_library(library_target, seed=False) as library:
        bakery = await library.add_source(BAKERY, SourceMeta("Bakery"))
        harbour = await library.add_source(HARBOUR, SourceMeta("Harbour"))
        assert await pending_count(library) == bakery.sentences + harbour.sentences
        assert await encode_pending(library, encoder) == bakery.sentences + harbour.sentences
        assert await pending_count(library) == 0
        assert await library.vector_model() == encoder.identity
        assert await library.vector_progress(source_id=bakery.id) == (bakery.sentences, bakery.sentences)
        # What is stored is what the encoder makes, to the bit (float16).
        first = (await library.visible_sentences([1], scope=GLOBAL_SCOPE))[0]
        stored = await sql_value(library, "SELECT vector FROM sentence_vectors WHERE sentence_id = ?", first.id)
        assert isinstance(stored, bytes)
        assert stored == to_blob(encoder.encode([first.text])[0])
        await library.remove_source(bakery.id)
        assert await _vector_rows(library) == harbour.sentences
        asked = encoder.vectors(["when did the bakery open"])[0]
        near = await library.nearest_sentences(asked, scope=0, limit=9, model=encoder.identity)
        assert {i for i, _ in near} == {s.id for s in await library.visible_sentences(range(1, 99), scope=0)}


async def test_a_library_encoded_by_another_model_is_encoded_again(library_target: Path | str) -> None:
    encoder = shipped()
    async with await open_library(library_target, seed=False) as library:
        info = await library.add_source(BAKERY, SourceMeta("Bakery"))
        await library.use_vector_model("an-older-model:0")
        old = [(s.id, to_blob(unit(1, 2, 3))) for s in await library.pending_vectors(limit=100)]
        assert await library.store_vectors("an-older-model:0", old) == info.sentences
        # Vectors of a model the library no longer uses are never stored.
        assert await library.store_vectors(encoder.identity, old) == 0
        assert await encode_pending(library, encoder) == info.sentences
        assert await library.vector_model() == encoder.identity
        assert await _vector_rows(library) == info.sentences
        assert await sql_value(library, "SELECT count(*) FROM sentence_vectors WHERE length(vector) = 6") == 0


async def test_vectors_made_again_by_another_model_replace_those_in_memory(library_target: Path | str) -> None:
    """The same sentence ids with another model's vectors, stored between two looks: the index
    drops what the old model made instead of keeping it for ids it still sees."""
    async with await open_library(library_target, seed=False) as library:
        await library.add_source(BAKERY, SourceMeta("Bakery"))
        await library.use_vector_model("old:1")
        ids = [s.id for s in await library.pending_vectors(limit=100)]
        await library.store_vectors("old:1", [(i, to_blob(unit(1, 0))) for i in ids])
        assert {c for _, c in await library.nearest_sentences(unit(1, 0), scope=0, limit=9, model="old:1")} == {1.0}
        await library.use_vector_model("new:1")
        await library.store_vectors("new:1", [(i, to_blob(unit(0, 1))) for i in ids])
        assert {c for _, c in await library.nearest_sentences(unit(1, 0), scope=0, limit=9, model="new:1")} == {0.0}
        # A question the old model made is compared with none of the new model's vectors.
        assert await library.nearest_sentences(unit(1, 0), scope=0, limit=9, model="old:1") == []
        assert await library.vector_cosines(ids, unit(1, 0), model="old:1") == {}
        assert set(await library.vector_cosines(ids, unit(1, 0), model="new:1")) == set(ids)


async def test_a_model_changed_while_the_index_reads_leaves_nothing_mixed(
    library_target: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process re-encodes the library with another model while this one reads its vectors:
    what was read is dropped (it may hold both models'), not answered from under the old name."""
    async with await open_library(library_target, seed=False) as library:
        await library.add_source(BAKERY, SourceMeta("Bakery"))
        ids = [s.id for s in await library.pending_vectors(limit=100)]
        await library.use_vector_model("old:1")
        await library.store_vectors("old:1", [(i, to_blob(unit(1, 0))) for i in ids])
        read = library._read_vectors

        async def switched_meanwhile(wanted: list[int]) -> list[StoredVector]:
            monkeypatch.setattr(library, "_read_vectors", read)
            await library.use_vector_model("new:1")
            await library.store_vectors("new:1", [(i, to_blob(unit(0, 1))) for i in ids])
            return await read(wanted)

        monkeypatch.setattr(library, "_read_vectors", switched_meanwhile)
        assert await library.nearest_sentences(unit(1, 0), scope=0, limit=9, model="old:1") == []
        near = await library.nearest_sentences(unit(0, 1), scope=0, limit=9, model="new:1")
        assert sorted(i for i, _ in near) == ids and {c for _, c in near} == {1.0}


async def test_another_models_vectors_are_never_compared_with_a_question(library_target: Path | str) -> None:
    """While the library holds another model's vectors (an upgrade to a new encoder, the old
    processes still running), a question is answered as if there were none, never by cosines
    between two models' vectors."""
    async with await open_library(library_target, seed=False) as library:
        await library.add_source(BAKERY, SourceMeta("Bakery"))
        await library.add_source(HARBOUR, SourceMeta("Harbour"))
        engine = Engine(library)
        assert engine.encoder is not None
        question = "Where did the baker learn her trade?"
        plain = _without_timings((await engine.ask(question)).to_json())
        await library.use_vector_model("an-older-model:0")
        # Vectors that would put every sentence first: each along the question's own.
        along = to_blob(engine.encoder.vectors([question])[0])
        await library.store_vectors(
            "an-older-model:0", [(s.id, along) for s in await library.pending_vectors(limit=99)]
        )
        assert _without_timings((await engine.ask(question)).to_json()) == plain


def _without_timings(answer: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in answer.items() if k != "timings"}


async def test_another_models_vectors_are_not_even_read(
    library_target: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process of another version keeps none of the library's vectors in memory (they would be
    hundreds of megabytes at scale, of no use to its questions)."""
    async with await open_library(library_target, seed=False) as library:
        await library.add_source(BAKERY, SourceMeta("Bakery"))
        await library.use_vector_model("theirs:1")
        ids = [s.id for s in await library.pending_vectors(limit=100)]
        await library.store_vectors("theirs:1", [(i, to_blob(unit(1, 0))) for i in ids])

        async def never(wanted: list[int]) -> list[StoredVector]:
            raise AssertionError("another model's vectors were read")

        monkeypatch.setattr(library, "_read_vectors", never)
        assert await library.nearest_sentences(unit(1, 0), scope=0, limit=9, model="mine:1") == []
        assert await library.vector_cosines(ids, unit(1, 0), model="mine:1") == {}


async def test_a_model_is_taken_without_replacing_only_by_a_library_that_has_none(library_target: Path | str) -> None:
    async with await open_library(library_target, seed=False) as library:
        await library.add_source(BAKERY, SourceMeta("Bakery"))
        assert await library.use_vector_model("first:1", switch=ModelSwitch.ONLY_UNSET) is False  # nothing to drop
        assert await library.vector_model() == "first:1"
        ids = [s.id for s in await library.pending_vectors(limit=100)]
        await library.store_vectors("first:1", [(i, to_blob(unit(1, 0))) for i in ids])
        assert await library.use_vector_model("second:1", switch=ModelSwitch.ONLY_UNSET) is False
        assert await library.vector_model() == "first:1" and await library.vector_progress() == (len(ids), len(ids))
        assert await library.use_vector_model("second:1") is True
        assert await library.vector_model() == "second:1" and await library.vector_progress() == (0, len(ids))


async def test_an_older_version_never_takes_the_library_back_from_a_newer_one(library_target: Path | str) -> None:
    """An upgrade with the old version's processes still running: the new encoder takes the library
    once, and the old one, whose model it replaced, leaves the new vectors alone (each taking it
    back in turn threw away the other's encoding at every pass); the operator can still roll back."""
    async with await open_library(library_target, seed=False) as library:
        await library.add_source(BAKERY, SourceMeta("Bakery"))
        ids = [s.id for s in await library.pending_vectors(limit=100)]

        async def encoded_by(model: str) -> None:
            assert await library.vector_model() == model
            await library.store_vectors(model, [(i, to_blob(unit(1, 0))) for i in ids])

        await library.use_vector_model("old:1")
        await encoded_by("old:1")
        assert await library.use_vector_model("new:1") is True
        await encoded_by("new:1")
        version = await library.data_version()
        assert await library.use_vector_model("old:1") is False
        assert await library.vector_model() == "new:1" and await library.vector_progress() == (len(ids), len(ids))
        assert await library.data_version() == version, "a refused switch changes nothing, the version included"
        # A third model, never seen before, still moves the library on; none of the two before it comes back.
        assert await library.use_vector_model("newer:1") is True
        await encoded_by("newer:1")
        for older in ("old:1", "new:1"):
            assert await library.use_vector_model(older) is False
        assert await library.vector_model() == "newer:1"
        # A rollback is the operator's choice, and it holds: the model it replaced is now the older one.
        assert await library.use_vector_model("new:1", switch=ModelSwitch.ALWAYS) is True
        assert await library.vector_model() == "new:1" and await library.vector_progress() == (0, len(ids))
        assert await library.use_vector_model("newer:1") is False
        assert await library.vector_model() == "new:1"


def test_the_models_a_library_was_moved_away_from_are_kept_most_recent_last() -> None:
    assert replaced_after_switch(None, None, "a:1", ModelSwitch.ONLY_UNSET) == "[]"
    assert replaced_after_switch("a:1", "[]", "b:1", ModelSwitch.FORWARD) == '["a:1"]'
    assert replaced_after_switch("b:1", '["a:1"]', "a:1", ModelSwitch.FORWARD) is None
    assert replaced_after_switch("b:1", '["a:1"]', "a:1", ModelSwitch.ALWAYS) == '["b:1"]'
    assert replaced_after_switch("b:1", '["a:1"]', "c:1", ModelSwitch.ONLY_UNSET) is None
    for damaged in ("not json", '"a:1"', "5"):  # forgotten, never stuck
        assert replaced_after_switch("b:1", damaged, "a:1", ModelSwitch.FORWARD) == '["b:1"]'
    # A copy's destination remembers what the origin's model replaced (not the model itself).
    assert replaced_after_switch(None, None, "b:1", ModelSwitch.ONLY_UNSET, ["a:1", "b:1"]) == '["a:1"]'
    # Into a library of the same model: its vectors stay, and the origin's history joins its own.
    assert replaced_after_switch("b:1", '["c:1"]', "b:1", ModelSwitch.ONLY_UNSET, ["a:1", "b:1"]) == '["a:1", "c:1"]'
    assert replaced_after_switch("b:1", '["a:1"]', "b:1", ModelSwitch.ONLY_UNSET, ["a:1"]) is None
    # No model at all (never the case after a switch): nothing holds the library, anyone takes it.
    assert replaced_after_switch(None, '["a:1"]', "a:1", ModelSwitch.FORWARD) == "[]"


async def test_an_older_versions_encoding_pass_leaves_a_newer_encoding_alone(
    library_target: Path | str, caplog: pytest.LogCaptureFixture
) -> None:
    """The bot's background pass with the shipped encoder, after a newer encoder replaced it: no
    vector dropped or made, one warning, however many passes."""
    encoder = shipped()
    async with await open_library(library_target, seed=False) as library:
        info = await library.add_source(BAKERY, SourceMeta("Bakery"))
        assert await encode_pending(library, encoder) == info.sentences
        await library.use_vector_model("a-newer-model:2")
        newer = [(s.id, to_blob(unit(1, 2, 3))) for s in await library.pending_vectors(limit=100)]
        assert await library.store_vectors("a-newer-model:2", newer) == info.sentences
        assert await encode_pending(library, encoder) == 0
        background = BackgroundEncoder(library, encoder, poll_seconds=0.01)
        with caplog.at_level(logging.WARNING, logger="bot.answer.vectorize"):
            background.start()
            for _ in range(3):
                background.idle.clear()
                await asyncio.wait_for(background.idle.wait(), 10)
            await background.stop()
        assert await library.vector_model() == "a-newer-model:2"
        assert await library.vector_progress() == (info.sentences, info.sentences)
        said = [r.getMessage() for r in caplog.records]
        assert len(said) == 1 and "a-newer-model:2" in said[0] and "library reindex" in said[0]
        assert "replaced this version's" in said[0] and "cannot write" not in said[0]


async def test_a_read_only_library_of_another_encoders_vectors_is_read_by_words_and_said_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The bot's pass on a library it cannot write: nothing encoded, and the warning says that a
    process that can write it must reindex (this one cannot), not that a newer version took it."""
    from tests.test_library import can_make_read_only, make_writable

    path = tmp_path / "ro" / "library.db"
    async with await open_library(path, seed=False) as library:
        info = await library.add_source(BAKERY, SourceMeta("Bakery"))
        await library.use_vector_model("another-model:1")
        made = [(s.id, to_blob(unit(1, 2, 3))) for s in await library.pending_vectors(limit=100)]
        assert await library.store_vectors("another-model:1", made) == info.sentences
    if not can_make_read_only(path):
        pytest.skip("cannot make a file read-only here")
    try:
        async with await open_library(path, seed=False) as library:
            assert library.read_only
            background = BackgroundEncoder(library, shipped(), poll_seconds=0.01)
            with caplog.at_level(logging.WARNING, logger="bot.answer.vectorize"):
                background.start()
                await asyncio.wait_for(background.idle.wait(), 10)
                await background.stop()
            assert await library.vector_model() == "another-model:1"
    finally:
        make_writable(path)
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and "another-model:1" in said[0] and "cannot write the library" in said[0], said
    assert "replaced this version's" not in said[0]


async def test_waiting_sentences_are_listed_after_a_given_id(library_target: Path | str) -> None:
    async with await open_library(library_target, seed=False) as library:
        await library.add_source(BAKERY, SourceMeta("Bakery"))
        await library.add_source(HARBOUR, SourceMeta("Harbour"))
        waiting = [s.id for s in await library.pending_vectors(limit=100)]
        assert len(waiting) == 5 and waiting == sorted(waiting)
        assert [s.id for s in await library.pending_vectors(limit=2, after=waiting[1])] == waiting[2:4]
        await library.use_vector_model("m")
        await library.store_vectors("m", [(waiting[3], to_blob(unit(1, 0)))])
        assert [s.id for s in await library.pending_vectors(limit=9, after=waiting[1])] == [waiting[2], waiting[4]]


async def test_encoding_skips_sentences_removed_meanwhile(library_target: Path | str) -> None:
    async with await open_library(library_target, seed=False) as library:
        info = await library.add_source(BAKERY, SourceMeta("Bakery"))
        await library.use_vector_model("m")
        batch = [(s.id, to_blob(unit(1, 0))) for s in await library.pending_vectors(limit=100)]
        await library.remove_source(info.id)
        assert await library.store_vectors("m", batch) == 0


async def test_a_removed_sources_sentence_ids_are_never_given_again(library_target: Path | str) -> None:
    """The newest source removed and another added before the next question: the new sentences get
    new ids, so no id held in memory (a vector, a cosine) stands for a sentence it was not made of."""
    encoder = shipped()
    async with await open_library(library_target, seed=False) as library:
        await library.add_source(HARBOUR, SourceMeta("Harbour"))
        bakery = await library.add_source(BAKERY, SourceMeta("Bakery"))
        await encode_pending(library, encoder)
        asked = encoder.vectors(["Where did the owner of the bakery train?"])[0]
        assert await library.nearest_sentences(
            asked, scope=0, limit=1, model=encoder.identity
        )  # the index is in memory
        removed = {s.id for s in await library.visible_sentences(range(1, 99), scope=0) if s.source_id == bakery.id}
        await library.remove_source(bakery.id)
        mill = await library.add_source("The mill by the river ground oats until 1960.", SourceMeta("Mill"))
        await encode_pending(library, encoder)
        sentences = await library.visible_sentences(range(1, 99), scope=0)
        new = [s for s in sentences if s.source_id == mill.id]
        assert new and min(s.id for s in new) > max(removed)
        question = encoder.vectors(["The mill by the river ground oats until 1960."])[0]
        nearest, cosine = (await library.nearest_sentences(question, scope=0, limit=1, model=encoder.identity))[0]
        assert nearest == new[0].id and cosine > 0.99


def _factbot(db: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "FACTBOT_DB": str(db)}
    command = [sys.executable, "-m", "bot", *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


async def _first_vectors(library: Library) -> None:
    """Wait (a minute at most) until some sentence of the library has its vector (another process encodes)."""
    async with asyncio.timeout(60):
        while True:
            if (await library.vector_progress())[0]:
                return
            await asyncio.sleep(0.05)


async def test_a_killed_encoding_resumes_where_it_stopped(tmp_path: Path) -> None:
    db = tmp_path / "library.db"
    async with await open_library(db, seed=False) as library:
        for n in range(40):
            await library.add_source(f"{BAKERY}\n\nEdition {n} of the town's bakery notes.", SourceMeta(f"Notes {n}"))
        total = (await library.vector_progress())[1]
    process = _factbot(db, "library", "reindex")
    async with await open_library(db, seed=False) as library:
        await _first_vectors(library)
        process.send_signal(signal.SIGKILL)
        process.wait()
        encoded = (await library.vector_progress())[0]
    assert 0 < encoded < total
    finished = _factbot(db, "library", "reindex")
    out, err = finished.communicate(timeout=120)
    assert finished.returncode == 0, err
    assert f"{total} of {total} are searchable by meaning" in out
    async with await open_library(db, seed=False) as library:
        assert await library.vector_progress() == (total, total)
        # Every vector is whole: float16 values of the model's 384 numbers.
        assert await sql_value(library, "SELECT count(*) FROM sentence_vectors WHERE length(vector) != 768") == 0


async def test_vector_candidates_stay_within_the_scope(library_target: Path | str) -> None:
    """Another server's source is never a candidate by meaning, however close it is."""
    async with await open_library(library_target, seed=False) as library:
        await library.add_source(HARBOUR, SourceMeta("Harbour"))
        await library.add_source(BAKERY, SourceMeta("Bakery"), scope=42)
        engine = Engine(library)
        await engine.catch_up()
        question = "Where did the baker learn her trade?"
        vector = engine.encoder.vectors([question])[0] if engine.encoder else None
        assert vector is not None
        seen = await library.nearest_sentences(vector, scope=7, limit=50, model=shipped().identity)
        assert seen and all(s.source_id != 2 for s in await library.visible_sentences([i for i, _ in seen], scope=7))
        other = await engine.ask(question, scope=7)
        assert all(a.source.title != "Bakery" for a in other.sources)


async def test_vectors_written_behind_the_library_are_seen(library_target: Path | str) -> None:
    """Another process's writes move the version: the in-memory index catches up (and drops rows)."""
    async with await open_library(library_target, seed=False) as library:
        await library.add_source(BAKERY, SourceMeta("Bakery"))
        await encode_pending(library, shipped())
        query = shipped().vectors(["bakery"])[0]
        assert len(await library.nearest_sentences(query, scope=0, limit=10, model=shipped().identity)) == 3
        await sql_execute(library, "DELETE FROM sentence_vectors WHERE sentence_id = ?", 1)
        if isinstance(library_target, Path):
            pass  # SQLite's data_version moves with another connection's write
        else:
            await sql_execute(library, "UPDATE library_state SET version = version + 1")
        assert {i for i, _ in await library.nearest_sentences(query, scope=0, limit=10, model=shipped().identity)} == {
            2,
            3,
        }


@pytest.mark.parametrize("limit", [1, 2])
async def test_encoding_a_few_at_a_time_leaves_the_rest_pending(tmp_path: Path, limit: int) -> None:
    async with await open_library(tmp_path / "library.db", seed=False) as library:
        info = await library.add_source(BAKERY, SourceMeta("Bakery"))
        assert await encode_pending(library, shipped(), limit=limit) == limit
        assert await pending_count(library) == info.sentences - limit
