"""The semantic stage: the shipped word vectors, their file's checks, and paraphrase in the engine."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from bot.answer import semantic
from bot.answer.engine import Engine, Understanding
from bot.answer.semantic import load_embeddings
from storage.backends import open_library
from storage.backends.base import Library
from storage.errors import EmbeddingsFileError
from storage.models import SourceMeta
from storage.text import term, terms

# Generic English pairs (none from the evaluation sets): a paraphrase, then an unrelated word.
PARAPHRASES = [
    ("car", "automobile", "poetry"),
    ("buy", "purchase", "mountain"),
    ("physician", "doctor", "umbrella"),
    ("begin", "start", "cheese"),
    ("big", "large", "telephone"),
]

BAKERY = (
    "The bakery on Mill Street opened in 1921. Its ovens run from four in the morning.\n\n"
    "The bakery sells bread, cakes and pastries to the whole village."
)


@pytest.fixture
async def library(tmp_path: Path):
    async with await open_library(tmp_path / "library.db", seed=False) as lib:
        await lib.add_source(BAKERY, SourceMeta("Mill Street bakery"))
        yield lib


def test_the_shipped_vectors_rank_a_paraphrase_above_an_unrelated_word() -> None:
    vectors = semantic.shipped()
    assert len(vectors) > 10_000
    for word, same, other in PARAPHRASES:
        a, b, c = term(word), term(same), term(other)
        assert a in vectors and b in vectors and c in vectors
        assert vectors.similarity(a, b) > vectors.similarity(a, c) + 0.2, (word, same, other)


def test_a_text_vector_is_closer_to_its_paraphrase() -> None:
    vectors = semantic.shipped()
    asked = vectors.text_vector(terms("purchase an automobile"))
    same = vectors.text_vector(terms("buy a car"))
    other = vectors.text_vector(terms("read a poem"))
    assert semantic.cosine(asked, same) > semantic.cosine(asked, other)
    assert vectors.text_vector(["zzqxv"]) is None


def test_neighbours_are_the_most_similar_terms() -> None:
    vectors = semantic.shipped()
    found = vectors.neighbours(term("purchase"), 10, minimum=0.0)
    assert term("buy") in [t for t, _ in found]
    assert all(a >= b for (_, a), (_, b) in pairwise(found))
    assert term("purchase") not in [t for t, _ in found]
    assert vectors.neighbours("zzqxv", 10, minimum=0.0) == []


def test_a_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "embeddings.npz"
    with pytest.raises(EmbeddingsFileError, match="is missing") as err:
        load_embeddings(path)
    assert str(path) in err.value.message


@pytest.mark.parametrize(
    "content",
    [b"", b"not a zip file at all", b"PK\x03\x04 truncated"],
    ids=["empty", "garbage", "truncated"],
)
def test_a_corrupt_file_is_one_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "embeddings.npz"
    path.write_bytes(content)
    with pytest.raises(EmbeddingsFileError, match="cannot be read") as err:
        load_embeddings(path)
    assert str(path) in err.value.message


def test_a_file_of_the_wrong_shape_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "embeddings.npz"
    terms = np.frombuffer(b"car\nbus", dtype=np.uint8)
    np.savez(
        path, format=np.asarray([semantic.FORMAT_VERSION]), terms=terms, vectors=np.zeros((3, 4)), weights=np.zeros(3)
    )
    with pytest.raises(EmbeddingsFileError, match="different counts"):
        load_embeddings(path)
    np.savez(path, format=np.asarray([99]), terms=terms, vectors=np.zeros((2, 4)), weights=np.zeros(2))
    with pytest.raises(EmbeddingsFileError, match="format"):
        load_embeddings(path)
    np.savez(path, format=np.asarray([semantic.FORMAT_VERSION]), terms=terms)
    with pytest.raises(EmbeddingsFileError, match="lacks the array"):
        load_embeddings(path)


async def test_the_engine_will_not_start_without_its_vectors(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(semantic, "shipped", lambda: load_embeddings(tmp_path / "gone.npz"))
    with pytest.raises(EmbeddingsFileError, match=r"gone\.npz"):
        Engine(library)
    # With the semantic stage off the vectors are never read.
    answer = await Engine(library, understanding=Understanding(semantic=False)).ask("When did the bakery open?")
    assert answer.answered


async def test_a_word_the_library_lacks_is_looked_for_through_its_neighbours(library: Library) -> None:
    engine = Engine(library, understanding=Understanding(spelling=False))
    question, freqs, aliases = await engine._understand("Which shop sells loaves?", 0)
    assert freqs == await library.term_frequencies(question.terms)
    assert freqs[term("loaves")] == 0
    assert aliases, "a stand-in is found for 'loaves'"
    for stand_in, (asked, factor, count) in aliases.items():
        assert asked == term("loaves")
        assert count == (await library.term_frequencies([stand_in]))[stand_in] > 0
        assert 0 < factor <= 1
    assert term("bread") in aliases


async def test_a_paraphrase_finds_the_sentence_only_with_the_semantic_stage(library: Library) -> None:
    asked = "What about loaves?"  # no word the library uses: plain search finds nothing
    plain = await Engine(library, understanding=Understanding(semantic=False, refusal=False)).ask(asked)
    meant = await Engine(library, understanding=Understanding(refusal=False)).ask(asked)
    assert meant.answered
    assert "bread" in meant.sources[0].quotes[0].text
    assert not plain.answered


async def test_the_flag_off_reads_no_vectors_and_adds_no_signal(library: Library) -> None:
    engine = Engine(library, understanding=Understanding(semantic=False))
    assert engine.embeddings is None
    trace: list = []
    await engine.ask("When did the bakery on Mill Street open?", trace=trace)
    assert trace
    for assessed in trace:
        assert assessed.features["semantic"] == 0.0
        assert assessed.features["expanded_share"] == 0.0
        assert all(s.semantic == 0.0 for s in assessed.items)
    on: list = []
    await Engine(library).ask("When did the bakery on Mill Street open?", trace=on)
    assert on[0].features["semantic"] > 0.0
