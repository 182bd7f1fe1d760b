"""How to combine the words' score and the meaning cosine: the shipped combination against others,
ranking only (the no-answer decision off), on splits that say whether a choice carries over.

    .venv/bin/python -m benchmarks.fusion                  # 1,500 SQuAD questions, the seed sets
    .venv/bin/python -m benchmarks.fusion --squad 300      # quicker

Every candidate of every question is finished (facts, answer kind, word vectors), so any
combination can be replayed on the same candidates: a candidate's final score is its combination
times the factors the later stages gave it. Reports, per combination, the share of questions whose
first-ranked sentence holds a gold phrase of a source that answers:
  squad fit / held   SQuAD public questions, articles split in two by a hash of their title
  meaning fit / held benchmarks/data/seed_meaning.jsonl (other words than the answer's)
  seed, paraphrases  the seed questions and benchmarks/data/seed_paraphrases.jsonl (never fitted)
Combinations: the shipped one (`engine.fused`) at several meaning weights; the words alone; the
cosine alone; reciprocal rank fusion; and a listwise logistic model over the candidates' features
(log word score, cosine, cosine below the library's nearest, coverage, the later stages' factor),
fitted on the two fit splits and read on the others. Nothing here reads WikiQA.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np

from benchmarks import datasets, variants
from benchmarks.quality import build_squad_library, norm

SPLITS = ("squad fit", "squad held", "meaning fit", "meaning held", "seed", "paraphrases")
FIT = ("squad fit", "meaning fit")
WEIGHTS = (0.0, 1.0, 2.0, 4.0, 8.0)
RRF_K = (5, 60)
FEATURE_NAMES = ("log words", "cosine", "below nearest", "coverage", "later factor")
WORD_FLOOR = 0.05  # the log word score's floor, in units of the question's weight
L2 = 0.1
STEPS = 400
STEP_SIZE = 0.5


@dataclass(frozen=True, slots=True)
class Candidate:
    source_id: int
    sentence_id: int
    words: float  # stage one, words alone
    cosine: float | None  # None: no vector
    factor: float  # what the later stages multiplied the combined score by
    coverage: float
    hit: bool


@dataclass(frozen=True, slots=True)
class Asked:
    split: str
    total_weight: float
    nearest: float  # the library's nearest cosine
    candidates: tuple[Candidate, ...]


def _candidates(trace: list, gold: dict[int, list[str]]) -> tuple[float, tuple[Candidate, ...]]:
    from bot.answer.engine import fused

    total = trace[0].total_weight if trace else 1.0
    out = []
    for a in trace:
        for s in a.items:
            text = norm(" ".join(x.text for x in (s.lead, s.sentence, s.tail) if x is not None))
            cosine = s.similarity or None  # 0: never encoded
            combined = fused(s.words, cosine, total) if cosine is not None else s.words
            out.append(
                Candidate(
                    a.source_id,
                    s.sentence.id,
                    s.words,
                    cosine,
                    s.score / combined if combined > 0 else 1.0,
                    s.coverage,
                    any(g in text for g in gold.get(a.source_id, ())),
                )
            )
    return total, tuple(out)


async def _ask(engine, question: str, split: str, gold: dict[int, list[str]]) -> Asked:
    trace: list = []
    near: list[float] = []
    original = engine._meaning_of

    async def meaning_of(parsed, scope):
        found = await original(parsed, scope)
        near.extend(c for _i, c in found.near[:1])
        return found

    with mock.patch.object(engine, "_meaning_of", meaning_of):
        await engine.ask(question, trace=trace)
    total, candidates = _candidates(trace, gold)
    return Asked(split, total, near[0] if near else 0.0, candidates)


def _squad_fold(title: str) -> str:
    return "squad fit" if int(hashlib.sha1(title.encode()).hexdigest(), 16) % 2 == 0 else "squad held"


async def collect(n_squad: int, seed: int) -> list[Asked]:
    """Every question asked once, all candidates finished, the no-answer decision off."""
    from bot.answer import Engine
    from bot.answer import engine as engine_module
    from bot.answer.engine import Understanding
    from seeds import load_seeds
    from storage.backends import open_library

    asked: list[Asked] = []
    everything = 10**6
    with (
        mock.patch.object(engine_module, "FINISH", everything),
        mock.patch.object(engine_module, "FINISH_SOURCES", everything),
        mock.patch.object(engine_module, "FINISH_PER_SOURCE", everything),
        tempfile.TemporaryDirectory(prefix="factbot-fusion-") as tmp,
    ):
        squad = datasets.squad_dir()
        manifest = [json.loads(x) for x in (squad / "articles.jsonl").read_text().splitlines()]
        questions = [json.loads(x) for x in (squad / "questions.jsonl").read_text().splitlines()]
        inside = [q for q in questions if q["role"] == "library"]
        picked = random.Random(seed).sample(inside, min(n_squad, len(inside)))
        library = await build_squad_library(Path(tmp) / "squad.db", manifest, squad)
        try:
            ids = {s.title: s.id for s in await library.list_sources(scope=None)}
            engine = Engine(library, understanding=Understanding(refusal=False))
            for q in picked:
                gold = {ids[q["title"]]: [norm(a) for a in q["answers"]]}
                asked.append(await _ask(engine, q["question"], _squad_fold(q["title"]), gold))
        finally:
            await library.close()
        key_of = {s.title: s.key for s in load_seeds()}
        async with await open_library(Path(tmp) / "seeds.db") as library:
            by_key = {key_of[s.title]: s.id for s in await library.list_sources(scope=None)}
            engine = Engine(library, understanding=Understanding(refusal=False))
            await engine.catch_up()
            for split, question, raw in _seed_sets():
                gold = {by_key[k]: [norm(g) for g in v] for k, v in raw.items() if not k.endswith("?")}
                if gold:
                    asked.append(await _ask(engine, question, split, gold))
    return asked


def _seed_sets() -> list[tuple[str, str, dict[str, list[str]]]]:
    def rows(path: Path) -> list[dict]:
        return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]

    seed_rows = rows(datasets.seed_questions())
    gold_of = {q["id"]: q.get("gold", {}) for q in seed_rows}
    out = [(f"meaning {q['split']}", q["question"], q.get("gold", {})) for q in rows(datasets.seed_meaning())]
    out += [("seed", q["question"], q.get("gold", {})) for q in seed_rows]
    for key, written in variants.paraphrases().items():
        out += [("paraphrases", question, gold_of.get(key, {})) for question in written]
    return out


Scorer = Callable[[Asked], list[float]]


def figures(asked: list[Asked], scorer: Scorer) -> dict[str, float]:
    """Per split: the share of questions whose first-ranked candidate is a hit."""
    hits: dict[str, list[bool]] = {s: [] for s in SPLITS}
    for a in asked:
        scores = scorer(a) if a.candidates else []
        order = sorted(
            range(len(scores)), key=lambda i: (-scores[i], a.candidates[i].source_id, a.candidates[i].sentence_id)
        )
        hits[a.split].append(bool(order) and a.candidates[order[0]].hit)
    return {s: sum(h) / len(h) if h else float("nan") for s, h in hits.items()}


def shipped(weight: float) -> Scorer:
    from bot.answer.engine import fused

    def score(a: Asked) -> list[float]:
        return [
            (fused(c.words, c.cosine, a.total_weight, weight) if c.cosine is not None else c.words) * c.factor
            for c in a.candidates
        ]

    return score


def cosine_alone(a: Asked) -> list[float]:
    return [c.cosine if c.cosine is not None else -1.0 for c in a.candidates]


def rrf(k: int) -> Scorer:
    """Reciprocal rank fusion of the words' ranking (with the later stages' factors) and meaning's."""

    def score(a: Asked) -> list[float]:
        n = len(a.candidates)
        by_words = sorted(range(n), key=lambda i: -a.candidates[i].words * a.candidates[i].factor)
        by_meaning = sorted(range(n), key=lambda i: -(a.candidates[i].cosine or -1.0))
        out = [0.0] * n
        for order in (by_words, by_meaning):
            for rank, i in enumerate(order):
                out[i] += 1 / (k + rank)
        return out

    return score


