"""Moving a library: every source of one library into another (SQLite to PostgreSQL and back).

Each source is copied in its own transaction with its scope, metadata, date, page starts and (where
the destination never gave it to another source) its id, so citations keep their numbers and
pages. A source whose content is already in the destination's scope is skipped: a copy run again,
or resumed after an interruption, copies nothing twice. A source whose text cannot be read (a damaged library:
storage.integrity), or no longer matches its content hash, is skipped and named in the report; the
rest are copied, which is how a damaged library is rescued. Afterwards every copied source is
checked in the destination: its content hash recomputed from the stored body, its paragraphs,
sentences, characters and pages counted. The audit log is not copied: the destination logs each
copied source as added by its original adder.

Sentence vectors come along when the destination has none of another model: each copied source's
stored vectors are matched to its sentences there, in a transaction of their own after the source's,
so a large library moved between backends answers by meaning at once instead of being encoded again.
A vector a copy did not carry (the process killed between the two, an unreadable vector) is made
again by whatever next encodes the destination's pending sentences.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass

from storage.backends.base import Library
from storage.errors import DamagedLibrary, DuplicateSource, StoreError
from storage.models import SourceInfo, SourceMeta
from storage.prepare import content_hash
from storage.rows import StoredSource

# Sources read at a time when checking the destination.
PAGE = 100


@dataclass(frozen=True, slots=True)
class CopyReport:
    copied: int
    already_there: int
    verified: int
    skipped: tuple[tuple[SourceInfo, str], ...] = ()  # sources that could not be read, and why
    vectors: int = 0  # sentence vectors carried over with the copied sources


def _identity(items: list[SourceInfo]) -> Iterable[SourceInfo]:
    return items


async def copy_library(
    src: Library,
    dst: Library,
    *,
    progress: Callable[[list[SourceInfo]], Iterable[SourceInfo]] = _identity,
    on_copied: Callable[[SourceInfo], None] | None = None,
) -> CopyReport:
    """Copy every source of `src` that `dst` lacks, then verify them all in `dst`. `progress`
    wraps the list of sources to copy (a bar on a terminal)."""
    have = await dst.content_keys()
    wanted = await src.list_sources()
    # In id order: each id is then above every id the destination has given, and kept (a
    # destination that once gave an id to another source gives this one a new id instead).
    todo = sorted((s for s in wanted if (s.scope, s.sha256) not in have), key=lambda s: s.id)
    model = await _carried_model(src, dst) if todo else None
    copied = vectors = 0
    skipped: list[tuple[SourceInfo, str]] = []
    for info in progress(todo):
        try:
            body = await src.get_body(info.id)
            pages = await src.page_starts(info.id) if info.pages else []
        except DamagedLibrary as err:
            skipped.append((info, f"its text cannot be read ({err.detail})"))
            continue
        if content_hash(body) != info.sha256:
            skipped.append((info, "its text no longer matches its content hash"))
            continue
        meta = SourceMeta(info.title, info.author, info.publisher, info.url, info.published)
        try:
            added = await dst.add_source(
                body,
                meta,
                scope=info.scope,
                origin=info.origin,
                added_by=info.added_by,
                added_at=info.added_at,
                source_id=info.id,
                pages=pages,
            )
        except DuplicateSource:
            continue  # another process copied it meanwhile
        copied += 1
        if model is not None:
            vectors += await _copy_vectors(src, info.id, dst, added.id, model)
        if on_copied is not None:
            on_copied(added)
    lost = {info.id for info, _ in skipped}
    verified = await verify_copy([s for s in wanted if s.id not in lost], dst)
    return CopyReport(copied, len(wanted) - len(todo), verified, tuple(skipped), vectors)


async def _carried_model(src: Library, dst: Library) -> str | None:
    """The model whose vectors the copy carries: the source library's, unless the destination
    holds vectors of another (there, vectors must all come from one model)."""
    model = await src.vector_model()
    if model is None:
        return None
    there = await dst.vector_model()
    if there is None:
        await dst.use_vector_model(model)
        there = await dst.vector_model()
    return model if there == model else None


async def _copy_vectors(src: Library, src_id: int, dst: Library, dst_id: int, model: str) -> int:
    """One copied source's stored vectors, stored for its sentences in `dst`, matched by order
    (the destination divides the same text the same way; verify_copy checks the counts). How many."""
    try:
        theirs = await src.source_vectors(src_id)
    except DamagedLibrary:
        return 0  # encoded again in the destination
    ours = await dst.source_vectors(dst_id)
    if len(theirs) != len(ours):
        return 0
    pairs = [(mine, vector) for (mine, _), (_, vector) in zip(ours, theirs, strict=True) if vector is not None]
    return await dst.store_vectors(model, pairs)


async def verify_copy(wanted: list[SourceInfo], dst: Library) -> int:
    """Every source in `wanted` is in `dst` whole: same scope and content hash, the hash recomputed
    from the body `dst` stores, the same paragraphs, sentences, characters and pages. Raises StoreError
    naming the first that is not; returns how many were checked."""
    expected = {(s.scope, s.sha256): s for s in wanted}
    found = 0
    async for stored in _all_stored(dst):
        info = stored.info
        source = expected.get((info.scope, info.sha256))
        if source is None:
            continue
        if content_hash(stored.body) != info.sha256:
            raise StoreError(f"Copy check failed: source {info.id} ({info.title}) does not hold the text it should.")
        counts = (info.paragraphs, info.sentences, info.chars, info.pages)
        if counts != (source.paragraphs, source.sentences, source.chars, source.pages):
            raise StoreError(f"Copy check failed: source {info.id} ({info.title}) is not whole: {counts}.")
        found += 1
    if found != len(expected):
        raise StoreError(f"Copy check failed: {len(expected) - found} of {len(expected)} sources are missing.")
    return found


async def _all_stored(library: Library) -> AsyncIterator[StoredSource]:
    after = 0
    while True:
        page = await library.stored_sources(after_id=after, limit=PAGE)
        if not page:
            return
        for stored in page:
            yield stored
        after = page[-1].info.id
