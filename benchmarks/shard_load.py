"""Load check for sharded processes: 2 `factbot run` processes x 2 shards over one library.

Starts the loopback fake of Discord with 20 servers, pushes the commands once (`factbot sync`),
starts two real `factbot run --shard-count 4 --shards 0,1` / `2,3` processes on one library
(PostgreSQL when its binaries are here, a throw-away server as the tests start it; else a SQLite
file: the table says which), sends /ask interactions at RATE a second for DURATION seconds spread
over the servers and four users, and prints: how many were acknowledged within Discord's 3 s, the
time to acknowledge and to the final answer (p50, p95, p99, max), and how many answers never came.
Then the operator adds a source (a third process's connection) and the time until each bot process
quotes it is measured. Figures, never a timed test.

    python -m benchmarks.shard_load                       # 100/s for 60 s, 300 articles
    python -m benchmarks.shard_load --rate 50 --duration 20 --sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks import corpus
from benchmarks.discord_load import DEADLINE_S, build_library, percentile, row

if TYPE_CHECKING:
    from bot.testing.fakediscord.server import FakeDiscord
    from bot.testing.fakediscord.world import Guild, World

SERVERS = 20
SHARD_COUNT = 4
PROCESSES = (("0", "1"), ("2", "3"))  # the shards each process runs
PROPAGATION_FACT = (
    "The Zarquon lighthouse on Velmora island was first lit in 1887 by its keeper, Ansel Brandt. "
    "Its lamp could be seen from forty kilometres away on a clear night."
)
PROPAGATION_QUESTION = "When was the Zarquon lighthouse on Velmora island first lit?"
PROPAGATION_MARK = "Ansel Brandt"

RUN_SHARDS = """
import sys

import discord
import yarl

from bot.cli import main

