"""The store on a real SQLite file and a real PostgreSQL database (the tests that are not about
files run on both): transactions, duplicates, scopes, removal, migrations."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from storage.backends import open_library, sqlite_connect
from storage.backends.base import LAST_SOURCE_ID, Library
from storage.backends.postgres import PostgresLibrary
from storage.backends.sqlite import SqliteLibrary
from storage.errors import (
    DuplicateSource,
    IngestError,
    NewerSchema,
    NotALibrary,
    ProtectedSource,
    ReadOnlyLibrary,
    StoreError,
    UnknownSource,
)
from storage.models import GLOBAL_SCOPE, SourceMeta
from storage.pg_schema import SCHEMA_VERSION as PG_SCHEMA_VERSION
from storage.schema import APPLICATION_ID, BODY_CHUNK, MIGRATIONS, SCHEMA_VERSION, migrate
from tests.stores import index_count, sql_execute, sql_value

GUILD_A = 111
GUILD_B = 222
BODY = "The first paragraph says one thing. It says it twice.\n\nThe second paragraph mentions zebras."


@pytest.fixture
async def library(library_target: Path | str) -> AsyncIterator[Library]:
    async with await open_library(library_target, seed=False) as lib:
        yield lib


@pytest.fixture
async def sqlite_library(tmp_path: Path) -> AsyncIterator[SqliteLibrary]:
    async with await SqliteLibrary.open(tmp_path / "library.db", seed=False) as lib:
        yield lib


async def test_new_library_starts_with_the_seeds(library_target: Path | str) -> None:
    async with await open_library(library_target) as lib:
        titles = [s.title for s in await lib.list_sources()]
    assert titles == [
        "CSTO Sets Up Peacekeeping Force",
        "Moscow tries to use the UN mandate in its CSTO-flagged operations",
    ]
    # Reopening does not add them again.
    async with await open_library(library_target) as lib:
        assert await lib.count_sources() == 2


async def test_add_stores_paragraphs_sentences_and_offsets(library: Library) -> None:
    info = await library.add_source(BODY, SourceMeta("Zebra notes", author="A. Writer"), added_by="tester")
    assert (info.paragraphs, info.sentences, info.chars) == (2, 3, len(BODY))
    assert info.author == "A. Writer" and info.added_by == "tester" and info.scope == GLOBAL_SCOPE
    found = await library.match_any(["zebra"], scope=GLOBAL_SCOPE, limit=5)
    assert [s.text for s in found] == ["The second paragraph mentions zebras."]
    assert BODY[found[0].start : found[0].end] == found[0].text
    assert (found[0].paragraph, found[0].number) == (2, 1)


async def test_same_content_twice_in_one_scope_is_refused_naming_the_original(library: Library) -> None:
    first = await library.add_source(BODY, SourceMeta("Original"))
    with pytest.raises(DuplicateSource) as err:
        await library.add_source(BODY, SourceMeta("Copy"))
    assert err.value.existing_id == first.id and "Original" in str(err.value)
    assert await library.count_sources() == 1
    # Another server may hold the same text: scopes are separate libraries.
    await library.add_source(BODY, SourceMeta("Copy"), scope=GUILD_A)
    assert await library.count_sources() == 2


async def test_empty_or_untitled_sources_are_refused(library: Library) -> None:
    with pytest.raises(IngestError):
        await library.add_source("   \n\n ", SourceMeta("Blank"))
    with pytest.raises(IngestError):
        await library.add_source(BODY, SourceMeta("  "))
    assert await library.count_sources() == 0


async def test_servers_see_their_own_sources_and_the_global_library(library: Library) -> None:
    shared = await library.add_source("Shared words about lions.", SourceMeta("Global"))
    a = await library.add_source("Words about lions in server A.", SourceMeta("A's"), scope=GUILD_A)
    b = await library.add_source("Words about lions in server B.", SourceMeta("B's"), scope=GUILD_B)
    assert {s.id for s in await library.list_sources(scope=GUILD_A)} == {shared.id, a.id}
    assert {s.id for s in await library.list_sources(scope=GUILD_B)} == {shared.id, b.id}
    assert {s.source_id for s in await library.match_any(["lion"], scope=GUILD_A, limit=10)} == {shared.id, a.id}
    with pytest.raises(UnknownSource):
        await library.get_source(b.id, scope=GUILD_A)
    with pytest.raises(UnknownSource):
        await library.remove_source(b.id, scope=GUILD_A)
    with pytest.raises(ProtectedSource):
        await library.remove_source(shared.id, scope=GUILD_A)
    assert await library.count_sources() == 3


async def test_remove_takes_everything_including_the_index(library: Library) -> None:
    keep = await library.add_source("Giraffes are tall.", SourceMeta("Keep"))
    gone = await library.add_source(BODY, SourceMeta("Zebras"), scope=GUILD_A)
    assert await index_count(library, "zebra") == 1
    removed = await library.remove_source(gone.id, scope=GUILD_A, actor="mod")
    assert removed.title == "Zebras"
    assert await index_count(library, "zebra") == 0
    assert await index_count(library, "giraff") == 1
    for table in ("sentences", "paragraphs", "body_chunks"):
        assert await sql_value(library, f"SELECT count(*) FROM {table} WHERE source_id = ?", gone.id) == 0
    assert await library.vocabulary(scope=GUILD_A) == await library.vocabulary(scope=GLOBAL_SCOPE)
    assert (await library.term_frequencies(["zebra"]))["zebra"] == 0
    with pytest.raises(UnknownSource):
        await library.remove_source(gone.id)
    assert [s.id for s in await library.list_sources()] == [keep.id]
    log = await library.events(scope=GUILD_A)
    assert [(e.action, e.actor, e.title) for e in log] == [("remove", "mod", "Zebras"), ("add", None, "Zebras")]


async def test_a_removed_sources_id_never_names_another_source(library_target: Path | str) -> None:
    """The newest source removed and another added, then the library reopened: the new source gets
    a new id, so the audit log's "source N" names one source only."""
    async with await open_library(library_target, seed=False) as library:
        await library.add_source("Giraffes are tall.", SourceMeta("Keep"))
        gone = await library.add_source(BODY, SourceMeta("Zebras"))
        await library.remove_source(gone.id)
    async with await open_library(library_target, seed=False) as library:
        new = await library.add_source("Okapis are shy.", SourceMeta("Okapis"))
        assert new.id > gone.id
        by_id = {(e.source_id, e.title) for e in await library.events(scope=GLOBAL_SCOPE)}
        assert (gone.id, "Okapis") not in by_id and (new.id, "Okapis") in by_id


