"""Discord's size limits, and cutting text to fit them at a word boundary, never mid-word.

A message Discord refuses is an answer nobody sees, so every string the bot sends goes through
one of these helpers with the limit of the place it is going to.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

CONTENT = 2000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_AUTHOR = 256
EMBED_TOTAL = 6000
EMBEDS_PER_MESSAGE = 10
CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100
BUTTON_LABEL = 80
MODAL_TITLE = 45

ELLIPSIS = "…"
_SPACE = re.compile(r"\s+")
# Links are left alone so they stay clickable (the same pattern discord.utils uses).
_LINK = r"(?P<link><[^: >]+:/[^ >]+>|(?:https?|steam)://[^\s<]+[^<.,:;\"'\]\s])"
_MARKUP = re.compile(_LINK + r"|(?P<char>[\\*_~|`\[\]])|(?P<line>^[ \t]*(?:>|#|-|\d+(?=\.)))", re.MULTILINE)


def escape(text: str) -> str:
    """Text shown as written: every markdown character escaped, links left clickable.

    Not discord.utils.escape_markdown: it takes anything shaped like a masked link, "[a](b)", as
    one match and escapes only its first bracket, so "[**x**](y)" in a source would still render
    bold (and a backslash inside one would vanish). Escaping every "[" turns masked links off.
    """

    def one(match: re.Match[str]) -> str:
        if match["link"]:
            return match["link"]
        if match["char"]:
            return "\\" + match["char"]
        head = match["line"]
        return head + "\\" if head[-1:].isdigit() else head[:-1] + "\\" + head[-1]

    return _MARKUP.sub(one, text)


_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


def unescape(text: str) -> str:
    """What `escape` was given, from what it returned (every backslash it adds precedes a character;
    a backslash inside a link it left alone is the one thing not restored)."""
    return _ESCAPED.sub(r"\1", text)


def squash(text: str) -> str:
    """Whitespace runs to single spaces: a quote stays the same words on one line."""
    return _SPACE.sub(" ", text).strip()


def fit(text: str, limit: int) -> str:
    """`text` if it fits, else its longest prefix ending at a word boundary plus an ellipsis.

    Only a single word longer than the whole limit (a huge URL, say) is cut inside itself.
    """
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    room = limit - len(ELLIPSIS)
    cut = text.rfind(" ", 0, room + 1)
    head = text[:cut] if cut > 0 else text[:room]
    return head.rstrip(" ,;:") + ELLIPSIS


def word_cut(
    text: str, budget: int, measure: Callable[[str], int] = len, forbidden: Sequence[tuple[int, int]] = ()
) -> int:
    """The largest end offset `e` at a space (outside `forbidden` spans) such that
    `measure(text[:e]) <= budget`; `len(text)` when all of it fits. Binary search, since what
    is measured (escaped, decorated text) only grows as more of the text is taken."""
    if measure(text) <= budget:
        return len(text)
    spaces = [m.start() for m in re.finditer(" ", text) if not any(a < m.start() < b for a, b in forbidden)]
    lo, hi, best = 0, len(spaces) - 1, 0
    while lo <= hi:
        mid = (lo + hi) // 2
        if measure(text[: spaces[mid]]) <= budget:
            best, lo = spaces[mid], mid + 1
        else:
            hi = mid - 1
    if best:
        return best
    # One word longer than the budget: cut it by characters rather than send nothing.
    lo, hi = 1, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if measure(text[:mid]) <= budget else (lo, mid - 1)
    return lo
