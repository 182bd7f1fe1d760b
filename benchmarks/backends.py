"""`ask` on SQLite and on PostgreSQL over the same library: warm latency (p50, p95), the same
answers, and what moving the library costs.

    .venv/bin/python -m benchmarks.backends --size 1000            # starts a throw-away PostgreSQL
    .venv/bin/python -m benchmarks.backends --size 10000 --pg postgresql://me@db/factbot_bench

The library is the synthetic corpus of benchmarks.scale (SQuAD-derived articles), added to an
SQLite file one transaction each, then moved with `storage.copy.copy_library` (what `factbot
library copy` does) into an empty PostgreSQL database. The same questions (answerable and outside)
are then asked of each, one process, warm, one at a time; the JSON answers are compared.

Without --pg a server is started in a temporary folder with tests/pgserver.py (fsync off: the
figures are for reading, not durable writes). Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import corpus


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def build(path: Path, size: int) -> float:
    from storage.errors import DuplicateSource
    from storage.ingest import add_document
    from storage.library import Library

    topics, _ = corpus.load_topics()
    started = time.perf_counter()
    async with await Library.open(path) as library:
        for article in corpus.articles(size, topics):
            try:
                await add_document(library, article.body.encode("utf-8"), filename=article.name, added_by="bench")
            except DuplicateSource:
                continue
    return time.perf_counter() - started


async def ask_all(target: Path | str, questions: list[str]) -> tuple[list[float], list[dict[str, Any]]]:
    from bot.answer import Engine
    from storage.library import Library

    async with await Library.open(target, seed=False) as library:
        engine = Engine(library)
        for q in questions[: corpus.WARMUP]:
            await engine.ask(q)
        times, answers = [], []
        for q in questions:
            t = time.perf_counter()
            answer = await engine.ask(q)
            times.append(time.perf_counter() - t)
            answers.append(answer.to_json())
    return times, answers


def _comparable(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "timings"}


async def main(args: argparse.Namespace) -> dict[str, Any]:
    from storage.copy import copy_library
    from storage.library import Library

    server = None
    url = args.pg
    if url is None:
        from tests import pgserver

        server = pgserver.start()
        url = server.fresh_database()
    try:
        with tempfile.TemporaryDirectory(prefix="factbot-backends-") as work:
            db = Path(work) / "library.db"
            build_s = await build(db, args.size)
            async with await Library.open(db, seed=False) as src, await Library.open(url, seed=False) as dst:
                started = time.perf_counter()
                report = await copy_library(src, dst)
                copy_s = time.perf_counter() - started
                sentences = (await src.sentence_stats())[0]
            questions = [q.text for q in corpus.questions(args.answerable, args.outside)]
            figures: dict[str, Any] = {
                "articles": args.size,
                "sources": report.verified,
                "sentences": sentences,
                "sqlite_build_s": round(build_s, 1),
                "copy_to_postgres_s": round(copy_s, 1),
                "questions": len(questions),
            }
            answers = {}
            for name, target in (("sqlite", db), ("postgres", url)):
                times, answers[name] = await ask_all(target, questions)
                figures[name] = {
                    "p50_ms": round(1000 * statistics.median(times), 1),
                    "p95_ms": round(1000 * percentile(times, 0.95), 1),
                    "mean_ms": round(1000 * statistics.fmean(times), 1),
                }
            pairs = list(zip(answers["sqlite"], answers["postgres"], strict=True))
            differ = [(a, b) for a, b in pairs if _comparable(a) != _comparable(b)]
            figures["identical_answers"] = f"{len(pairs) - len(differ)}/{len(questions)}"
            figures["differing"] = [{"sqlite": _comparable(a), "postgres": _comparable(b)} for a, b in differ[:3]]
            figures["p95_ratio"] = round(figures["postgres"]["p95_ms"] / figures["sqlite"]["p95_ms"], 2)
            return figures
    finally:
        if server is not None:
            server.stop()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.backends", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1000, help="articles in the library (default 1000)")
    parser.add_argument("--answerable", type=int, default=200)
    parser.add_argument("--outside", type=int, default=50)
    parser.add_argument("--pg", help="an empty PostgreSQL database's URL (default: start a throw-away server)")
    return parser.parse_args()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(parse_args())), indent=2))
