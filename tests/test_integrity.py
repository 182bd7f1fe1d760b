"""A damaged library file (issue 22): refused on open with one line, found by `factbot library
check`, and rescued by `factbot library copy`, which skips and names what it cannot read. Real
files, damaged on disk the way a bad sector or a stray writer would, and real processes."""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from storage import integrity
from storage.backends import open_library
from storage.backends.sqlite import SqliteLibrary
from storage.errors import DamagedLibrary
from storage.models import SourceMeta
from tests.test_cli import Factbot, one_line_error

SOURCES = 12


async def make_library(path: Path) -> None:
    """A library of SOURCES sources of 60 paragraphs each, checkpointed into the main file."""
    async with await open_library(path, seed=False) as library:
        for i in range(SOURCES):
            body = "\n\n".join(
                f"Report {i}-{p} counts {100 + p} walruses on beach {i}. Observer {i} wrote it down." for p in range(60)
            )
            await library.add_source(body, SourceMeta(f"Report {i}", None, None, None, None))
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def pages_of(path: Path, table: str) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [n for (n,) in conn.execute("SELECT pageno FROM dbstat WHERE name = ? ORDER BY pageno", (table,))]


def overwrite(path: Path, page: int, data: bytes) -> None:
    size = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    with path.open("r+b") as f:
        f.seek((page - 1) * size)
        f.write(data[:size])


@pytest.fixture
def library(tmp_path: Path) -> Path:
    path = tmp_path / "library.db"
    asyncio.run(make_library(path))
    return path


def zero_a_body_page(path: Path) -> None:
    """A page of the bodies' table overwritten with zeros."""
    chunks = pages_of(path, "body_chunks")
    overwrite(path, chunks[len(chunks) // 2], bytes(65536))


def scramble_index_pages(path: Path) -> None:
    """Three of the sentence index's pages overwritten with random bytes, whole."""
    for page in random.Random(1).sample(pages_of(path, "sentence_index_data"), 3):
        overwrite(path, page, os.urandom(65536))


def scramble_index_payload(path: Path) -> None:
    """Three of the index's blocks replaced by random bytes of the same length: every page and
    row of the file well formed, the terms they hold garbage."""
    rng = random.Random(1)
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT id, length(block) FROM sentence_index_data WHERE id > 10 ORDER BY id").fetchall()
        for block_id, size in rng.sample(rows, 3):
            conn.execute("UPDATE sentence_index_data SET block = ? WHERE id = ?", (rng.randbytes(size), block_id))


@pytest.mark.parametrize("damage", [zero_a_body_page, scramble_index_pages])
def test_a_damaged_library_is_refused_on_open_with_what_to_do(
    tmp_path: Path, library: Path, damage: Callable[[Path], None]
) -> None:
    damage(library)
    for command in (("sources", "list"), ("ask", "How many walruses are on beach 3?")):
        line = one_line_error(Factbot(library, tmp_path)(*command))
        assert f"The library {library} is damaged (quick_check: " in line
        assert f"`factbot library copy {library} NEW.db`" in line


def test_the_quick_check_is_bounded_by_the_file_size(library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zero_a_body_page(library)

    async def count() -> int:
        async with await open_library(library) as opened:
            return len(await opened.list_sources())

    with pytest.raises(DamagedLibrary):
        asyncio.run(count())
    monkeypatch.setattr(integrity, "QUICK_CHECK_MAX_BYTES", library.stat().st_size - 1)
    assert asyncio.run(count()) == SOURCES  # too big to check on open: opened


def test_library_check_says_whole_or_damaged_in_one_line(tmp_path: Path, library: Path) -> None:
    factbot = Factbot(library, tmp_path)
    done = factbot("library", "check")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"The library {library} is whole: SQLite's integrity check and the sentence index's own check "
        "found nothing wrong.\n"
    )
    scramble_index_payload(library)  # beyond what quick_check sees: only the index's own check does
    line = one_line_error(factbot("library", "check"))
    assert line.startswith(f"factbot: The library {library} is damaged (the sentence index: ")
    assert "factbot library copy" in line


def test_library_check_of_a_missing_file_or_a_url_is_one_line(tmp_path: Path) -> None:
    assert "There is no library file" in one_line_error(Factbot(tmp_path / "none.db", tmp_path)("library", "check"))
    assert not (tmp_path / "none.db").exists()
    db = Factbot(tmp_path / "x.db", tmp_path)
    line = one_line_error(db("--db", "postgresql://u@h/db", "library", "check"))
    assert "checks a library file" in line


@pytest.mark.parametrize("damage", [scramble_index_pages, scramble_index_payload])
def test_copy_rescues_a_library_whose_index_is_damaged(
    tmp_path: Path, library: Path, damage: Callable[[Path], None]
) -> None:
    damage(library)
    rescued = tmp_path / "rescued.db"
    done = Factbot(library, tmp_path)("library", "copy", str(library), str(rescued))
    assert done.returncode == 0, done.stderr
    assert f"Copied {SOURCES} sources" in done.stdout
    check = Factbot(rescued, tmp_path)("library", "check")
    assert check.returncode == 0 and "is whole" in check.stdout
    assert len(Factbot(rescued, tmp_path).titles()) == SOURCES


def test_copy_skips_and_names_a_source_it_cannot_read(tmp_path: Path, library: Path) -> None:
    zero_a_body_page(library)
    rescued = tmp_path / "rescued.db"
    done = Factbot(library, tmp_path)("library", "copy", str(library), str(rescued))
    assert done.returncode == 3, done.stderr  # EXIT_PARTIAL: some were copied, some were not
    skipped = done.stderr.strip().splitlines()
    assert skipped and all(line.startswith("factbot: skipped source ") for line in skipped), done.stderr
    assert f"Copied {SOURCES - len(skipped)} sources" in done.stdout
    assert f"{len(skipped)} could not be read and were skipped." in done.stdout
    assert len(Factbot(rescued, tmp_path).titles()) == SOURCES - len(skipped)


async def test_a_damaged_read_is_reported_as_damage_with_what_to_do(library: Path) -> None:
    """Damage found by a read after opening (a file too big for the check on open) says so."""
    zero_a_body_page(library)
    async with await SqliteLibrary.open(library, check=False) as opened:
        with pytest.raises(DamagedLibrary, match="factbot library copy"):
            for info in await opened.list_sources():
                await opened.get_body(info.id)
