"""Giving a library's sentences their vectors in meaning (storage.vectors), in the background.

A source is answerable by its words as soon as it is added; its sentences are encoded afterwards,
a batch at a time, each batch one transaction. Whatever is killed when, nothing is lost: the next
run starts from the sentences that still have no vector. A library whose vectors another model made
has them dropped first and made again (an upgrade of the encoder re-encodes the library).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from bot.answer.encoder import Encoder
from storage.backends.base import Library, ModelSwitch
from storage.errors import FactbotError
from storage.vectors import to_blob

log = logging.getLogger(__name__)

# Sentences encoded per transaction: small enough that a kill loses little work and that a question
# asked meanwhile waits at most one batch for the write lock.
BATCH = 64
# How often a long-running process looks for sentences that others added and nobody encoded.
POLL_SECONDS = 60.0


async def pending_count(library: Library) -> int:
    """Sentences that are not yet searchable by meaning."""
    encoded, total = await library.vector_progress()
    return total - encoded


async def encode_pending(
    library: Library,
    encoder: Encoder,
    *,
    limit: int | None = None,
    progress: Callable[[int], object] | None = None,
    switch: ModelSwitch = ModelSwitch.FORWARD,
) -> int:
    """Encode sentences that have no vector (at most `limit`), oldest first; how many were stored.
    `progress` is called with the count of each batch stored. The encoder's model is made the
    library's first when `switch` allows it (Library.use_vector_model), dropping another model's
    vectors to make them again: a bot does, so a deployment converges on its newest version. A
    library it does not take is left alone (its words answer this process's questions)."""
    if library.read_only:
        return 0
    await library.use_vector_model(encoder.identity, switch=switch)
    if await library.vector_model() != encoder.identity:
        return 0
    done = after = 0
    while limit is None or done < limit:
        size = BATCH if limit is None else min(BATCH, limit - done)
        batch = await library.pending_vectors(limit=size, after=after)
        if not batch:
            break
        after = batch[-1].id
        # Encoding is CPU work (milliseconds a sentence): off the event loop.
        vectors = await asyncio.to_thread(encoder.encode, [s.text for s in batch])
        stored = await library.store_vectors(
            encoder.identity, [(s.id, to_blob(v)) for s, v in zip(batch, vectors, strict=True)]
        )
        if stored == 0 and await library.vector_model() != encoder.identity:
            break  # another process switched the library to another model meanwhile
        done += len(batch)
        if progress is not None:
            progress(len(batch))
    return done


class BackgroundEncoder:
    """One task that encodes what a long-running process (the bot) adds: woken after each add, and
    every POLL_SECONDS for sources that other processes (the command line, other shards) added."""

    def __init__(self, library: Library, encoder: Encoder, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.library = library
        self.encoder = encoder
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.idle = asyncio.Event()  # set while nothing is left to encode (tests wait on it)
        self._superseded = False  # the library holds another encoder's vectors (said once)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="factbot-encoding")

    def wake(self) -> None:
        """Something was added: encode it now rather than at the next poll."""
        self.idle.clear()
        self._wake.set()

    async def stop(self) -> None:
        self._stopping = True  # a cancel that asyncio loses still ends the loop at its next turn
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                done = await encode_pending(self.library, self.encoder)
                if done:
                    log.info("Encoded %d sentences: searchable by meaning", done)
                await self._tell_if_superseded()
            except FactbotError as err:
                # The library is busy or unreachable: the words still answer; try again later.
                log.warning("Encoding sentences failed, will retry: %s", err.message)
            self.idle.set()
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancel that lands
            # as the wake does, and stop() then waited forever (seen under load in CI).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()

    async def _tell_if_superseded(self) -> None:
        """Once a library's vectors are another encoder's and this process leaves them alone (it
        cannot write the library, or that encoder replaced this one there), say once that this
        process answers by words, and what to do."""
        model = await self.library.vector_model()
        superseded = model is not None and model != self.encoder.identity
        if superseded and not self._superseded:
            assert model is not None
            replaced = self.encoder.identity in await self.library.replaced_vector_models()
            note = words_only_note(model, read_only=self.library.read_only, replaced_this=replaced)
            log.warning("Answering by words only: %s", note)
        self._superseded = superseded


def words_only_note(model: str, *, read_only: bool, replaced_this: bool) -> str:
    """Why a process answers by words while the library holds `model`'s vectors, and what encodes
    it with this version's encoder: the bot's log and the command line say the same."""
    held = f"this library's sentence vectors were made by another encoder ({model})"
    if read_only:
        return (
            f"{held} and this process cannot write the library; `factbot library reindex`, run with"
            " this version where the library can be written, encodes it with this one."
        )
    why = ", which replaced this version's here (a newer version, or a rollback by `factbot library reindex`)"
    return (
        f"{held}{why if replaced_this else ''}; `factbot library reindex` with this version encodes it"
        " with this one (the other version's processes then answer by words until they are stopped)."
    )


class NoEncoding:
    """What a process without the sentence encoder has instead of a BackgroundEncoder."""

    def start(self) -> None: ...

    def wake(self) -> None: ...

    async def stop(self) -> None: ...
