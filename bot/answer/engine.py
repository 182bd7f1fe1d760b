"""Question in, Answer out: find candidate sentences, score them, decide which sources address
the question, and cut their best quotes (verbatim slices of the stored text)."""

from __future__ import annotations

import os
import time
from collections import defaultdict

from bot.answer.facts import find_facts
from bot.answer.model import Answer, Quote, SourceAnswer, Uncovered
from bot.answer.question import MAX_TERMS, Question, parse_question
from bot.answer.rank import Ranker, Scored, idf
from storage.library import Library
from storage.models import GLOBAL_SCOPE, Sentence

CANDIDATES = 200
FINISH = 30  # candidates that get the costly second scoring stage (facts, answer kind)
FINISH_PER_SOURCE = 3
THRESHOLD_ENV = "FACTBOT_ANSWER_THRESHOLD"
MAX_QUOTES = 3
MAX_UNCOVERED = 25

# The no-answer threshold (FACTBOT_ANSWER_THRESHOLD overrides it): a source is quoted only when its
# best sentence covers this share of the question's idf weight (neighbours counted at a discount),
# and other sources must also score within SOURCE_RATIO of the best. Tuned on the SQuAD --seed 7
# sample (see benchmarks/quality.py --curve): lower quotes more and refuses less.
MIN_COVERAGE = 0.45
SOURCE_RATIO = 0.5
QUOTE_RATIO = 0.6
# Two adjacent sentences of one paragraph that both score within JOIN_RATIO of each other are
# quoted together: the evidence spans them (one names the subject, the next says what of it).
JOIN_RATIO = 0.6
# A question word the library never uses counts against coverage like the rarest known word: the
# question is likely about something the library lacks.
UNKNOWN_WORD_WEIGHT = 1.0

NO_TERMS = "The question has no words to look for."
NOTHING = "Nothing in the sources answers this."


