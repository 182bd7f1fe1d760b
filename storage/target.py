"""Where the library is (FACTBOT_DB, --db): a `LibraryTarget`, parsed once where the settings load
and handed to storage.backends.open_library, which picks the backend by its scheme. It carries how
a process connects to a PostgreSQL library (the FACTBOT_DB_* settings, `PgOptions`). Kept apart
from the backends and their drivers, so that reading the settings imports neither.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The defaults the settings start from (bot.settings: FACTBOT_DB_POOL_SIZE, ...).
DEFAULT_POOL_SIZE = 5
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_STATEMENT_TIMEOUT = 30.0
APPLICATION_NAME = "factbot"


# The backends table's keys (storage.backends.BACKENDS).
SQLITE = "sqlite"
POSTGRESQL = "postgresql"
# A FACTBOT_DB (or --db) that starts with one of these is a PostgreSQL server, not a file.
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class PgOptions:
    """One process's connection budget and patience (FACTBOT_DB_* settings)."""

    pool_size: int = DEFAULT_POOL_SIZE
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT  # seconds to connect, 0: no limit
    statement_timeout: float = DEFAULT_STATEMENT_TIMEOUT  # seconds a statement may take, 0: no limit
    pgbouncer: bool = False  # behind PgBouncer in transaction mode: no statement cache, no jit setting

    def pool_arguments(self) -> dict[str, Any]:
        server_settings = {"application_name": APPLICATION_NAME}
        if not self.pgbouncer:
            server_settings["jit"] = "off"  # short queries; JIT compiling them costs more than it saves
        return {
            "min_size": 1,
            "max_size": self.pool_size,
            "timeout": self.connect_timeout or None,
            "command_timeout": self.statement_timeout or None,
            "statement_cache_size": 0 if self.pgbouncer else 100,
            "server_settings": server_settings,
        }


def host_of(url: str) -> str:
    """The server a URL names, for messages: host:port, or the unix socket folder."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    host = parts.hostname or (query.get("host") or ["localhost"])[0]
    port = parts.port or int((query.get("port") or ["5432"])[0])
    return host if host.startswith("/") else f"{host}:{port}"


def redact(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    user = urllib.parse.quote(parts.username or "", safe="")
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _check_postgres_url(url: str) -> None:
    """Each host of the URL (libpq allows `h1:5432,h2:5433`) parses, with a port of 0-65535:
    what the driver would otherwise find out with a traceback, or while connecting."""
    netloc = urllib.parse.urlsplit(url).netloc  # ValueError: unbalanced brackets
    for host in netloc.rpartition("@")[2].split(","):
        if host:
            parts = urllib.parse.urlsplit(f"//{host}")
            _ = parts.hostname, parts.port  # ValueError: a bad IPv6 address, a port out of range


@dataclass(frozen=True)
class LibraryTarget:
    """One library's address: `scheme` names its backend (SQLITE or POSTGRESQL), `location` is the
    file (a Path) or the server's URL (as given); `pg` is how to connect, used by PostgreSQL only."""

    scheme: str
    location: Path | str
    pg: PgOptions = field(default_factory=PgOptions)

    @classmethod
    def parse(cls, value: str, pg: PgOptions | None = None) -> LibraryTarget:
        """FACTBOT_DB or --db: a PostgreSQL URL as it is (its hosts and ports checked), else a file
        path. Raises ValueError for `~nobody/x` (no such user) or a URL no driver could parse."""
        pg = pg or PgOptions()
        if value.lower().startswith(POSTGRES_SCHEMES):
            _check_postgres_url(value)
            return cls(POSTGRESQL, value, pg)
        try:
            return cls(SQLITE, Path(value).expanduser(), pg)
        except RuntimeError as err:  # `~user` of no such user
            raise ValueError(value) from err

    @classmethod
    def file(cls, path: Path | str) -> LibraryTarget:
        """A library file, as it is named (no `~` expanded)."""
        return cls(SQLITE, Path(path))

    @classmethod
    def of(cls, where: LibraryTarget | Path | str) -> LibraryTarget:
        """`where` as a target: a target as it is, a Path as a file, text parsed as `parse` does
        (what tests, benchmarks and a copy's two libraries name)."""
        if isinstance(where, LibraryTarget):
            return where
        if isinstance(where, Path):
            return cls.file(where)
        return cls.parse(where)

    @property
    def path(self) -> Path:
        """The library file (a target of the SQLite backend)."""
        if not isinstance(self.location, Path):
            raise TypeError(f"{self.shown} is not a library file")
        return self.location

    @property
    def url(self) -> str:
        """The server's URL (a target of the PostgreSQL backend)."""
        if not isinstance(self.location, str):
            raise TypeError(f"{self.location} is not a URL")
        return self.location

    @property
    def shown(self) -> str:
        """The target as messages show it: a URL without its password."""
        return redact(self.location) if isinstance(self.location, str) else str(self.location)
