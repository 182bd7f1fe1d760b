"""A real PostgreSQL server for the tests and benchmarks, started in a temporary folder (one per test run).

The server refuses to run as root, so as root it runs as `nobody` (runuser). It listens only on a
unix socket in its folder; each test gets a fresh database (`fresh_database`). Where the binaries
are missing: in CI (`CI=true`) Debian's postgresql package is installed, elsewhere the PostgreSQL
tests skip with one reason.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

UNPRIVILEGED = "nobody"

# Stops the server and removes its folder once the test process is gone, however it ended (killed
# by a timeout, Ctrl-C twice): a server must not outlive its test run.
WATCHDOG = """
import os, shutil, subprocess, sys, time
parent, folder, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
while True:
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        break
    time.sleep(1)
subprocess.run(stop, capture_output=True)
shutil.rmtree(folder, ignore_errors=True)
"""


class NoServer(Exception):
    """PostgreSQL cannot be started here; the message says why."""


def _binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None


def _install() -> None:
    """Debian's postgresql package (CI only): the tests must not quietly skip there."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], check=True, env=env, capture_output=True)


@dataclass
class Server:
    folder: Path
    bin: Path
    as_user: list[str]
    watchdog: subprocess.Popen[bytes] | None = None

    @property
    def socket_dir(self) -> Path:
        return self.folder / "run"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run(
            [
                *self.as_user,
                str(self.bin / "psql"),
                "-h",
                str(self.socket_dir),
                "-U",
                "postgres",
                "-d",
                database,
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def fresh_database(self) -> str:
        """A new empty database's URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)

    @property
    def stop_command(self) -> list[str]:
        return [*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"]

    def stop(self) -> None:
        if self.watchdog is not None:
            self.watchdog.kill()
            self.watchdog.wait()
        subprocess.run(self.stop_command, capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> Server:
    """Start a throw-away server (fsync off: a test run's data need not survive a power cut)."""
    binaries = _binaries()
    if binaries is None and os.environ.get("CI") == "true":
        _install()
        binaries = _binaries()
    if binaries is None:
        raise NoServer("PostgreSQL's binaries (initdb, pg_ctl) are not installed")
    folder = Path(tempfile.mkdtemp(prefix="factbot-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", UNPRIVILEGED, "--"]
        shutil.chown(folder, UNPRIVILEGED)
        folder.chmod(0o755)
    (folder / "run").mkdir()
    if as_user:
        shutil.chown(folder / "run", UNPRIVILEGED)
    server = Server(folder, binaries, as_user)
    try:
        subprocess.run(
            [*as_user, str(binaries / "initdb"), "-D", str(folder / "data"), "-U", "postgres", "-A", "trust", "-N"],
            capture_output=True,
            check=True,
            text=True,
        )
        options = f"-k {folder / 'run'} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
        options += " -c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB"
        ctl = [str(binaries / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "log"), "-o", options]
        subprocess.run(
            [*as_user, *ctl, "-w", "-t", "30", "start"],
            capture_output=True,
            check=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
    except (subprocess.CalledProcessError, OSError) as err:
        detail = getattr(err, "stderr", "") or str(err)
        server.stop()
        last = detail.strip().splitlines()[-1] if detail.strip() else str(err)
        raise NoServer(f"PostgreSQL did not start: {last}") from None
    server.watchdog = subprocess.Popen(
        [sys.executable, "-c", WATCHDOG, str(os.getpid()), str(folder), *server.stop_command],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            server.psql("SELECT 1")
            return server
        except subprocess.CalledProcessError:
            if time.monotonic() > deadline:
                server.stop()
                raise NoServer("PostgreSQL started but does not answer") from None
            time.sleep(0.1)