def features(a: Asked) -> np.ndarray:
    """FEATURE_NAMES of each candidate, a row each."""
    rows = []
    for c in a.candidates:
        cosine = c.cosine if c.cosine is not None else 0.0
        word = math.log(c.words / a.total_weight + WORD_FLOOR)
        rows.append([word, cosine, cosine - a.nearest, c.coverage, math.log(max(c.factor, 1e-9))])
    return np.array(rows).reshape(len(rows), len(FEATURE_NAMES))


def fit_listwise(asked: list[Asked]) -> np.ndarray:
    """Softmax over each question's candidates, the hits as the target (L2, gradient descent)."""
    data = [(features(a), np.array([c.hit for c in a.candidates], dtype=float)) for a in asked if a.split in FIT]
    data = [(x, y / y.sum()) for x, y in data if y.sum() > 0]
    theta = np.zeros(len(FEATURE_NAMES))
    for _ in range(STEPS):
        grad = L2 * theta
        for x, target in data:
            z = x @ theta
            p = np.exp(z - z.max())
            grad += x.T @ (p / p.sum() - target) / len(data)
        theta -= STEP_SIZE * grad
    return theta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--squad", type=int, default=1500, help="SQuAD in-library questions asked (default 1500)")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    asked = asyncio.run(collect(args.squad, args.seed))
    theta = fit_listwise(asked)
    rows: list[tuple[str, Scorer]] = [(f"shipped, meaning weight {w:g}", shipped(w)) for w in WEIGHTS]
    rows += [("words alone", lambda a: [c.words * c.factor for c in a.candidates])]
    rows += [("cosine alone", cosine_alone)] + [(f"reciprocal rank fusion, k {k}", rrf(k)) for k in RRF_K]
    rows += [("listwise logistic (fit on the fit splits)", lambda a: list(features(a) @ theta))]
    counts = {s: sum(1 for a in asked if a.split == s) for s in SPLITS}
    print("| combination | " + " | ".join(f"{s} ({counts[s]})" for s in SPLITS) + " |")
    print("| --- |" + " --- |" * len(SPLITS))
    for name, scorer in rows:
        fig = figures(asked, scorer)
        print(f"| {name} | " + " | ".join(f"{fig[s]:.3f}" for s in SPLITS) + " |")
    print("listwise weights:", dict(zip(FEATURE_NAMES, np.round(theta, 2).tolist(), strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
