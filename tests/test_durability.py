"""A process killed at any moment leaves every source whole or absent (a real SIGKILL)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import asyncpg
import pytest

from storage import text as textmod
from storage.backends import open_library, sqlite_connect
from storage.backends import sqlite as library_module
from storage.errors import LibraryBusy
from storage.models import SourceMeta
from storage.segment import segment

# The child adds large sources, one transaction each, forever; it says when each one begins.
CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from storage.backends import open_library
    from storage.models import SourceMeta

    async def main(path):
        async with await open_library(path, seed=False) as lib:
            n = await lib.count_sources()
            while True:
                n += 1
                tag = "tag" + "".join(chr(97 + int(d)) for d in str(n))
                body = "\\n\\n".join(
                    f"Paragraph {p} of source {n} talks about {tag} and item{p}. A second sentence {p}."
                    for p in range(3000)
                )
                print("begin", n, flush=True)
                await lib.add_source(body, SourceMeta(f"Source {n}"))

    asyncio.run(main(sys.argv[1]))
    """
)


def check_whole_or_absent(path: Path | str) -> int:
    """Every stored source has all its sentences and all of them indexed; returns the count."""
    if isinstance(path, str):
        return asyncio.run(check_whole_or_absent_pg(path))
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.execute("INSERT INTO sentence_index (sentence_index) VALUES ('integrity-check')")
        sources = conn.execute(
            "SELECT src.id, coalesce((SELECT group_concat(text, '') FROM "
            "(SELECT text FROM body_chunks c WHERE c.source_id = src.id ORDER BY c.n)), '') FROM sources src"
        ).fetchall()
        for source_id, body in sources:
            expected = sum(len(p.sentences) for p in segment(body))
            stored = conn.execute("SELECT count(*) FROM sentences WHERE source_id = ?", (source_id,)).fetchone()[0]
            assert stored == expected, f"source {source_id}: {stored} of {expected} sentences"
            last = conn.execute(
                'SELECT id, start, "end" FROM sentences WHERE source_id = ? ORDER BY id DESC LIMIT 1', (source_id,)
            ).fetchone()
            marker = textmod.terms(body[last[1] : last[2]])[0]
            hits = conn.execute(
                "SELECT rowid FROM sentence_index WHERE sentence_index MATCH ? AND rowid = ?", (f'"{marker}"', last[0])
            ).fetchall()
            assert hits, f"source {source_id}: its last sentence is not indexed"
        orphans = conn.execute("SELECT count(*) FROM sentences WHERE source_id NOT IN (SELECT id FROM sources)")
        assert orphans.fetchone()[0] == 0
        return len(sources)
    finally:
        conn.close()


async def check_whole_or_absent_pg(url: str) -> int:
    """As check_whole_or_absent, on PostgreSQL: every source's sentences and their postings, and
    the statistics kept beside them (documents per term, the totals) agree with what is stored."""
    conn = await asyncpg.connect(url)
    try:
        sources = await conn.fetch("SELECT id, scope, body, sentences FROM sources")
        for source_id, scope, body, sentences in sources:
            expected = sum(len(p.sentences) for p in segment(body))
            stored = await conn.fetchval("SELECT count(*) FROM sentences WHERE source_id = $1", source_id)
            assert stored == expected == sentences, f"source {source_id}: {stored} of {expected} sentences"
            last = await conn.fetchrow(
                'SELECT id, start, "end" FROM sentences WHERE source_id = $1 ORDER BY id DESC LIMIT 1', source_id
            )
            marker = textmod.terms(body[last[1] : last[2]])[0]
            hits = await conn.fetchval(
                "SELECT count(*) FROM postings WHERE term = $1 AND scope = $2 AND sentence_id = $3",
                marker,
                scope,
                last[0],
            )
            assert hits == 1, f"source {source_id}: its last sentence is not indexed"
        assert (
            await conn.fetchval("SELECT count(*) FROM sentences WHERE source_id NOT IN (SELECT id FROM sources)") == 0
        )
        assert (
            await conn.fetchval("SELECT count(*) FROM postings WHERE sentence_id NOT IN (SELECT id FROM sentences)")
            == 0
        )
        drift = await conn.fetchval(
            """SELECT count(*) FROM (SELECT term, count(*) AS n FROM postings GROUP BY term) p
               FULL JOIN term_stats t USING (term) WHERE p.n IS DISTINCT FROM t.docs"""
        )
        assert drift == 0, f"{drift} terms' document counts disagree with the postings"
        state = await conn.fetchrow("SELECT sentences, tokens, chars FROM library_state")
        totals = await conn.fetchrow(
            'SELECT count(*), coalesce(sum(tokens), 0), coalesce(sum("end" - start), 0) FROM sentences'
        )
        assert tuple(state) == tuple(totals), (state, totals)
        return len(sources)
    finally:
        await conn.close()


def test_kill_during_ingest_never_leaves_half_a_source(library_target: Path | str) -> None:
    path = library_target
    rng = random.Random(1234)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    begun = 0
    for _ in range(4):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True, env=env)
        assert child.stdout is not None
        for _ in range(rng.randint(1, 2)):  # let it begin one or two adds...
            begun = int(child.stdout.readline().split()[1])
        time.sleep(rng.uniform(0.0, 0.15))  # ...and kill it somewhere inside one
        child.send_signal(signal.SIGKILL)
        child.wait()
        begun = max([begun, *(int(line.split()[1]) for line in child.stdout.read().splitlines())])
        stored = check_whole_or_absent(path)
        # Sources 1..begun-1 are whole; the one the kill interrupted is whole or absent.
        assert stored in (begun - 1, begun), (stored, begun)


def kill_after_first_source(path: Path | str) -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout is not None
    child.stdout.readline()
    child.stdout.readline()  # the first source is committed once the second begins
    child.send_signal(signal.SIGKILL)
    child.wait()


