"""The library's schema and its migrations, applied in order on open (`PRAGMA user_version`).

A migration is never edited once released: a change is a new entry at the end of MIGRATIONS.
"""

from __future__ import annotations

import sqlite3

from storage.errors import FactbotError

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
    # spelling correction; `reversed` lets a word be found by its ending. Library.open fills it for
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
]

SCHEMA_VERSION = len(MIGRATIONS)


class NewerSchema(FactbotError):
    """The file was written by a newer factbot; opening it could lose data."""


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring a connection's database up to `target`, one transaction per step; returns the version
    it started from (0 for a new file)."""
    start = conn.execute("PRAGMA user_version").fetchone()[0]
    if start > SCHEMA_VERSION:
        raise NewerSchema(
            f"This library file has schema version {start}, newer than this factbot knows "
            f"({SCHEMA_VERSION}). Upgrade factbot to open it."
        )
    for version in range(start + 1, target + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(MIGRATIONS[version - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
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
