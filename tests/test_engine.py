"""The answer engine on the seed library: right quotes, honest refusals, any input survives."""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answer import Answer, Engine
from bot.answer.engine import FEATURES, LEAD_CLIP, Understanding
from bot.answer.model import Reason
from bot.answer.question import parse_question
from bot.answer.rank import Ranker
from storage.backends import open_library
from storage.backends.base import Library
from storage.errors import StoreError
from storage.models import SourceMeta

CSTO = "CSTO Sets Up Peacekeeping Force"
MOSCOW = "Moscow tries to use the UN mandate in its CSTO-flagged operations"


@pytest.fixture
async def library(tmp_path: Path):
    async with await open_library(tmp_path / "library.db") as lib:
        yield lib


@pytest.fixture
def engine(library: Library) -> Engine:
    return Engine(library)


async def assert_verbatim(library: Library, answer: Answer) -> None:
    for part in answer.sources:
        body = await library.get_body(part.source.id)
        assert part.quotes, "a source listed as answering has quotes"
        for quote in part.quotes:
            assert body[quote.start : quote.end] == quote.text
            for fact in quote.facts:
                assert quote.text[fact.start : fact.end] == fact.text


async def test_a_members_question_quotes_both_articles(engine: Engine, library: Library) -> None:
    answer = await engine.ask("Who are the members of the CSTO?")
    assert answer.answered
    assert {p.source.title for p in answer.sources} == {CSTO, MOSCOW}
    assert answer.sources[0].source.title == CSTO
    assert "members" in answer.sources[0].quotes[0].text
    # "As a UN Security Council member Russia ..." matches "members" but not the CSTO: not a quote.
    assert not any("Security Council member" in q.text for q in answer.sources[0].quotes)
    assert answer.uncovered == ()
    await assert_verbatim(library, answer)


async def test_a_quote_that_leans_on_its_neighbour_brings_it_along(engine: Engine, library: Library) -> None:
    answer = await engine.ask("How large is the CSTO rapid reaction force?")
    first = answer.sources[0]
    assert first.source.title == CSTO
    quote = first.quotes[0]
    assert "17,000 strong collective rapid reaction force" in " ".join(quote.text.split())
    assert quote.text.startswith("The CSTO has boosted its defense capabilities.")
    assert any(f.kind == "quantity" and "17,000" in f.text for f in quote.facts)
    await assert_verbatim(library, answer)


async def test_a_source_that_does_not_address_the_question_is_named_not_quoted(engine: Engine) -> None:
    answer = await engine.ask("Who is the CSTO press secretary?")
    assert [p.source.title for p in answer.sources] == [MOSCOW]
    assert "Vladimir Zainetdinov" in answer.sources[0].quotes[0].text
    assert [u.title for u in answer.uncovered] == [CSTO]


@pytest.mark.parametrize(
    "question", ["What is the weather in Moscow today?", "Who won the football World Cup in 2018?"]
)
async def test_questions_the_library_cannot_answer_are_refused(engine: Engine, question: str) -> None:
    answer = await engine.ask(question)
    assert not answer.answered and answer.sources == ()
    assert answer.reason is Reason.NOTHING
    assert answer.to_json()["answered"] is False
    assert {u.title for u in answer.uncovered} == {CSTO, MOSCOW}


async def test_server_sources_answer_only_in_their_server(engine: Engine, library: Library) -> None:
    await library.add_source("The zebra herd migrates every October.", SourceMeta("Zebras"), scope=42)
    here = await engine.ask("When does the zebra herd migrate?", scope=42)
    assert [p.source.title for p in here.sources] == ["Zebras"]
    elsewhere = await engine.ask("When does the zebra herd migrate?", scope=43)
    assert not elsewhere.answered
    assert "Zebras" not in {u.title for u in elsewhere.uncovered}


HOSTILE = [
    "",
    "   ",
    '"',
    "'",
    "*",
    "NEAR(CSTO members)",
    "CSTO AND members OR NOT Russia",
    "-CSTO",
    "title:CSTO",
    "members:*",
    "(((",
    ")",
    "^CSTO",
    "😀🔥 CSTO? 🤔",
    "\x00\x01 CSTO",
    "DROP TABLE sources; --",
    "members " * 2000,
    "x" * 10_000,
    "CSTO " + "Ω" * 5000,
]


@pytest.mark.parametrize("question", HOSTILE, ids=range(len(HOSTILE)))
async def test_any_text_gets_a_clear_answer(engine: Engine, library: Library, question: str) -> None:
    answer = await engine.ask(question)
    assert isinstance(answer.to_json(), dict)
    if not answer.answered:
        assert answer.reason is not None
    await assert_verbatim(library, answer)
    assert await library.count_sources() == 2


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=st.text(max_size=200))
async def test_arbitrary_questions_never_raise_and_quote_verbatim(
    engine: Engine, library: Library, question: str
) -> None:
    answer = await engine.ask(question)
    await assert_verbatim(library, answer)


