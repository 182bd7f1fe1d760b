"""Dates in sentences, placed only when the text supports it: absolute, partial, relative, ranges,
and sentences with no date, table-driven; then the relative-date rule on the seed article."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answer.events import Unplaced, find_dated, fragment
from bot.answer.timeline import library_timeline
from storage.backends import open_library
from storage.models import GLOBAL_SCOPE

Y = 1 / 12  # a month, in years
JUNE_8 = 2021 + 5 * Y + 7 / 372  # a day is a 31st of a month

# sentence -> [(date as written, precision or None when not placed, start year, end year or why)]
CASES: list[tuple[str, list[tuple[str, str | None, float | None, float | Unplaced]]]] = [
    # absolute
    ("In 2018, the CSTO participated in the exercise.", [("2018", "year", 2018, 2019)]),
    ("In December 2021, Russia considered deploying units.", [("December 2021", "month", 2021 + 11 * Y, 2022)]),
    ("The treaty was signed on 8 June 2021 in Dushanbe.", [("8 June 2021", "day", JUNE_8, JUNE_8 + 1 / 372)]),
    ("The treaty was signed on June 8, 2021 in Dushanbe.", [("June 8, 2021", "day", JUNE_8, JUNE_8 + 1 / 372)]),
    ("It came into force on 2021-06-08.", [("2021-06-08", "day", JUNE_8, JUNE_8 + 1 / 372)]),
    ("In the 1990s, NATO expanded eastwards.", [("1990s", "decade", 1990, 2000)]),
    ("Recall Serbia in 1999 and the 2011 air operation.", [("1999", "year", 1999, 2000), ("2011", "year", 2011, 2012)]),
    # one event for a year stated twice in one sentence
    ("In 2018, the CSTO took part in ‘Unbreakable Brotherhood 2018’ trainings.", [("2018", "year", 2018, 2019)]),
    # partial: no year
    ("Russian media reported on Feb.8 that the CSTO is preparing.", [("Feb.8", None, None, Unplaced.NO_YEAR)]),
    ("On February 16, Russia intends to debate the matter.", [("February 16", None, None, Unplaced.NO_YEAR)]),
    ("The 21st century began badly.", [("The 21st century", None, None, Unplaced.TOO_BROAD)]),
    # relative: placed only by a year the sentence gives a named thing
    (
        "Last October, the CSTO held Combat Brotherhood-2017 military exercise.",
        [("Last October", "month", 2017 + 9 * Y, 2017 + 10 * Y)],
    ),
    ("Last year, Russia hosted Zapad-2017 near the border.", [("Last year", "year", 2017, 2018)]),
    (
        "Last year, the organization adopted a strategy effective till 2025.",
        [("Last year", None, None, Unplaced.RELATIVE), ("2025", "year", 2025, 2026)],
    ),
    ("Two years ago, the talks failed.", [("Two years ago", None, None, Unplaced.RELATIVE)]),
    (
        "In 2019, the bloc met again, and next year it will meet in Minsk.",
        [("2019", "year", 2019, 2020), ("next year", None, None, Unplaced.RELATIVE)],
    ),
    (
        "Last October, Zapad-2017 and Union Shield-2019 were held.",  # two names, two years: which one?
        [("Last October", None, None, Unplaced.RELATIVE), ("2017", "year", 2017, 2018), ("2019", "year", 2019, 2020)],
    ),
    # ranges
    ("The war lasted from 2014 to 2016 in the east.", [("from 2014 to 2016", "range", 2014, 2017)]),
    ("Between 2014 and 2016, prices rose.", [("Between 2014 and 2016", "range", 2014, 2017)]),
    ("Talks ran 2014–2016 and stalled.", [("2014–2016", "range", 2014, 2017)]),
    # no date
    ("Otters hold hands while they sleep.", []),
    ("They sent 2000 troops to the border.", []),
    ("It has a 17,000 strong collective rapid reaction force.", []),
]


@pytest.mark.parametrize(("sentence", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_dates_are_placed_at_the_precision_the_text_gives(
    sentence: str, expected: list[tuple[str, str | None, float | None, float | Unplaced]]
) -> None:
    found = find_dated(sentence)
    assert [d.text for d in found] == [e[0] for e in expected]
    for dated, (_text, precision, start, end_or_why) in zip(found, expected, strict=True):
        assert sentence[dated.start : dated.end] == dated.text, "offsets into the sentence, verbatim"
        if precision is None:
            assert dated.when is None
            assert dated.why == end_or_why
        else:
            assert dated.when is not None, dated
            assert dated.when.precision == precision
            assert dated.when.start == pytest.approx(start, abs=1e-6)
            assert dated.when.end == pytest.approx(end_or_why, abs=1e-6)


def test_a_relative_date_placed_by_a_name_says_which_name() -> None:
    [dated] = find_dated("Last October, the CSTO held Combat Brotherhood-2017 military exercise.")
    assert dated.relative and dated.when is not None
    assert dated.when.basis == "Combat Brotherhood-2017"


async def test_the_seed_article_dated_june_2021_puts_last_october_in_2017_not_2020(tmp_path: Path) -> None:
    """The rule: 'Last October' is never counted back from the publication date (June 2021 in
    the metadata, which would give October 2020); the exercise's own name says 2017."""
    async with await open_library(tmp_path / "library.db") as library:
        timeline = await library_timeline(library, GLOBAL_SCOPE)
    [october] = [e for e in timeline.events if e.dated.text == "Last October"]
    assert october.source.published == "2021-06"
    assert october.dated.when is not None
    assert int(october.dated.when.start) == 2017
    assert round((october.dated.when.start - 2017) * 12) == 9  # October
    [last_year] = [e for e in timeline.events if e.dated.text == "Last year"]
    assert last_year.dated.when is None, "no year in its sentence: listed, not placed at 2020"
    for event in timeline.events:  # nothing is placed at a year the text does not state
        if event.dated.when is not None and not event.dated.relative:
            assert str(int(event.dated.when.start))[:3] in event.dated.text


@pytest.mark.parametrize(
    ("sentence", "date", "expected"),
    [
        ("Last October, the CSTO held Combat Brotherhood-2017.", "Last October", "Last October, the CSTO held Combat"),
        ("It’s enough to recall the bombing campaign in Serbia in 1999.", "1999", "bombing campaign in Serbia in 1999"),
        # A clause too short to say anything takes in the words after it.
        ("In December 2021, Russia considered it.", "December 2021", "In December 2021, Russia considered"),
    ],
)
def test_fragments_are_short_verbatim_stretches_holding_the_date(sentence: str, date: str, expected: str) -> None:
    start = sentence.index(date)
    a, b = fragment(sentence, start, start + len(date), 38)
    assert sentence[a:b] == expected
    assert len(expected) <= 38 or expected == date
