"""The same library and question give the same answer in any process: `ask --batch --json` run in
two processes with different PYTHONHASHSEED, compared byte for byte.

    .venv/bin/python -m benchmarks.determinism                       # 300 articles, 400 questions
    .venv/bin/python -m benchmarks.determinism --library lib.db --questions 1000

Why a synthetic library: its articles are recombined from a few real ones, so many sentences and
sources score alike, and any tie broken by the order Python happens to iterate a set of strings
(which PYTHONHASHSEED decides) shows as a different answer. Prints "N/N identical" and the first
questions that differ.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks import corpus

HASH_SEEDS = ("1", "2")


async def build(path: Path, size: int, *, containing: Sequence[str] = ()) -> None:
    """`size` synthetic articles, one transaction each, as `factbot sources add` adds them; with
    `containing`, only those whose body holds one of these phrases (a small library that keeps a
    large one's ties)."""
    from storage.backends import open_library
    from storage.errors import DuplicateSource
    from storage.ingest import add_document

    topics, _ = corpus.load_topics()
    async with await open_library(path) as library:
        for article in corpus.articles(size, topics):
            if containing and not any(phrase in article.body for phrase in containing):
                continue
            with contextlib.suppress(DuplicateSource):
                await add_document(library, article.body.encode("utf-8"), filename=article.name, added_by="benchmark")


def answers(library: str, questions: list[str], hash_seed: str) -> list[str]:
    """Each question's `ask --json` line from one `factbot ask --batch --json` process."""
    env = {**os.environ, "FACTBOT_DB": library, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--batch", "--json"],
        input="".join(q + "\n" for q in questions),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    lines = done.stdout.splitlines()
    if len(lines) != len(questions):
        raise SystemExit(f"expected {len(questions)} answers, got {len(lines)}: {done.stderr[-2000:]}")
    return lines


def differing(library: str, questions: list[str]) -> list[str]:
    """The questions whose answers differ between processes with the HASH_SEEDS."""
    first, second = (answers(library, questions, seed) for seed in HASH_SEEDS)
    return [q for q, a, b in zip(questions, first, second, strict=True) if a != b]


def questions_for(count: int) -> list[str]:
    """`count` questions: three quarters about the library's topics, a quarter about others."""
    inside = count * 3 // 4
    return [q.text.replace("\n", " ") for q in corpus.questions(inside, count - inside)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300, help="synthetic articles (without --library)")
    parser.add_argument("--questions", type=int, default=400)
    parser.add_argument("--library", help="an existing SQLite library or PostgreSQL URL to ask instead")
    args = parser.parse_args(argv)
    asked = questions_for(args.questions)
    with tempfile.TemporaryDirectory(prefix="factbot-determinism-") as tmp:
        library = args.library
        if library is None:
            library = str(Path(tmp) / "library.db")
            asyncio.run(build(Path(library), args.articles))
        differ = differing(library, asked)
    print(f"{len(asked) - len(differ)}/{len(asked)} identical (PYTHONHASHSEED {' and '.join(HASH_SEEDS)})")
    for q in differ[:5]:
        print(f"differs: {q}")
    return 0 if not differ else 1


if __name__ == "__main__":
    sys.exit(main())
