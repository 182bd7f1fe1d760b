"""`ask` on SQLite and on PostgreSQL over the same library: warm latency (p50, p95), the same
answers, and what moving the library costs.

    .venv/bin/python -m benchmarks.backends --size 1000            # starts a throw-away PostgreSQL
    .venv/bin/python -m benchmarks.backends --size 10000 --pg postgresql://me@db/factbot_bench
    .venv/bin/python -m benchmarks.backends --size 10000 --library /tmp/s10k/10000/library.db

The library is the synthetic corpus of benchmarks.scale (SQuAD-derived articles), added to an
SQLite file one transaction each, every sentence then given its vector as a bot does (unless
`--words-only`; about 2 minutes at 1,000 articles, 25 at 10,000 on 2 cores), or a copy of a
library already built (`--library`: `benchmarks.scale --keep` leaves one with every vector); then
moved with `storage.copy.copy_library` (what `factbot library copy` does) into an empty
PostgreSQL database. The same questions (answerable and outside)
are then asked of both in one warm process, alternating per question (the order swapped each
question) with the process-wide caches (the sentence encoder's vectors, memoised terms) emptied
before every ask; the JSON answers are compared. A second pass counts each question's round trips
to PostgreSQL through a loopback proxy (benchmarks/roundtrips.py), outside the timings.

The output names the commit (marked dirty if bot/ or storage/ have uncommitted changes), the CPU
count and the load average before and after, and ends with the README's table row.

Without --pg a server is started in a temporary folder with storage/testing/pgserver.py (fsync off: the
figures are for reading, not durable writes). Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import conditions, corpus, roundtrips


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def build(path: Path, size: int) -> float:
    from storage.backends import open_library
    from storage.errors import DuplicateSource
    from storage.ingest import add_document

    topics, _ = corpus.load_topics()
    started = time.perf_counter()
    async with await open_library(path) as library:
        for article in corpus.articles(size, topics):
            try:
                await add_document(library, article.body.encode("utf-8"), filename=article.name, added_by="bench")
            except DuplicateSource:
                continue
    return time.perf_counter() - started


async def encode(path: Path) -> float:
    """Every sentence given its vector, as a bot does in the background after each add."""
    from bot.answer import Engine
    from storage.backends import open_library

    started = time.perf_counter()
    async with await open_library(path, seed=False) as library:
        await Engine(library).catch_up()
    return time.perf_counter() - started


async def ask_alternating(
    targets: dict[str, Path | str], questions: list[str]
) -> tuple[dict[str, list[float]], dict[str, list[dict[str, Any]]]]:
    """Each question asked of every backend in turn, the order swapped from one question to the
    next, and the process-wide caches emptied before each ask: neither backend reuses the other's
    encoding, nor gains from going first or second, nor from the machine's load drifting."""
    from bot.answer import Engine
    from storage.backends import open_library

    times: dict[str, list[float]] = {name: [] for name in targets}
    answers: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
    async with contextlib.AsyncExitStack() as stack:
        engines = {
            name: Engine(await stack.enter_async_context(await open_library(target, seed=False)))
            for name, target in targets.items()
        }
        order = list(engines)
        for q in questions[: corpus.WARMUP]:  # connections, each library's cached figures
            for name in order:
                await engines[name].ask(q)
        for i, q in enumerate(questions):
            for name in order if i % 2 == 0 else order[::-1]:
                conditions.cold_caches()
                t = time.perf_counter()
                answer = await engines[name].ask(q)
                times[name].append(time.perf_counter() - t)
                answers[name].append(answer.to_json())
    return times, answers


async def count_round_trips(url: str, questions: list[str]) -> list[int]:
    """Round trips to PostgreSQL per question (benchmarks/roundtrips.py), warm, caches cold."""
    from bot.answer import Engine
    from storage.backends import open_library

    proxy = roundtrips.CountingProxy(url)
    await proxy.start()
    counts = []
    try:
        async with await open_library(proxy.url(), seed=False) as library:
            engine = Engine(library)
            for q in questions[: corpus.WARMUP]:
                await engine.ask(q)
            for q in questions:
                conditions.cold_caches()
                before = proxy.round_trips
                await engine.ask(q)
                counts.append(proxy.round_trips - before)
    finally:
        await proxy.close()
    return counts


def _comparable(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "timings"}


def _latency(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(1000 * statistics.median(times), 1),
        "p95_ms": round(1000 * percentile(times, 0.95), 1),
        "mean_ms": round(1000 * statistics.fmean(times), 1),
    }


