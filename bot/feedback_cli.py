"""`factbot feedback list | export FILE | purge --older-than DAYS`: the operator's view of the votes
cast on answers in every server (storage.feedback), and the way they become evaluation data.

`export` writes one JSON object a line that `python -m benchmarks.quality --feedback FILE` scores: the
question, the server it was asked in, what the vote expects of a new answer, and the answer voted
on, whose quotes stay as negative examples when it was voted a wrong quote.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.settings import Settings
from bot.textview import terminal_safe
from storage.backends.base import Library
from storage.errors import FactbotError
from storage.feedback import HELPFUL, KINDS, SAY_NOTHING, SOURCE_MISSING, WRONG_QUOTE, FeedbackEntry

READ_BATCH = 500
LIST_LIMIT = 50
# What each kind of vote asks of the answer the same question gets next time (benchmarks.quality).
EXPECT = {HELPFUL: "same", WRONG_QUOTE: "not_negative", SOURCE_MISSING: "answer", SAY_NOTHING: "refuse"}

Job = Callable[[argparse.Namespace, Library, Settings], Any]


def add_commands(commands: Any, on_library: Callable[[Job], Any]) -> None:
    """The `feedback` command and its actions, on the command line's subparsers."""
    feedback = commands.add_parser("feedback", help="list, export and purge the votes cast on answers")
    actions = feedback.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the latest votes, newest first")
    listing.add_argument("--kind", choices=sorted(KINDS), help="only votes of this kind")
    listing.add_argument("--server", type=int, metavar="ID", help="only votes cast in this server")
    listing.add_argument("--limit", type=_positive, default=LIST_LIMIT, help=f"at most N (default {LIST_LIMIT})")
    listing.add_argument("--json", action="store_true", help="one JSON object a line")
    listing.set_defaults(handler=on_library(_list))
    export = actions.add_parser("export", help="write every vote as JSONL for python -m benchmarks.quality --feedback")
    export.add_argument("file", type=Path, metavar="FILE")
    export.add_argument("--kind", choices=sorted(KINDS), help="only votes of this kind")
    export.set_defaults(handler=on_library(_export))
    purge = actions.add_parser("purge", help="delete votes older than some days")
    purge.add_argument("--older-than", type=_days, required=True, metavar="DAYS", dest="days")
    purge.set_defaults(handler=on_library(_purge))


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {text!r}") from None
    if not 0 <= value < 100_000:
        raise argparse.ArgumentTypeError("must be a number of days from 0")
    return value


async def _every(library: Library, *, kind: str | None = None) -> AsyncIterator[FeedbackEntry]:
    offset = 0
    while batch := await library.feedback(kind=kind, offset=offset, limit=READ_BATCH):
        for entry in batch:
            yield entry
        offset += len(batch)


def list_line(entry: FeedbackEntry) -> str:
    where = "DM" if entry.scope == 0 else f"server {entry.scope}"
    comment = f"\n    “{entry.comment}”" if entry.comment else ""
    return terminal_safe(
        f"{entry.id:>5}  {entry.at}  {KINDS[entry.kind]:<28} {where}, user {entry.user_id}\n"
        f"    Q: {entry.question}{comment}"
    )


async def _list(args: argparse.Namespace, library: Library, settings: Settings) -> int:
    found = await library.feedback(scope=args.server, kind=args.kind, limit=args.limit)
    total = await library.count_feedback(scope=args.server, kind=args.kind)
    for entry in found:
        print(json.dumps(entry.to_json(), ensure_ascii=False) if args.json else list_line(entry))
    if not args.json:
        print(f"{len(found)} of {total} votes." if found else "No votes yet.")
    return 0


def export_row(entry: FeedbackEntry) -> dict[str, Any]:
    """A vote as an evaluation question: what a new answer should do, and what it must not quote."""
    quotes = [q["text"] for s in entry.answer.get("sources", []) for q in s.get("quotes", [])]
    return {
        "id": f"feedback-{entry.id}",
        "question": entry.question,
        "scope": str(entry.scope),
        "kind": entry.kind,
        "expect": EXPECT[entry.kind],
        "comment": entry.comment,
        "negative": quotes if entry.kind == WRONG_QUOTE else [],
        "voted": entry.answer,
        "library_version": entry.library_version,
        "at": entry.at,
    }


async def _export(args: argparse.Namespace, library: Library, settings: Settings) -> int:
    rows = [export_row(entry) async for entry in _every(library, kind=args.kind)]
    try:
        with args.file.open("w", encoding="utf-8") as out:
            for row in reversed(rows):  # oldest first
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    except OSError as err:
        raise FactbotError(f"Cannot write {args.file}: {err.strerror or err}.") from None
    print(f"Exported {len(rows)} votes to {args.file}.")
    return 0


async def _purge(args: argparse.Namespace, library: Library, settings: Settings) -> int:
    before = (datetime.now(UTC) - timedelta(days=args.days)).isoformat(timespec="seconds")
    deleted = await library.purge_feedback(before=before)
    print(f"Deleted {deleted} votes older than {args.days:g} days.")
    return 0
