"""Errors a user can cause. Each carries a message fit to show as it is; front ends turn them
into a reply or an exit code, and nothing in the library has changed when one is raised.

Every one lives here, so a front end sees in one place all it may have to word:

    FactbotError                 a message safe to show to whoever caused it
    ├── SettingsError            a setting (environment, .env, a flag) has a value factbot cannot use
    ├── IngestError              a document cannot become a source
    ├── FetchError               a URL cannot be fetched safely
    ├── DuplicateSource          the same content is already in this scope
    ├── UnknownSource            no such source in the caller's scope
    ├── ProtectedSource          a global (seed) source, removed from a server
    ├── NewerSchema              a library file written by a newer factbot
    ├── DataFileError            a data file factbot ships is missing, unreadable or does not fit
    │   ├── ModelFileError       the no-answer model (bot.answer.noanswer)
    │   ├── EmbeddingsFileError  the word vectors (bot.answer.semantic)
    │   └── EncoderFileError     the sentence encoder (bot.answer.encoder)
    └── StoreError               the library cannot be used as asked
        ├── NotALibrary          not a factbot library
        │   └── DamagedLibrary   a library file whose pages do not hold what SQLite wrote
        ├── LibraryBusy          another process held it too long
        ├── ReadOnlyLibrary      opened read-only
        ├── LibraryUnavailable   its server cannot be reached (try again in a minute)
        └── ShardConflict        another live process runs one of this process's shards

Not here, on purpose: seeds.SeedError (seeds sits below storage and imports nothing from it; a
broken seed library is a packaging bug, not a user's), bot.discord.checks.NotModerator (a
discord.py CheckFailure, which storage may not import), and the signals that never leave their
module as themselves (storage.pdf.Refused, storage.fetch._RefusedSocket).
"""

from __future__ import annotations

from pathlib import Path


class FactbotError(Exception):
    """Base of every error whose message is safe and useful to show to the person who caused it."""

    @property
    def message(self) -> str:
        return str(self)


class SettingsError(FactbotError):
    """A setting has a value factbot cannot use."""


class IngestError(FactbotError):
    """A document could not be turned into a source: empty, binary, undecodable, too large."""


class FetchError(FactbotError):
    """A URL could not be fetched safely: bad scheme, refused address, too large, too slow."""


class DuplicateSource(FactbotError):
    """The same content is already in this scope."""

    def __init__(self, existing_id: int, existing_title: str) -> None:
        super().__init__(f"This content is already in the library as source {existing_id}: {existing_title!r}.")
        self.existing_id = existing_id
        self.existing_title = existing_title


class UnknownSource(FactbotError):
    """No source with that id in the caller's scope."""

    def __init__(self, source_id: object) -> None:
        super().__init__(f"There is no source {source_id} here.")
        self.source_id = source_id


class ProtectedSource(FactbotError):
    """A global (seed) source cannot be removed from a Discord server."""

    def __init__(self, source_id: object) -> None:
        super().__init__(f"Source {source_id} belongs to the global library; only the operator can remove it.")
        self.source_id = source_id


class NewerSchema(FactbotError):
    """The file was written by a newer factbot; opening it could lose data."""


class DataFileError(FactbotError):
    """A data file factbot ships (a model, word vectors) is missing, unreadable or does not fit."""

    def __init__(self, what: str, path: object, why: str, rebuild: str) -> None:
        super().__init__(f"The {what} file {path} {why}. Reinstall factbot, or rebuild the file with `{rebuild}`.")
        self.path = path


class ModelFileError(DataFileError):
    """The no-answer model's data file is missing, unreadable or does not fit this engine."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__("no-answer model", path, why, "python -m benchmarks.calibrate --write")


class EmbeddingsFileError(DataFileError):
    """The word vectors' data file is missing, unreadable or not in the expected format."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__("word vectors", path, why, "python tools/build_embeddings.py")


class EncoderFileError(DataFileError):
    """The encoder's model or tokenizer file is missing, unreadable or not the expected model."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__("sentence encoder", path, why, "python tools/build_encoder.py")


class StoreError(FactbotError):
    """The library file cannot be used as asked: its folder is missing or not a folder, it is
    read-only, the disk is full, it is damaged, or another process held it too long."""


class NotALibrary(StoreError):
    """The file is not a factbot library (not SQLite, damaged, or another application's)."""


class LibraryBusy(StoreError):
    """Another process kept the library locked for longer than a change may wait."""


class ReadOnlyLibrary(StoreError):
    """The library was opened read-only (its file or folder is not writable): nothing can change."""


# What a Discord user is told when the library's server cannot be reached (the host stays in the log).
LIBRARY_UNAVAILABLE = "The library is unavailable right now; try again in a minute."


class LibraryUnavailable(StoreError):
    """The library's server cannot be reached, does not answer in time, or has no free connection:
    nothing was changed, and the same request may work in a minute."""

    def __init__(self, host: str, why: str) -> None:
        super().__init__(f"The library at {host} is unavailable ({why}); nothing was changed. Try again in a minute.")
        self.host = host
        self.why = why


class ShardConflict(StoreError):
    """Another live process runs a shard this one was given (or runs another shard count)."""


class DamagedLibrary(NotALibrary):
    """The library file is damaged: some of its pages do not hold what SQLite wrote there."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"The library {path} is damaged ({detail}). `factbot library copy {path} NEW.db` copies every "
            "source that can still be read into a new file; then use NEW.db."
        )
        self.path = path
        self.detail = detail