async def test_a_library_from_before_the_highest_id_was_kept_learns_it_from_the_audit_log(
    library_target: Path | str,
) -> None:
    """A library whose newest source was removed before factbot kept the highest id given: the
    upgrade reads it from the audit log, so that id is not given again."""
    async with await open_library(library_target, seed=False) as library:
        await library.add_source("Giraffes are tall.", SourceMeta("Keep"))
        gone = await library.add_source(BODY, SourceMeta("Zebras"))
        await library.remove_source(gone.id)
        await sql_execute(library, "DELETE FROM meta WHERE key = ?", LAST_SOURCE_ID)
        if isinstance(library, SqliteLibrary):
            await sql_execute(library, f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
        else:
            await sql_execute(library, f"UPDATE factbot_schema SET version = {PG_SCHEMA_VERSION - 1}")
    async with await open_library(library_target, seed=False) as library:
        assert (await library.add_source("Okapis are shy.", SourceMeta("Okapis"))).id == gone.id + 1


async def test_a_failed_add_leaves_nothing_behind(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(library, "_log", broken)
    with pytest.raises(RuntimeError):
        await library.add_source(BODY, SourceMeta("Doomed"))
    monkeypatch.undo()
    assert await library.count_sources() == 0
    assert await index_count(library, "zebra") == 0
    assert await library.sentence_stats() == (0, 0.0) and await library.vocabulary(scope=GLOBAL_SCOPE) == {}
    assert await library.add_source(BODY, SourceMeta("Second try"))


async def test_stats_follow_writes_from_another_connection(library_target: Path | str) -> None:
    path = library_target
    async with await open_library(path, seed=False) as reader, await open_library(path, seed=False) as writer:
        assert (await reader.sentence_stats())[0] == 0
        await writer.add_source(BODY, SourceMeta("Zebras"))
        assert (await reader.sentence_stats())[0] == 3


async def test_migrations_upgrade_an_old_file_and_keep_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=1)
    conn.execute(
        "INSERT INTO sources (scope, title, body, sha256, added_at) VALUES (0, 'Old', 'Old text.', 'x', 'then')"
    )
    conn.close()
    async with await open_library(path) as lib:
        assert [s.title for s in await lib.list_sources()] == ["Old"]  # an existing library is not re-seeded
        assert await lib.events() == []  # the events table arrived with migration 2
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_a_file_from_a_newer_factbot_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")  # a newer factbot marks its files too
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(NewerSchema):
        await open_library(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


async def test_index_is_rebuilt_when_the_tokenizer_changes(library_target: Path | str) -> None:
    async with await open_library(library_target, seed=False) as lib:
        await lib.add_source(BODY, SourceMeta("Zebras"))
        before = await lib.match_terms(["zebra", "paragraph"], scope=GLOBAL_SCOPE, limit=5)
        if isinstance(library_target, Path):
            await sql_execute(lib, "INSERT INTO sentence_index (sentence_index) VALUES ('delete-all')")
        else:
            await sql_execute(lib, "TRUNCATE postings, term_stats")
        await sql_execute(lib, "UPDATE meta SET value = '0' WHERE key IN ('terms_version', 'vocabulary_version')")
        await sql_execute(lib, "DELETE FROM vocabulary")
        assert await index_count(lib, "zebra") == 0
    async with await open_library(library_target, seed=False) as lib:
        assert (await lib.term_frequencies(["zebra"]))["zebra"] == 1
        assert await lib.match_terms(["zebra", "paragraph"], scope=GLOBAL_SCOPE, limit=5) == before
        assert (await lib.word_counts(["zebras"], scope=GLOBAL_SCOPE)) == {"zebras": 1}


async def test_own_only_lists_a_servers_sources_without_the_global_library(library: Library) -> None:
    for n in range(3):
        await library.add_source(f"Global text number {n}.", SourceMeta(f"Global {n}"))
    mine = await library.add_source("Text of this server.", SourceMeta("Mine"), scope=GUILD_A)
    await library.add_source("Text of another server.", SourceMeta("Theirs"), scope=GUILD_B)
    assert [s.id for s in await library.list_sources(scope=GUILD_A, own_only=True, limit=1)] == [mine.id]
    assert len(await library.list_sources(scope=GUILD_A)) == 4


async def test_cached_counts_follow_every_write(library_target: Path | str) -> None:
    path = library_target
    async with await open_library(path, seed=False) as bot, await open_library(path, seed=False) as cli:
        assert await bot.count_sources() == 0
        assert await bot.term_frequencies(["zebra"]) == {"zebra": 0}
        await cli.add_source(BODY, SourceMeta("Zebras"))  # another connection, as the CLI beside the bot
        assert await bot.count_sources() == 1
        assert await bot.term_frequencies(["zebra"]) == {"zebra": 1}
        await bot.add_source("Lions roar.", SourceMeta("Lions"), scope=GUILD_A)
        assert (await bot.count_sources(scope=GLOBAL_SCOPE), await bot.count_sources(scope=GUILD_A)) == (1, 2)


async def test_match_terms_takes_the_rarest_terms_within_a_budget(library: Library) -> None:
    for n in range(5):
        await library.add_source(
            f"Common words in text {n}. Rare zebra {n}." if n == 0 else f"Common words {n}.", SourceMeta(f"T{n}")
        )
    both = await library.match_terms(["common", "zebra"], scope=GLOBAL_SCOPE, limit=10)
    assert {s.text for s in both} >= {"Rare zebra 0.", "Common words 1."}
    rare_only = await library.match_terms(["common", "zebra"], scope=GLOBAL_SCOPE, limit=10, budget=3)
    assert [s.text for s in rare_only] == ["Rare zebra 0."]
    assert await library.match_terms(["absent"], scope=GLOBAL_SCOPE, limit=10) == []


async def test_rare_words_are_counted_within_a_servers_view(library: Library) -> None:
    await library.add_source("Zebras everywhere.", SourceMeta("Global zebras"))
    await library.add_source("Okapis live in the forest. Okapis are shy.", SourceMeta("A"), scope=GUILD_A)
    assert await library.term_frequencies(["okapi", "zebra"]) == {"okapi": 2, "zebra": 1}
    assert await library.term_frequencies(["okapi", "zebra"], scope=GUILD_A) == {"okapi": 2, "zebra": 1}
    assert await library.term_frequencies(["okapi", "zebra"], scope=GUILD_B) == {"okapi": 0, "zebra": 1}
    assert await library.match_terms(["okapi"], scope=GUILD_B, limit=5) == []


async def test_other_servers_sentences_never_crowd_out_the_visible_ones(library: Library) -> None:
    """The best matches are another server's: the sentences this server may see still come back,
    best first, as many as asked for."""
    crowd = " ".join(f"Okapi okapi okapi {n}." for n in range(12))
    await library.add_source(crowd, SourceMeta("Theirs"), scope=GUILD_A)
    mine = await library.add_source("An okapi and a giraffe met. Later, one okapi left.", SourceMeta("Mine"))
    theirs = await library.match_terms(["okapi"], scope=GUILD_A, limit=3)
    assert [s.source_id for s in theirs] != [mine.id] * 3  # the crowd does rank first
    found = await library.match_terms(["okapi"], scope=GUILD_B, limit=3)
    assert [(s.source_id, s.text) for s in found] == [
        (mine.id, "Later, one okapi left."),  # shorter: bm25 ranks it first
        (mine.id, "An okapi and a giraffe met."),
    ]
    assert len(await library.match_terms(["okapi"], scope=GUILD_B, limit=1)) == 1


# -- issue 10: large sources, hostile metadata, files that are not libraries -------------------


async def test_sentence_text_comes_from_chunks_never_from_the_whole_body(library: Library) -> None:
    body = "\n\n".join(f"Paragraph {n}: the zèbra № {n} runs — fast. Ещё одно предложение {n}." for n in range(300))
    info = await library.add_source(body, SourceMeta("Long"))
    chunks = await sql_value(library, "SELECT count(*) FROM body_chunks WHERE source_id = ?", info.id)
    assert chunks == -(-len(body) // BODY_CHUNK) > 3
    assert await library.get_body(info.id) == body
    assert (await library.sources_by_id([info.id]))[info.id].chars == len(body)
    if isinstance(library, PostgresLibrary):
        # Reads must not touch sources.body: blank it, and every text must still be right
        # (SQLite keeps no such column since schema 5: the chunks are the body).
        await sql_execute(library, "UPDATE sources SET body = '' WHERE id = ?", info.id)
    every = await library.neighbours(range(0, info.sentences + 2))
    assert len(every) == info.sentences
    assert all(s.text == body[s.start : s.end] and s.text for s in every.values())
    for start, end in [(0, 1), (BODY_CHUNK - 3, BODY_CHUNK + 3), (5, 3 * BODY_CHUNK + 7), (len(body) - 4, len(body))]:
        assert await library.excerpt(info.id, start, end) == body[start:end]


async def test_an_old_library_gets_its_bodies_in_chunks_and_its_mark(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=3)
    conn.execute("PRAGMA application_id = 0")  # written before factbot marked its files
    body = "x" * (BODY_CHUNK * 2 + 5) + ". Zebras."
    conn.execute(
        "INSERT INTO sources (scope, title, body, sha256, added_at) VALUES (0, 'Old', ?, 'x', 'then')", (body,)
    )
    conn.close()
    async with await open_library(path) as lib:
        assert await lib.excerpt(1, BODY_CHUNK - 1, len(body)) == body[BODY_CHUNK - 1 :]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("SELECT group_concat(text, '') FROM body_chunks").fetchone()[0] == body


async def test_schema_5_keeps_each_body_once_and_loses_nothing(tmp_path: Path) -> None:
    """A library written before schema 5 (the body in sources and in chunks) upgrades in place:
    the same bodies, lengths, sentences and answers, with the text stored once."""
    path = tmp_path / "v4.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=3)
    long_body = "\n\n".join(f"Paragraph {n}: the zèbra № {n} runs. Ещё {n}." for n in range(200))
    bodies = {1: "Old text. Zebras run.", 2: long_body}
    for source_id, body in bodies.items():
        conn.execute(
            "INSERT INTO sources (id, scope, title, body, sha256, added_at) VALUES (?, 0, ?, ?, ?, 'then')",
            (source_id, f"Old {source_id}", body, f"h{source_id}"),
        )
    conn.execute('INSERT INTO paragraphs (source_id, number, start, "end") VALUES (1, 1, 0, 21)')
    conn.executemany(
        'INSERT INTO sentences (id, source_id, paragraph, number, start, "end") VALUES (?, 1, 1, ?, ?, ?)',
        [(1, 1, 0, 9), (2, 2, 10, 21)],
    )
    conn.close()
    migrate(sqlite3.connect(path, isolation_level=None), target=4)
    async with await open_library(path) as lib:  # 5, then the index and vocabulary rebuilt from the chunks
        for source_id, body in bodies.items():
            assert await lib.get_body(source_id) == body
        assert [(s.id, s.chars, s.sentences) for s in await lib.list_sources()] == [
            (1, len(bodies[1]), 2),
            (2, len(long_body), 0),
        ]
        [found] = await lib.match_terms(["zebra"], scope=GLOBAL_SCOPE, limit=5)
        assert (found.id, found.text) == (2, "Zebras run.")
        assert (await lib.word_counts(["zebras"], scope=GLOBAL_SCOPE)) == {"zebras": 1}
        stored = {s.info.id: s.body for s in await lib.stored_sources()}
        assert stored == bodies
        removed = await lib.remove_source(1)
        assert removed.chars == len(bodies[1]) and await lib.word_counts(["zebras"], scope=GLOBAL_SCOPE) == {
            "zebras": 0
        }
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert "body" not in {row[1] for row in conn.execute("PRAGMA table_info(sources)")}
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("SELECT count(*) FROM sentences").fetchone()[0] == 0  # went with source 1
        assert conn.execute("SELECT group_concat(text, '') FROM body_chunks").fetchone()[0] == long_body


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p: p.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 20), id="damaged"),
        pytest.param(lambda p: p.write_bytes(b"just some text, not a database\n" * 50), id="text"),
        pytest.param(
            lambda p: sqlite3.connect(p).executescript("CREATE TABLE notes (x); PRAGMA user_version = 2;"),
            id="another application's SQLite file",
        ),
        pytest.param(
            lambda p: sqlite3.connect(p).executescript("PRAGMA application_id = 42; CREATE TABLE sources (x);"),
            id="another application's id",
        ),
    ],
)
async def test_a_file_that_is_not_a_library_is_refused_untouched(tmp_path: Path, make) -> None:
    path = tmp_path / "other.db"
    make(path)
    before = path.read_bytes()
    with pytest.raises(NotALibrary):
        await open_library(path)
    assert path.read_bytes() == before
    assert not (tmp_path / "other.db-wal").exists()


