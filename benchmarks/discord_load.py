"""Load check: the real bot on the loopback fake of Discord, asked /ask at a steady rate.

Builds (or reuses) a library of synthetic articles (benchmarks/corpus.py, through the same path
as `factbot sources add`), starts the fake Discord and the real FactBot on it, sends QUESTIONS
interactions at RATE a second from a few users, and prints the time to acknowledge (the initial
response Discord needs within 3 s) and to the final answer: p50, p95, p99, max, and how many
were not acknowledged in time. A script that prints figures, never a timed test.

    python -m benchmarks.discord_load                # 1,000 articles, 200 questions at 50/s
    python -m benchmarks.discord_load --articles 10000 --db /tmp/lib10k.db
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import corpus

DEADLINE_S = 3.0


async def build_library(db: Path, articles: int) -> int:
    """Fill `db` with `articles` synthetic articles unless it already holds them."""
    from storage.backends import open_library
    from storage.errors import DuplicateSource
    from storage.ingest import add_document

    async with await open_library(db) as library:
        have = await library.count_sources()
        if have >= articles:
            return have
        topics, _ = corpus.load_topics()
        for article in corpus.articles(articles, topics):
            try:
                await add_document(library, article.body.encode("utf-8"), filename=article.name, added_by="benchmark")
            except DuplicateSource:
                continue
        return await library.count_sources()


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def row(name: str, values: Sequence[float]) -> str:
    ms = [1000 * v for v in values]
    cells = [statistics.median(ms), percentile(ms, 95), percentile(ms, 99), max(ms)] if ms else [float("nan")] * 4
    return f"| {name} | " + " | ".join(f"{c:,.1f}" for c in cells) + " |"


async def run(db: Path, questions: int, rate: float) -> str:
    from bot.discord.client import FactBot
    from bot.settings import Settings
    from bot.testing.fakediscord import world as w
    from bot.testing.fakediscord.client import run_client
    from bot.testing.fakediscord.server import FakeDiscord
    from storage.backends import open_library
    from storage.target import LibraryTarget

    asked = [q.text for q in corpus.questions(answerable=questions * 3 // 4, unanswerable=questions // 4)]
    users = [w.MEMBER_ID, w.MODERATOR_ID, w.OTHER_USER_ID, w.OWNER_ID]
    settings = dataclasses.replace(
        Settings.load(env={}, dotenv_path=None),
        library=LibraryTarget.of(db),
        ask_cooldown_rate=10_000,
        ask_cooldown_seconds=1.0,
    )
    async with await open_library(db) as library, FakeDiscord() as fake:
        sources = await library.count_sources()
        bot = FactBot(settings, library, guild_ready_timeout=0.05)
        async with run_client(bot, fake):
            acks: list[float] = []
            finals: list[float] = []
            late = 0

            async def one(i: int) -> None:
                nonlocal late
                ix = await fake.slash("ask", {"question": asked[i % len(asked)]}, user_id=users[i % len(users)])
                await fake.reply(ix, timeout=60)
                finals.append(time.monotonic() - ix.dispatched_at)
                if not ix.callbacks or ix.callbacks[0].at - ix.dispatched_at > DEADLINE_S:
                    late += 1
                else:
                    acks.append(ix.callbacks[0].at - ix.dispatched_at)

            started = time.monotonic()
            tasks = []
            for i in range(questions):
                tasks.append(asyncio.create_task(one(i)))
                await asyncio.sleep(max(0.0, started + (i + 1) / rate - time.monotonic()))
            await asyncio.gather(*tasks)
            wall = time.monotonic() - started
            refused = len(fake.errors)
    lines = [
        f"Discord load check: {questions} /ask interactions at {rate:g}/s from {len(users)} users, "
        f"library of {sources:,} sources, {wall:.1f} s wall",
        "",
        "| time to | p50 ms | p95 ms | p99 ms | max ms |",
        "| --- | --- | --- | --- | --- |",
        row("acknowledge", acks),
        row("final answer", finals),
        "",
        f"not acknowledged within {DEADLINE_S:g} s: {late}; Discord refusals recorded by the fake: {refused}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000, help="library size (synthetic articles)")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0, help="interactions per second")
    parser.add_argument("--db", type=Path, help="library file to build or reuse (default: a temporary one)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("discord.client").setLevel(logging.ERROR)  # no voice support needed
    with tempfile.TemporaryDirectory(prefix="factbot-load-") as tmp:
        db = args.db or Path(tmp) / "library.db"
        t = time.perf_counter()
        count = asyncio.run(build_library(db, args.articles))
        print(f"library: {count:,} sources in {db} ({time.perf_counter() - t:.1f} s to build or open)")
        print(asyncio.run(run(db, args.questions, args.rate)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
