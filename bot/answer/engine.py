"""Question in, Answer out: find candidate sentences, score them, decide which sources address
the question, and cut their best quotes (verbatim slices of the stored text)."""

from __future__ import annotations

import time
from collections import defaultdict

from bot.answer.facts import find_facts
from bot.answer.model import Answer, Quote, SourceAnswer, Uncovered
from bot.answer.question import MAX_TERMS, Question, parse_question
from bot.answer.rank import Ranker, Scored, idf
from storage.library import Library
from storage.models import GLOBAL_SCOPE, Sentence

CANDIDATES = 300
MAX_QUOTES = 3
MAX_UNCOVERED = 25

# A sentence must cover this share of the question's weight for its source to count as
# addressing the question at all; other sources must also come within SOURCE_RATIO of the best.
MIN_COVERAGE = 0.5
SOURCE_RATIO = 0.5
QUOTE_RATIO = 0.6
UNKNOWN_WORD_WEIGHT = 0.5

NO_TERMS = "The question has no words to look for."
NOTHING = "Nothing in the sources answers this."


class Engine:
    """Answers questions from one library; safe to share between concurrent callers."""

    def __init__(self, library: Library) -> None:
        self.library = library

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
        scored = []
        for sentence in candidates:
            previous = around.get(sentence.id - 1)
            if previous and (previous.source_id, previous.paragraph) != (sentence.source_id, sentence.paragraph):
                previous = None
            scored.append(ranker.score(sentence, previous))
        scored.sort(key=lambda s: s.score, reverse=True)
        return scored

    @staticmethod
    def _choose(scored: list[Scored]) -> dict[int, list[Scored]]:
        """The sources that address the question, each with its quotable sentences, best first."""
        by_source: dict[int, list[Scored]] = defaultdict(list)
        for s in scored:
            by_source[s.sentence.source_id].append(s)
        best = {sid: items[0] for sid, items in by_source.items()}
        qualified = {sid: b for sid, b in best.items() if b.coverage >= MIN_COVERAGE}
        if not qualified:
            return {}
        top = max(b.score for b in qualified.values())
        chosen = {}
        for sid, b in sorted(qualified.items(), key=lambda kv: kv[1].score, reverse=True):
            if b.score < SOURCE_RATIO * top:
                continue
            keep = [s for s in by_source[sid] if s.score >= QUOTE_RATIO * b.score and s.coverage >= MIN_COVERAGE / 2]
            chosen[sid] = _without_overlaps(keep)[:MAX_QUOTES]
        return chosen

    async def _quotes(self, chosen: dict[int, list[Scored]]) -> list[SourceAnswer]:
        infos = await self.library.sources_by_id(chosen)
        answers = []
        for sid, items in chosen.items():
            quotes = []
            for s in items:
                sentence = s.sentence
                if s.lead is None:
                    text, start, facts = sentence.text, sentence.start, s.facts
                else:
                    start = s.lead.start
                    text = await self.library.excerpt(sid, start, sentence.end)
                    facts = find_facts(text)
                quotes.append(
                    Quote(text, sentence.paragraph, (s.lead or sentence).number, start, sentence.end, s.score, facts)
                )
            answers.append(SourceAnswer(infos[sid], tuple(quotes), items[0].score))
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


def _without_overlaps(items: list[Scored]) -> list[Scored]:
    """Drop a quote whose text another (better) quote already contains."""
    kept: list[Scored] = []
    taken: set[int] = set()
    for s in items:
        ids = {s.sentence.id} | ({s.lead.id} if s.lead else set())
        if ids & taken:
            continue
        kept.append(s)
        taken |= ids
    return kept
