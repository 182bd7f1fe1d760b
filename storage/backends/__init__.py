"""The library's backends, chosen from one table by the target's scheme (as Red-DiscordBot's
`_DRIVER_CLASSES`): `open_library(target)` opens any of them. The contract (storage.backends.base)
never imports a backend; a new backend is one module here and one row in BACKENDS.
"""

from __future__ import annotations

from pathlib import Path

from storage.backends.base import Library
from storage.backends.postgres import PostgresLibrary
from storage.backends.sqlite import SqliteLibrary
from storage.target import POSTGRESQL, SQLITE, LibraryTarget

BACKENDS: dict[str, type[Library]] = {
    SQLITE: SqliteLibrary,
    POSTGRESQL: PostgresLibrary,
}


async def open_library(target: LibraryTarget | Path | str, *, seed: bool = True, check: bool = True) -> Library:
    """Open (creating and migrating as needed) the library at `target`: a LibraryTarget from the
    settings, or a file path or URL as `LibraryTarget.of` reads it. A new library gets the seed
    articles (with `seed`); with `check`, a damaged library is refused where its backend can tell
    (without, it is opened for reading what it still holds)."""
    target = LibraryTarget.of(target)
    return await BACKENDS[target.scheme].open(target, seed=seed, check=check)
