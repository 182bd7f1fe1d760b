"""What one large source costs every question: a library of the seeds plus one 4.8 MB source,
questions asked one at a time and ten at once, and the store's own sentence reads.

    .venv/bin/python -m benchmarks.large_source            # 4.8 MB, 10 questions at once
    .venv/bin/python -m benchmarks.large_source --mb 1 --concurrent 4

Before the body was kept in chunks, every candidate sentence from a large source read the whole
body (`substr` loads all of a value), and every read queued behind one reader connection. Prints
figures; asserts nothing (timings depend on the machine).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bot.answer import Engine
from storage.backends import open_library
from storage.models import SourceMeta

QUESTIONS = [
    "How large is the CSTO rapid reaction force?",
    "Who asked the CSTO to create a peacekeeping force?",
    "Which countries are members of the CSTO?",
    "What did the UN decide about peacekeepers?",
    "How many personnel took part in the exercise?",
]


def large_body(megabytes: float) -> str:
    """Paragraphs about peacekeeping forces, each one different, to `megabytes` of text."""
    out: list[str] = []
    size, n = 0, 0
    while size < megabytes * 1_000_000:
        n += 1
        paragraph = (
            f"Report {n} describes the peacekeeping force of region {n % 97} and its {n % 13 + 2} battalions. "
            f"The CSTO members discussed unit{n} at meeting {n}, and the force numbered {1000 + n} personnel. "
            f"Observers from the UN noted exercise{n % 211} and asked about the mandate."
        )
        out.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(out)


async def timed(engine: Engine, question: str) -> float:
    started = time.perf_counter()
    await engine.ask(question)
    return time.perf_counter() - started


async def run(megabytes: float, concurrent: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "large.db"
        async with await open_library(path) as library:
            body = large_body(megabytes)
            started = time.perf_counter()
            info = await library.add_source(body, SourceMeta("A very large report"))
            print(
                f"added one source of {len(body) / 1e6:.1f} MB, {info.sentences:,} sentences, "
                f"in {time.perf_counter() - started:.1f} s"
            )
        async with await open_library(path) as library:
            engine = Engine(library)
            await engine.ask(QUESTIONS[0])  # warm
            singles = [await timed(engine, q) for q in QUESTIONS for _ in range(2)]
            started = time.perf_counter()
            await asyncio.gather(*(engine.ask(QUESTIONS[i % len(QUESTIONS)]) for i in range(concurrent)))
            together = time.perf_counter() - started
            ids = list(range(1, info.sentences + 3, max(1, info.sentences // 500)))
            started = time.perf_counter()
            await library.neighbours(ids)
            reads = time.perf_counter() - started
        print(f"| one question, median of {len(singles)} | {statistics.median(singles) * 1000:.0f} ms |")
        print(f"| one question, slowest | {max(singles) * 1000:.0f} ms |")
        print(f"| {concurrent} questions at once, all answered | {together * 1000:.0f} ms |")
        print(f"| {len(ids) * 2} neighbour sentences read | {reads * 1000:.0f} ms |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=4.8, help="size of the large source in MB")
    parser.add_argument("--concurrent", type=int, default=10, help="questions asked at once")
    args = parser.parse_args(argv)
    asyncio.run(run(args.mb, args.concurrent))


if __name__ == "__main__":
    main()
