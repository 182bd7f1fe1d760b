"""Round trips between the library and PostgreSQL, counted by a loopback proxy in front of the
server: each time the client speaks again after the server has answered is one round trip (a
query's Parse/Bind/Execute sent in one go is one; a prepare then an execute is two; a pool's
reset is one). Counted in a pass of its own: the proxy's extra hop is not in the timings.
"""

from __future__ import annotations

import asyncio
import contextlib
import urllib.parse
from pathlib import Path

CHUNK = 65536


class CountingProxy:
    """127.0.0.1:port -> the server `pg_url` names (a unix socket or host:port); `round_trips`
    counts the client's turns."""

    def __init__(self, pg_url: str) -> None:
        self._parts = urllib.parse.urlsplit(pg_url)
        query = urllib.parse.parse_qs(self._parts.query)
        self._socket = Path(query["host"][0]) / f".s.PGSQL.{self._parts.port or 5432}" if "host" in query else None
        self._query = urllib.parse.urlencode({k: v for k, v in query.items() if k != "host"}, doseq=True)
        self.round_trips = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def url(self) -> str:
        """The same database (user, password and options too), reached through the proxy."""
        login = self._parts.netloc.rpartition("@")[0]
        netloc = f"{login}@127.0.0.1:{self.port}" if login else f"127.0.0.1:{self.port}"
        return urllib.parse.urlunsplit((self._parts.scheme, netloc, self._parts.path, self._query, ""))

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if self._socket is not None:
            server_r, server_w = await asyncio.open_unix_connection(str(self._socket))
        else:
            server_r, server_w = await asyncio.open_connection(self._parts.hostname, self._parts.port or 5432)
        turn = {"client": False}  # True while the client is talking (its turn already counted)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, from_client: bool) -> None:
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                while data := await src.read(CHUNK):
                    if from_client and not turn["client"]:
                        self.round_trips += 1
                    turn["client"] = from_client
                    dst.write(data)
                    await dst.drain()
            dst.close()

        tasks = [
            asyncio.create_task(pipe(client_r, server_w, True)),
            asyncio.create_task(pipe(server_r, client_w, False)),
        ]
        self._tasks.update(tasks)
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.difference_update(tasks)
