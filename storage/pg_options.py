"""What a process's connections to a PostgreSQL library are allowed (the FACTBOT_DB_* settings),
kept apart from asyncpg so that reading the settings imports no driver. storage.pg_connect uses them.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

# The defaults the settings start from (bot.settings: FACTBOT_DB_POOL_SIZE, ...).
DEFAULT_POOL_SIZE = 5
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_STATEMENT_TIMEOUT = 30.0
APPLICATION_NAME = "factbot"


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
