"""Is an SQLite library damaged? A cheap check on open, a full one on demand (`factbot library check`).

A page overwritten on disk (a bad sector, a copy made while a change was being written, another
program writing into the file) is otherwise noticed only by the question that happens to read it,
or never: a damaged sentence index answers from what it still holds. So:

- on open, SQLite's `PRAGMA quick_check` (the structure of every b-tree page, no index-to-table
  cross-checks) when the file is at most QUICK_CHECK_MAX_BYTES: about 0.1 s at 32 MB with the file
  in the OS cache, so every command and bot start can afford it; bigger files skip it;
- `factbot library check`: `PRAGMA integrity_check` (quick_check plus every index against its
  table) and the FTS5 index's own 'integrity-check' command, which alone sees damage inside the
  index's pages that leaves their structure intact.

Either reports one line: what is wrong and that `factbot library copy` rescues every source whose
text is still readable into a new file (the copy rebuilds sentences and the index from the text).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from storage.errors import DamagedLibrary, NotALibrary, StoreError
from storage.schema import check_file

# Files at most this large get PRAGMA quick_check on every open (about 0.1 s at 32 MB, warm).
QUICK_CHECK_MAX_BYTES = 32 * 1024 * 1024
# Problems integrity_check reports at most (the first says enough; the rest cost time).
MAX_PROBLEMS = 3
# The FTS5 index of sentences (storage.schema), whose 'integrity-check' command checks it.
FTS_TABLE = "sentence_index"


def is_damage(err: BaseException) -> bool:
    """Whether an SQLite error says the file is corrupt (rather than busy, full or read-only)."""
    return isinstance(err, sqlite3.DatabaseError) and "malformed" in str(err)


def _problems(rows: list[tuple[str]]) -> list[str]:
    """integrity_check's rows, without its 'ok' and its header lines, each on one line."""
    found = []
    for (row,) in rows:
        for line in str(row).splitlines():
            if line.strip() and line != "ok" and not line.startswith("*** in database"):
                found.append(line.strip())
    return found


def quick_check_on_open(conn: sqlite3.Connection, path: Path) -> None:
    """PRAGMA quick_check of the library file `path` open on `conn` when the file is small enough
    (QUICK_CHECK_MAX_BYTES); raises DamagedLibrary for the first problem. Busy and other errors
    are the caller's (opening retries while another process is creating the file)."""
    try:
        if path.stat().st_size > QUICK_CHECK_MAX_BYTES:
            return
    except OSError:
        return  # not there (yet): nothing to check; opening says what is wrong
    try:
        problems = _problems(conn.execute(f"PRAGMA quick_check({MAX_PROBLEMS})").fetchall())
    except sqlite3.DatabaseError as err:
        if not is_damage(err):
            raise
        problems = [str(err)]
    if problems:
        raise DamagedLibrary(path, f"quick_check: {problems[0]}")


@dataclass(frozen=True)
class CheckReport:
    problems: list[str]  # empty: whole
    index_checked: bool  # False: the file is read-only, and FTS5's check needs a writable connection


def full_check(path: Path) -> CheckReport:
    """PRAGMA integrity_check, then the sentence index's FTS5 integrity-check (read-only in effect:
    it writes nothing, but needs a connection that could; run inside a transaction rolled back).
    Raises NotALibrary for another application's file; changes nothing in the file."""
    if not path.is_file():
        raise StoreError(f"There is no library file {path} to check.")
    writable = _writable(path)
    target = str(path) if writable else f"{path.resolve().as_uri()}?mode=ro"
    conn = sqlite3.connect(target, uri=not writable, isolation_level=None)
    try:
        try:
            check_file(conn)
            problems = _problems(conn.execute(f"PRAGMA integrity_check({MAX_PROBLEMS})").fetchall())
        except sqlite3.DatabaseError as err:
            if not is_damage(err):
                raise NotALibrary(f"{path} is not a factbot library ({err}).") from None
            return CheckReport([f"integrity_check: {err}"], index_checked=False)
        problems = [f"integrity_check: {p}" for p in problems]
        if not writable:
            return CheckReport(problems, index_checked=False)
        conn.execute("BEGIN")
        try:
            conn.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('integrity-check')")
        except sqlite3.DatabaseError as err:
            if not is_damage(err):
                raise
            problems.append(f"the sentence index: {err}")
        finally:
            conn.execute("ROLLBACK")
        return CheckReport(problems, index_checked=True)
    finally:
        conn.close()


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
