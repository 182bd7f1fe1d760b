"""Backups as the README's "Backing up" says to take them: `pg_dump` of a PostgreSQL library, and
SQLite's online backup of a library file while factbot has it open. A restored library answers
byte for byte as the original did, keeps its vectors in meaning, and takes new sources (its id
sequences come back with it)."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import urllib.parse
from pathlib import Path

from bot.answer import Engine
from bot.answer.vectorize import pending_count
from storage.backends import open_library
from storage.backends.base import Library
from storage.integrity import full_check
from storage.models import SourceMeta
from storage.testing import pgserver

NOTES = "Ruritania's parliament meets in Strelsau. Its upper house has forty members, chosen every six years."
LATER = "Zenda castle stands above the river. Its keep was rebuilt in the eighteenth century."
ASKED = ("Who are the members of the CSTO?", "Where does Ruritania's parliament meet?", "What do bees eat?")


async def _state(library: Library) -> tuple[list[dict], list[tuple[int, str]], int]:
    """What a reader of the library sees: the answers (as `ask --json` prints them), the sources
    and how many sentences still wait for their vectors."""
    engine = Engine(library)
    answers = [(await engine.ask(q)).to_json() for q in ASKED]
    sources = [(s.id, s.title) for s in await library.list_sources(scope=None)]
    return answers, sources, await pending_count(library)


async def _filled(target: Path | str) -> tuple[list[dict], list[tuple[int, str]], int]:
    async with await open_library(target) as library:
        await library.add_source(NOTES, SourceMeta("Ruritania"))
        await Engine(library).catch_up()
        return await _state(library)


async def _restored(target: Path | str, before: tuple[list[dict], list[tuple[int, str]], int]) -> None:
    async with await open_library(target) as library:
        assert await _state(library) == before
        assert before[2] == 0  # the vectors came back with the sources: nothing to encode again
        added = await library.add_source(LATER, SourceMeta("Zenda"))
        assert added.id > max(sid for sid, _title in before[1])
        assert "rebuilt" in str((await Engine(library).ask("When was Zenda's keep rebuilt?")).to_json())


def _tool(server: pgserver.Server, name: str, *args: str) -> None:
    """One of PostgreSQL's client tools, as an operator runs it against the server."""
    done = subprocess.run([str(server.bin / name), "-h", str(server.socket_dir), "-U", "postgres", *args],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_a_pg_dump_restored_into_another_database_answers_alike(
    pg_server: pgserver.Server, pg_url: str, tmp_path: Path
) -> None:
    before = asyncio.run(_filled(pg_url))
    dump = tmp_path / "factbot.dump"
    _tool(pg_server, "pg_dump", "--format=custom", "--file", str(dump), urllib.parse.urlsplit(pg_url).path[1:])
    copy = pg_server.fresh_database()
    _tool(pg_server, "pg_restore", "--no-owner", "--exit-on-error", "--dbname", urllib.parse.urlsplit(copy).path[1:],
          str(dump))  # fmt: skip
    asyncio.run(_restored(copy, before))


def test_an_online_backup_of_an_open_library_file_answers_alike(tmp_path: Path) -> None:
    path, backup = tmp_path / "library.db", tmp_path / "backup.db"

    async def fill_and_back_up() -> tuple[list[dict], list[tuple[int, str]], int]:
        state = await _filled(path)
        async with await open_library(path) as library:  # open, as a running bot holds it
            await library.list_sources(scope=None)
            with sqlite3.connect(path) as src, sqlite3.connect(backup) as dst:
                src.backup(dst)
        return state

    before = asyncio.run(fill_and_back_up())
    assert full_check(backup).problems == []
    asyncio.run(_restored(backup, before))
