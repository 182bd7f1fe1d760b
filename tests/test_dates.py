"""parse_date keeps exactly the precision the text states; format_date renders it for citations."""

from __future__ import annotations

import pytest

from storage.dates import format_date, parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the seed dateline and its everyday variants
        ("JUNE 2021", "2021-06"),
        ("June 2021", "2021-06"),
        ("Feb. 2021", "2021-02"),
        ("Sept. 2021", "2021-09"),
        ("December 2021", "2021-12"),
        ("2021-06", "2021-06"),
        # full dates in the orders people write them
        ("June 8, 2021", "2021-06-08"),
        ("June 8th, 2021", "2021-06-08"),
        ("Monday, June 7, 2021", "2021-06-07"),
        ("8 Feb 2021", "2021-02-08"),
        ("8 February 2021", "2021-02-08"),
        ("2021-06-08", "2021-06-08"),
        ("2021/06/08", "2021-06-08"),
        ("06/08/2021", "2021-06-08"),  # US order, dateutil's default
        ("29 Feb 2024", "2024-02-29"),
        ("31 December 1999", "1999-12-31"),
        # ISO timestamps keep the date as written, whatever the zone
        ("2021-06-08T10:00:00Z", "2021-06-08"),
        ("2021-06-08T23:30:00-05:00", "2021-06-08"),
        ("2018-02-12T10:00:00+00:00", "2018-02-12"),
        ("12 June 2021 at 10:00 GMT+2", "2021-06-12"),
        # year only
        ("2021", "2021"),
        ("  1999  ", "1999"),
        # labels in front of a dateline
        ("Published: June 8, 2021", "2021-06-08"),
        ("Published on 8 June 2021", "2021-06-08"),
        ("Updated 2021-06-08 10:00", "2021-06-08"),
        ("Last updated: June 2021", "2021-06"),
    ],
)
def test_parse_date(text: str, expected: str) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello",
        "Written by Alex Gorka; Originally appeared at strategic-culture.org",
        "CSTO Sets Up Peacekeeping Force",
        "June",  # no year: cannot be placed
        "June 8",
        "may",
        "8",
        "10:30",
        "7,000",
        "1.5",
        "31 Feb 2021",
        "2021-13-01",
        "spring 2021",
        "June 2021 edition",
        "0021",
        "9999",
    ],
)
def test_parse_date_rejects_non_dates(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("iso", "expected"),
    [
        ("2021-06-08", "8 June 2021"),
        ("2021-06-28", "28 June 2021"),
        ("2021-02", "February 2021"),
        ("2021-12", "December 2021"),
        ("2021", "2021"),
        ("not a date", "not a date"),
        ("2021-13", "2021-13"),
    ],
)
def test_format_date(iso: str, expected: str) -> None:
    assert format_date(iso) == expected


@pytest.mark.parametrize("text", ["June 2021", "8 June 2021", "2021", "June 8, 2021"])
def test_round_trip(text: str) -> None:
    iso = parse_date(text)
    assert iso is not None
    assert parse_date(format_date(iso)) == iso
