from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.testing import pgserver

pytest_plugins = ["bot.testing.fakediscord.plugin"]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pgserver.Server]:
    """One PostgreSQL server for the whole run, in a temporary folder. In CI it must start; elsewhere
    the PostgreSQL tests skip, all with the one reason it could not."""
    try:
        server = pgserver.start()
    except pgserver.NoServer as err:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL must run in CI: {err}", pytrace=False)
        pytest.skip(f"PostgreSQL tests skipped: {err}")
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: pgserver.Server) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    return pg_server.fresh_database()


@pytest.fixture(params=["sqlite", "postgres"])
def library_target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a test's library lives, once per backend: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "library.db"
    url: str = request.getfixturevalue("pg_url")
    return url
