"""What a question asks: its content terms in order, and the kind of answer it wants.

Any text a person can type is accepted: it is reduced to index terms (letters and digits only),
so nothing the person writes ever reaches FTS5 as syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from storage import text as textmod

MAX_QUESTION_CHARS = 1000
MAX_TERMS = 24


class Expects(Enum):
    """The kind of answer a question's wording asks for (generic English question forms)."""

    ANY = "any"
    DATE = "date"
    QUANTITY = "quantity"
    NAME = "name"  # people, organisations, countries
    PLACE = "place"
    DEFINITION = "definition"  # "what is X": the sentence that says what X is


_EXPECTS = [
    (
        re.compile(
            r"\b(how (many|much|large|big|long|far|old|tall|high|fast|often)"
            r"|what (number|percentage|proportion|amount|size))\b"
        ),
        Expects.QUANTITY,
    ),
    (
        re.compile(
            r"\b(when|what (year|date|day|month|time|century|decade)"
            r"|which (year|date|day|month|century|decade)|since when|until when|how long ago)\b"
        ),
        Expects.DATE,
    ),
    (
        re.compile(
            r"\b(where|what (country|city|place|region|state|town)"
            r"|which (country|city|place|region|state|town))\b"
        ),
        Expects.PLACE,
    ),
    (
        re.compile(
            r"\b(who|whom|whose"
            r"|which (company|organi[sz]ation|team|person|people|countries|country|group))\b"
        ),
        Expects.NAME,
    ),
]


# "What is X" (are, was, were, 's), "what does X mean", "define X": a question that asks what a thing
# is. Only a short X (at most DEFINITION_MAX_WORDS words past an article) makes one: "what was the
# final score of the game" or "what was his marriage seen as" ask for a fact about X, not for X defined.
_DEFINITION = re.compile(
    r"^\W*(?:what\s*(?:is|are|was|were|'s|\u2019s)\s+(?P<x>[^?.!]+)"
    r"|what\s+(?:does|do)\s+(?P<y>[^?.!]+?)\s+mean|define\s+(?P<z>[^?.!]+))"
)
DEFINITION_MAX_WORDS = 4
# What may close a question as typed: its meaning ends in one "?" instead.
_CLOSING = " ?!.\u2026\uff1f"
_ARTICLES = frozenset(("a", "an", "the"))


@dataclass(frozen=True)
class Question:
    text: str
    terms: tuple[str, ...]  # content terms, first occurrence order, stopwords dropped
    expects: Expects
    truncated: bool
    names: tuple[str, ...] = ()  # terms of the capitalised words past the first: what it is about
    # The text as read, where it differs from what was typed (spelling mended): what a model reads.
    read: str | None = None
    # What a DEFINITION question asks to have defined: its content terms ("central bank").
    subject: tuple[str, ...] = ()

    @property
    def meaning(self) -> str:
        """The text a model of meaning reads: mended where spelling mended it, and ending in one
        question mark however it was typed, so "who are the members of the csto" reads as
        "Who are the members of the CSTO?" does (the encoder ignores case, not punctuation)."""
        return (self.read or self.text).rstrip(_CLOSING) + "?"

    @property
    def empty(self) -> bool:
        return not self.terms


def parse_question(raw: str) -> Question:
    """Reduce a question to what ranking needs; never raises on any string."""
    cleaned = " ".join(raw.split())
    truncated = len(cleaned) > MAX_QUESTION_CHARS
    cleaned = cleaned[:MAX_QUESTION_CHARS]
    seen: dict[str, None] = {}
    for t in textmod.terms(cleaned):
        if not textmod.is_stopword(t):
            seen.setdefault(t, None)
    lowered = cleaned.lower()
    expects = next((kind for pattern, kind in _EXPECTS if pattern.search(lowered)), Expects.ANY)
    subject = _defined(lowered) if expects is Expects.ANY else ()
    if subject:
        expects = Expects.DEFINITION
    return Question(cleaned, tuple(seen)[: MAX_TERMS * 4], expects, truncated, _names(cleaned, seen), subject=subject)


def _defined(lowered: str) -> tuple[str, ...]:
    """The content terms of what a "what is X" question asks to have defined (none: not one)."""
    found = _DEFINITION.search(lowered)
    if found is None:
        return ()
    words = [m.group() for m in textmod.words(next(g for g in found.groups() if g is not None))]
    if words and words[0] in _ARTICLES:
        words = words[1:]
    if len(words) > DEFINITION_MAX_WORDS:
        return ()
    return tuple(dict.fromkeys(t for t in map(textmod.term, words) if not textmod.is_stopword(t)))


def _names(text: str, content: dict[str, None]) -> tuple[str, ...]:
    """Index terms of the words written with a capital that do not start the question, and of an
    acronym that does ("CSTO members?"): the people, places and things it names. A question in
    lower case names nothing this way; its words are still looked up, case-blind."""
    every = [m.group() for m in textmod.words(text)]
    words = every[1:]
    capitalised = [w for w in words if w[0].isupper()]
    if len(capitalised) == len(words):
        return ()  # A Title Case Or SHOUTED question: capitals say nothing here.
    if every and len(every[0]) > 1 and every[0].isupper() and every[0].isalpha():
        capitalised.insert(0, every[0])
    found: dict[str, None] = {}
    for word in capitalised:
        term = textmod.term(word)
        if term in content:
            found.setdefault(term, None)
    return tuple(found)
