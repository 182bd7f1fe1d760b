"""Scoring one sentence against one question.

BM25-style term weights from library-wide statistics, plus what plain bag-of-words misses:
how much of the question (weighted by rarity) the sentence covers, question terms close together,
the kind of answer the question asks for being present, and the previous sentence when this one
leans on it ("It has a 17,000 strong ... force").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.answer.facts import find_facts, has_kind
from bot.answer.model import Fact
from bot.answer.question import Expects, Question
from storage import text as textmod
from storage.models import Sentence

K1 = 1.2
B = 0.5
PROXIMITY_WINDOW = 3
PROXIMITY_WEIGHT = 0.4
CONTEXT_WEIGHT = 0.6
ANSWER_KIND_BONUS = 0.25

# Words that make a sentence lean on the one before it (generic English anaphora).
_LEANING_STARTS = frozenset(
    "it its they their them this these those he she his her such there thus hence however "
    "also both".split()
)
_LEAN_ON_THE = frozenset("latter former organization organisation bloc force group country company".split())


def idf(df: int, total: int) -> float:
    """BM25's idf, never negative; a term the library lacks counts as the rarest possible."""
    return math.log(1.0 + (total - df + 0.5) / (df + 0.5))


@dataclass(frozen=True, slots=True)
class Scored:
    sentence: Sentence
    score: float
    coverage: float  # share of the question's weight found in the quote (context included)
    lead: Sentence | None  # the previous sentence, quoted with this one
    facts: tuple[Fact, ...]


class Ranker:
    def __init__(self, question: Question, weights: dict[str, float], avg_chars: float) -> None:
        self.question = question
        self.weights = weights
        self.total_weight = sum(weights.values()) or 1.0
        self.avg_chars = max(avg_chars, 1.0)
        order = [t for t in question.terms if t in weights]
        self.pairs = list(zip(order, order[1:], strict=False))

    def score(self, sentence: Sentence, previous: Sentence | None) -> Scored:
        terms = textmod.terms(sentence.text)
        positions: dict[str, list[int]] = {}
        for i, t in enumerate(terms):
            if t in self.weights:
                positions.setdefault(t, []).append(i)
        norm = 1 - B + B * len(sentence.text) / self.avg_chars
        bm25 = 0.0
        for t, where in positions.items():
            tf = len(where)
            bm25 += self.weights[t] * tf * (K1 + 1) / (tf + K1 * norm)
        proximity = 0.0
        for a, b in self.pairs:
            if a in positions and b in positions and _close(positions[a], positions[b]):
                proximity += PROXIMITY_WEIGHT * min(self.weights[a], self.weights[b])
        matched = sum(self.weights[t] for t in positions)

        lead = None
        context = 0.0
        if previous is not None and _leans_back(sentence.text):
            missing = {t for t in self.weights if t not in positions}
            found = missing.intersection(textmod.terms(previous.text))
            if found:
                lead = previous
                context = sum(self.weights[t] for t in found)

        facts = find_facts(sentence.text)
        bonus = 0.0
        kind = _FACT_KIND.get(self.question.expects)
        if kind and has_kind(facts, kind, self.question.text):
            bonus = ANSWER_KIND_BONUS
        score = (bm25 + proximity + CONTEXT_WEIGHT * context) * (1 + bonus)
        coverage = (matched + context) / self.total_weight
        return Scored(sentence, score, coverage, lead, facts)


_FACT_KIND = {
    Expects.DATE: "date",
    Expects.QUANTITY: "quantity",
    Expects.NAME: "name",
    Expects.PLACE: "name",
}


def _close(a: list[int], b: list[int]) -> bool:
    return any(abs(i - j) <= PROXIMITY_WINDOW for i in a for j in b)


def _leans_back(sentence: str) -> bool:
    words = sentence.split(None, 2)
    if not words:
        return False
    first = words[0].strip("\"'“‘(").lower()
    if first == "the":
        return len(words) > 1 and words[1].strip(",.").lower() in _LEAN_ON_THE
    return first in _LEANING_STARTS
