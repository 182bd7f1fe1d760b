"""How a process connects to a PostgreSQL library: pool size, timeouts, PgBouncer, and what a
failure to reach the server becomes.

Every connection a process opens comes from one pool (the library's; the shared cooldowns and the
shard records use it too), so a process holds at most `pool_size` connections: N bot processes
and a command line need N x pool_size + pool_size connections below the server's max_connections.

Timeouts are the client's own (asyncpg's `timeout` and `command_timeout`), not server settings:
a server that accepts and never answers cannot apply its own, and PgBouncer refuses startup
parameters it does not know (statement_timeout, jit). Behind PgBouncer in transaction mode a
session's prepared statements are lost between transactions, so the statement cache is turned off.
"""

from __future__ import annotations

import asyncpg

from storage.errors import LibraryUnavailable, StoreError
from storage.target import PgOptions, host_of

# What says the server is out of reach, down, restarting or out of connection slots, rather than
# refusing a statement: these become LibraryUnavailable (a short "try again in a minute").
UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, no route; TimeoutError too
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.TooManyConnectionsError,  # max_connections, or the database's or role's CONNECTION LIMIT
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.ConnectionFailureError,
)


def unavailable(err: BaseException, url: str, waited: float) -> LibraryUnavailable | None:
    """LibraryUnavailable naming the host when `err` says the server cannot be reached or used
    now (`waited`: the timeout that ran out, if one did); None for any other failure."""
    host = host_of(url)
    if isinstance(err, TimeoutError):
        return LibraryUnavailable(host, f"it did not answer within {waited:g} s")
    if isinstance(err, asyncpg.TooManyConnectionsError):
        return LibraryUnavailable(host, f"it has no free connections ({_one_line(err)})")
    if isinstance(err, UNREACHABLE):
        return LibraryUnavailable(host, _one_line(err) or type(err).__name__)
    if isinstance(err, asyncpg.InterfaceError) and "closed" in str(err):
        return LibraryUnavailable(host, _one_line(err))
    return None


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())


async def keep_session(conn: asyncpg.Connection) -> None:
    """A connection goes back to the pool as it is, without asyncpg's reset query (a round trip at
    every release): factbot leaves nothing on a session to undo (SET LOCAL and transaction-level
    advisory locks only; no LISTEN, no cursors, no session settings). The pool still rolls back a
    transaction left open."""


async def create_pool(url: str, options: PgOptions, where: str) -> asyncpg.Pool:
    """The process's pool, its first connection open; LibraryUnavailable (one line naming the host)
    when the server cannot be reached, StoreError for any other refusal."""
    try:
        pool: asyncpg.Pool = await asyncpg.create_pool(url, reset=keep_session, **options.pool_arguments())
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, ValueError) as err:
        refused = StoreError(f"Cannot reach the library {where}: {_one_line(err)}.")
        raise unavailable(err, url, options.connect_timeout) or refused from None
    return pool
