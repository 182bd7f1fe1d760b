"""Looking inside a library's storage from the tests, whichever backend holds it."""

from __future__ import annotations

import re
import sqlite3

from storage.backends.base import Library
from storage.backends.postgres import PostgresLibrary
from storage.backends.sqlite import SqliteLibrary


def _pg_sql(sql: str) -> str:
    count = 0

    def number(_: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return f"${count}"

    return re.sub(r"\?", number, sql)


async def sql_value(library: Library, sql: str, *args: object) -> object:
    """The first column of the first row of `sql` (`?` placeholders), read past the library's API."""
    if isinstance(library, SqliteLibrary):
        with sqlite3.connect(library.path) as conn:
            row = conn.execute(sql, args).fetchone()
        return row[0] if row else None
    assert isinstance(library, PostgresLibrary)
    async with library._reading() as conn:
        return await conn.fetchval(_pg_sql(sql), *args)


async def sql_execute(library: Library, sql: str, *args: object) -> None:
    """Change the storage behind the library's back (as damage or an older factbot would)."""
    if isinstance(library, SqliteLibrary):
        with sqlite3.connect(library.path) as conn:
            conn.execute(sql, args)
        return
    assert isinstance(library, PostgresLibrary)
    async with library._reading() as conn:
        await conn.execute(_pg_sql(sql), *args)


async def index_count(library: Library, term: str) -> int:
    """Sentences the index lists under `term` (FTS5, or the postings table)."""
    if isinstance(library, SqliteLibrary):
        sql = "SELECT count(*) FROM sentence_index WHERE sentence_index MATCH ?"
        value = await sql_value(library, sql, f'"{term}"')
    else:
        value = await sql_value(library, "SELECT count(*) FROM postings WHERE term = ?", term)
    assert isinstance(value, int)
    return value