class Engine:
    """Answers questions from one library; safe to share between concurrent callers."""

    def __init__(self, library: Library, *, threshold: float | None = None) -> None:
        self.library = library
        if threshold is None:
            threshold = _threshold_from_env()
        self.threshold = threshold

    async def ask(self, question: str, *, scope: int = GLOBAL_SCOPE) -> Answer:
        """The answer to `question` from the sources visible in `scope` (global plus a server's)."""
        started = time.perf_counter()
        parsed = parse_question(question)
        if parsed.empty:
            return await self._refuse(parsed, scope, NO_TERMS)
        total, avg_chars = await self.library.sentence_stats()
        freqs = await self.library.term_frequencies(parsed.terms)
        # A word the library never uses may be a paraphrase of one it does ("troops" for "force"):
        # it counts against coverage, but less than a known word that a sentence fails to match.
        weights = {t: idf(freqs[t], total) * (1.0 if freqs[t] else UNKNOWN_WORD_WEIGHT) for t in parsed.terms}
        searchable = sorted((t for t in parsed.terms if freqs[t] > 0), key=lambda t: freqs[t])[:MAX_TERMS]
        if not searchable:
            return await self._refuse(parsed, scope, NOTHING)
        expression = " OR ".join(f'"{t}"' for t in searchable)
        candidates = await self.library.match_sentences(expression, scope=scope, limit=CANDIDATES)
        scored = await self._score(parsed, weights, avg_chars, candidates)
        chosen = self._choose(scored)
        if not chosen:
            return await self._refuse(parsed, scope, NOTHING, near={s.sentence.source_id for s in scored})
        answers = await self._quotes(chosen)
        answered_ids = {a.source.id for a in answers}
        uncovered, count = await self._uncovered(scope, answered_ids, {s.sentence.source_id for s in scored})
        return Answer(
            parsed.text,
            tuple(answers),
            uncovered,
            count,
            note="The question was cut to its first 1,000 characters." if parsed.truncated else None,
            timings={"total_ms": 1000 * (time.perf_counter() - started)},
        )

    async def _score(
        self, question: Question, weights: dict[str, float], avg_chars: float, candidates: list[Sentence]
    ) -> list[Scored]:
        ranker = Ranker(question, weights, avg_chars)
        around = await self.library.neighbours(s.id for s in candidates)

        def beside(sentence: Sentence, step: int) -> Sentence | None:
            other = around.get(sentence.id + step)
            if other and (other.source_id, other.paragraph) == (sentence.source_id, sentence.paragraph):
                return other
            return None

        scored = [ranker.score(s, beside(s, -1), beside(s, 1)) for s in candidates]
        scored.sort(key=lambda s: s.score, reverse=True)
        per_source: dict[int, int] = defaultdict(int)
        for rank, s in enumerate(scored):
            per_source[s.sentence.source_id] += 1
            if rank < FINISH or per_source[s.sentence.source_id] <= FINISH_PER_SOURCE:
                ranker.finish(s)
        finished = [s for s in scored if s.finished]
        finished.sort(key=lambda s: s.score, reverse=True)
        return finished

    def _choose(self, scored: list[Scored]) -> dict[int, list[Scored]]:
        """The sources that address the question, each with its quotable sentences, best first."""
        by_source: dict[int, list[Scored]] = defaultdict(list)
        for s in scored:
            by_source[s.sentence.source_id].append(s)
        best = {sid: items[0] for sid, items in by_source.items()}
        qualified = {sid: b for sid, b in best.items() if b.coverage >= self.threshold}
        if not qualified:
            return {}
        top = max(b.score for b in qualified.values())
        chosen = {}
        for sid, b in sorted(qualified.items(), key=lambda kv: kv[1].score, reverse=True):
            if b.score < SOURCE_RATIO * top:
                continue
            keep = [s for s in by_source[sid] if s.score >= QUOTE_RATIO * b.score and s.coverage >= self.threshold / 2]
            keep = _join_continuations(keep)
            chosen[sid] = _without_overlaps(keep)[:MAX_QUOTES]
        return chosen

    async def _quotes(self, chosen: dict[int, list[Scored]]) -> list[SourceAnswer]:
        infos = await self.library.sources_by_id(chosen)
        answers = []
        for sid, items in chosen.items():
            quotes = []
            for s in items:
                sentence = s.sentence
                start, end = (s.lead or sentence).start, (s.tail or sentence).end
                if s.lead is None and s.tail is None:
                    text, facts = sentence.text, s.facts
                else:
                    text = await self.library.excerpt(sid, start, end)
                    facts = find_facts(text)
                quotes.append(Quote(text, sentence.paragraph, (s.lead or sentence).number, start, end, s.score, facts))
            answers.append(SourceAnswer(infos[sid], tuple(quotes), items[0].score, items[0].coverage))
        return answers

    async def _uncovered(
        self, scope: int, answered: set[int], near: set[int]
    ) -> tuple[tuple[Uncovered, ...], int]:
        """Sources in scope that do not address the question: all of them in a small library,
        the ones that came closest (up to MAX_UNCOVERED) in a large one, and how many in all."""
        total = await self.library.count_sources(scope=scope)
        if total <= MAX_UNCOVERED + len(answered):
            listed = [s for s in await self.library.list_sources(scope=scope) if s.id not in answered]
        else:
            infos = await self.library.sources_by_id(sorted(near - answered)[:MAX_UNCOVERED])
            listed = list(infos.values())
        return tuple(Uncovered(s.id, s.title) for s in listed), total - len(answered)

    async def _refuse(self, question: Question, scope: int, note: str, near: set[int] | None = None) -> Answer:
        uncovered, count = await self._uncovered(scope, set(), near or set())
        return Answer(question.text, (), uncovered, count, note=note)


def _threshold_from_env() -> float:
    """The no-answer threshold: FACTBOT_ANSWER_THRESHOLD when set to a number, else MIN_COVERAGE."""
    try:
        return float(os.environ[THRESHOLD_ENV])
    except (KeyError, ValueError):
        return MIN_COVERAGE


def _join_continuations(items: list[Scored]) -> list[Scored]:
    """Quote a sentence together with the next one of its paragraph when both score nearly as well
    ("He paraphrased the Te Deum as ..." then "It became known as the German Te Deum.")."""
    by_id = {s.sentence.id: s for s in items}
    joined: set[int] = set()
    for s in items:
        if s.sentence.id in joined or s.tail is not None:
            continue
        nxt = by_id.get(s.sentence.id + 1)
        if nxt is None or nxt.sentence.id in joined or nxt.sentence.paragraph != s.sentence.paragraph:
            continue
        if min(nxt.score, s.score) < JOIN_RATIO * max(nxt.score, s.score):
            continue
        s.tail = nxt.sentence
        s.score = max(s.score, nxt.score)  # the joined quote ranks where the better of the two did
        joined.add(nxt.sentence.id)
    kept = [s for s in items if s.sentence.id not in joined]
    kept.sort(key=lambda s: s.score, reverse=True)
    return kept


def _without_overlaps(items: list[Scored]) -> list[Scored]:
    """Drop a quote whose text another (better) quote already contains."""
    kept: list[Scored] = []
    taken: set[int] = set()
    for s in items:
        ids = {s.sentence.id} | ({s.lead.id} if s.lead else set()) | ({s.tail.id} if s.tail else set())
        if ids & taken:
            continue
        kept.append(s)
        taken |= ids
    return kept
