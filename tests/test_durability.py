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
import time
from pathlib import Path

from storage import text as textmod
from storage.library import Library
from storage.segment import segment

# The child adds large sources, one transaction each, forever; it says when each one begins.
CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from storage.library import Library
    from storage.models import SourceMeta

    async def main(path):
        async with await Library.open(path, seed=False) as lib:
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


def check_whole_or_absent(path: Path) -> int:
    """Every stored source has all its sentences and all of them indexed; returns the count."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.execute("INSERT INTO sentence_index (sentence_index) VALUES ('integrity-check')")
        sources = conn.execute("SELECT id, body FROM sources").fetchall()
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


def test_kill_during_ingest_never_leaves_half_a_source(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
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


def kill_after_first_source(path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout is not None
    child.stdout.readline()
    child.stdout.readline()  # the first source is committed once the second begins
    child.send_signal(signal.SIGKILL)
    child.wait()


async def test_the_library_opens_and_works_after_a_kill(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    await asyncio.to_thread(kill_after_first_source, path)
    async with await Library.open(path, seed=False) as lib:
        titles = [s.title for s in await lib.list_sources()]
        assert titles[0] == "Source 1"
        assert (await lib.match_sentences('"tagb"', scope=0, limit=1))[0].source_id == 1
