"""Misspelt question words matched to the library's own vocabulary.

Only a word the library does not know is corrected, towards words the library uses (names no
dictionary has, "Zainetdinov", included), so a correction can only make the question nearer to what
the sources say. A candidate's plausibility is how often the library uses it, discounted by how
many edits (optimal string alignment: a swap of two neighbours is one edit) separate it from what
was typed; the most plausible candidate is taken only when it is clearly ahead of any candidate
that means something else (another index term), else the word is left as typed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from rapidfuzz.distance import OSA

from storage import text as textmod

# Words shorter than this are never corrected: too many words lie one edit from a short one.
MIN_LENGTH = 5
# Up to this length a word may be one edit off what was meant; longer ones two.
ONE_EDIT_UP_TO = 8
# Plausibility: log(count) - EDIT_COST * edits. A candidate one edit further must be used this many
# times more often to be preferred (e^EDIT_COST = 100).
EDIT_COST = math.log(100)
# The best candidate must be this many times as plausible as the best with another meaning.
MARGIN = math.log(3)


class Vocabulary(Protocol):
    async def similar_words(self, word: str, *, scope: int, spread: int = 2) -> dict[str, int]: ...


@dataclass(frozen=True, slots=True)
class Correction:
    typed: str  # the word as written in the question
    start: int  # its offsets in the question
    end: int
    word: str  # what it is read as (in the case it was typed in)


def max_edits(word: str) -> int:
    return 1 if len(word) <= ONE_EDIT_UP_TO else 2


def best_candidate(word: str, candidates: dict[str, int]) -> str | None:
    """The vocabulary word `word` (folded) most plausibly misspells, or None when none is near
    enough or two with different meanings are about as plausible."""
    limit = max_edits(word)
    by_term: dict[str, tuple[float, str]] = {}
    for candidate, count in candidates.items():
        if count <= 0 or candidate == word:
            continue
        edits = OSA.distance(word, candidate, score_cutoff=limit)
        if edits > limit:
            continue
        plausibility = math.log(count) - EDIT_COST * edits
        meaning = textmod.term(candidate)
        # Equally plausible spellings of one term: the greater string, whatever order they came in.
        if meaning not in by_term or (plausibility, candidate) > by_term[meaning]:
            by_term[meaning] = (plausibility, candidate)
    if not by_term:
        return None
    ranked = sorted(by_term.values(), reverse=True)
    if len(ranked) > 1 and ranked[0][0] - ranked[1][0] < MARGIN - 1e-9:  # "three times" includes 3.0
        return None
    return ranked[0][1]


def correctable(word: str) -> bool:
    """Letters only (no digits, apostrophes or hyphens) and long enough to correct safely."""
    return len(word) >= MIN_LENGTH and word.isalpha()


async def corrections(vocabulary: Vocabulary, text: str, unknown: set[str], *, scope: int) -> list[Correction]:
    """The corrections for the words of `text` whose index terms are in `unknown` (terms the
    library visible from `scope` never uses). One vocabulary read per such word."""
    out: list[Correction] = []
    for match in textmod.words(text):
        typed = match.group()
        if not correctable(typed) or textmod.term(typed) not in unknown:
            continue
        folded = textmod.fold(typed)
        found = best_candidate(folded, await vocabulary.similar_words(folded, scope=scope, spread=max_edits(folded)))
        if found is not None:
            out.append(Correction(typed, match.start(), match.end(), _in_case_of(typed, found)))
    return out


def apply(text: str, found: list[Correction]) -> str:
    """`text` with each correction's word in place of what was typed."""
    for c in sorted(found, key=lambda c: c.start, reverse=True):
        text = text[: c.start] + c.word + text[c.end :]
    return text


def _in_case_of(typed: str, word: str) -> str:
    """`word` written in the case `typed` was: SHOUTED, Capitalised or lower."""
    if len(typed) > 1 and typed.isupper():
        return word.upper()
    if typed[0].isupper():
        return word[:1].upper() + word[1:]
    return word
