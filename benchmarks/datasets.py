"""Where the benchmarks and tests find their evaluation data: the one home for those paths.

Everything the README's figures rest on is in the repository, under benchmarks/data:

    seed_questions.jsonl   questions about the shipped seed articles (seeds/), with gold phrases
    squad/                 the public SQuAD v1.1 half (CC BY-SA 4.0: squad/LICENSE.md)

FACTBOT_BENCH_DATA=DIR reads both from another folder laid out the same way. WikiQA (Microsoft
Research Data License, research use) is never in the repository: a benchmark that scores it takes
`--wikiqa DIR` (README, "Answer quality", says where to get it and how to lay it out), and without
the flag it skips that set with one line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DATA_ENV = "FACTBOT_BENCH_DATA"
WIKIQA_FLAG = "--wikiqa"
REPO_DATA = Path(__file__).resolve().parent / "data"
WIKIQA_SKIPPED = f"wikiqa: skipped (research-use data, not in the repository: pass {WIKIQA_FLAG} DIR, see the README)"


def data_root() -> Path:
    """benchmarks/data, or the folder FACTBOT_BENCH_DATA names."""
    return Path(os.environ.get(DATA_ENV) or REPO_DATA)


def seed_questions() -> Path:
    """The seed-article questions: one JSON object a line, gold phrases keyed by seed key."""
    return data_root() / "seed_questions.jsonl"


def followups() -> Path:
    """Follow-up pairs about the seed articles: `previous`, the follow-up `question`, the question it
    stands for in `full`, and `gold` for the full question (bot/answer/followup.py reads them)."""
    return data_root() / "followups.jsonl"


def seed_meaning() -> Path:
    """Questions about the seed articles in other words than the answer's (at most one content word
    shared), and on-topic questions the articles do not answer; `split` is `fit` (calibrate.py may
    fit on them) or `held` (never fitted on: the figure to report)."""
    return data_root() / "seed_meaning.jsonl"


def squad_dir() -> Path:
    """The SQuAD half: articles.jsonl (file, title, role), questions.jsonl, articles/*.txt."""
    return data_root() / "squad"


def seed_bodies() -> dict[str, str]:
    """The shipped seed articles' bodies by key, in the library's order (what the bot quotes)."""
    from seeds import load_seeds

    return {seed.key: seed.body for seed in load_seeds()}


def wikiqa_dir(given: Path | None) -> Path | None:
    """The WikiQA folder given with --wikiqa; None, after one line on stderr, when it was not given.
    A folder without the expected files ends the run with one line saying so."""
    if given is None:
        print(WIKIQA_SKIPPED, file=sys.stderr)
        return None
    missing = [name for name in ("articles.jsonl", "questions.jsonl", "articles") if not (given / name).exists()]
    if missing:
        raise SystemExit(f"{WIKIQA_FLAG} {given}: no {', '.join(missing)} there (layout: README, Answer quality)")
    return given
