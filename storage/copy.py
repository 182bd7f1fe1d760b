"""Moving a library: every source of one library into another (SQLite to PostgreSQL and back).

Each source is copied in its own transaction with its scope, metadata, date, page starts and its
id, so citations keep their numbers and pages: every id, into a new library; into one with a
history, the ids above the highest it has given (a source whose id is not gets a new one, after
them all, named in the report, so no id ever names two sources there); and the destination then
never gives an id the origin gave, even to a source the origin removed. A source whose content is
already in the destination's scope is skipped: a copy run again, or resumed after an interruption,
copies nothing twice. A source whose text cannot be read (a damaged library: storage.integrity), or
no longer matches its content hash, is skipped and named in the report; the rest are copied, which
is how a damaged library is rescued. Afterwards every copied source is checked in the destination:
its content hash recomputed from the stored body, its paragraphs, sentences, characters and pages
counted. The audit log is not copied: the destination logs each copied source as added by its
original adder.

Sentence vectors come along when the destination has none of another model: each copied source's
stored vectors are matched to its sentences there (the same offsets in the same text), in a
transaction of their own after the source's, so a large library moved between backends answers by
meaning at once instead of being encoded again. The destination takes the origin's model: a
process there with another encoder makes them again, as after an upgrade. A vector a copy did not
carry (the process killed between the two, an unreadable one) is made again by whatever next
encodes the destination's pending sentences.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass

from storage.backends.base import Library, ModelSwitch
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
    renumbered: tuple[tuple[int, int], ...] = ()  # (id in the origin, id here) where they differ


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
    # A destination keeps a source's id only above every id it has given: those above are copied
    # first, in id order, so each keeps its id; then the destination is told every id the origin
    # gave, and the others (ids the destination has given, perhaps to another source) come after,
    # numbered after them all, never with an id the origin gave either.
    given = await dst.highest_source_id()
    todo = sorted((s for s in wanted if (s.scope, s.sha256) not in have), key=lambda s: (s.id <= given, s.id))
    carried = await _carried(src, dst) if todo else None
    copied = vectors = 0
    renumbered: list[tuple[int, int]] = []
    skipped: list[tuple[SourceInfo, str]] = []
    origins_kept = False
    for info in progress(todo):
        if info.id <= given and not origins_kept:
            await _keep_origins_ids(src, dst)
            origins_kept = True
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
        if added.id != info.id:
            renumbered.append((info.id, added.id))
        if carried is not None:
            vectors += await _copy_vectors(src, info.id, dst, added.id, carried)
        if on_copied is not None:
            on_copied(added)
    if not origins_kept:
        await _keep_origins_ids(src, dst)
    lost = {info.id for info, _ in skipped}
    verified = await verify_copy([s for s in wanted if s.id not in lost], dst)
    return CopyReport(copied, len(wanted) - len(todo), verified, tuple(skipped), vectors, tuple(renumbered))


async def _keep_origins_ids(src: Library, dst: Library) -> None:
    """Once the sources that keep their ids are in (before, they would all be numbered after it):
    the destination never gives an id the origin gave, to a source it has since removed too."""
    try:
        theirs = await src.highest_source_id()
    except DamagedLibrary:
        return
    if theirs > await dst.highest_source_id():
        await dst.keep_source_ids_above(theirs)


@dataclass(frozen=True, slots=True)
class _Carried:
    """The vectors a copy carries: those `model` made, `width` bytes long (any other is damaged)."""

    model: str
    width: int


async def _carried(src: Library, dst: Library) -> _Carried | None:
    """What the copy carries: the source library's vectors, unless the destination holds vectors
    of another model (there, they must all come from one) or the source's cannot be read."""
    try:
        model, width = await src.vector_model(), await src.vector_width()
        replaced = await src.replaced_vector_models()
    except DamagedLibrary:
        return None  # the sources are rescued; their vectors are made again there
    if model is None or width is None:
        return None
    there = await dst.vector_model()
    if there in (None, model):
        # Another process may have chosen meanwhile. The models the origin's vectors replaced come
        # along (joining the destination's own where it holds the same model): an older version
        # pointed at the copy leaves it alone as it left the origin.
        await dst.use_vector_model(model, switch=ModelSwitch.ONLY_UNSET, carried=replaced)
        there = await dst.vector_model()
    return _Carried(model, width) if there == model else None


async def _copy_vectors(src: Library, src_id: int, dst: Library, dst_id: int, carried: _Carried) -> int:
    """One copied source's stored vectors, stored for its sentences in `dst`: each sentence's
    matched by its offsets in the same text, so none can land on another sentence. How many."""
    try:
        theirs = {
            (start, end): vector
            for _, start, end, vector in await src.source_vectors(src_id)
            if vector is not None and len(vector) == carried.width
        }
    except DamagedLibrary:
        return 0  # made again in the destination
    ours = await dst.source_vectors(dst_id)
    pairs = [(sid, theirs[start, end]) for sid, start, end, _ in ours if (start, end) in theirs]
    return await dst.store_vectors(carried.model, pairs)


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
