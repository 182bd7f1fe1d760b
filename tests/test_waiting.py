"""A change waiting for another process that holds the library (issue 22): after the busy
timeout it says so, once; after the write wait it gives up in one line, having changed nothing.
Real processes: one inside BEGIN EXCLUSIVE, one running `factbot sources add`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.test_cli import ROOT, Factbot

HOLD = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""
# `factbot` with the write wait shortened, so that giving up takes seconds, not a minute.
ADD = (
    "import sys, storage.backends.sqlite as s; s.WRITE_WAIT_SECONDS = float(sys.argv[1]); from bot.cli import main; "
    + ("raise SystemExit(main(sys.argv[2:]))")
)


def hold(db: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def add(db: Path, wait: float, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTBOT_", "DISCORD_"))}
    env.update(FACTBOT_DB=str(db), PYTHONPATH=str(ROOT))
    command = [sys.executable, "-c", ADD, str(wait), "sources", "add", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_a_held_library_is_waited_for_aloud_then_given_up_in_one_line(tmp_path: Path) -> None:
    factbot = Factbot(tmp_path / "library.db", tmp_path)
    before = factbot.titles()
    (tmp_path / "a.txt").write_text("Beavers build dams across the rivers of the north.\n")
    holder = hold(factbot.db, 60)
    try:
        started = time.monotonic()
        done = add(factbot.db, 8, str(tmp_path / "a.txt"))
        took = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 1 and "Traceback" not in done.stderr
    waiting, gave_up = done.stderr.strip().splitlines()
    assert waiting.startswith(f"factbot: another process is changing the library {factbot.db}; waiting for it")
    assert gave_up.startswith(f"factbot: The library {factbot.db} is locked by another process")
    assert 8 <= took < 30
    assert factbot.titles() == before


def test_a_change_goes_through_when_the_holder_lets_go(tmp_path: Path) -> None:
    factbot = Factbot(tmp_path / "library.db", tmp_path)
    factbot.titles()  # created
    (tmp_path / "a.txt").write_text("Beavers build dams across the rivers of the north.\n")
    holder = hold(factbot.db, 7)
    try:
        done = add(factbot.db, 60, str(tmp_path / "a.txt"), "--title", "Beavers")
    finally:
        holder.wait()
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("factbot: another process is changing the library")
    assert "Added source" in done.stdout and "Beavers" in factbot.titles()
