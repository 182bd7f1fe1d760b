"""A real PgBouncer in transaction mode in front of the test PostgreSQL server, when Debian's
package is installed (in CI, `CI=true`, it is installed here as PostgreSQL is; elsewhere the
tests that need it skip with one reason). It runs as `nobody` when the tests run as root."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storage.testing.pgserver import UNPRIVILEGED, NoServer

CONFIG = """
[databases]
* = host={socket_dir} port=5432 user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
max_client_conn = 200
default_pool_size = {server_connections}
logfile = {folder}/pgbouncer.log
pidfile = {folder}/pgbouncer.pid
"""


def _binary() -> str | None:
    found = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)
    if found is None and os.environ.get("CI") == "true" and os.geteuid() == 0:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        done = subprocess.run(["apt-get", "install", "-y", "-q", "pgbouncer"], env=env, capture_output=True)
        if done.returncode == 0:
            found = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def pgbouncer(socket_dir: Path, server_connections: int = 3) -> Iterator[int]:
    """PgBouncer (transaction mode, at most `server_connections` to the server per database)
    listening on a loopback port, which it yields. NoServer when it is not installed or fails."""
    binary = _binary()
    if binary is None:
        raise NoServer("PgBouncer is not installed (Debian's pgbouncer package)")
    folder = Path(tempfile.mkdtemp(prefix="factbot-pgbouncer-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", UNPRIVILEGED, "--"]
        shutil.chown(folder, UNPRIVILEGED)
    port = _free_port()
    config = folder / "pgbouncer.ini"
    config.write_text(
        CONFIG.format(socket_dir=socket_dir, port=port, folder=folder, server_connections=server_connections)
    )
    process = subprocess.Popen([*as_user, binary, str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (folder / "pgbouncer.log").read_text() if (folder / "pgbouncer.log").exists() else ""
                    out = process.stdout.read().decode() if process.stdout and process.poll() is not None else ""
                    raise NoServer(f"PgBouncer did not start: {(log + out).strip()[-300:]}") from None
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)
