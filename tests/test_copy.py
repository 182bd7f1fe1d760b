"""`factbot library copy SRC DST`: SQLite to PostgreSQL and back, run as a person would (a real
process), idempotent, checked, and resumed after being killed half-way."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import numpy as np
import pytest

from bot import cli
from bot.answer.encoder import shipped
from bot.answer.vectorize import encode_pending
from storage.backends import open_library
from storage.copy import copy_library
from storage.errors import StoreError
from storage.models import SourceMeta
from storage.prepare import content_hash
from storage.vectors import to_blob

ROOT = Path(__file__).resolve().parents[1]
GUILD = 31337


def factbot(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTBOT_", "DISCORD_"))}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT
    )


async def make_library(path: Path, sources: int) -> None:
    """The seeds, `sources` more (one in ten a server's own), and a removal (a gap in the ids)."""
    async with await open_library(path) as lib:
        for n in range(sources):
            body = "\n\n".join(f"Article {n}, paragraph {p}, is about item{n} and topic{p}." for p in range(40))
            await lib.add_source(
                body, SourceMeta(f"Article {n}", author="A. Writer"), scope=GUILD if n % 10 == 0 else 0
            )
        if sources > 3:
            await lib.remove_source(4)


async def contents(target: Path | str) -> list[tuple[object, ...]]:
    async with await open_library(target, seed=False) as lib:
        found: list[tuple[object, ...]] = []
        for s in await lib.list_sources():
            body = await lib.get_body(s.id)
            assert content_hash(body) == s.sha256
            kept = (s.id, s.scope, s.title, s.author, s.origin, s.added_by, s.added_at, s.sha256, s.sentences)
            found.append((*kept, s.pages, await lib.page_starts(s.id)))
        return found


async def answers(target: Path | str) -> list[list[tuple[int, str]]]:
    async with await open_library(target, seed=False) as lib:
        return [
            [(s.id, s.text) for s in await lib.match_terms([f"item{n}", "topic3"], scope=GUILD, limit=5)]
            for n in range(0, 12, 3)
        ]


async def test_sqlite_to_postgresql_and_back_keeps_everything(tmp_path: Path, pg_url: str) -> None:
    src, back = tmp_path / "src.db", tmp_path / "back.db"
    await make_library(src, 11)
    async with await open_library(src) as lib:  # and a PDF's page starts
        body = "Page one of the paged source.\n\nPage two goes on.\n\nPage three ends it."
        pages = (0, body.index("Page two"), body.index("Page three"))
        await lib.add_source(body, SourceMeta("A paged source"), pages=pages)
    done = await asyncio.to_thread(factbot, "library", "copy", str(src), pg_url)
    assert done.returncode == 0, done.stderr
    assert "Copied 13 sources" in done.stdout and "(0 were already there); 13 checked" in done.stdout
    again = await asyncio.to_thread(factbot, "library", "copy", str(src), pg_url)
    assert again.returncode == 0, again.stderr
    assert "Copied 0 sources" in again.stdout and "(13 were already there)" in again.stdout
    done = await asyncio.to_thread(factbot, "library", "copy", pg_url, str(back))
    assert done.returncode == 0, done.stderr
    original = await contents(src)
    assert await contents(pg_url) == original == await contents(back)  # ids, scopes, dates, text and pages kept
    assert [row[-2:] for row in original if row[2] == "A paged source"] == [(3, [0, 31, 50])]
    assert await answers(pg_url) == await answers(src) == await answers(back)


async def vectors(target: Path | str) -> dict[int, list[bytes | None]]:
    async with await open_library(target, seed=False) as lib:
        return {s.id: [v for *_, v in await lib.source_vectors(s.id)] for s in await lib.list_sources()}


async def test_sentence_vectors_come_along_both_ways(tmp_path: Path, pg_url: str) -> None:
    """A copied library answers by meaning at once: every stored vector arrives with its sentence."""
    src, back = tmp_path / "src.db", tmp_path / "back.db"
    await make_library(src, 2)
    async with await open_library(src, seed=False) as lib:
        await lib.use_vector_model("an-older-model:0")  # replaced by the shipped encoder next
        stored = await encode_pending(lib, shipped())
        model = await lib.vector_model()
    there = await asyncio.to_thread(factbot, "library", "copy", str(src), pg_url)
    assert there.returncode == 0, there.stderr
    assert f"{stored} sentence vectors came along" in there.stdout
    done = await asyncio.to_thread(factbot, "library", "copy", pg_url, str(back))
    assert done.returncode == 0, done.stderr
    original = await vectors(src)
    assert all(v is not None for vs in original.values() for v in vs)
    assert await vectors(pg_url) == original == await vectors(back)
    async with await open_library(back, seed=False) as lib:
        assert await lib.vector_model() == model
        assert await lib.vector_progress() == (stored, stored)
    # What the origin's vectors replaced comes along: an older version leaves each copy alone too.
    for target in (pg_url, back):
        async with await open_library(target, seed=False) as lib:
            assert await lib.replaced_vector_models() == ["an-older-model:0"]
            await lib.use_vector_model("an-older-model:0")
            assert await lib.vector_model() == model and await lib.vector_progress() == (stored, stored)


async def test_a_copy_into_a_library_of_the_same_model_keeps_its_vectors_and_joins_the_history(
    tmp_path: Path, library_target: Path | str
) -> None:
    """Two libraries merged: the origin's replaced models join the destination's record (an older
    version pointed at it leaves it alone), and the vectors on both sides stay."""
    async with (
        await open_library(tmp_path / "src.db", seed=False) as src,
        await open_library(library_target, seed=False) as dst,
    ):
        await src.add_source("The origin's source. It has two sentences.", SourceMeta("Origin"))
        await dst.add_source("The destination's own source.", SourceMeta("Own"))
        await src.use_vector_model("an-older-model:0")  # replaced by the shipped encoder next
        await encode_pending(src, shipped())
        await encode_pending(dst, shipped())
        report = await copy_library(src, dst)
        assert (report.copied, report.vectors) == (1, 2)
        assert await dst.replaced_vector_models() == ["an-older-model:0"]
        assert await dst.vector_progress() == (3, 3)
        await dst.use_vector_model("an-older-model:0")
        assert await dst.vector_model() == shipped().identity and await dst.vector_progress() == (3, 3)


async def test_a_copy_never_gives_an_id_the_destination_gave_before(tmp_path: Path, library_target: Path | str) -> None:
    """Into a library with a history, a copied source whose id that library once gave another
    source gets a new one (the audit log there never names two sources by one id); the others keep
    theirs."""
    async with (
        await open_library(tmp_path / "src.db", seed=False) as src,
        await open_library(library_target, seed=False) as dst,
    ):
        for n in range(4):
            await src.add_source(f"Source {n} says {n}.", SourceMeta(f"S{n}"))
        kept = await dst.add_source("Kept here.", SourceMeta("Kept"))
        gone = await dst.add_source("Removed here.", SourceMeta("Gone"))
        await dst.remove_source(gone.id)
        report = await copy_library(src, dst)
        ids = {s.title: s.id for s in await dst.list_sources()}
    assert (kept.id, gone.id, report.copied) == (1, 2, 4)
    assert ids == {"Kept": 1, "S2": 3, "S3": 4, "S0": 5, "S1": 6}
    assert report.renumbered == ((1, 5), (2, 6))


def test_the_command_names_each_source_given_a_new_id(tmp_path: Path) -> None:
    src, dst = tmp_path / "src.db", tmp_path / "dst.db"

    async def prepare() -> None:
        async with await open_library(src, seed=False) as a, await open_library(dst, seed=False) as b:
            await a.add_source("Source one.", SourceMeta("One"))
            await b.add_source("Already here.", SourceMeta("Here"))

    asyncio.run(prepare())
    done = factbot("library", "copy", str(src), str(dst))
    assert done.returncode == 0, done.stderr
    assert f"Source 1 is source 2 there: id 1 was already used in {dst}." in done.stdout


async def test_a_renumbered_source_never_takes_an_id_the_origin_gave(
    tmp_path: Path, library_target: Path | str
) -> None:
    """The origin removed its source 4 and the destination already has a source 1: the origin's
    source 1 is numbered after 4, not 4 (old messages citing source 4 name no other source)."""
    async with (
        await open_library(tmp_path / "src.db", seed=False) as src,
        await open_library(library_target, seed=False) as dst,
    ):
        for n in range(4):
            await src.add_source(f"Source {n} says {n}.", SourceMeta(f"S{n}"))
        await src.remove_source(4)
        await dst.add_source("Already here.", SourceMeta("Here"))
        report = await copy_library(src, dst)
        ids = {s.title: s.id for s in await dst.list_sources()}
    assert ids == {"Here": 1, "S1": 2, "S2": 3, "S0": 5}
    assert report.renumbered == ((1, 5),)


async def test_an_id_the_origin_gave_before_is_not_given_in_the_copy(
    tmp_path: Path, library_target: Path | str
) -> None:
    """The origin's newest source was removed before the move: the copy does not give its id to
    the next source added there either (old messages citing it name no other source)."""
    async with (
        await open_library(tmp_path / "src.db", seed=False) as src,
        await open_library(library_target, seed=False) as dst,
    ):
        await src.add_source("Kept there.", SourceMeta("Kept"))
        gone = await src.add_source("Removed there.", SourceMeta("Gone"))
        await src.remove_source(gone.id)
        assert (await copy_library(src, dst)).renumbered == ()
        assert (await dst.add_source("New here.", SourceMeta("New"))).id == gone.id + 1


async def test_a_damaged_vector_stays_behind(tmp_path: Path) -> None:
    """A vector of the wrong length (a damaged library being rescued) is not carried: the copy's
    search by meaning works, and that sentence is encoded again there."""
    src, dst = tmp_path / "src.db", tmp_path / "dst.db"
    async with await open_library(src, seed=False) as a, await open_library(dst, seed=False) as b:
        await a.add_source("The harbour opened in 1850. Ferries leave at dawn. Gulls nest there.", SourceMeta("H"))
        await a.use_vector_model("m")
        first, second, third = await a.pending_vectors(limit=9)
        good, other = to_blob(np.array([1.0, 0.0])), to_blob(np.array([0.0, 1.0]))
        await a.store_vectors("m", [(first.id, good), (second.id, b"\x00"), (third.id, other)])
        report = await copy_library(a, b)
        assert report.vectors == 2
        near = await b.nearest_sentences(np.array([1.0, 0.0]), scope=0, limit=5, model="m")
        assert [c for _, c in near] == [1.0, 0.0]
        assert [s.text for s in await b.visible_sentences([near[0][0]], scope=0)] == [first.text]
        assert await b.vector_progress() == (2, 3)


async def test_vectors_of_another_model_than_the_destinations_stay_behind(tmp_path: Path) -> None:
    src, dst = tmp_path / "src.db", tmp_path / "dst.db"
    await make_library(src, 1)
    async with await open_library(src, seed=False) as a, await open_library(dst, seed=False) as b:
        await encode_pending(a, shipped())
        await b.use_vector_model("another-model")
        report = await copy_library(a, b)
        assert report.copied == 3 and report.vectors == 0
        assert await b.vector_model() == "another-model"
        assert (await b.vector_progress())[0] == 0


async def test_a_copy_killed_half_way_finishes_when_run_again(tmp_path: Path, pg_url: str) -> None:
    src = tmp_path / "src.db"
    await make_library(src, 40)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTBOT_", "DISCORD_"))}
    env["PYTHONPATH"] = str(ROOT)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "library", "copy", str(src), pg_url, env=env, cwd=ROOT, stdout=subprocess.PIPE
    )
    conn = await asyncpg.connect(pg_url)
    try:
        copied = 0
        deadline = time.monotonic() + 60
        while copied < 10 and time.monotonic() < deadline and child.returncode is None:
            await asyncio.sleep(0.05)
            if await conn.fetchval("SELECT to_regclass('sources') IS NOT NULL"):
                copied = await conn.fetchval("SELECT count(*) FROM sources")
        child.send_signal(signal.SIGKILL)
        await child.wait()
        copied = await conn.fetchval("SELECT count(*) FROM sources")
    finally:
        await conn.close()
    assert 10 <= copied < 41, copied  # killed half-way
    done = await asyncio.to_thread(factbot, "library", "copy", str(src), pg_url)
    assert done.returncode == 0, done.stderr
    assert f"Copied {41 - copied} sources" in done.stdout and f"({copied} were already there)" in done.stdout
    assert await contents(pg_url) == await contents(src)


