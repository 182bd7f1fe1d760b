"""Scoring one sentence against one question.

BM25-style term weights from library-wide statistics (the rarest terms weigh most), plus what plain
bag-of-words misses: how much of the question's weight the sentence covers, question terms close
together in the question's order, the neighbouring sentences of its paragraph (a sentence often names
its subject only in the sentence before: "It has a 17,000 strong ... force"), and the kind of answer
the question asks for (a date for "when", a quantity for "how many", a name for "who", for "what is
X" a sentence that says what X is) being stated in the sentence and not already in the question.

Scoring runs in two stages: `score` is cheap and runs on every candidate; `finish` spots the facts
and the answer kind, and runs only on the best few.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

from bot.answer.facts import find_facts, has_kind
from bot.answer.model import Fact
from bot.answer.question import Expects, Question
from storage import text as textmod
from storage.models import Sentence

K1 = 1.2
B = 0.5
PROXIMITY_WINDOW = 3
PROXIMITY_WEIGHT = 0.4
# Question terms the sentence lacks but a neighbour in its paragraph has: evidence at a discount.
CONTEXT_WEIGHT = 0.35
ANSWER_KIND_BONUS = 0.25
# A sentence defines X when one of X's terms comes before its first copula, and the copula is among
# its first DEFINITION_WINDOW terms: "A central processing unit (CPU) is the electronic circuitry ...".
DEFINITION_WINDOW = 25
_COPULAS = frozenset(textmod.term(w) for w in ("is", "are", "was", "were", "refers", "means", "denotes"))
# A sentence word that is a derivation of a question word ("Russian" for "Russia", "nationalist" is
# not: at most VARIANT_SUFFIX extra letters on a stem of VARIANT_MIN_STEM or more) matches it at a discount.
VARIANT_WEIGHT = 0.7
VARIANT_MIN_STEM = 5
VARIANT_SUFFIX = 3
# A further quote of a source (not its best) must state on its own, in the words quoted, at least
# FURTHER_COVERAGE of the question's weight that the best quote states: the score ratio alone lets a
# sentence through on one heavy word repeated, or on context and answer-kind credit.
FURTHER_COVERAGE = 0.6
# Sentences whose index terms are kept (the same sentences come back question after question).
SENTENCE_TERMS_CACHE = 100_000

# Words that make a sentence lean on the one before it (generic English anaphora).
_LEANING_STARTS = frozenset(
    (
        "it",
        "its",
        "they",
        "their",
        "them",
        "this",
        "these",
        "those",
        "he",
        "she",
        "his",
        "her",
        "such",
        "there",
        "thus",
        "hence",
        "however",
        "also",
        "both",
    )
)
_LEAN_ON_THE = frozenset(
    ("latter", "former", "organization", "organisation", "bloc", "force", "group", "country", "company")
)


def idf(df: int, total: int) -> float:
    """BM25's idf, never negative; a term the library lacks counts as the rarest possible."""
    return math.log(1.0 + (total - df + 0.5) / (df + 0.5))


@lru_cache(maxsize=SENTENCE_TERMS_CACHE)
def sentence_terms(text: str) -> tuple[str, ...]:
    """A sentence's index terms (cached: the same sentences come back question after question)."""
    return tuple(textmod.terms(text))


@dataclass(slots=True)
class Scored:
    sentence: Sentence
    score: float
    coverage: float  # share of the question's weight found in the sentence or (discounted) its neighbours
    lead: Sentence | None  # the previous sentence, quoted with this one
    tail: Sentence | None = None  # the next sentence, quoted with this one when it continues it
    facts: tuple[Fact, ...] = ()
    finished: bool = False
    hits: frozenset[str] = frozenset()  # question terms the sentence itself states
    kind_found: bool = False  # it states a fact of the kind the question asks for
    semantic: float = 0.0  # cosine of the question's and the sentence's meaning vectors (semantic stage)
    similarity: float = 0.0  # cosine of the question and the sentence in the sentence encoder (0: not encoded)
    words: float = 0.0  # the stage-one score from the words alone, before meaning was fused in
    # The question terms the quoted words (the sentence and its lead) state, each with its share of
    # the question's weight (a derived match at its discount).
    stated: dict[str, float] = field(default_factory=dict)


