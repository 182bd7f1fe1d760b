"""The library's schema and its migrations, applied in order on open (`PRAGMA user_version`).

A migration is never edited once released: a change is a new entry at the end of MIGRATIONS.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence

from storage.errors import NewerSchema, NotALibrary

# Characters in each row of body_chunks (migration 4). Fixed for ever: stored rows depend on it.
# 4,000 fills a 4 KB page with one row of English text; smaller rows wasted half of each page
# (2,048: the file grew by 2.0x the text, 4,000: by 1.0x), larger ones only cost reading time.
BODY_CHUNK = 4000
# PRAGMA application_id of a factbot library ("FACT"): another application's SQLite file is refused.
APPLICATION_ID = 0x46414354
# The tables every factbot library has had since migration 1 (an older file without the id).
_OWN_TABLES = frozenset({"sources", "paragraphs", "sentences", "meta"})

MIGRATIONS: list[str] = [
    # 1: sources, their paragraphs and sentences (offsets into the body), the sentence index.
    """
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        scope INTEGER NOT NULL,
        title TEXT NOT NULL,
        author TEXT,
        publisher TEXT,
        url TEXT,
        published TEXT,
        origin TEXT,
        body TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        added_by TEXT,
        added_at TEXT NOT NULL,
        UNIQUE (scope, sha256)
    );
    CREATE TABLE paragraphs (
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        PRIMARY KEY (source_id, number)
    ) WITHOUT ROWID;
    CREATE TABLE sentences (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        paragraph INTEGER NOT NULL,
        number INTEGER NOT NULL,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL
    );
    CREATE INDEX sentences_by_source ON sentences(source_id, id);
    -- Index terms (storage.text), not raw text: the ranker reads the same terms back.
    -- Contentless: the text is derived from sources.body, so the index costs no second copy.
    CREATE VIRTUAL TABLE sentence_index USING fts5(
        terms, content='', tokenize="unicode61 remove_diacritics 0 tokenchars '.'"
    );
    CREATE VIRTUAL TABLE sentence_terms USING fts5vocab(sentence_index, 'row');
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: who added and removed what, when (moderators' audit log).
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        scope INTEGER NOT NULL,
        actor TEXT,
        action TEXT NOT NULL,
        source_id INTEGER,
        title TEXT
    );
    CREATE INDEX events_by_scope ON events(scope, id);
    """,
    # 3: the library's surface words (folded, as spelled) with how often each scope uses them, for
    # spelling correction; `reversed` lets a word be found by its ending. opening the library fills it for
    # existing sources (words need the tokenizer, which SQL lacks): it fills it whenever the
    # 'vocabulary_version' meta key is missing, as it now is.
    """
    CREATE TABLE vocabulary (
        word TEXT NOT NULL,
        scope INTEGER NOT NULL,
        count INTEGER NOT NULL,
        reversed TEXT NOT NULL,
        PRIMARY KEY (word, scope)
    ) WITHOUT ROWID;
    CREATE INDEX vocabulary_by_ending ON vocabulary(reversed);
    DELETE FROM meta WHERE key = 'vocabulary_version';
    """,
    # 4: each body again in chunks of BODY_CHUNK characters, so a sentence's text is read from the
    # chunk or two it lies in and never from the whole body (a 4.8 MB body made every candidate
    # sentence cost a read of all of it). sources.body stays the text as stored.
    f"""
    CREATE TABLE body_chunks (
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        n INTEGER NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (source_id, n)
    );
    INSERT INTO body_chunks (source_id, n, text)
        WITH RECURSIVE c(source_id, n) AS (
            SELECT id, 0 FROM sources WHERE length(body) > 0
            UNION ALL
            SELECT c.source_id, c.n + 1 FROM c JOIN sources s ON s.id = c.source_id
            WHERE (c.n + 1) * {BODY_CHUNK} < length(s.body)
        )
        SELECT c.source_id, c.n, substr(s.body, c.n * {BODY_CHUNK} + 1, {BODY_CHUNK})
        FROM c JOIN sources s ON s.id = c.source_id;
    """,
    # 5: the body only in body_chunks: sources.body was a second copy of every text (the file held
    # 3.5x the raw text instead of 2.1x, and each add wrote the text twice). sources.chars keeps
    # its length. The table is rebuilt (SQLite's documented way to drop a column on any version;
    # migrations run with foreign keys off, so the rows that reference sources stay as they are).
    """
    CREATE TABLE sources_v5 (
        id INTEGER PRIMARY KEY,
        scope INTEGER NOT NULL,
        title TEXT NOT NULL,
        author TEXT,
        publisher TEXT,
        url TEXT,
        published TEXT,
        origin TEXT,
        chars INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        added_by TEXT,
        added_at TEXT NOT NULL,
        UNIQUE (scope, sha256)
    );
    INSERT INTO sources_v5 (
        id, scope, title, author, publisher, url, published, origin, chars, sha256, added_by, added_at
    )
        SELECT id, scope, title, author, publisher, url, published, origin, length(body), sha256, added_by, added_at
        FROM sources;
    DROP TABLE sources;
    ALTER TABLE sources_v5 RENAME TO sources;
    """,
    # 6: each sentence's vector in meaning (storage.vectors), removed with its sentence; `scope` is
    # its source's, so a search within a server's view reads no other table. The model that made
    # them is the 'vector_model' meta key. Existing sentences get theirs when encoding next runs.
    """
    CREATE TABLE sentence_vectors (
        sentence_id INTEGER PRIMARY KEY REFERENCES sentences(id) ON DELETE CASCADE,
        scope INTEGER NOT NULL,
        vector BLOB NOT NULL
    );
    """,
    # 7: votes on answers (storage.feedback): one per user per answer, changeable, kept with what was
    # asked, the answer's JSON and the library's version, to become evaluation data.
    """
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        scope INTEGER NOT NULL,
        answer_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        comment TEXT,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        library_version TEXT NOT NULL,
        at TEXT NOT NULL,
        UNIQUE (answer_id, user_id)
    );
    CREATE INDEX feedback_by_scope ON feedback (scope, id);
    CREATE INDEX feedback_by_time ON feedback (at);
    """,
    # 8: where each page of a paged source (a PDF) starts in its body, so a quote can name its page;
    # removed with its source. A source without pages has no rows here.
    """
    CREATE TABLE pages (
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        start INTEGER NOT NULL,
        PRIMARY KEY (source_id, number)
    ) WITHOUT ROWID;
    """,
    # 9: which sentences have a vector, apart from the vectors. A process reads every such id
    # whenever the library changed (storage.vectors) and counts them for progress; from the table,
    # that read every page of every vector.
    """
    CREATE INDEX sentence_vectors_by_scope ON sentence_vectors (scope);
    """,
    # 10: the highest source id ever given (meta `last_source_id`, storage.backends.base), for a
    # library from before it was kept: the audit log names every source ever added, so a removed
    # source's id is never given again there either.
    """
    INSERT INTO meta (key, value)
    SELECT 'last_source_id', CAST(max(
        coalesce((SELECT max(id) FROM sources), 0),
        coalesce((SELECT max(source_id) FROM events), 0),
        coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'last_source_id'), 0)) AS TEXT)
    WHERE true
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def check_file(conn: sqlite3.Connection) -> int:
    """The schema version of a factbot library; raises NotALibrary for another application's
    database and NewerSchema for a file from a newer factbot. Reads only."""
    # One statement, so one snapshot: read in three, another process creating the library between
    # them looks like a foreign file (its tables, no version yet).
    version, app, names, objects = conn.execute(
        "SELECT (SELECT user_version FROM pragma_user_version), (SELECT application_id FROM pragma_application_id),"
        " (SELECT group_concat(name, char(31)) FROM sqlite_master WHERE type = 'table'),"
        " (SELECT count(*) FROM sqlite_master)"
    ).fetchone()
    if app != APPLICATION_ID:
        tables = set(names.split("\x1f")) if names else set()
        # Unmarked: a new empty file (no table, view, index or trigger: anything at all is another
        # application's), or a library from before the mark (it has our tables).
        if app != 0 or (version == 0 and objects) or (version > 0 and not tables >= _OWN_TABLES):
            raise NotALibrary(
                "This file is not a factbot library (another application's database); it was left as it is."
            )
    if version > SCHEMA_VERSION:
        raise NewerSchema(
            f"This library file has schema version {version}, newer than this factbot knows "
            f"({SCHEMA_VERSION}). Upgrade factbot to open it."
        )
    return int(version)


