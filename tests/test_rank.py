"""The ranker's features and the engine's no-answer threshold, on small libraries built here."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answer import Engine
from bot.answer.question import Expects, parse_question
from bot.answer.rank import Ranker, idf, join_stated, worth_adding
from storage.backends import open_library
from storage.backends.base import Library
from storage.models import Sentence, SourceMeta

HYMNS = (
    "Luther wrote many hymns for his congregation. He paraphrased the Te Deum as a simpler hymn with a plain "
    "melody. It became known as the German Te Deum. The printers sold thousands of copies.\n\n"
    "Later composers set his tunes for organ and choir."
)
ZEBRAS = "The zebra herd migrates every October. Lions follow the herd across the river."


@pytest.fixture
async def library(tmp_path: Path):
    async with await open_library(tmp_path / "library.db", seed=False) as lib:
        await lib.add_source(HYMNS, SourceMeta("Hymns"))
        await lib.add_source(ZEBRAS, SourceMeta("Zebras"))
        yield lib


def _sentence(text: str, number: int = 1) -> Sentence:
    return Sentence(number, 1, 1, number, 0, len(text), text)


def test_rare_terms_weigh_most() -> None:
    assert idf(1, 1000) > idf(100, 1000) > idf(900, 1000) >= 0


def test_a_neighbour_that_names_the_subject_counts_as_context() -> None:
    question = parse_question("What did the Te Deum become known as?")
    weights = {t: 1.0 for t in question.terms}
    ranker = Ranker(question, weights, 60.0)
    alone = ranker.score(_sentence("It became known as the German hymn."), None)
    after = ranker.score(_sentence("It became known as the German hymn.", 2), _sentence("He sang the Te Deum."))
    assert after.lead is not None and after.score > alone.score and after.coverage > alone.coverage


def test_the_kind_of_answer_asked_for_raises_a_sentence() -> None:
    question = parse_question("When did the herd migrate?")
    assert question.expects is Expects.DATE
    weights = {t: 1.0 for t in question.terms}
    ranker = Ranker(question, weights, 40.0)
    dated = ranker.finish(ranker.score(_sentence("The herd migrated in 1998 again."), None))
    undated = ranker.finish(ranker.score(_sentence("The herd migrated at dawn again."), None))
    assert dated.score > undated.score
    assert any(f.kind == "date" for f in dated.facts)


@pytest.mark.parametrize(
    ("typed", "subject"),
    [
        ("What is a zebra?", ("zebra",)),
        ("what's the zebra herd", ("zebra", "herd")),
        ("What does migration mean?", ("migrat",)),
        ("define zebra", ("zebra",)),
        # A fact about X, not X defined: a longer tail after "what was".
        ("What was the name of the herd that crossed the river?", ()),
    ],
)
def test_what_is_x_asks_for_x_defined(typed: str, subject: tuple[str, ...]) -> None:
    question = parse_question(typed)
    assert question.subject == subject
    assert (question.expects is Expects.DEFINITION) == bool(subject)


def test_for_what_is_x_the_sentence_saying_what_x_is_outranks_one_repeating_x() -> None:
    question = parse_question("What is a zebra?")
    ranker = Ranker(question, {t: 1.0 for t in question.terms}, 60.0)
    says = "The zebra is an African horse with black and white stripes on its whole body."
    defining = ranker.finish(ranker.score(_sentence(says), None))
    repeating = ranker.finish(ranker.score(_sentence("Tourists like to photograph a zebra from the jeeps."), None))
    naming = ranker.finish(ranker.score(_sentence("The striped one by the lake is a zebra.", 3), None))
    assert defining.score > repeating.score
    # "... is a zebra" says what something else is: no credit.
    assert naming.score < defining.score
    # Not asked what a zebra is: the same sentence gets no credit for saying it.
    unasked = Ranker(parse_question("Why does the zebra have stripes?"), {"zebra": 1.0, "stripe": 1.0}, 60.0)
    staged = unasked.score(_sentence("The zebra is an African horse."), None)
    first = staged.score
    assert unasked.finish(staged).score == first


def test_a_further_quote_must_state_on_its_own_most_of_what_the_best_states() -> None:
    question = parse_question("when did the zebra herd cross the river?")  # lower case: it names nothing
    ranker = Ranker(question, {t: 1.0 for t in question.terms}, 50.0)
    best = ranker.score(_sentence("The zebra herd crossed the river in 1998."), None)
    most = ranker.score(_sentence("A zebra herd drank at the river.", 2), None)
    # One word of four, the rest only in a neighbour: the context credit does not make it a quote.
    leaning = ranker.score(_sentence("The river rose again.", 3), _sentence("The zebra herd crossed it.", 2))
    assert leaning.coverage > 0.25 and worth_adding(most, best) and not worth_adding(leaning, best)


@pytest.mark.parametrize("typed", ["Who are the members of the CSTO?", "who are the members of the csto"])
def test_a_further_quote_that_leaves_out_the_questions_subject_must_cover_as_much(typed: str) -> None:
    question = parse_question(typed)
    # "members" is the rarer word: alone it scores within the quote ratio of the best sentence.
    ranker = Ranker(question, {"member": 3.0, "csto": 1.0}, 60.0)
    best = ranker.score(_sentence("Russia and Armenia are members of the CSTO."), None)
    elsewhere = ranker.score(_sentence("As a UN Security Council member Russia will scrutinize mandates.", 2), None)
    named = ranker.score(_sentence("All the members of the CSTO took part.", 3), None)
    # The subject is what the best quote writes as a name, however the question is typed.
    assert sum(elsewhere.stated.values()) >= 0.6 and not worth_adding(elsewhere, best)
    assert worth_adding(named, best)
    # A sentence quoted with its continuation states what the two state together.
    continued = ranker.score(_sentence("It names its members.", 4), None)
    join_stated(continued, ranker.score(_sentence("They founded the CSTO.", 5), None))
    assert worth_adding(continued, best)


async def test_adjacent_sentences_that_both_answer_are_quoted_together(library: Library) -> None:
    answer = await Engine(library).ask("What did the paraphrased Te Deum become known as?")
    quote = answer.sources[0].quotes[0]
    assert "He paraphrased the Te Deum" in quote.text and "German Te Deum" in quote.text
    body = await library.get_body(answer.sources[0].source.id)
    assert body[quote.start : quote.end] == quote.text


async def test_the_threshold_trades_refusals_for_answers(library: Library) -> None:
    question = "Which animals follow the zebra herd across the savanna at night?"
    assert (await Engine(library, threshold=0.0).ask(question)).answered
    assert not (await Engine(library, threshold=1.01).ask(question)).answered
    assert 0 < Engine(library).threshold < 1


async def test_confidence_is_reported_per_source(library: Library) -> None:
    answer = await Engine(library).ask("When does the zebra herd migrate?")
    assert [p.source.title for p in answer.sources] == ["Zebras"]
    part = answer.to_json()["sources"][0]
    assert 0 < part["confidence"] <= 1


def test_a_derived_word_matches_at_a_discount() -> None:
    question = parse_question("What role does Russia play?")
    weights = {t: 1.0 for t in question.terms}
    ranker = Ranker(question, weights, 40.0)
    exact = ranker.score(_sentence("Russia plays a role."), None)
    derived = ranker.score(_sentence("The Russian role is played."), None)
    unrelated = ranker.score(_sentence("The role is played."), None)
    assert "russia" in derived.hits
    assert exact.coverage > derived.coverage > unrelated.coverage


def test_stems_of_stopwords_are_not_question_words() -> None:
    assert parse_question("How many troops does it have during the war?").terms == ("troop", "war")


async def test_every_assessed_source_has_probabilities(library: Library) -> None:
    trace: list = []
    await Engine(library).ask("When does the zebra herd migrate?", trace=trace)
    assert trace and all(0 <= a.probability <= 1 and 0 <= a.alone <= 1 for a in trace)
    assert trace == sorted(trace, key=lambda a: a.probability, reverse=True)