class Ranker:
    def __init__(
        self,
        question: Question,
        weights: dict[str, float],
        avg_chars: float,
        aliases: Mapping[str, tuple[str, float]] | None = None,
    ) -> None:
        self.question = question
        # Paraphrases (the semantic stage): a sentence term that stands for a question term the
        # library lacks ("soldier" for "troop"), matching it at a discount (its factor).
        self.aliases = aliases or {}
        self.weights = weights
        self.total_weight = sum(weights.values()) or 1.0
        self.avg_chars = max(avg_chars, 1.0)
        order = [t for t in question.terms if t in weights]
        self.pairs = list(pairwise(order))
        self.kind = _FACT_KIND.get(question.expects)
        self._variants: dict[str, str | None] = {}
        # A variant shares its first VARIANT_MIN_STEM letters with a question term: a cheap first test.
        self._prefixes = {q[:VARIANT_MIN_STEM] for q in weights if len(q) >= VARIANT_MIN_STEM}

    def _variant(self, t: str) -> str | None:
        """The question term that sentence term `t` derives from (or that derives from it), if any."""
        try:
            return self._variants[t]
        except KeyError:
            pass
        found = next((q for q in self.weights if is_variant(t, q)), None) if len(t) >= VARIANT_MIN_STEM else None
        self._variants[t] = found
        return found

    def score(self, sentence: Sentence, previous: Sentence | None, following: Sentence | None = None) -> Scored:
        """Stage one: term weights, proximity and context; `previous` and `following` are the
        neighbouring sentences of the same paragraph (None at its edges)."""
        positions: dict[str, list[int]] = {}
        derived: dict[str, float] = {}  # question terms matched only at a discount: the best one
        exact: set[str] = set()
        weights = self.weights
        aliases = self.aliases
        for i, t in enumerate(sentence_terms(sentence.text)):
            if t in weights:
                positions.setdefault(t, []).append(i)
                exact.add(t)
            elif t in aliases:
                q, factor = aliases[t]
                positions.setdefault(q, []).append(i)
                derived[q] = max(derived.get(q, 0.0), factor)
            elif t[:VARIANT_MIN_STEM] in self._prefixes and len(t) >= VARIANT_MIN_STEM:
                variant = self._variant(t)
                if variant is not None:
                    positions.setdefault(variant, []).append(i)
                    derived[variant] = max(derived.get(variant, 0.0), VARIANT_WEIGHT)
        for t in exact:
            derived.pop(t, None)
        norm = 1 - B + B * len(sentence.text) / self.avg_chars
        bm25 = 0.0
        matched = 0.0
        for t, where in positions.items():
            tf = len(where)
            w = weights[t] * derived.get(t, 1.0)
            bm25 += w * tf * (K1 + 1) / (tf + K1 * norm)
            matched += w
        proximity = 0.0
        for a, b in self.pairs:
            if a in positions and b in positions and _close(positions[a], positions[b]):
                proximity += PROXIMITY_WEIGHT * min(weights[a], weights[b])

        # Neighbours' terms in the question's order, never a set's: sums of floats and the order
        # of `stated` must not depend on string hashing (the same answer in every process).
        missing = [t for t in self.weights if t not in positions]
        lead = None
        before: list[str] = []
        if previous is not None and missing:
            before = _among(missing, sentence_terms(previous.text))
            if before and _leans_back(sentence.text):
                lead = previous
        after: list[str] = []
        if following is not None and missing:
            after = _among(missing, sentence_terms(following.text))
        # A lead is quoted, so its terms count in full; other neighbours only as context.
        quoted = before if lead is not None else []
        context = sum(self.weights[t] for t in missing if (t in before or t in after) and t not in quoted)
        found = sum(self.weights[t] for t in quoted)
        score = bm25 + proximity + found + CONTEXT_WEIGHT * context
        coverage = (matched + found + CONTEXT_WEIGHT * context) / self.total_weight
        total = self.total_weight
        stated = {t: weights[t] * derived.get(t, 1.0) / total for t in positions}
        stated.update((t, weights[t] / total) for t in quoted)
        return Scored(sentence, score, coverage, lead, hits=frozenset(positions), stated=stated, words=score)

    def finish(self, scored: Scored) -> Scored:
        """Stage two: the facts the sentence states, and the answer kind the question wants."""
        if scored.finished:
            return scored
        scored.facts = find_facts(scored.sentence.text)
        if self.question.subject and defines(sentence_terms(scored.sentence.text), self.question.subject):
            # Ranked as an answer of the asked kind; the no-answer model's `kind_*` features stay
            # about facts (dates, quantities, names), the kinds it was fitted on.
            scored.score *= 1 + ANSWER_KIND_BONUS
        elif self.kind and has_kind(scored.facts, self.kind, self.question.text):
            scored.score *= 1 + ANSWER_KIND_BONUS
            scored.kind_found = True
        scored.finished = True
        return scored


