"""find_facts: the dates, quantities and names a sentence states, by offsets into it."""

from __future__ import annotations

import itertools

import pytest

from bot.answer.facts import find_facts


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "On 4 July 1776, 56 delegates of the Continental Congress signed it.",
            [("date", "4 July 1776"), ("quantity", "56"), ("name", "Continental Congress")],
        ),
        (
            "The Bank of England raised rates by 0.25 percent in March 2022.",
            [("name", "Bank of England"), ("quantity", "0.25 percent"), ("date", "March 2022")],
        ),
        (
            "About 17,000 troops and three million dollars went to Jean-Pierre Lacroix.",
            [("quantity", "17,000"), ("quantity", "three"), ("name", "Jean-Pierre Lacroix")],
        ),
        ("He was born in the 19th century.", [("date", "the 19th century")]),
        ("Nothing here at all.", []),
        # A quantity inside a date is not a second fact; a year out of range is a quantity.
        ("It opened in June 1999 with 7 rooms.", [("date", "June 1999"), ("quantity", "7")]),
        ("A 9999 count.", [("quantity", "9999")]),
    ],
)
def test_facts_of_a_sentence(sentence: str, expected: list[tuple[str, str]]) -> None:
    assert [(f.kind, f.text) for f in find_facts(sentence)] == expected


def _check_offsets(sentence: str) -> list[tuple[str, str]]:
    facts = find_facts(sentence)
    for fact in facts:
        assert sentence[fact.start : fact.end] == fact.text
    for before, after in itertools.pairwise(facts):
        assert before.end <= after.start  # in text order, never overlapping
    return [(f.kind, f.text) for f in facts]


@pytest.mark.parametrize(
    ("sentence", "count", "kind"),
    [
        # Long runs of facts in one "sentence" (a file of numbers is one paragraph): each is found
        # once, in order, none inside another. (Their cost is linear: benchmarks/pathological.py.)
        (" ".join(str(n) for n in range(5_000, 25_000)), 20_000, "quantity"),
        (" ".join(str(n) for n in range(1_000, 2_100)), 1_100, "date"),
        ("In May 1990 " * 2_000, 2_000, "date"),
        ("one two " * 5_000, 10_000, "quantity"),
        ("Ada Lovelace and " * 3_000, 3_000, "name"),
    ],
)
def test_long_runs_of_facts(sentence: str, count: int, kind: str) -> None:
    found = _check_offsets(sentence)
    assert len(found) == count
    assert {k for k, _ in found} == {kind}


def test_dates_hide_the_numbers_inside_them() -> None:
    sentence = "Between 3 March 1801 and 12 April 1802, 40 ships sailed."
    assert _check_offsets(sentence) == [("date", "3 March 1801"), ("date", "12 April 1802"), ("quantity", "40")]