async def test_a_question_naming_what_no_source_mentions_is_refused(engine: Engine) -> None:
    answer = await engine.ask("How many troops does the Ruritanian force number?")
    assert not answer.answered
    # Capitals only count as names in an ordinary sentence, not in one written all in capitals.
    assert parse_question("Who is Valery Gerasimov?").names == ("valeri", "gerasimov")
    assert parse_question("WHO ARE THE MEMBERS OF THE CSTO?").names == ()
    assert (await engine.ask("WHO ARE THE MEMBERS OF THE CSTO?")).answered


async def test_every_source_is_assessed_on_the_named_features(engine: Engine) -> None:
    trace: list = []
    await engine.ask("How many troops does the CSTO peacekeeping force have?", trace=trace)
    assert trace
    for assessed in trace:
        assert tuple(assessed.features) == FEATURES
        assert all(math.isfinite(v) for v in assessed.features.values())
        assert 0 <= assessed.features["coverage"] <= 1 and -LEAD_CLIP <= assessed.features["lead"] <= LEAD_CLIP
        # The probabilities are the shipped model's, applied by name (the source model without `lead`).
        assert assessed.probability == pytest.approx(engine.model.question.probability(assessed.features))
        assert assessed.alone == pytest.approx(engine.model.source.probability(dict(assessed.features, lead=0.0)))


async def test_without_the_no_answer_model_the_best_source_is_always_quoted(library: Library) -> None:
    question = "What is the weather in Moscow today?"
    assert not (await Engine(library).ask(question)).answered
    blunt = await Engine(library, understanding=Understanding(refusal=False)).ask(question)
    assert len(blunt.sources) == 1 and blunt.sources[0].quotes
    await assert_verbatim(library, blunt)


async def test_scoring_runs_off_the_event_loop(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bot must keep acknowledging interactions while it answers: the CPU-bound scoring of
    candidates runs in a worker thread, never on the thread that runs the event loop."""
    loop_thread = threading.get_ident()
    scored_on: set[int] = set()
    original = Ranker.score

    def spy(self: Ranker, *args: Any, **kwargs: Any) -> Any:
        scored_on.add(threading.get_ident())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Ranker, "score", spy)
    answer = await engine.ask("Who are the members of the CSTO?")
    assert answer.answered
    assert scored_on and loop_thread not in scored_on


async def test_the_searches_by_words_and_by_meaning_run_at_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The question's encoding and the vectors' product overlap the library's word search (on a
    second core where there is one); a search that fails ends the other before the error is raised,
    as it is: nothing of a question keeps running after it has ended."""
    library = engine.library
    words_running = asyncio.Event()
    meaning_seen_words_running = False
    match_terms, nearest = library.match_terms, library.nearest_sentences

    async def slow_words(*args: Any, **kwargs: Any) -> Any:
        words_running.set()
        await asyncio.sleep(0.05)
        return await match_terms(*args, **kwargs)

    async def meaning(*args: Any, **kwargs: Any) -> Any:
        nonlocal meaning_seen_words_running
        await asyncio.wait_for(words_running.wait(), 5)
        meaning_seen_words_running = True
        return await nearest(*args, **kwargs)

    monkeypatch.setattr(library, "match_terms", slow_words)
    monkeypatch.setattr(library, "nearest_sentences", meaning)
    assert (await engine.ask("Who are the members of the CSTO?")).answered
    assert meaning_seen_words_running

    cancelled = asyncio.Event()

    async def failing_words(*args: Any, **kwargs: Any) -> Any:
        await words_running.wait()
        raise StoreError("The library is gone.")

    async def endless_meaning(*args: Any, **kwargs: Any) -> Any:
        words_running.set()
        try:
            await asyncio.sleep(60)
        finally:
            cancelled.set()

    words_running.clear()
    monkeypatch.setattr(library, "match_terms", failing_words)
    monkeypatch.setattr(library, "nearest_sentences", endless_meaning)
    with pytest.raises(StoreError, match="gone"):
        await asyncio.wait_for(engine.ask("Who are the members of the CSTO?"), 10)
    assert cancelled.is_set()


@pytest.mark.parametrize(
    ("question", "reads"),
    [
        ("Who are the members of the CSTO?", 1),  # every word known: nothing more to read
        ("How many troops are in the CSTO peacekeeping force?", 2),  # stand-ins for "troops"
        # A misspelt word mended and another word stood in for: still one read after the first.
        ("How many troops are the mmebers of the CSTO peacekeeping force?", 2),
    ],
)
async def test_a_question_reads_term_frequencies_at_most_twice(
    engine: Engine, library: Library, monkeypatch: pytest.MonkeyPatch, question: str, reads: int
) -> None:
    read: list[list[str]] = []
    counted = library.term_frequencies

    async def counting(terms: Iterable[str], *, scope: int | None = None) -> dict[str, int]:
        read.append(list(terms))
        return await counted(read[-1], scope=scope)

    monkeypatch.setattr(library, "term_frequencies", counting)
    assert (await engine.ask(question)).answered
    assert len(read) == reads, read
