"""Disagreement at a glance: the figures of the kind the question asks for, source by source, in
one compact block on the terminal (and the same comparison on Discord), only when the sources
differ and only for the kind of fact asked."""

from __future__ import annotations

from bot.answer.compare import compare
from bot.answer.facts import find_facts
from bot.answer.model import Answer, Quote, SourceAnswer
from bot.discord.render import answer_pages
from bot.textview import comparison_block, render_answer
from storage.models import SourceInfo

FORCE = "It has a 17,000 strong collective rapid reaction force."
KEEPERS = "At present, the CSTO Collective Peacekeeping Forces number about 3,600 people."
LONG_TITLE = "Moscow tries to use the UN mandate in its CSTO-flagged operations, and a subtitle that runs on"


def source(n: int, title: str) -> SourceInfo:
    return SourceInfo(n, 0, title, None, None, None, None, None, None, "", "", 1, 1, 1)


def answer(question: str, expects: str, *texts: str) -> Answer:
    titles = ("CSTO Sets Up Peacekeeping Force", LONG_TITLE, "A third report")
    parts = tuple(
        SourceAnswer(source(n, titles[n - 1]), (Quote(t, 1, 1, 0, len(t), 1.0, find_facts(t)),), 1.0)
        for n, t in enumerate(texts, 1)
    )
    return Answer(question, parts, expects=expects)


def test_differing_figures_side_by_side_each_with_its_source() -> None:
    asked = answer("How large is the CSTO force?", "quantity", FORCE, KEEPERS)
    block = comparison_block(asked, width=80)
    assert block[0] == "Numbers, side by side:"
    assert block[1] == "  [1] 17,000  CSTO Sets Up Peacekeeping Force"
    assert block[2].startswith("  [2] 3,600   Moscow tries to use the UN mandate")
    assert len(block[2]) <= 80 and block[2].endswith("…"), "a long title is shortened, never a figure"
    assert block[3] == ""
    text = render_answer(asked, width=80)
    assert text.index("Numbers, side by side:") < text.index("[1] “CSTO Sets Up"), "the block comes first"


def test_only_for_the_kind_of_fact_asked() -> None:
    dated = "In 2017 the force had 17,000 troops."
    other = "In 2018 it had 3,600 troops."
    assert comparison_block(answer("What did the CSTO do?", "any", dated, other)) == []
    when = compare(answer("When did the force grow?", "date", dated, other))
    assert when is not None and when.label == "Dates" and when.stated == ((1, ("2017",)), (2, ("2018",)))
    many = compare(answer("How many troops?", "quantity", dated, other))
    assert many is not None and many.stated == ((1, ("17,000",)), (2, ("3,600",)))


def test_no_block_when_the_sources_agree_or_only_one_states_a_figure() -> None:
    assert compare(answer("How large?", "quantity", FORCE, "The force is 17,000 strong.")) is None
    assert compare(answer("How large?", "quantity", FORCE, "The force is large.")) is None
    assert compare(answer("How large?", "quantity", FORCE)) is None


def test_discord_shows_the_same_comparison() -> None:
    asked = answer("How large is the CSTO force?", "quantity", FORCE, KEEPERS, "It counts 3,600 people.")
    (page, *_) = answer_pages(asked)
    assert "*Numbers:* [1] **17,000** · [2] **3,600** · [3] **3,600**" in (page.content or "")
    assert [n for n, _ in compare(asked).stated] == [1, 2, 3]  # type: ignore[union-attr]


MEMBERS = "Who are the members of the CSTO?"


def test_names_compared_are_the_ones_that_could_answer() -> None:
    asked = answer(
        MEMBERS,
        "name",
        "Last October, Russia, Kazakhstan and Belarus, members of both the CSTO and the SCO, met.",
        "On Monday, Russia and Armenia held CSTO-led drills.",
    )
    found = compare(asked)
    # Not the CSTO the question names nor the CSTO-led drills built on it, not the SCO that stands
    # beside the CSTO as its peer, not the month or the weekday.
    assert found is not None and found.stated == ((1, ("Russia", "Kazakhstan", "Belarus")), (2, ("Russia", "Armenia")))
    assert comparison_block(asked, width=80)[1].startswith("  [1] Russia, Kazakhstan, Belarus  ")


def test_no_names_block_when_the_sources_share_no_name() -> None:
    members = "Russia and Belarus are members of the CSTO."
    mentions = "The CSTO trained in the Central Asian region under a UN Security Council Resolution."
    assert compare(answer(MEMBERS, "name", members, mentions)) is None
    assert comparison_block(answer(MEMBERS, "name", members, mentions)) == []
    # Numbers and dates need no shared value: two figures for one quantity are the disagreement.
    assert compare(answer("How large?", "quantity", FORCE, KEEPERS)) is not None
