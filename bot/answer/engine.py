"""Question in, Answer out: find candidate sentences, score them, decide which sources address
the question, and cut their best quotes (verbatim slices of the stored text)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from bot.answer import chat, encoder, semantic, spelling, vectorize
from bot.answer.facts import find_facts
from bot.answer.model import Answer, Quote, Reason, SourceAnswer, Uncovered
from bot.answer.noanswer import NoAnswerModel, shipped_model
from bot.answer.question import MAX_QUESTION_CHARS, MAX_TERMS, Expects, Question, parse_question
from bot.answer.rank import Ranker, Scored, idf, join_stated, sentence_terms, worth_adding
from storage.backends.base import Library, ModelSwitch
from storage.errors import UnknownSource
from storage.models import GLOBAL_SCOPE, Sentence
from storage.vectors import COSINE_DECIMALS

A = TypeVar("A")
B = TypeVar("B")

CANDIDATES = 200
FINISH = 30  # candidates that get the costly second scoring stage (facts, answer kind)
FINISH_PER_SOURCE = 3
FINISH_SOURCES = 10  # the best-placed sources (by first-stage score) whose candidates are finished
MAX_QUOTES = 3
MAX_UNCOVERED = 25

# Within an answering source: quotes scoring within QUOTE_RATIO of its best are quoted too.
QUOTE_RATIO = 0.6
# Two adjacent sentences of one paragraph that both score within JOIN_RATIO of each other are
# quoted together: the evidence spans them (one names the subject, the next says what of it).
JOIN_RATIO = 0.6
# A question word the library never uses counts against coverage at half the weight of the rarest
# word: it may be a paraphrase, or the question may be about something the library lacks (the model
# below also sees the share of the question the library knows).
UNKNOWN_WORD_WEIGHT = 0.5
# The semantic stage (bot/answer/semantic.py). A question word the library does not use is looked
# for through its EXPAND_NEIGHBOURS nearest terms in the word vectors that the library does use,
# at most EXPAND_TERMS of them with a cosine of at least EXPAND_MIN_SIMILARITY; a sentence stating
# one matches the word at a factor rising from 0 at that cosine to 1 at a cosine of 1 ("troops"
# found as "soldiers" at 0.83: 0.58). Static word vectors measure relatedness more than synonymy
# ("headquartered" ~ "central" 0.55): a low cosine must buy little.
EXPAND_NEIGHBOURS = 12
EXPAND_TERMS = 3
EXPAND_MIN_SIMILARITY = 0.6
# Every finished candidate's score is scaled by 1 + SEMANTIC_WEIGHT * (cosine - SEMANTIC_BASE)
# where the cosine (question against sentence meaning) exceeds SEMANTIC_BASE.
SEMANTIC_WEIGHT = 0.5
SEMANTIC_BASE = 0.3
# The sentence encoder (bot/answer/encoder.py): the best ENCODED_PER_SOURCE candidates of each of
# the ENCODED_SOURCES best-placed sources are encoded with the question, and each one's score is
# raised by ENCODER_WEIGHT times its cosine with the question. Held out by article on SQuAD
# (numbers in the README), the cosine lifts the no-answer decision more than the ranking. This only
# reads candidates without a stored vector (a source added a moment ago): every source that can be
# quoted (FINISH_SOURCES) gets its cosine, since the no-answer model reads a source without one as
# far from the question.
ENCODED_SOURCES = FINISH_SOURCES
ENCODED_PER_SOURCE = 3
ENCODER_WEIGHT = 1.0
# Candidates by meaning (the library's stored sentence vectors, storage.vectors): the
# MEANING_CANDIDATES sentences nearest the question join the ones its words found, so a sentence
# that answers in other words than the question's is scored too. Every candidate with a stored
# vector gets its cosine; beyond the ENCODER_WEIGHT factor, a cosine above MEANING_BASE adds
# MEANING_WEIGHT times the question's whole weight per unit: a sentence that shares no word with the
# question but says what it asks can outrank one that only repeats its words.
# The weight is chosen by `python -m benchmarks.fusion` on its fit splits (SQuAD's fit-fold articles
# and the meaning set's fit half) with the encoder tuned on the fit-fold articles only (figures in
# the README).
MEANING_CANDIDATES = 30
MEANING_WEIGHT = 4.0
MEANING_BASE = 0.3
# `meaning_margin`: the nearest sentence's cosine against the mean of the next MARGIN_PEERS.
MARGIN_PEERS = 9

# The no-answer decision: two logistic models over the named features of `assess` (a source's best
# sentence, all its candidates, the question), read at start from bot/answer/data/noanswer.json
# (bot/answer/noanswer.py). The question model gives the probability that a source is the one that
# answers, knowing how it compares with the others (`lead`): the most probable source is quoted when
# it reaches MIN_PROBABILITY (the `threshold` argument overrides it; the command line and the bot pass
# the FACTBOT_ANSWER_THRESHOLD setting). The source model (the same features without `lead` and the
# encoder's `similarity`: calibrate.SOURCE_MODEL_LEAVES_OUT) judges every source on its own: it is
# quoted when it reaches SOURCE_PROBABILITY (scaled with the threshold), so two articles on one topic
# are both quoted. The question is answered when any source is. `python -m benchmarks.calibrate
# --write` fits both and writes the file with its provenance and held-out figures (whole articles
# and whole question styles held out).
MIN_PROBABILITY = 0.6
SOURCE_PROBABILITY = 0.25
# The names of the features `assess` computes for every source (the model file's weights are keyed
# by these names; a name the file lacks weighs zero, a name the file has that is not here is an error).
FEATURES = (
    "coverage",
    "coverage_known",
    "unknown_share",
    "source_coverage",
    "lead",
    "kind_expected",
    "kind_found",
    "known_terms",
    "density",
    "matched_share",
    "semantic",
    "expanded_share",
    "missing_top",
    "similarity",
    "meaning_best",
    "meaning_margin",
    "meaning_gap",
)
# `lead`: the log of a source's best score over the best other source's, clipped to +-LEAD_CLIP.
LEAD_CLIP = 3.0


@dataclass(frozen=True, slots=True)
class Understanding:
    """Which stages of question understanding run. All do in the product; the quality benchmark
    switches one off at a time to measure what each adds."""

    chat: bool = True  # the chat normaliser: mentions, emoji, URLs, markdown, greetings, clutter
    spelling: bool = True  # misspelt words matched to the library's own vocabulary
    semantic: bool = True  # paraphrase: the static-embedding signal
    refusal: bool = True  # the fitted no-answer decision (off: the best source is always quoted)
    encoder: bool = True  # the sentence encoder's question-sentence similarity


class Engine:
    """Answers questions from one library; safe to share between concurrent callers."""

    def __init__(
        self,
        library: Library,
        *,
        threshold: float | None = None,
        understanding: Understanding | None = None,
        model: NoAnswerModel | None = None,
        concurrent: int | None = None,
    ) -> None:
        self.library = library
        # At most `concurrent` questions worked on at once (None: no limit); the others wait their
        # turn. A bot's event loop shares the interpreter with the threads that rank: with every
        # question ranking at once under load, the loop waits for its turn behind all of them, and
        # acknowledging a new interaction (Discord's 3 s) waits with it.
        self._turns = asyncio.Semaphore(concurrent) if concurrent else None
        self.threshold = MIN_PROBABILITY if threshold is None else threshold
        self.understanding = understanding or Understanding()
        # The shipped no-answer model, read (and checked) here: a missing or corrupt file is one
        # ModelFileError when the engine starts, never a failure at the first question.
        self.model = model or shipped_model(FEATURES)
        # The word vectors, read (and checked) here for the same reason: EmbeddingsFileError at start.
        self.embeddings = semantic.shipped() if self.understanding.semantic else None
        # The sentence encoder, loaded here too: EncoderFileError at start.
        self.encoder = encoder.shipped() if self.understanding.encoder else None

    async def catch_up(
        self,
        *,
        limit: int | None = None,
        progress: Callable[[int], object] | None = None,
        switch: ModelSwitch = ModelSwitch.FORWARD,
    ) -> int:
        """Give the library's sentences that have none their vectors in meaning (at most `limit`;
        none without the encoder or in a read-only library): how many were encoded. `switch`: as
        vectorize.encode_pending."""
        if self.encoder is None:
            return 0
        return await vectorize.encode_pending(self.library, self.encoder, limit=limit, progress=progress, switch=switch)

    async def ask(self, question: str, *, scope: int = GLOBAL_SCOPE, trace: list[Assessed] | None = None) -> Answer:
        """The answer to `question` from the sources visible in `scope` (global plus a server's).
        `trace`, when given, receives every source's assessment (for calibration). Its reads are
        one question's to the library (Library.question: one version read on PostgreSQL)."""
        async with self._turns or contextlib.nullcontext(), self.library.question():
            return await self._ask(question, scope, trace)

    async def _ask(self, question: str, scope: int, trace: list[Assessed] | None) -> Answer:
        started = time.perf_counter()
        typed = chat.clean(question) if self.understanding.chat else None
        if typed is not None and not typed.has_words:
            # Only chat ("hi!", a mention, an emoji): a hello for a greeting, else nothing to look up.
            reason = Reason.GREETING if typed.social else Reason.NO_WORDS
            return Answer(" ".join(question.split())[:MAX_QUESTION_CHARS], reason=reason)
        parsed, freqs, aliases = await self._understand(question if typed is None else typed.text, scope)
        if parsed.empty:
            return await self._refuse(parsed, scope, Reason.NO_WORDS)
        total, avg_chars = await self.library.sentence_stats(scope=scope)
        # A word the library never uses may be a paraphrase of one it does ("troops" for "force"):
        # it counts against coverage, but less than a known word that a sentence fails to match.
        weights = {t: idf(freqs[t], total) * (1.0 if freqs[t] else UNKNOWN_WORD_WEIGHT) for t in parsed.terms}
        if aliases:
            # The library's stand-ins for the words it lacks are searched for too.
            freqs = {**freqs, **{t: n for t, (_q, _f, n) in aliases.items()}}
        searchable = search_terms(parsed, freqs, aliases)
        if self.understanding.refusal and any(freqs[t] == 0 for t in parsed.names):
            # Nothing visible here mentions what the question names: no source can address it.
            return await self._refuse(parsed, scope, Reason.NOTHING)
        # The two searches, by meaning and by words, at once: the encoder and the vectors' product
        # run in threads while the library searches its words, on another core where there is one.
        meaning, candidates = await _together(self._meaning_of(parsed, scope), self._by_words(searchable, scope, freqs))
        if not searchable and not meaning.near:
            return await self._refuse(parsed, scope, Reason.NOTHING)
        found = {c.id for c in candidates}
        by_meaning = [i for i, _c in meaning.near if i not in found]
        if by_meaning:
            candidates += await self.library.visible_sentences(by_meaning, scope=scope)
        if meaning.vector is not None and candidates:
            meaning.cosines.update(
                await self.library.vector_cosines((c.id for c in candidates), meaning.vector, model=meaning.model)
            )
        scored, reached = await self._score(parsed, weights, avg_chars, candidates, aliases, meaning)
        assessed = self.assess(
            parsed, weights, freqs, scored, reached, {q for q, _f, _n in aliases.values()}, meaning=meaning
        )
        if trace is not None:
            trace.extend(assessed)
        chosen = self._choose(assessed)
        if not chosen:
            return await self._refuse(parsed, scope, Reason.NOTHING, near={s.sentence.source_id for s in scored})
        answers = await self._quotes(chosen)
        answered_ids = {a.source.id for a in answers}
        uncovered, count = await self._uncovered(scope, answered_ids, {s.sentence.source_id for s in scored})
        return Answer(
            parsed.text,
            tuple(answers),
            uncovered,
            count,
            reason=Reason.CUT if parsed.truncated else None,
            timings={"total_ms": 1000 * (time.perf_counter() - started)},
            expects=parsed.expects.value,
        )

    async def _understand(
        self, text: str, scope: int
    ) -> tuple[Question, dict[str, int], dict[str, tuple[str, float, int]]]:
        """The question as the engine reads it, its terms' frequencies in the library visible from
        `scope`, and the library's stand-ins for the words it lacks (`_paraphrases`). With
        `spelling`, a word the library does not know is read as the vocabulary word it plainly
        misspells ("mmebers" as "members"); the text (what the answer echoes) stays as typed.

        Term frequencies are read at most twice: the typed terms, then in one read the terms
        spelling put in and the stand-ins for every word not known to be used. A mended text is
        parsed afresh: a correction may change what the question asks, not only its terms."""
        typed = parse_question(text)
        if typed.empty:
            return typed, {}, {}
        counts = await self.library.term_frequencies(typed.terms, scope=scope)
        parsed = await self._mended(typed, counts, scope) if self.understanding.spelling else typed
        near = self._neighbours(parsed, counts) if self.embeddings is not None else {}
        stand_ins = {n for found in near.values() for n, _s in found} - set(parsed.terms)
        unread = [t for t in dict.fromkeys((*parsed.terms, *sorted(stand_ins))) if t not in counts]
        if unread:
            counts = {**counts, **await self.library.term_frequencies(unread, scope=scope)}
        freqs = {t: counts[t] for t in parsed.terms}
        return parsed, freqs, _paraphrases(near, freqs, {n: counts[n] for n in stand_ins})

    async def _mended(self, typed: Question, freqs: dict[str, int], scope: int) -> Question:
        """`typed` read with its misspelt words mended (those whose terms `freqs` counts 0 and that
        plainly misspell a word the library visible from `scope` uses), or as it is."""
        unknown = {t for t in typed.terms if freqs[t] == 0}
        found = await spelling.corrections(self.library, typed.text, unknown, scope=scope) if unknown else []
        if not found:
            return typed
        mended = parse_question(spelling.apply(typed.text, found))
        return dataclasses.replace(mended, text=typed.text, truncated=typed.truncated, read=mended.text)

    def _neighbours(self, question: Question, counts: dict[str, int]) -> dict[str, list[tuple[str, float]]]:
        """For each of the question's words not known to be used (counted 0, or not counted yet)
        and not a name: its nearest terms in the word vectors, candidates to stand in for it."""
        assert self.embeddings is not None
        return {
            t: self.embeddings.neighbours(t, EXPAND_NEIGHBOURS, minimum=EXPAND_MIN_SIMILARITY)
            for t in question.terms
            if counts.get(t, 0) == 0 and t not in question.names
        }

    async def _by_words(self, searchable: list[str], scope: int, freqs: dict[str, int]) -> list[Sentence]:
        """The candidate sentences the question's words (and stand-ins) find."""
        if not searchable:
            return []
        return await self.library.match_terms(searchable, scope=scope, limit=CANDIDATES, counts=freqs)

    async def _meaning_of(self, question: Question, scope: int) -> Meaning:
        """The question's vector in meaning and the library's sentences nearest it (none without
        the encoder, or in a library not yet encoded)."""
        if self.encoder is None:
            return Meaning()
        encoder = self.encoder
        vector = (await asyncio.to_thread(encoder.vectors, [question.meaning]))[0]
        near = await self.library.nearest_sentences(
            vector, scope=scope, limit=MEANING_CANDIDATES, model=encoder.identity
        )
        return Meaning(vector, near, dict(near), encoder.identity)

    async def _score(
        self,
        question: Question,
        weights: dict[str, float],
        avg_chars: float,
        candidates: list[Sentence],
        aliases: dict[str, tuple[str, float, int]] | None = None,
        meaning: Meaning | None = None,
    ) -> tuple[list[Scored], dict[int, set[str]]]:
        """The candidates scored, finished ones only, best first; and per source the question terms
        any of its candidates states (a topic signal: does this source talk about these things?)."""
        ranker = Ranker(question, weights, avg_chars, {t: (q, f) for t, (q, f, _n) in (aliases or {}).items()})
        around = await self.library.neighbours(s.id for s in candidates)
        # Scoring is pure CPU (tens of ms on a large match set): off the event loop, so a bot keeps
        # acknowledging interactions within Discord's 3 seconds while it answers other questions.
        return await asyncio.to_thread(self._rank, ranker, question, candidates, around, meaning or Meaning())

    def _rank(
        self,
        ranker: Ranker,
        question: Question,
        candidates: list[Sentence],
        around: dict[int, Sentence],
        meaning: Meaning,
    ) -> tuple[list[Scored], dict[int, set[str]]]:
        def beside(sentence: Sentence, step: int) -> Sentence | None:
            other = around.get(sentence.id + step)
            if other and (other.source_id, other.paragraph) == (sentence.source_id, sentence.paragraph):
                return other
            return None

        scored = [ranker.score(s, beside(s, -1), beside(s, 1)) for s in candidates]
        for s in scored:
            cosine = meaning.cosines.get(s.sentence.id)
            if cosine is not None:
                _fuse(s, cosine, ranker.total_weight)
        scored.sort(key=ranked)
        reached: dict[int, set[str]] = defaultdict(set)
        for s in scored:
            reached[s.sentence.source_id] |= s.hits
        per_source: dict[int, int] = defaultdict(int)
        for rank, s in enumerate(scored):
            per_source[s.sentence.source_id] += 1
            # Sources that rank this low never get quoted; finishing them only costs time.
            if rank < FINISH or (
                per_source[s.sentence.source_id] <= FINISH_PER_SOURCE and len(per_source) <= FINISH_SOURCES
            ):
                ranker.finish(s)
        finished = [s for s in scored if s.finished]
        if self.embeddings is not None:
            self._meaning(question, finished)
        if self.encoder is not None:
            self._encoded(question, [s for s in finished if s.sentence.id not in meaning.cosines], ranker.total_weight)
        finished.sort(key=ranked)
        return finished, reached

    def _meaning(self, question: Question, finished: list[Scored]) -> None:
        """Each candidate's `semantic` similarity to the question (the weighted mean of its words'
        vectors against the question's), and its score raised where that is high."""
        assert self.embeddings is not None
        asked = self.embeddings.text_vector(question.terms)
        if asked is None:
            return
        for s in finished:
            words = sentence_terms(s.sentence.text)
            if s.lead is not None:
                words = sentence_terms(s.lead.text) + words
            s.semantic = semantic.cosine(asked, self.embeddings.text_vector(words))
            s.score *= 1 + SEMANTIC_WEIGHT * max(0.0, s.semantic - SEMANTIC_BASE)

    def _encoded(self, question: Question, finished: list[Scored], total_weight: float) -> None:
        """Each best candidate's `similarity` to the question in the sentence encoder (the best
        ENCODED_PER_SOURCE of the ENCODED_SOURCES best-placed sources), and its score raised by it:
        for candidates whose sentence has no stored vector yet (a library still being encoded)."""
        assert self.encoder is not None
        per_source: dict[int, list[Scored]] = {}
        for s in sorted(finished, key=ranked):
            items = per_source.get(s.sentence.source_id)
            if items is None:
                if len(per_source) == ENCODED_SOURCES:
                    continue
                items = per_source[s.sentence.source_id] = []
            if len(items) < ENCODED_PER_SOURCE:
                items.append(s)
        chosen = [s for items in per_source.values() for s in items]
        if not chosen:
            return
        vectors = self.encoder.vectors([question.meaning, *(s.sentence.text for s in chosen)])
        cosines = np.round(vectors[1:] @ vectors[0], COSINE_DECIMALS)
        for s, similarity in zip(chosen, cosines, strict=True):
            _fuse(s, float(similarity), total_weight)

    def assess(
        self,
        question: Question,
        weights: dict[str, float],
        freqs: dict[str, int],
        scored: list[Scored],
        reached: dict[int, set[str]],
        expanded: set[str] | None = None,
        *,
        meaning: Meaning | None = None,
    ) -> list[Assessed]:
        """Every source with a candidate: its sentences best first, its features and the model's
        probability that it addresses the question; most probable first. `expanded`: the question
        terms the library lacks but has stand-ins for (the semantic stage)."""
        by_source: dict[int, list[Scored]] = defaultdict(list)
        for s in scored:
            by_source[s.sentence.source_id].append(s)
        best = {sid: items[0].score for sid, items in by_source.items()}
        ranked = sorted(best.values(), reverse=True)
        total = sum(weights.values()) or 1.0
        known = [t for t in weights if freqs.get(t, 0) > 0]
        known_weight = sum(weights[t] for t in known) or 1.0
        expected = 1.0 if question.expects not in (Expects.ANY, Expects.DEFINITION) else 0.0
        # Sums over sets of terms are exact (fsum): their order is the string hashing's.
        expanded_weight = math.fsum(weights[t] for t in expanded or () if t in weights)
        top_weight = max((weights[t] for t in known), default=0.0) or 1.0
        nearest = [c for _i, c in (meaning or Meaning()).near]
        meaning_best = nearest[0] if nearest else 0.0
        peers = nearest[1 : 1 + MARGIN_PEERS]
        meaning_margin = meaning_best - sum(peers) / len(peers) if peers else 0.0
        out = []
        for sid, items in by_source.items():
            b = items[0]
            others = ranked[1] if best[sid] == ranked[0] and len(ranked) > 1 else ranked[0]
            if best[sid] == ranked[0] and len(ranked) == 1:
                lead = LEAD_CLIP
            else:
                lead = max(-LEAD_CLIP, min(LEAD_CLIP, math.log(max(b.score, 1e-9) / max(others, 1e-9))))
            features = {
                "coverage": b.coverage,
                "coverage_known": min(1.0, b.coverage * total / known_weight),
                "unknown_share": 1.0 - known_weight / total if known else 1.0,
                "source_coverage": math.fsum(weights[t] for t in reached.get(sid, ())) / known_weight,
                "lead": lead,
                "kind_expected": expected,
                "kind_found": 1.0 if b.kind_found else 0.0,
                "known_terms": math.log1p(len(known)),
                "density": b.score / total,
                "matched_share": len(b.hits) / max(len(known), 1),
                # The semantic stage (0 when it is off): the best sentence's meaning against the
                # question's, and the share of the question's weight the library has only stand-ins for.
                "semantic": b.semantic,
                "expanded_share": expanded_weight / total,
                # The heaviest question word the library knows that the best sentence lacks, against
                # the heaviest of all: on topic but not the answer (the article's name, not the fact).
                "missing_top": max((weights[t] for t in known if t not in b.hits), default=0.0) / top_weight,
                # The sentence encoder (0 when it is off): the closest of the source's encoded
                # candidates to the question, in meaning.
                "similarity": max((s.similarity for s in items), default=0.0),
                # Over the whole library visible here, not only these candidates: how close the
                # nearest sentence comes in meaning, and how far it stands above the next ones.
                "meaning_best": meaning_best,
                "meaning_margin": meaning_margin,
                # How far this source's closest sentence stays below the library's closest (0: it
                # holds it): of two articles on one topic, the one that says what was asked is nearer.
                "meaning_gap": meaning_gap_of(items, meaning_best),
            }
            alone = dict(features, lead=0.0)
            question_p, source_p = self.model.question.probability(features), self.model.source.probability(alone)
            out.append(Assessed(sid, items, features, question_p, source_p, total))
        out.sort(key=lambda a: (-a.probability, -a.items[0].score, a.source_id))
        return out

    def _choose(self, assessed: list[Assessed]) -> dict[int, tuple[float, list[Scored]]]:
        """The sources that address the question (most probable first), each with its probability
        and its quotable sentences, best first."""
        chosen: dict[int, tuple[float, list[Scored]]] = {}
        source_threshold = source_threshold_for(self.threshold)
        if not self.understanding.refusal:
            # No no-answer decision (measured by the ablation): the best-scoring source, always.
            assessed = sorted(assessed, key=lambda a: a.items[0].score, reverse=True)[:1]
        for i, a in enumerate(assessed):
            if self.understanding.refusal and not (
                (i == 0 and a.probability >= self.threshold) or a.alone >= source_threshold
            ):
                continue
            b = a.items[0]
            keep = [s for s in a.items if s.score >= QUOTE_RATIO * b.score]
            keep = _join_continuations(keep)
            keep = keep[:1] + [s for s in keep[1:] if worth_adding(s, keep[0])]
            chosen[a.source_id] = (max(a.probability, a.alone), _without_overlaps(keep)[:MAX_QUOTES])
        return chosen

    async def _quotes(self, chosen: dict[int, tuple[float, list[Scored]]]) -> list[SourceAnswer]:
        infos = await self.library.sources_by_id(chosen)
        answers = []
        for sid, (probability, items) in chosen.items():
            if sid not in infos:
                continue  # removed (by another process) while this question was answered: not quoted
            quotes: list[Quote] = []
            for s in items:
                sentence = s.sentence
                start, end = (s.lead or sentence).start, (s.tail or sentence).end
                if s.lead is None and s.tail is None:
                    text, facts = sentence.text, s.facts
                else:
                    try:
                        text = await self.library.excerpt(sid, start, end)
                    except UnknownSource:
                        quotes = []  # removed just now, as above
                        break
                    facts = find_facts(text)
                quotes.append(Quote(text, sentence.paragraph, (s.lead or sentence).number, start, end, s.score, facts))
            if quotes and infos[sid].pages:
                quotes = await self._paged(sid, quotes)
            if quotes:
                answers.append(SourceAnswer(infos[sid], tuple(quotes), items[0].score, probability))
        return answers

    async def _paged(self, source_id: int, quotes: list[Quote]) -> list[Quote]:
        """The quotes of a paged source (a PDF) with the pages they start and end on."""
        spots = [spot for q in quotes for spot in ((q.start, q.paragraph), (q.end - 1, q.paragraph))]
        places = await self.library.page_places(source_id, spots)
        paged = []
        for q, first, last in zip(quotes, places[::2], places[1::2], strict=True):
            if first is not None and last is not None:
                q = dataclasses.replace(q, page=first.page, page_paragraph=first.paragraph, page_end=last.page)
            paged.append(q)
        return paged

    async def _uncovered(self, scope: int, answered: set[int], near: set[int]) -> tuple[tuple[Uncovered, ...], int]:
        """Sources in scope that do not address the question: all of them in a small library,
        the ones that came closest (up to MAX_UNCOVERED) in a large one, and how many in all."""
        total = await self.library.count_sources(scope=scope)
        if total <= MAX_UNCOVERED + len(answered):
            listed = [s for s in await self.library.list_sources(scope=scope) if s.id not in answered]
        else:
            infos = await self.library.sources_by_id(sorted(near - answered)[:MAX_UNCOVERED])
            listed = [infos[i] for i in sorted(infos)]  # by id on every backend, whatever order rows come in
        return tuple(Uncovered(s.id, s.title) for s in listed), total - len(answered)

    async def _refuse(self, question: Question, scope: int, reason: Reason, near: set[int] | None = None) -> Answer:
        uncovered, count = await self._uncovered(scope, set(), near or set())
        return Answer(question.text, (), uncovered, count, reason=reason, expects=question.expects.value)


@dataclass(slots=True)
class Meaning:
    """The question in meaning: its vector, the library's nearest sentences (id, cosine; nearest
    first) and the cosine of every candidate that has a stored vector, by sentence id; `model`:
    the encoder that made the vector (only vectors it made are compared with it)."""

    vector: np.ndarray | None = None
    near: list[tuple[int, float]] = field(default_factory=list)
    cosines: dict[int, float] = field(default_factory=dict)
    model: str = ""


async def _together(first: Awaitable[A], second: Awaitable[B]) -> tuple[A, B]:
    """Both results, awaited at once. If one fails, the other is cancelled (and awaited) before the
    error is raised as it is: nothing of the question keeps running after it has ended."""
    tasks = (asyncio.ensure_future(first), asyncio.ensure_future(second))
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return tasks[0].result(), tasks[1].result()


def meaning_gap_of(items: list[Scored], best: float) -> float:
    """A source's closest candidate's cosine minus the library's closest (0 when none is known)."""
    own = max((s.similarity for s in items), default=0.0)
    return min(0.0, own - best) if best > 0 else 0.0


def ranked(s: Scored) -> tuple[float, int, int]:
    """Best score first; ties by source id, then by position: never by the order of arrival."""
    return (-s.score, s.sentence.source_id, s.sentence.id)


def _fuse(s: Scored, cosine: float, total_weight: float) -> None:
    """A candidate's cosine with the question, folded into its score."""
    s.similarity = cosine
    s.score = fused(s.score, cosine, total_weight)


def fused(words: float, cosine: float, total_weight: float, weight: float = MEANING_WEIGHT) -> float:
    """A stage-one score from the words and a cosine in meaning, together (see MEANING_WEIGHT;
    benchmarks.fusion compares other combinations, `weight` among them)."""
    return words * (1 + ENCODER_WEIGHT * max(0.0, cosine)) + weight * total_weight * max(0.0, cosine - MEANING_BASE)


@dataclass(slots=True)
class Assessed:
    """One source's evidence for a question and the model's probability that it addresses it."""

    source_id: int
    items: list[Scored]
    features: dict[str, float]  # engine.FEATURES, by name
    probability: float  # that it is the source that answers (question model)
    alone: float  # that it addresses the question, judged on its own (source model)
    total_weight: float = 0.0  # the question's whole weight (the scale of the items' scores)


def search_terms(question: Question, freqs: dict[str, int], extra: Iterable[str] = ()) -> list[str]:
    """The terms the candidate search looks for: the question's terms the library knows and the
    `extra` ones (stand-ins for words it lacks), rarest first (they narrow the match set most), at
    most MAX_TERMS."""
    known = [t for t in dict.fromkeys((*question.terms, *extra)) if freqs.get(t, 0) > 0]
    return sorted(known, key=lambda t: freqs[t])[:MAX_TERMS]


def _paraphrases(
    near: dict[str, list[tuple[str, float]]], freqs: dict[str, int], counts: dict[str, int]
) -> dict[str, tuple[str, float, int]]:
    """Stand-ins for the question's words that the library does not use (`freqs` 0), among their
    `near` terms (`Engine._neighbours`) that it does use (`counts`, the stand-ins' frequencies):
    library term -> (the question term it stands for, its match factor, its frequency)."""
    aliases: dict[str, tuple[str, float, int]] = {}
    for t, found in near.items():
        if freqs[t] != 0:
            continue  # counted only once spelling had put it in: the library uses it
        known = [(n, s) for n, s in found if counts.get(n, 0) > 0][:EXPAND_TERMS]
        for n, s in known:
            factor = (s - EXPAND_MIN_SIMILARITY) / (1 - EXPAND_MIN_SIMILARITY)
            if factor > 0 and (n not in aliases or aliases[n][1] < factor):
                aliases[n] = (t, factor, counts[n])
    return aliases


def source_threshold_for(threshold: float) -> float:
    """The per-source model's threshold that goes with the question model's `threshold`: piecewise
    linear through (0, 0), (MIN_PROBABILITY, SOURCE_PROBABILITY) and (1, 1), so 0 quotes every
    source with a candidate and 1 or more quotes none."""
    if threshold <= MIN_PROBABILITY:
        return SOURCE_PROBABILITY * threshold / MIN_PROBABILITY
    return SOURCE_PROBABILITY + (1 - SOURCE_PROBABILITY) * (threshold - MIN_PROBABILITY) / (1 - MIN_PROBABILITY)


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
        join_stated(s, nxt)
        s.score = max(s.score, nxt.score)  # the joined quote ranks where the better of the two did
        joined.add(nxt.sentence.id)
    kept = [s for s in items if s.sentence.id not in joined]
    kept.sort(key=ranked)
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