async def test_the_library_opens_and_works_after_a_kill(library_target: Path | str) -> None:
    path = library_target
    await asyncio.to_thread(kill_after_first_source, path)
    async with await open_library(path, seed=False) as lib:
        titles = [s.title for s in await lib.list_sources()]
        assert titles[0] == "Source 1"
        assert (await lib.match_any(["tagb"], scope=0, limit=1))[0].source_id == 1


# -- issue 10: races and faults --------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]

# Opens a (new) library at a given moment, as many processes at once, and adds its own source.
FIRST_USE = textwrap.dedent(
    """
    import asyncio, sys, time
    from storage.backends import open_library
    from storage.models import SourceMeta

    async def main(path, n, at):
        time.sleep(max(0.0, at - time.time()))
        async with await open_library(path) as lib:
            await lib.add_source(f"Process {n} wrote this about item{n}.", SourceMeta(f"Process {n}"))

    asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
    """
)


def test_processes_using_a_new_library_at_once_all_succeed(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for round_ in range(2):
        path = tmp_path / f"new{round_}.db"
        at = time.time() + 2.0
        children = [
            subprocess.Popen(
                [sys.executable, "-c", FIRST_USE, str(path), str(n), str(at)],
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for n in range(10)
        ]
        errors = [(c.wait(), c.stderr.read()) for c in children if c.stderr]
        assert all(code == 0 for code, _ in errors), [e for e in errors if e[0]]
        with sqlite3.connect(path) as conn:
            titles = [t for (t,) in conn.execute("SELECT title FROM sources ORDER BY title")]
        processes = {f"Process {n}" for n in range(10)}
        assert len(titles) == 12 and processes < set(titles), titles  # each once, and the two seeds
        assert check_whole_or_absent(path) == 12


# The first open of a new library, killed at once after the schema is in (before the seeds).
KILLED_AFTER_SCHEMA = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from storage.backends.sqlite_connect import prepare_file

    prepare_file(Path(sys.argv[1]), seed=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)

OPEN_WITH_SEEDS = "import asyncio, sys\nfrom storage.backends import open_library\n" + (
    "async def main():\n    async with await open_library(sys.argv[1]):\n        pass\nasyncio.run(main())\n"
)


SEEDS = ["seed:csto-sets-up-peacekeeping-force", "seed:moscow-tries-to-use-the-un-mandate"]


def seed_origins(path: Path) -> list[str | None]:
    async def origins() -> list[str | None]:
        async with await open_library(path) as lib:
            return [s.origin for s in await lib.list_sources()]

    return asyncio.run(origins())


def test_a_kill_during_the_first_open_still_leaves_the_seeds(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    path = tmp_path / "first.db"
    done = subprocess.run([sys.executable, "-c", KILLED_AFTER_SCHEMA, str(path)], env=env)
    assert done.returncode == -signal.SIGKILL
    # Killed at random moments of the whole first open, too.
    rng = random.Random(7)
    for n in range(4):
        other = tmp_path / f"random{n}.db"
        child = subprocess.Popen([sys.executable, "-c", OPEN_WITH_SEEDS, str(other)], env=env)
        time.sleep(rng.uniform(0.3, 1.2))
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert seed_origins(other) == SEEDS, n
    assert seed_origins(path) == SEEDS
    assert seed_origins(path) == SEEDS  # once only


async def test_a_change_waits_out_a_long_write_elsewhere_or_says_it_is_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_connect, "BUSY_TIMEOUT_MS", 100)
    path = tmp_path / "busy.db"
    async with await open_library(path, seed=False) as lib:
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")  # another process's long transaction
        release = threading.Timer(0.8, other.execute, ("COMMIT",))
        release.start()
        assert (await lib.add_source("Zebras run fast.", SourceMeta("Waited"))).id == 1  # past 8 busy timeouts
        release.join()
        monkeypatch.setattr(library_module, "WRITE_WAIT_SECONDS", 0.5)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(LibraryBusy, match="locked"):
                await lib.add_source("Lions sleep.", SourceMeta("Gave up"))
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert [s.title for s in await lib.list_sources()] == ["Waited"]


async def test_two_removals_of_one_source_one_wins_one_is_told(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    async with await open_library(path, seed=False) as a, await open_library(path, seed=False) as b:
        for n in range(5):
            source = await a.add_source(f"Text {n} about zebras.", SourceMeta(f"T{n}"))
            results = await asyncio.gather(
                a.remove_source(source.id), b.remove_source(source.id), return_exceptions=True
            )
            assert sorted(type(r).__name__ for r in results) == ["SourceInfo", "UnknownSource"], results
        assert await a.count_sources() == 0


async def test_interrupted_while_committing_the_source_is_saved_and_said_to_be(tmp_path: Path) -> None:
    async with await library_module.SqliteLibrary.open(tmp_path / "commit.db", seed=False) as lib:
        writer = lib._writer
        real = writer.execute
        committing = asyncio.Event()

        def slow_commit(sql: str, *args: object):
            if sql != "COMMIT":
                return real(sql, *args)

            async def commit() -> object:
                started = asyncio.ensure_future(real(sql))  # the commit is underway in SQLite's thread...
                committing.set()
                await asyncio.sleep(0.2)  # ...when the interrupt arrives
                return await started

            return commit()

        writer.execute = slow_commit  # type: ignore[method-assign]
        task = asyncio.create_task(lib.add_source("Zebras run fast.", SourceMeta("Saved")))
        await committing.wait()
        task.cancel()
        info = await task  # saved, so it says so
        del writer.execute
        assert info.title == "Saved"
        assert [s.title for s in await lib.list_sources()] == ["Saved"]