def is_current(conn: sqlite3.Connection) -> bool:
    """Whether the file is a marked factbot library at the latest schema (nothing to migrate)."""
    return check_file(conn) == SCHEMA_VERSION and conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION, *, when_new: Sequence[str] = ()) -> int:
    """Bring a connection's database up to `target` and mark it as factbot's, all in one
    transaction under the write lock (BEGIN IMMEDIATE) with the version re-read inside it, so
    processes opening a new library at once create it once. `when_new`: statements run in the
    same transaction when the file was new. Returns the version it started from (0: new)."""
    check_file(conn)
    # Off while the schema changes (it cannot change inside a transaction): a table rebuilt by a
    # migration (5) is dropped and replaced, which must not cascade to the rows that reference it.
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("BEGIN IMMEDIATE")
    try:
        start = check_file(conn)
        for version in range(start + 1, target + 1):
            for statement in _statements(MIGRATIONS[version - 1]):
                conn.execute(statement)
        if start == 0:
            for statement in when_new:
                conn.execute(statement)
        if target > start:
            conn.execute(f"PRAGMA user_version = {target}")
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            # The error that brought us here says more than a failed rollback.
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise
    return start


def _statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit on its own)."""
    out: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            out.append(pending.strip())
            pending = ""
    if pending.strip():
        out.append(pending.strip())
    return out
