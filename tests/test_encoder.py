"""The sentence encoder: the shipped model, its files' checks, and its place in the engine."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from bot.answer import encoder
from bot.answer.encoder import Encoder
from bot.answer.engine import Engine, Understanding
from bot.cli import main as cli_main
from storage.backends import open_library
from storage.backends.base import Library
from storage.errors import EncoderFileError, FactbotError
from storage.models import SourceMeta

# Generic English (nothing from the evaluation sets): a question, a sentence that says what it
# asks in other words, and a sentence that shares its words but not its meaning.
CASES = [
    ("Which firms make cars?", "Toyota and Ford build automobiles.", "The firm's car park is full."),
    ("When did the bakery open?", "The bakery was founded in 1921.", "The bakery sells fresh bread."),
    ("How many people live in the town?", "The town has a population of 12,000.", "People in the town like to walk."),
    ("Who wrote the novel?", "The book was written by Jane Smith.", "The novel is set in a small town."),
]


@pytest.fixture
async def library(tmp_path: Path):
    async with await open_library(tmp_path / "library.db", seed=False) as lib:
        yield lib


@pytest.mark.parametrize(("question", "meaning", "words"), CASES, ids=["paraphrase", "when", "how many", "who"])
def test_a_sentence_that_says_what_is_asked_is_closer_than_one_that_shares_its_words(
    question: str, meaning: str, words: str
) -> None:
    q, m, w = encoder.shipped().vectors([question, meaning, words])
    assert float(q @ m) > float(q @ w)


def test_vectors_are_unit_length_and_do_not_depend_on_what_else_is_asked() -> None:
    """A text's vector is the same whether it is encoded alone or after other, longer texts (the
    int8 model's activation scales are measured per call), and from several threads at once."""
    texts = [c[1] for c in CASES]
    alone = Encoder().vectors(texts[:1])
    after = Encoder().vectors([texts[1] + " " + texts[2] * 5, texts[3], texts[0]])
    assert np.linalg.norm(alone, axis=1) == pytest.approx(1.0, abs=1e-3)
    assert after[2] == pytest.approx(alone[0], abs=2e-3)
    assert Encoder().vectors([]).shape[0] == 0
    shared = Encoder()
    serial = Encoder().vectors(texts)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: shared.vectors(texts[i:] + texts[:i]), range(len(texts))))
    for i, got in enumerate(results):
        assert got == pytest.approx(np.roll(serial, -i, axis=0), abs=2e-3)


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoder, "CACHED", 3)
    model = Encoder()
    first = model.vectors(["one", "two", "three", "four", "five"])
    assert len(model._cache) == 3
    assert model.vectors(["one"])[0] == pytest.approx(first[0], abs=2e-3)


def test_a_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EncoderFileError, match="is missing") as err:
        Encoder(model=tmp_path / "encoder.onnx")
    assert str(tmp_path / "encoder.onnx") in err.value.message
    with pytest.raises(EncoderFileError, match="is missing"):
        Encoder(tokenizer=tmp_path / "tokenizer.json")


@pytest.mark.parametrize("content", [b"", b"not a model at all", b"\x08\x07\x12\x00"], ids=["empty", "text", "cut"])
def test_a_corrupt_model_is_one_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "encoder.onnx"
    path.write_bytes(content)
    with pytest.raises(EncoderFileError, match="cannot be read") as err:
        Encoder(model=path)
    assert isinstance(err.value, FactbotError)
    assert str(path) in err.value.message and "\n" not in err.value.message


def test_a_corrupt_tokenizer_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "tokenizer.json"
    path.write_text('{"version": "1.0", "model": ', encoding="utf-8")
    with pytest.raises(EncoderFileError, match="cannot be read"):
        Encoder(tokenizer=path)


async def test_the_engine_reads_the_encoder_at_start(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(encoder, "shipped", lambda: Encoder(model=tmp_path / "gone.onnx"))
    with pytest.raises(EncoderFileError, match=r"gone\.onnx"):
        Engine(library)
    # With the encoder off its files are never read.
    assert Engine(library, understanding=Understanding(encoder=False)).encoder is None


def test_the_cli_says_one_line_when_the_model_is_corrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "encoder.onnx"
    broken.write_bytes(b"not a model")
    shutil.copyfile(encoder.TOKENIZER_FILE, tmp_path / "tokenizer.json")
    monkeypatch.setattr(encoder, "shipped", lambda: Encoder(model=broken, tokenizer=tmp_path / "tokenizer.json"))
    code = cli_main(["--db", str(tmp_path / "library.db"), "ask", "Who are the members of the CSTO?"])
    err = capsys.readouterr().err
    assert code != 0
    assert err.count("\n") == 1 and "encoder.onnx cannot be read" in err and "Traceback" not in err


async def test_the_engine_measures_meaning_on_its_best_candidates(library: Library) -> None:
    """Every encoded candidate carries its similarity and the source's feature is the best of them;
    with the encoder off nothing is encoded. (How well the encoder orders two close sentences is
    measured by benchmarks.quality, not pinned on one pair here.)"""
    await library.add_source(
        "The Mill Street bakery bakes bread for the Mill Street school every day.\n\n"
        "The Mill Street bakery first served customers in 1921.",
        SourceMeta("Mill Street", publisher="Test Gazette"),
    )
    question = "When did the Mill Street bakery open its doors?"
    trace: list = []
    await Engine(library, threshold=2.0).ask(question, trace=trace)
    similarity = {s.sentence.text: s.similarity for a in trace for s in a.items}
    assert similarity["The Mill Street bakery first served customers in 1921."] > 0
    assert similarity["The Mill Street bakery bakes bread for the Mill Street school every day."] > 0
    assert trace[0].features["similarity"] == max(similarity.values())
    off: list = []
    await Engine(library, threshold=2.0, understanding=Understanding(encoder=False)).ask(question, trace=off)
    assert all(s.similarity == 0.0 for a in off for s in a.items)
    assert off[0].features["similarity"] == 0.0