discord.http.Route.BASE = sys.argv[1]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[2])
sys.exit(main(["run", "--shard-count", sys.argv[3], "--shards", sys.argv[4]]))
"""


@dataclasses.dataclass
class Result:
    sent: int = 0
    acks: list[float] = dataclasses.field(default_factory=list)
    finals: list[float] = dataclasses.field(default_factory=list)
    late: int = 0
    unanswered: int = 0
    send_seconds: float = 0.0  # how long sending took (more than the duration: the fake fell behind)


def start_library_server(use_sqlite: bool, folder: Path) -> tuple[str | Path, str, Any]:
    """(library target, what it is, the PostgreSQL server to stop or None)."""
    if not use_sqlite:
        from storage.testing import pgserver

        try:
            server = pgserver.start()
        except pgserver.NoServer as err:
            return folder / "library.db", f"SQLite (PostgreSQL could not start: {err})", None
        return server.fresh_database(), "PostgreSQL 15 (throw-away server, fsync off)", server
    return folder / "library.db", "SQLite", None


def _shard_guild(world: World, shards: Sequence[str]) -> Guild:
    """The first server whose events go to one of these shards (Discord's `(guild_id >> 22) % count`)."""
    return next(g for g in world.guilds if str((g.id >> 22) % SHARD_COUNT) in shards)


async def _start_processes(
    fake: FakeDiscord, target: str | Path, folder: Path
) -> tuple[list[asyncio.subprocess.Process], list[Path]]:
    """The bot processes, one per entry of PROCESSES, each logging to its own file in `folder`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FACTBOT_"))}
    env.update(
        FACTBOT_DB=str(target),
        DISCORD_TOKEN=fake.token,
        FACTBOT_ASK_COOLDOWN_RATE="100000",  # spent at every question (shared), never refusing here
        FACTBOT_ASK_COOLDOWN_SECONDS="1",
        FACTBOT_LOG_LEVEL="WARNING",
    )
    logs = [folder / f"process-{i}.log" for i in range(len(PROCESSES))]
    processes = []
    for shards, log in zip(PROCESSES, logs, strict=True):
        with log.open("wb") as out:
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-c",
                    RUN_SHARDS,
                    fake.api_base,
                    fake.gateway_url,
                    str(SHARD_COUNT),
                    ",".join(shards),
                    cwd=folder,
                    env=env,
                    stdout=out,
                    stderr=out,
                )
            )
    return processes, logs


async def _warm_up(fake: FakeDiscord, world: World, question: str) -> None:
    """Wait for every shard, then ask each process once: its first question loads the engine's data
    and is not measured."""
    from bot.testing.fakediscord import world as w

    await fake.wait_until(
        lambda: len(fake.gateway.identified) == SHARD_COUNT, timeout=120, what="all four shards online"
    )
    await asyncio.sleep(1.0)  # GUILD_CREATEs handled
    for shards in PROCESSES:
        guild = _shard_guild(world, shards)
        for _ in range(20):  # a first question can expire while the data loads: ask again
            ix = await fake.slash("ask", {"question": question}, channel_id=w.questions_channel_of(guild.id))
            with contextlib.suppress(TimeoutError):
                await fake.response(ix, timeout=DEADLINE_S + 1)
                await fake.reply(ix, timeout=120)
                break


async def _load(fake: FakeDiscord, world: World, asked: list[str], rate: float, duration: float) -> Result:
    """/ask at `rate` a second for `duration` seconds over the servers and four users, timed."""
    from bot.testing.fakediscord import world as w

    users = [w.MEMBER_ID, w.MODERATOR_ID, w.OTHER_USER_ID, w.OWNER_ID]
    channels = [w.questions_channel_of(g.id) for g in world.guilds]
    result = Result()
    # One watcher notes each answer as it arrives (a waiter per interaction would cost the fake,
    # which shares this process, more than the bots): acks are timed by the fake itself.
    sent: list[Any] = []
    pending: dict[int, tuple[Any, float]] = {}
    sending = True

    async def watch() -> None:
        while sending or pending:
            now = time.monotonic()
            for iid, (ix, at) in list(pending.items()):
                if ix.answered():
                    result.finals.append(now - at)
                elif (not ix.callbacks and now - at > DEADLINE_S + 1) or now - at > fake.token_lifetime:
                    result.unanswered += 1  # never acknowledged, it is gone; or its token expired
                else:
                    continue
                del pending[iid]
            await asyncio.sleep(0.02)

    watcher = asyncio.create_task(watch())
    started = time.monotonic()
    total = int(rate * duration)
    for i in range(total):
        ix = await fake.slash(
            "ask",
            {"question": asked[i % len(asked)]},
            user_id=users[i % len(users)],
            channel_id=channels[i % len(channels)],
        )
        sent.append(ix)
        pending[ix.id] = (ix, ix.dispatched_at)
        await asyncio.sleep(max(0.0, started + (i + 1) / rate - time.monotonic()))
    result.sent = total
    result.send_seconds = time.monotonic() - started
    sending = False
    await watcher
    for ix in sent:
        if ix.callbacks and ix.callbacks[0].at - ix.dispatched_at <= DEADLINE_S:
            result.acks.append(ix.callbacks[0].at - ix.dispatched_at)
        else:
            result.late += 1
    return result


async def _propagation(fake: FakeDiscord, world: World, target: str | Path) -> dict[str, float]:
    """The operator adds a source; seconds until each process quotes it (30 at most)."""
    from bot.testing.fakediscord import world as w
    from storage.backends import open_library
    from storage.models import SourceMeta

    propagation: dict[str, float] = {}
    async with await open_library(target) as operator:
        await operator.add_source(PROPAGATION_FACT, SourceMeta("Velmora lighthouse"))
    added = time.monotonic()
    for shards in PROCESSES:
        guild = _shard_guild(world, shards)
        while True:
            ix = await fake.slash(
                "ask", {"question": PROPAGATION_QUESTION}, channel_id=w.questions_channel_of(guild.id)
            )
            reply = await fake.reply(ix, timeout=30)
            text = reply.content + str(reply.embeds)
            if PROPAGATION_MARK in text or time.monotonic() - added > 30:
                propagation[",".join(shards)] = time.monotonic() - added
                break
    return propagation


async def _stop(processes: list[asyncio.subprocess.Process], logs: list[Path]) -> None:
    """SIGTERM each bot process, kill one that does not exit in 30 s, print a failed one's log."""
    for p in processes:
        if p.returncode is None:
            p.send_signal(signal.SIGTERM)
    for p, log in zip(processes, logs, strict=True):
        try:
            await asyncio.wait_for(p.wait(), 30)
        except TimeoutError:
            p.kill()
        if p.returncode not in (0, -signal.SIGTERM):
            print(f"process exited {p.returncode}:\n{log.read_text()[-2000:]}", file=sys.stderr)


async def run(target: str | Path, rate: float, duration: float, folder: Path) -> tuple[Result, dict[str, float], int]:
    import discord
    import yarl

    from bot.discord.runner import sync
    from bot.settings import Settings
    from bot.testing.fakediscord import world as w
    from bot.testing.fakediscord.server import FakeDiscord
    from storage.target import LibraryTarget

    asked = [q.text for q in corpus.questions(answerable=300, unanswerable=100)]
    world = w.build_world(extra_guilds=SERVERS - 2)
    async with FakeDiscord(world) as fake:
        fake.default_timeout = 120.0
        discord.http.Route.BASE = fake.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
        settings = Settings(library=LibraryTarget.of(target), discord_token=fake.token)
        if await sync(settings) != 0:  # the operator pushes the commands once
            raise SystemExit("sync failed")
        processes, logs = await _start_processes(fake, target, folder)
        try:
            await _warm_up(fake, world, asked[0])
            result = await _load(fake, world, asked, rate, duration)
            propagation = await _propagation(fake, world, target)
            refused = len(fake.errors)
        finally:
            await _stop(processes, logs)
    return result, propagation, refused


def table(result: Result, propagation: dict[str, float], refused: int, *, rate: float, duration: float) -> str:
    acked = len(result.acks)
    lines = [
        f"| interactions sent | {result.sent:,} ({rate:g}/s for {duration:g} s over {SERVERS} servers, 4 users;"
        f" sent in {result.send_seconds:.1f} s) |",
        f"| acknowledged within {DEADLINE_S:g} s | {acked:,} ({acked / max(result.sent, 1):.1%}) |",
        f"| not acknowledged in time | {result.late:,} |",
        f"| answers never delivered | {result.unanswered:,} |",
        f"| Discord refusals recorded by the fake | {refused:,} |",
    ]
    for shards, seconds in propagation.items():
        lines.append(
            f"| source added by the operator, quoted by the process of shards {shards} after | {seconds:.2f} s |"
        )
    return "\n".join(
        [
            "| figure | value |",
            "| --- | --- |",
            *lines,
            "",
            "| time to | p50 ms | p95 ms | p99 ms | max ms |",
            "| --- | --- | --- | --- | --- |",
            row("acknowledge", result.acks),
            row("final answer", result.finals),
            "",
            f"ack p99: {1000 * percentile(result.acks, 99):,.1f} ms",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300, help="library size (synthetic articles)")
    parser.add_argument("--rate", type=float, default=100.0, help="interactions per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite library even where PostgreSQL can start")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("discord").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="factbot-shards-") as tmp:
        folder = Path(tmp)
        target, what, server = start_library_server(args.sqlite, folder)
        try:
            t = time.perf_counter()
            count = asyncio.run(build_library(target, args.articles))  # type: ignore[arg-type]
            print(f"library: {what}, {count:,} sources ({time.perf_counter() - t:.1f} s to build)", flush=True)
            print(f"processes: {len(PROCESSES)} x 2 shards (of {SHARD_COUNT}); cpus here: {os.cpu_count()}, "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
            result, propagation, refused = asyncio.run(run(target, args.rate, args.duration, folder))
            print(table(result, propagation, refused, rate=args.rate, duration=args.duration))
        finally:
            if server is not None:
                server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
