"""The no-answer model's data file: the shipped one loads and fits the engine's named features; a
missing, corrupt or mismatched file is one clear error when the engine (or the CLI) starts."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bot.answer import Engine, noanswer
from bot.answer import engine as engine_module
from bot.answer.noanswer import MODEL_FILE, Logistic, load_model
from bot.cli import main as cli_main
from storage.backends import open_library
from storage.errors import FactbotError, ModelFileError

FEATURES = engine_module.FEATURES


def _shipped() -> dict:
    return json.loads(MODEL_FILE.read_text(encoding="utf-8"))


def test_the_shipped_file_loads_with_named_weights_and_its_provenance() -> None:
    model = load_model(MODEL_FILE, FEATURES)
    for part in (model.question, model.source):
        assert part.weights and set(part.weights) <= set(FEATURES)
        assert all(math.isfinite(w) for w in part.weights.values())
    assert model.question.weights.get("lead"), "the question model compares a source with the others"
    assert not model.source.weights.get("lead"), "the source model judges a source on its own"
    assert model.provenance, "the file says where its weights came from"


def test_the_probability_is_the_logistic_of_the_named_weights() -> None:
    model = Logistic(-1.0, {"coverage": 2.0, "lead": 0.5})
    features = {"coverage": 1.0, "lead": 2.0, "density": 99.0}  # density: no weight, counts zero
    assert model.probability(features) == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert model.probability({"coverage": 1e9, "lead": 0.0}) == pytest.approx(1.0)


def _write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "noanswer.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _mangled(**changes: object) -> str:
    raw = _shipped()
    raw.update(changes)
    return json.dumps(raw)


def _with_weight(model: str, name: str, value: object) -> str:
    raw = _shipped()
    raw[model]["weights"][name] = value
    return json.dumps(raw)


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (None, "is missing"),
        ("", "is not valid JSON"),
        ('{"format": 1, "question_model": {', "is not valid JSON"),
        (b"\xff\xfe\x00garbage", "cannot be read"),
        ("[1, 2, 3]", "is not a format-1 no-answer model"),
        (_mangled(format=99), "is not a format-1 no-answer model"),
        (_mangled(source_model=None), "has no source model"),
        (_mangled(question_model={"bias": 1.0}), "has no question model"),
        (_with_weight("question_model", "coverage", "high"), "not a finite number"),
        (_with_weight("source_model", "coverage", float("nan")), "not a finite number"),
        (_with_weight("question_model", "sentiment", 1.0), "does not compute: sentiment"),
    ],
)
def test_a_bad_file_is_one_error_naming_it(tmp_path: Path, content: str | bytes | None, why: str) -> None:
    path = tmp_path / "noanswer.json" if content is None else _write(tmp_path, content)
    with pytest.raises(ModelFileError) as caught:
        load_model(path, FEATURES)
    assert isinstance(caught.value, FactbotError)
    message = caught.value.message
    assert str(path) in message and why in message
    assert "\n" not in message


async def test_the_engine_reads_the_model_at_start_not_at_the_first_question(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(noanswer, "MODEL_FILE", tmp_path / "gone.json")
    noanswer.shipped_model.cache_clear()
    try:
        async with await open_library(tmp_path / "library.db") as library:
            with pytest.raises(ModelFileError, match=r"gone\.json is missing"):
                Engine(library)
    finally:
        noanswer.shipped_model.cache_clear()


def test_the_cli_says_one_line_when_the_file_is_corrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(noanswer, "MODEL_FILE", _write(tmp_path, '{"format": 1'))
    noanswer.shipped_model.cache_clear()
    try:
        code = cli_main(["--db", str(tmp_path / "library.db"), "ask", "Who are the members of the CSTO?"])
    finally:
        noanswer.shipped_model.cache_clear()
    err = capsys.readouterr().err
    assert code != 0
    assert err.count("\n") == 1 and "noanswer.json is not valid JSON" in err and "Traceback" not in err


async def test_an_engine_uses_the_model_it_is_given(tmp_path: Path) -> None:
    """A model that says yes to everything answers a question the shipped one refuses, and the trace
    carries the named features the model was given."""
    eager = noanswer.NoAnswerModel(Logistic(30.0, {}), Logistic(30.0, {}), {})
    question = "What colour is the moon cheese?"
    async with await open_library(tmp_path / "library.db") as library:
        trace: list = []
        answer = await Engine(library, model=eager, threshold=0.99).ask(
            "How large is the peacekeeping force?", trace=trace
        )
        assert answer.answered
        assert trace and all(set(a.features) == set(FEATURES) for a in trace)
        assert not (await Engine(library).ask(question)).answered