def is_variant(a: str, b: str) -> bool:
    """Whether terms `a` and `b` are one word and its derivation ("russia", "russian")."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= VARIANT_MIN_STEM and len(long_) - len(short) <= VARIANT_SUFFIX and long_.startswith(short)


def defines(terms: tuple[str, ...], subject: tuple[str, ...]) -> bool:
    """Whether a sentence (its index terms) says what `subject` is: "X is ...", "X (Y) refers to ...",
    never "... is X" (that names X as the answer to something else)."""
    for i, t in enumerate(terms[:DEFINITION_WINDOW]):
        if t in _COPULAS:
            return not set(subject).isdisjoint(terms[:i])
    return False


def own_coverage(scored: Scored) -> float:
    """The share of the question's weight the quoted words state themselves (no context credit);
    summed exactly, so the order `stated` was filled in cannot change the last bit."""
    return math.fsum(scored.stated.values())


def worth_adding(scored: Scored, best: Scored) -> bool:
    """Whether `scored` is worth quoting after `best`, its source's best quote. It must state on
    its own at least FURTHER_COVERAGE of what the best quote states; and when it leaves out a
    question term that the best quote writes as a name (the question's subject: "the CSTO"), it
    must cover the question at least as fully as the best quote: otherwise it matches the question's
    other words about something else ("a UN Security Council member" for "members of the CSTO")."""
    own, best_own = own_coverage(scored), own_coverage(best)
    if own < FURTHER_COVERAGE * best_own:
        return False
    subject = best.stated.keys() & named_terms(best)
    return subject <= scored.stated.keys() or own >= best_own - 1e-9


def named_terms(scored: Scored) -> set[str]:
    """The terms of the words its quoted sentences write with a capital, each sentence's first word
    aside unless it is an acronym (a sentence starts with a capital anyway): what it names. Read
    from the sources' text, so a question typed in lower case finds the same subject."""
    found = set()
    for part in (scored.lead, scored.sentence, scored.tail):
        for i, match in enumerate(textmod.words(part.text) if part is not None else ()):
            word = match.group()
            if word[0].isupper() and (i > 0 or (len(word) > 1 and word.isupper())):
                found.add(textmod.term(word))
    return found


def join_stated(scored: Scored, following: Scored) -> None:
    """`scored` quoted together with `following`: what the two state, together."""
    for t, share in following.stated.items():
        scored.stated[t] = max(share, scored.stated.get(t, 0.0))


_FACT_KIND = {
    Expects.DATE: "date",
    Expects.QUANTITY: "quantity",
    Expects.NAME: "name",
    Expects.PLACE: "name",
}


def _among(wanted: list[str], terms: tuple[str, ...]) -> list[str]:
    """The terms of `wanted` (in its order) that `terms` holds."""
    present = set(terms)
    return [t for t in wanted if t in present]


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