async def test_a_full_disk_is_one_clear_error_and_changes_nothing(sqlite_library: SqliteLibrary) -> None:
    library = sqlite_library
    row = await library._fetchone(library._writer, "PRAGMA page_count", ())
    assert row is not None
    pages = row[0]
    await library._writer.execute(f"PRAGMA max_page_count = {pages + 2}")
    big = "\n\n".join(f"Sentence number {n} about zebras and item{n}." for n in range(5000))
    with pytest.raises(StoreError, match="full"):
        await library.add_source(big, SourceMeta("Too big"))
    assert await library.count_sources() == 0
    await library._writer.execute("PRAGMA max_page_count = 1073741823")
    assert (await library.add_source(big, SourceMeta("Fits now"))).id


@pytest.mark.parametrize("source_id", [0, -1, 2**63, 2**64 + 5, -(2**63) - 1])
async def test_ids_out_of_range_name_no_source(library: Library, source_id: int) -> None:
    with pytest.raises(UnknownSource):
        await library.get_source(source_id)
    with pytest.raises(UnknownSource):
        await library.remove_source(source_id)


async def test_control_characters_never_enter_metadata(library: Library) -> None:
    meta = SourceMeta(
        "\x1b]0;owned\x07Zebras\x1b[2J", author="A\x9bn\u0000author", publisher="Pub\rlisher", url="https://x.org/\x1b"
    )
    info = await library.add_source(BODY, meta, origin="file\udcff.txt")
    stored = await library.get_source(info.id)
    for value in (stored.title, stored.author, stored.publisher, stored.url, stored.origin):
        assert value and not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in value), value
    assert stored.title == "]0;owned Zebras [2J" and stored.origin == "file\ufffd.txt"