def table(figures: dict[str, Any]) -> str:
    """The README's row: p50 / p95 per backend and PostgreSQL's ratio to SQLite."""
    lite, pg, ratio = figures["sqlite"], figures["postgres"], figures["ratio"]
    trips = figures.get("round_trips")
    counted = f"{trips['median']} (max {trips['max']})" if trips else "-"
    return "\n".join(
        [
            "| library | SQLite p50 / p95 | PostgreSQL p50 / p95 | ratio p50 / p95 | round trips | same answers |",
            "| --- | --- | --- | --- | --- | --- |",
            f"| {figures['articles']:,} articles ({figures['sentences']:,} sentences) "
            f"| {lite['p50_ms']:.0f} / {lite['p95_ms']:.0f} ms | {pg['p50_ms']:.0f} / {pg['p95_ms']:.0f} ms "
            f"| {ratio['p50']}x / {ratio['p95']}x "
            f"| {counted} | {figures['identical_answers']} |",
            f"commit {figures['commit']}, {figures['cpus']} CPUs, load {figures['load_before']} before, "
            f"{figures['load_after']} after (1/5/15 min)",
        ]
    )


async def main(args: argparse.Namespace) -> dict[str, Any]:
    from storage.backends import open_library
    from storage.copy import copy_library

    figures: dict[str, Any] = {
        "commit": conditions.commit(),
        "cpus": os.cpu_count(),
        "load_before": conditions.load(),
    }
    server = None
    url = args.pg
    if url is None:
        from storage.testing import pgserver

        server = pgserver.start()
        url = server.fresh_database()
    try:
        with tempfile.TemporaryDirectory(prefix="factbot-backends-") as work:
            db = Path(work) / "library.db"
            build_s = encode_s = None
            if args.library is None:
                build_s = await build(db, args.size)
                encode_s = None if args.words_only else await encode(db)
            else:
                shutil.copyfile(args.library, db)
            async with await open_library(db, seed=False) as src, await open_library(url, seed=False) as dst:
                started = time.perf_counter()
                report = await copy_library(src, dst)
                copy_s = time.perf_counter() - started
                sentences = (await src.sentence_stats())[0]
            questions = [q.text for q in corpus.questions(args.answerable, args.outside)]
            figures |= {
                "articles": args.size,  # with --library, the size it was built with
                "sources": report.verified,
                "sentences": sentences,
                "sqlite_build_s": None if build_s is None else round(build_s, 1),
                "encode_s": None if encode_s is None else round(encode_s, 1),
                "copy_to_postgres_s": round(copy_s, 1),
                "vectors": report.vectors,
                "questions": len(questions),
            }
            times, answers = await ask_alternating({"sqlite": db, "postgres": url}, questions)
            for name, measured in times.items():
                figures[name] = _latency(measured)
            pairs = list(zip(answers["sqlite"], answers["postgres"], strict=True))
            differ = [(a, b) for a, b in pairs if _comparable(a) != _comparable(b)]
            figures["identical_answers"] = f"{len(pairs) - len(differ)}/{len(questions)}"
            figures["differing"] = [{"sqlite": _comparable(a), "postgres": _comparable(b)} for a, b in differ[:3]]
            figures["ratio"] = {
                q: round(figures["postgres"][f"{q}_ms"] / figures["sqlite"][f"{q}_ms"], 2) for q in ("p50", "p95")
            }
            if args.round_trip_questions:
                counts = await count_round_trips(url, questions[: args.round_trip_questions])
                figures["round_trips"] = {
                    "questions": len(counts),
                    "median": statistics.median(counts),
                    "mean": round(statistics.fmean(counts), 1),
                    "max": max(counts),
                }
            figures["load_after"] = conditions.load()
            return figures
    finally:
        if server is not None:
            server.stop()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.backends", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--size", type=int, default=1000, help="articles in the library (default 1000; with --library, its size)"
    )
    parser.add_argument("--answerable", type=int, default=200)
    parser.add_argument("--outside", type=int, default=50)
    parser.add_argument(
        "--round-trip-questions",
        type=int,
        default=50,
        help="questions whose round trips to PostgreSQL are counted, in a pass of their own (0: none)",
    )
    parser.add_argument(
        "--words-only", action="store_true", help="leave the built library without vectors (by words alone)"
    )
    parser.add_argument("--library", type=Path, help="start from a copy of this SQLite library (default: build one)")
    parser.add_argument("--pg", help="an empty PostgreSQL database's URL (default: start a throw-away server)")
    return parser.parse_args()


if __name__ == "__main__":
    measured = asyncio.run(main(parse_args()))
    print(json.dumps(measured, indent=2))
    print(table(measured))
