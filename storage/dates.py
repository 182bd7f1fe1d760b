"""Publication dates as people write them, stored as ISO text that keeps only the precision given.

A citation that says "8 June 2021" when the source only said "June 2021" would be a small lie, so
a date is stored as 'YYYY-MM-DD', 'YYYY-MM' or 'YYYY', whichever the text supports. Parsing is
python-dateutil's (month names, abbreviations, ordinals, ISO timestamps); to learn which parts the
text really contained, the string is parsed twice against two different default dates, and a part
that changes with the default was not in the text. US order is assumed for all-numeric dates
("06/08/2021" is 8 June), as dateutil does by default.
"""

from __future__ import annotations

import re
import warnings
from datetime import datetime

from dateutil import parser as _parser

# Two defaults that differ in every field. Both years are leap years and both months have 31 days,
# so a day the text does give (29, 30, 31) fits either default.
_DEFAULTS = (datetime(1904, 1, 1), datetime(1908, 3, 2))
_MIN_YEAR, _MAX_YEAR = 1000, 2999

# Labels that often stand before a dateline ("Published: June 8, 2021"). Fuzzy parsing would also
# skip them, but it would just as happily find a "date" in any sentence with a number in it.
_LABEL = re.compile(
    r"^\s*(?:(?:originally\s+|first\s+|last\s+)?(?:published|updated|posted|modified|dated?)"
    r"(?:\s+(?:on|at))?\s*[:\-–—]?\s*)",
    re.IGNORECASE,
)
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def parse_date(text: str) -> str | None:
    """ISO date for `text` at the precision it states, or None when it is not (just) a date.

    A year is required: "June 8" alone cannot be placed, and a day without a month is noise.
    """
    cleaned = _LABEL.sub("", text).strip().rstrip(".,;")
    if not cleaned or len(cleaned) > 64:
        return None
    parsed = [_parse(cleaned, default) for default in _DEFAULTS]
    first, second = parsed
    if first is None or second is None:
        return None
    if first.year != second.year or not _MIN_YEAR <= first.year <= _MAX_YEAR:
        return None
    if first.month != second.month:
        return None if first.day == second.day else f"{first.year:04d}"
    if first.day != second.day:
        return f"{first.year:04d}-{first.month:02d}"
    return f"{first.year:04d}-{first.month:02d}-{first.day:02d}"


def _parse(text: str, default: datetime) -> datetime | None:
    """dateutil's reading of `text` with unknown parts taken from `default`; None if unreadable."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown time zone names: the date part is still right
        try:
            return _parser.parse(text, default=default, ignoretz=True)
        except (ValueError, OverflowError):  # ParserError is a ValueError
            return None


def format_date(iso: str) -> str:
    """Readable form of a stored ISO date: '8 June 2021', 'June 2021' or '2021'.

    Anything that is not one of the three ISO forms is returned unchanged, so a citation never
    fails over an odd stored value.
    """
    match = _ISO.match(iso.strip())
    if not match:
        return iso
    year, month, day = match.groups()
    if month is None:
        return year
    if not 1 <= int(month) <= 12:
        return iso
    name = _MONTHS[int(month) - 1]
    if day is None:
        return f"{name} {year}"
    return f"{int(day)} {name} {year}"
