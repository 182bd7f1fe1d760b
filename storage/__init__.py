"""The indexed library: sources, their paragraphs and sentences, and the index over them.

`open_library(target)` opens one: a file path (SQLite, storage.sqlite) or a `postgresql://` URL
(PostgreSQL, storage.postgres); both keep the contract of storage.library.Library.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.library import Library


async def open_library(target: str | Path, *, seed: bool = True) -> Library:
    """The library at `target` (FACTBOT_DB): created, migrated and seeded as needed."""
    from storage.library import Library

    return await Library.open(target, seed=seed)