async def test_a_copy_that_does_not_match_is_reported(tmp_path: Path) -> None:
    src, dst = tmp_path / "src.db", tmp_path / "dst.db"
    await make_library(src, 3)
    async with await open_library(src, seed=False) as a, await open_library(dst, seed=False) as b:
        await copy_library(a, b)
        await b._writer.execute("UPDATE body_chunks SET text = 'tampered' WHERE source_id = 1")  # type: ignore[attr-defined]
        try:
            await copy_library(a, b)
        except StoreError as err:
            assert "source 1" in str(err) and "does not hold the text" in str(err)
        else:
            raise AssertionError("a tampered copy passed the check")


def test_bad_copy_arguments_are_one_line_each(tmp_path: Path) -> None:
    missing = factbot("library", "copy", str(tmp_path / "nothing.db"), str(tmp_path / "out.db"))
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1 and "no library file" in missing.stderr
    assert not (tmp_path / "out.db").exists()
    same = factbot("library", "copy", str(tmp_path / "a.db"), str(tmp_path / "a.db"))
    assert same.returncode == 1 and "same library" in same.stderr
    asyncio.run(make_library(tmp_path / "a.db", 0))
    unreachable = factbot("library", "copy", str(tmp_path / "a.db"), "postgresql://nobody@/x?host=/nonexistent")
    assert unreachable.returncode == 1 and unreachable.stderr.count("\n") == 1


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_a_bar_on_a_terminal_and_quiet_when_piped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "src.db"
    asyncio.run(make_library(src, 3))
    assert cli.main(["library", "copy", str(src), str(tmp_path / "piped.db")]) == 0
    piped = capsys.readouterr()
    assert piped.err == "" and "Copied 5 sources" in piped.out
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert cli.main(["library", "copy", str(src), str(tmp_path / "shown.db")]) == 0
    assert "0/5" in terminal.getvalue(), "a bar over the five sources"
    assert "Copied 5 sources" in capsys.readouterr().out
