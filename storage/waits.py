"""How long a change waits for other processes before giving up: one home for every backend and
side file (SQLite library, its shared cooldowns and shard records, PostgreSQL)."""

from __future__ import annotations

# How long one attempt to take SQLite's write lock waits inside SQLite (busy_timeout).
BUSY_TIMEOUT_MS = 5_000
# How long a change waits in all for other processes' changes before it gives up with LibraryBusy.
WRITE_WAIT_SECONDS = 60.0
# How long closing a PostgreSQL library lets connections in use finish before it cuts them: a query
# abandoned mid-way (a question whose server went silent) must not keep a process from stopping.
CLOSE_WAIT_SECONDS = 10.0
