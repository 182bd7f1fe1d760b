"""A loopback TCP proxy in front of the test PostgreSQL server, to cut it off on cue.

The test server listens only on a unix socket; the library connects to this proxy's
127.0.0.1 port instead, and a test switches it between three states:
- `up`: bytes pass both ways;
- `down()`: every connection is cut and new ones are refused at once (the server stopped);
- `silent()`: connections are accepted and nothing ever comes back (a server that hangs, or a
  network that drops packets).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path


class PgProxy:
    def __init__(self, socket_path: Path) -> None:
        self.socket_path = socket_path
        self.state = "up"
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._flowing = asyncio.Event()  # clear while silent
        self._flowing.set()

    def url(self, pg_url: str) -> str:
        """`pg_url`'s database, reached through the proxy."""
        database = urllib.parse.urlsplit(pg_url).path
        return f"postgresql://postgres@127.0.0.1:{self.port}{database}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self._cut()
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def up(self) -> None:
        self.state = "up"
        self._flowing.set()

    def down(self) -> None:
        self.state = "down"
        self._flowing.set()
        self._cut()

    def silent(self) -> None:
        self.state = "silent"
        self._flowing.clear()

    def _cut(self) -> None:
        for writer in list(self._writers):
            with contextlib.suppress(OSError):
                sock = writer.get_extra_info("socket")
                if sock is not None:  # a reset, as a crashed server's kernel sends
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            writer.close()
        self._writers.clear()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self.state == "down":
            client_writer.close()
            return
        self._writers.add(client_writer)
        if self.state == "silent":
            return  # kept open, never answered
        try:
            server_reader, server_writer = await asyncio.open_unix_connection(str(self.socket_path))
        except OSError:
            client_writer.close()
            return
        self._writers.add(server_writer)
        for reader, writer in ((client_reader, server_writer), (server_reader, client_writer)):
            task = asyncio.create_task(self._pipe(reader, writer))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self._flowing.wait()  # while silent: held, never delivered
                if self.state == "down":
                    break
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def pg_proxy(socket_dir: Path) -> AsyncIterator[PgProxy]:
    proxy = PgProxy(socket_dir / ".s.PGSQL.5432")
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """A loopback port that accepts connections and never says a word; yields the port."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()
