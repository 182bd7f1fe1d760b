"""The backend registry: a LibraryTarget names its backend by scheme, and open_library opens it from one table."""

from __future__ import annotations

from pathlib import Path
from typing import Self

import pytest

from storage.backends import BACKENDS, open_library
from storage.backends.base import Library
from storage.backends.postgres import PostgresLibrary
from storage.backends.sqlite import SqliteLibrary
from storage.target import POSTGRESQL, SQLITE, LibraryTarget, PgOptions


def test_a_path_is_a_sqlite_file_and_a_url_a_postgresql_server() -> None:
    assert LibraryTarget.parse("~/x/library.db") == LibraryTarget(SQLITE, Path.home() / "x" / "library.db")
    for url in ("postgresql://u@h/db", "POSTGRES://u@h/db"):
        assert LibraryTarget.parse(url) == LibraryTarget(POSTGRESQL, url)
    options = PgOptions(pool_size=2)
    assert LibraryTarget.parse("postgresql://h/db", options).pg is options


@pytest.mark.parametrize("value", ["~nosuchuser/lib.db", "postgresql://[bad", "postgresql://h:99999/x"])
def test_a_value_no_backend_can_open_is_refused_when_parsed(value: str) -> None:
    with pytest.raises(ValueError):
        LibraryTarget.parse(value)


def test_a_target_shows_no_password_and_knows_its_kind() -> None:
    target = LibraryTarget.parse("postgresql://me:s3cret@db.example/x")
    assert target.shown == "postgresql://me:***@db.example/x" and target.url.endswith("/x")
    with pytest.raises(TypeError):
        _ = target.path
    assert LibraryTarget.of(Path("a.db")).path == Path("a.db")
    assert LibraryTarget.of(target) is target


def test_every_scheme_has_one_backend() -> None:
    assert {SQLITE: SqliteLibrary, POSTGRESQL: PostgresLibrary} == BACKENDS


async def test_open_library_opens_the_backend_the_table_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[tuple[LibraryTarget, bool, bool]] = []

    class Elsewhere(SqliteLibrary):
        """A backend added as a new module would be: one class, one row in the table."""

        @classmethod
        async def open(cls, target: LibraryTarget | Path | str, *, seed: bool = True, check: bool = True) -> Self:
            assert isinstance(target, LibraryTarget)
            opened.append((target, seed, check))
            return await super().open(target, seed=seed, check=check)

    monkeypatch.setitem(BACKENDS, "elsewhere", Elsewhere)
    target = LibraryTarget("elsewhere", tmp_path / "library.db")
    async with await open_library(target, seed=False) as library:
        assert isinstance(library, Elsewhere) and isinstance(library, Library)
        assert await library.count_sources() == 0
    assert opened == [(target, False, True)]
