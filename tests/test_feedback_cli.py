"""`factbot feedback list | export | purge` on a real library file, and the export scored by
`benchmarks/quality.py --feedback` (the answer voted wrong kept as a negative example)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.answer import Engine
from storage.backends import open_library
from storage.feedback import HELPFUL, SAY_NOTHING, WRONG_QUOTE, Vote

ROOT = Path(__file__).resolve().parents[1]
GUILD = 123
MEMBERS = "Who are the members of the CSTO?"
WEATHER = "What is the weather in Moscow today?"


def run(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTBOT_", "DISCORD_"))}
    env.update(FACTBOT_DB=str(db), PYTHONPATH=str(ROOT))
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    path = tmp_path / "library.db"
    async with await open_library(path) as library:
        engine = Engine(library)
        members = (await engine.ask(MEMBERS, scope=GUILD)).to_json()
        weather = (await engine.ask(WEATHER, scope=GUILD)).to_json()
        await library.record_feedback(Vote(GUILD, 1, 10, HELPFUL, MEMBERS, members, "v1"))
        await library.record_feedback(Vote(GUILD, 1, 11, WRONG_QUOTE, MEMBERS, members, "v1", "not the SCO"))
        await library.record_feedback(Vote(GUILD, 2, 11, SAY_NOTHING, WEATHER, weather, "v1"))
    return path


def test_list_shows_votes_newest_first_and_filters(db: Path) -> None:
    done = run(sys.executable, "-m", "bot", "feedback", "list", db=db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.index(WEATHER) < done.stdout.index(MEMBERS) and "3 of 3 votes." in done.stdout
    only = run(sys.executable, "-m", "bot", "feedback", "list", "--kind", WRONG_QUOTE, "--json", db=db)
    rows = [json.loads(line) for line in only.stdout.splitlines()]
    assert [(r["kind"], r["comment"], r["scope"]) for r in rows] == [(WRONG_QUOTE, "not the SCO", str(GUILD))]


def test_export_is_scored_by_the_quality_benchmark(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "votes.jsonl"
    done = run(sys.executable, "-m", "bot", "feedback", "export", str(out), db=db)
    assert done.returncode == 0 and "Exported 3 votes" in done.stdout, done.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["expect"] for r in rows] == ["same", "not_negative", "refuse"]
    wrong = rows[1]
    assert wrong["negative"] and all(q in json.dumps(wrong["voted"], ensure_ascii=False) for q in wrong["negative"])
    scored = run(sys.executable, "-m", "benchmarks.quality", "--feedback", str(out), "--db", str(db), db=db)
    assert scored.returncode == 0, scored.stderr
    # The same library: the helpful answer is kept, the wrong quote still opens it, the refusal stays.
    assert "same          1/1" in scored.stdout and "not_negative  0/1" in scored.stdout
    assert "refuse        1/1" in scored.stdout


def test_purge_deletes_by_age(db: Path) -> None:
    kept = run(sys.executable, "-m", "bot", "feedback", "purge", "--older-than", "1", db=db)
    assert kept.returncode == 0 and "Deleted 0 votes" in kept.stdout
    gone = run(sys.executable, "-m", "bot", "feedback", "purge", "--older-than", "0", db=db)
    assert "Deleted 3 votes" in gone.stdout
    assert "No votes yet." in run(sys.executable, "-m", "bot", "feedback", "list", db=db).stdout
    bad = run(sys.executable, "-m", "bot", "feedback", "purge", "--older-than", "soon", db=db)
    assert bad.returncode != 0 and "not a number of days" in bad.stderr