@pytest.mark.parametrize(
    ("body", "title"),
    [
        (BODY, "\u200b\u200d\ufeff"),
        (BODY, "\x1b\x07 \t"),
        ("... !!! ??? — … ;;;\n\n---", "Punctuation"),
    ],
)
async def test_invisible_titles_and_wordless_bodies_are_refused(library: Library, body: str, title: str) -> None:
    with pytest.raises(IngestError):
        await library.add_source(body, SourceMeta(title))
    assert await library.count_sources() == 0


def can_make_read_only(path: Path) -> bool:
    """Make a file and its folder unwritable, even for root (chattr +i); False where impossible."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        path.parent.chmod(0o555)
        return True
    done = subprocess.run(["chattr", "+i", str(path), str(path.parent)], capture_output=True)
    return done.returncode == 0


def make_writable(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path), str(path.parent)], capture_output=True)
    else:
        path.parent.chmod(0o755)
        path.chmod(0o644)


async def test_a_read_only_library_answers_and_refuses_changes(tmp_path: Path) -> None:
    path = tmp_path / "ro" / "library.db"
    async with await open_library(path):
        pass
    if not can_make_read_only(path):
        pytest.skip("cannot make a file read-only here")
    try:
        before = path.read_bytes()
        async with await open_library(path) as lib:
            assert lib.read_only and await lib.count_sources() == 2
            assert await lib.match_terms(["csto"], scope=GLOBAL_SCOPE, limit=3)
            with pytest.raises(ReadOnlyLibrary):
                await lib.add_source(BODY, SourceMeta("Zebras"))
            with pytest.raises(ReadOnlyLibrary):
                await lib.remove_source(1)
        assert path.read_bytes() == before
    finally:
        make_writable(path)


# -- issue 11: the same guarantees on PostgreSQL -----------------------------------------------


async def test_opening_a_new_library_from_many_connections_at_once_creates_it_once(library_target: Path | str) -> None:
    results = await asyncio.gather(*(open_library(library_target) for _ in range(5)), return_exceptions=True)
    opened = [r for r in results if isinstance(r, Library)]
    try:
        assert len(opened) == 5, results
        await asyncio.gather(
            *(lib.add_source(f"Connection {n} says item{n}.", SourceMeta(f"C{n}")) for n, lib in enumerate(opened))
        )
        titles = [s.title for s in await opened[0].list_sources()]
        assert sorted(titles[2:]) == [f"C{n}" for n in range(5)] and len(titles) == 7  # the seeds once
        assert [e.action for e in await opened[1].events()].count("add") == 7
    finally:
        for lib in opened:
            await lib.close()


async def test_a_change_in_one_process_moves_the_version_others_see(library_target: Path | str) -> None:
    async with await open_library(library_target, seed=False) as a, await open_library(library_target, seed=False) as b:
        before = await b.data_version()
        assert await b.term_frequencies(["zebra"]) == {"zebra": 0}
        await a.add_source(BODY, SourceMeta("Zebras"))
        assert await b.data_version() != before
        assert await b.term_frequencies(["zebra"]) == {"zebra": 1}


async def test_a_database_of_another_application_is_refused_untouched(pg_url: str) -> None:
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute("CREATE TABLE notes (x text)")
        with pytest.raises(NotALibrary):
            await open_library(pg_url)
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        assert [t[0] for t in tables] == ["notes"]
    finally:
        await conn.close()


async def test_a_reader_left_in_a_read_transaction_is_ended_before_its_next_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read cancelled between its BEGIN and its COMMIT returns its reader to the pool inside a
    transaction; the next read through that reader must still see the library as it is now."""
    monkeypatch.setattr(sqlite_connect, "READERS", 1)
    async with await open_library(tmp_path / "library.db", seed=False) as library:
        assert await library.list_sources(scope=None) == []
        async with library._using(library._reader) as reader:  # type: ignore[attr-defined]
            await reader.execute("BEGIN")
            await (await reader.execute("SELECT count(*) FROM sources")).fetchall()
        await library.add_source("The bakery opened in 1921.", SourceMeta("Bakery"))
        assert [s.title for s in await library.list_sources(scope=None)] == ["Bakery"]


async def test_opening_waits_for_another_process_holding_the_file_past_the_busy_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holding the new file longer than one busy timeout (here shortened to 0.1 s)
    delays the open; it does not fail it."""
    monkeypatch.setattr(sqlite_connect, "BUSY_TIMEOUT_MS", 100)
    path = tmp_path / "library.db"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    loop = asyncio.get_running_loop()
    loop.call_later(0.6, other.execute, "COMMIT")
    try:
        async with await open_library(path, seed=False) as library:
            assert await library.count_sources() == 0
    finally:
        other.close()
