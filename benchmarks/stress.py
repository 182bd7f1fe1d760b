"""Several processes adding, removing and asking on one library at once, some of them SIGKILLed
at random moments, round after round; after every round the library must pass every check.

    .venv/bin/python -m benchmarks.stress                  # 20 rounds of 4 processes
    .venv/bin/python -m benchmarks.stress --rounds 5 --workers 6 --seconds 4

Every fifth round (the first included) starts on a new library file, so the processes race to
create, migrate and seed it. A worker prints one line per finished action; a refusal the store
gives (a duplicate, a source another worker removed first, a lock held too long) is counted, a
traceback is a failure. After each round: PRAGMA integrity_check, the FTS5 index's own
integrity-check, every source whole (all its sentences, the last one indexed, its chunks spelling
its body) or absent, nothing orphaned, and the seeds in (once the library has been opened).
Then a `sources add` against the library held by another process inside BEGIN EXCLUSIVE must
say it waits and give up in one line. Prints a summary; exits non-zero if anything failed. Not a test: it takes minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "Who are the members of the CSTO?",
    "How large is the rapid reaction force?",
    "What does report 7 describe?",
    "Which battalions took part in exercise 12?",
]


# -- the worker ----------------------------------------------------------------------------------


def _body(rng: random.Random, n: int) -> str:
    paragraphs = rng.choice([3, 20, 200, 2000])  # now and then a large one, so kills land mid-write
    return "\n\n".join(
        f"Report {n}-{p} describes battalion{rng.randrange(50)} in exercise {rng.randrange(40)}. "
        f"It numbered {rng.randrange(100, 9000)} personnel, said observer{n}."
        for p in range(paragraphs)
    )


async def _work(db: Path, seed: int, seconds: float) -> None:
    from bot.answer import Engine
    from storage.backends import open_library
    from storage.errors import FactbotError
    from storage.models import SourceMeta

    rng = random.Random(seed)
    async with await open_library(db) as library:
        print("opened", flush=True)
        engine = Engine(library)
        deadline = time.monotonic() + seconds
        n = 0
        while time.monotonic() < deadline:
            action = rng.choice(["add", "add", "remove", "ask"])
            try:
                if action == "add":
                    n += 1
                    await library.add_source(_body(rng, seed * 10_000 + n), SourceMeta(f"Report {seed}-{n}"))
                elif action == "remove":
                    mine = [s.id for s in await library.list_sources() if not (s.origin or "").startswith("seed:")]
                    if not mine:
                        continue
                    await library.remove_source(rng.choice(mine))
                else:
                    await engine.ask(rng.choice(QUESTIONS))
            except FactbotError as err:
                print("refused", type(err).__name__, flush=True)
                continue
            print(action, flush=True)


def worker_main(db: str, seed: int, seconds: float) -> None:
    asyncio.run(_work(Path(db), seed, seconds))


# -- the checks ----------------------------------------------------------------------------------


def check_library(path: Path) -> list[str]:
    """Every integrity check; returns what failed (nothing when all is well)."""
    from storage.schema import BODY_CHUNK
    from storage.segment import segment
    from storage.text import terms

    problems: list[str] = []
    conn = sqlite3.connect(path)
    try:
        if (result := conn.execute("PRAGMA integrity_check").fetchone()[0]) != "ok":
            problems.append(f"integrity_check: {result}")
        try:
            conn.execute("INSERT INTO sentence_index (sentence_index) VALUES ('integrity-check')")
        except sqlite3.DatabaseError as err:
            problems.append(f"FTS integrity-check: {err}")
        for source_id, chars in conn.execute("SELECT id, chars FROM sources").fetchall():
            chunks = conn.execute("SELECT text FROM body_chunks WHERE source_id = ? ORDER BY n", (source_id,))
            texts = [t for (t,) in chunks]
            body = "".join(texts)  # the chunks are the body (schema 5)
            if len(body) != chars or any(len(t) != BODY_CHUNK for t in texts[:-1]):
                problems.append(f"source {source_id}: its chunks do not spell a body of {chars} characters")
                continue
            expected = sum(len(p.sentences) for p in segment(body))
            stored = conn.execute("SELECT count(*) FROM sentences WHERE source_id = ?", (source_id,)).fetchone()[0]
            if stored != expected:
                problems.append(f"source {source_id}: {stored} of {expected} sentences")
                continue
            last = conn.execute(
                'SELECT id, start, "end" FROM sentences WHERE source_id = ? ORDER BY id DESC LIMIT 1', (source_id,)
            ).fetchone()
            marker = terms(body[last[1] : last[2]])[0]
            hit = conn.execute(
                "SELECT 1 FROM sentence_index WHERE sentence_index MATCH ? AND rowid = ?", (f'"{marker}"', last[0])
            ).fetchone()
            if not hit:
                problems.append(f"source {source_id}: its last sentence is not indexed")
        for table in ("sentences", "paragraphs", "body_chunks"):
            orphans = conn.execute(f"SELECT count(*) FROM {table} WHERE source_id NOT IN (SELECT id FROM sources)")
            if count := orphans.fetchone()[0]:
                problems.append(f"{count} orphaned rows in {table}")
        pending = conn.execute("SELECT 1 FROM meta WHERE key = 'seeds'").fetchone()
        seeds = conn.execute("SELECT count(*) FROM sources WHERE origin LIKE 'seed:%'").fetchone()[0]
        if not pending and seeds != 2:
            problems.append(f"{seeds} seed articles, not 2")
    except sqlite3.Error as err:
        problems.append(f"unreadable: {err}")
    finally:
        conn.close()
    return problems


def reopen(path: Path) -> list[str]:
    """Open the library as a fresh process would (finishing a first open a kill cut short)."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "sources", "list", "--json"],
        env={**os.environ, "FACTBOT_DB": str(path), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return [] if done.returncode == 0 else [f"reopening failed: {done.stderr.strip()}"]


# -- the rounds ----------------------------------------------------------------------------------


@dataclass
class Tally:
    started: int = 0
    killed: int = 0
    exited: Counter[int] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    tracebacks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    checks: int = 0


def run_round(db: Path, number: int, workers: int, seconds: float, rng: random.Random, tally: Tally) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("FACTBOT_ANSWER_THRESHOLD", None)
    children = []
    for w in range(workers):
        seed = number * 100 + w
        args = [sys.executable, "-m", "benchmarks.stress", "--worker", str(db), str(seed), str(seconds)]
        children.append(subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
    tally.started += len(children)
    # Kill about half of them, each at its own random moment (opening included).
    doomed = [c for c in children if rng.random() < 0.5]
    moments = sorted((rng.uniform(0.2, seconds + 2.0), id(c), c) for c in doomed)
    began = time.monotonic()
    for moment, _, child in moments:
        time.sleep(max(0.0, moment - (time.monotonic() - began)))
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            tally.killed += 1
    for child in children:
        out, err = child.communicate(timeout=seconds + 120)
        tally.exited[child.returncode] += 1
        tally.actions.update(line.split()[0] for line in out.splitlines() if line)
        if "Traceback" in err or (child.returncode not in (0, -signal.SIGKILL)):
            tally.tracebacks.append(f"round {number}: exit {child.returncode}: {err.strip()[-2000:]}")
    problems = check_library(db) if db.exists() else []
    problems += reopen(db)
    problems += check_library(db)
    tally.checks += 1
    tally.problems += [f"round {number}: {p}" for p in problems]


# A process holding the library inside BEGIN EXCLUSIVE for HOLD_SECONDS while a
# `sources add` with a write wait of HELD_WAIT_SECONDS runs: it must say it waits, then give up in one line.
HOLD_SECONDS = 15.0
HELD_WAIT_SECONDS = 6.0
_HOLD = "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); " + (
    "c.execute('BEGIN EXCLUSIVE'); print('held', flush=True); time.sleep(float(sys.argv[2]))"
)
_HELD_ADD = (
    "import sys, storage.backends.sqlite as s; s.WRITE_WAIT_SECONDS = float(sys.argv[1]); from bot.cli import main; "
    + ("raise SystemExit(main(sys.argv[2:]))")
)


def held_library(db: Path) -> list[str]:
    """The problems of a `sources add` against a library another process holds (none: as it should)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FACTBOT_DB": str(db)}
    text = db.parent / "held.txt"
    text.write_text("Beavers build dams across the rivers of the north, said a held-library check.\n")
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(db), str(HOLD_SECONDS)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        args = [sys.executable, "-c", _HELD_ADD, str(HELD_WAIT_SECONDS), "sources", "add", str(text)]
        done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    finally:
        holder.kill()
        holder.wait()
    lines = done.stderr.strip().splitlines()
    ok = (
        done.returncode == 1
        and len(lines) == 2
        and "waiting for it" in lines[0]
        and "locked by another process" in lines[1]
    )
    return [] if ok else [f"held library: exit {done.returncode}: {done.stderr.strip()[-2000:]}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Stress one library with concurrent, killed processes.")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4, help="processes per round")
    parser.add_argument("--seconds", type=float, default=3.0, help="how long each worker works")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--worker", nargs=3, metavar=("DB", "SEED", "SECONDS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker_main(args.worker[0], int(args.worker[1]), float(args.worker[2]))
        return 0
    rng = random.Random(args.seed)
    tally = Tally()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "stress-0.db"
        for number in range(1, args.rounds + 1):
            if number % 5 == 1:
                db = Path(folder) / f"stress-{number}.db"  # a new library: the first open races too
            run_round(db, number, args.workers, args.seconds, rng, tally)
            print(
                f"round {number:>2}: {sum(tally.actions.values()):>5} actions so far, {tally.killed} killed, "
                f"{len(tally.tracebacks)} tracebacks, {len(tally.problems)} problems",
                flush=True,
            )
        tally.problems += held_library(db)
        print(f"held library: {'waited aloud, gave up in one line' if not tally.problems else 'FAILED'}", flush=True)
        final = sqlite3.connect(db).execute("SELECT count(*) FROM sources").fetchone()[0]
    print()
    print(
        f"rounds: {args.rounds}, processes: {tally.started} ({tally.killed} SIGKILLed), "
        f"exit codes: {dict(sorted(tally.exited.items()))}"
    )
    print("actions finished: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.actions.items())))
    print(
        f"integrity checks passed: {tally.checks * 2 - len(tally.problems)} of {tally.checks * 2} "
        f"(each round: before and after reopening); sources in the last library: {final}"
    )
    print(
        f"tracebacks: {len(tally.tracebacks)}; problems: {len(tally.problems)}; "
        f"time: {time.monotonic() - started:.0f} s"
    )
    for line in tally.tracebacks + tally.problems:
        print(line)
    return 1 if tally.tracebacks or tally.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
