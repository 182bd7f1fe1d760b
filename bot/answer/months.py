"""The months' names: one home for the pattern that finds them in text (bot.answer.facts marks
dates with it, bot.answer.events places them) and for the number each name stands for."""

from __future__ import annotations

import re

MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
# A month's name, in full or abbreviated, as a regular expression (no groups: it is spliced into others).
MONTH_NAME = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
# The names as a date label shortens them ("Sept 2017", "June 2021").
SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec")
_MONTH_WORD = re.compile(r"\b" + MONTH_NAME + r"\b\.?", re.IGNORECASE)


def find_month(text: str) -> re.Match[str] | None:
    """The first month's name in `text` (with its abbreviation's full stop), if any."""
    return _MONTH_WORD.search(text)


def without_months(text: str) -> str:
    """`text` with each month's name blanked out, so the numbers left can be read alone."""
    return _MONTH_WORD.sub(" ", text)


def month_number(text: str) -> int | None:
    """1-12 for the first month named in `text`, None when it names none."""
    match = find_month(text)
    if not match:
        return None
    word = match.group().rstrip(".").lower()
    for i, name in enumerate(MONTHS, 1):
        if name.startswith(word[:3]):
            return i
    return None
