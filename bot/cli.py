"""The `factbot` command line: ask the library, manage its sources, run the Discord bot.

Errors a user can cause print one line on stderr and exit non-zero; nothing else changes.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot import __version__, feedback_cli
from bot.answer import Answer, Engine, vectorize
from bot.answer.compare import compare
from bot.answer.followup import Context
from bot.engines import engine_from_settings
from bot.exits import EXIT_ERROR, EXIT_INTERRUPTED, INTERRUPTED
from bot.progress import counting, echo, progress
from bot.settings import Settings, parse_db
from bot.textview import meaning_status, render_answer, render_source, render_source_list, terminal_safe
from bot.wording import reason_text, size_text
from storage.backends import open_library
from storage.backends.base import Library, ModelSwitch
from storage.errors import FactbotError, StoreError
from storage.models import SourceInfo
from storage.target import SQLITE, LibraryTarget
from storage.waiting import tell_waits

EXIT_PARTIAL = 3  # `sources add` with several files: some added, some refused
CHAT = "chat"  # the one conversation `factbot chat` holds
# Sentences `ask` and `chat` encode before answering when the library has that many or fewer without
# a vector (a wait of seconds, not minutes, at the encoding rate the README gives); more are left to
# `factbot library reindex`.
ASK_CATCH_UP = 5_000


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="factbot",
        description="Answers questions by quoting its library of articles, word for word, with citations.",
        epilog="The library file is $FACTBOT_DB (also read from .env); see README.md for the default.",
    )
    parser.add_argument("--version", action="version", version=f"factbot {__version__}")
    parser.add_argument("--db", help="library file or postgresql:// URL (overrides FACTBOT_DB)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ask = commands.add_parser("ask", help="ask a question of the library")
    ask.add_argument("question", nargs="?", help="the question (omit with --batch)")
    ask.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    ask.add_argument("--batch", action="store_true", help="read one question a line from stdin, answer each")
    ask.set_defaults(handler=_on_library(_ask))

    chat = commands.add_parser("chat", help="ask questions again and again at a prompt")
    chat.set_defaults(handler=_on_library(_chat))

    timeline = commands.add_parser("timeline", help="the dates the sources state, numbered, and as a picture")
    timeline.add_argument("topic", nargs="?", help="what to draw the dates of (default: every source)")
    timeline.add_argument("--out", type=Path, metavar="FILE.png", help="write the timeline picture here")
    timeline.set_defaults(handler=_on_library(_timeline))

    sources = commands.add_parser("sources", help="list, show, add and remove sources")
    actions = sources.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list every source")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_on_library(_sources_list))
    show = actions.add_parser("show", help="show one source's metadata (and text with --text)")
    show.add_argument("id", type=int)
    show.add_argument("--text", action="store_true", help="print the stored text too")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_on_library(_sources_show))
    add = actions.add_parser("add", help="add files (.txt, .md, .html) or http(s) URLs, each on its own")
    add.add_argument("files", nargs="+", metavar="FILE_OR_URL")
    for flag in ("title", "author", "publisher", "url", "published"):
        add.add_argument(f"--{flag}", help=f"the source's {flag} (one file only)")
    add.set_defaults(handler=_on_library(_sources_add))
    remove = actions.add_parser("remove", help="remove a source and everything of it")
    remove.add_argument("id", type=int)
    remove.set_defaults(handler=_on_library(_sources_remove))

    run = commands.add_parser("run", help="run the Discord bot (DISCORD_TOKEN from the environment or .env)")
    run.add_argument("--shard-count", metavar="N", help="the number of shards of the whole bot (README, at scale)")
    run.add_argument("--shards", metavar="0,1", help="the shards this process runs (default: all N)")
    run.set_defaults(handler=_run)
    sync = commands.add_parser("sync", help="re-sync the bot's slash commands with Discord, then exit")
    sync.set_defaults(handler=_sync)
    shards = commands.add_parser("shards", help="which bot processes run which shards, and which shards nobody runs")
    shards.set_defaults(handler=_on_library(_shards))

    feedback_cli.add_commands(commands, _on_library)

    library = commands.add_parser("library", help="move a library between SQLite files and PostgreSQL")
    library_actions = library.add_subparsers(dest="action", required=True, metavar="ACTION")
    copy = library_actions.add_parser("copy", help="copy every source of SRC into DST (again: copies nothing twice)")
    copy.add_argument("src", metavar="SRC", help="a library file or postgresql:// URL")
    copy.add_argument("dst", metavar="DST", help="a library file or postgresql:// URL")
    copy.set_defaults(handler=_library_copy)
    check = library_actions.add_parser(
        "check", help="check a library file for damage (SQLite's integrity check and the sentence index's own)"
    )
    check.set_defaults(handler=_library_check)
    reindex = library_actions.add_parser(
        "reindex", help="give every sentence that lacks one its vector in meaning (resumes where it stopped)"
    )
    reindex.set_defaults(handler=_on_library(_library_reindex))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Text that is not UTF-8 (a file name, a stored body) prints as escapes, never as a crash.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        _check_text(args)
        settings = Settings.load()
        if args.db:
            settings = dataclasses.replace(settings, library=parse_db("--db", args.db, settings.library.pg))
        logging.basicConfig(level="WARNING", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        handler: Handler = args.handler
        return handler(args, settings)
    except FactbotError as err:
        print(terminal_safe(f"factbot: {err.message}"), file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`factbot sources list | head`): not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _check_text(args: argparse.Namespace) -> None:
    """Questions and metadata must be text: arguments that were not UTF-8 arrive with lone
    surrogates (file names may, and are read as they are)."""
    for name in ("question", "title", "author", "publisher", "url", "published"):
        value = getattr(args, name, None)
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                flag = "The question" if name == "question" else f"--{name}"
                raise FactbotError(f"{flag} is not valid UTF-8 text.") from None


def _interrupted() -> bool:
    """Whether Ctrl-C came while a change was committing (the change was kept; see Library)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


# What a command does, set on its parser (set_defaults(handler=...)): one function per command.
Handler = Callable[[argparse.Namespace, Settings], int]
LibraryJob = Callable[[argparse.Namespace, Library, Settings], Awaitable[int]]


def _on_library(job: LibraryJob) -> Handler:
    """The handler of a command that works on the settings' library: opened, `job`, closed."""

    def handler(args: argparse.Namespace, settings: Settings) -> int:
        async def run() -> int:
            tell_waits(_tell_wait)
            async with await open_library(settings.library) as library:
                return await job(args, library, settings)

        return asyncio.run(run())

    return handler


def _tell_wait(library: Path | str, seconds_left: float) -> None:
    """A change is waiting for another process that holds the library: say so, once."""
    echo(
        terminal_safe(
            f"factbot: another process is changing the library {library}; waiting for it "
            f"(giving up in {seconds_left:.0f} s)..."
        ),
        file=sys.stderr,
    )


def _run(args: argparse.Namespace, settings: Settings) -> int:
    """`factbot run`: the Discord bot (all shards, or those of --shard-count/--shards)."""
    from bot.discord.runner import run_bot
    from bot.discord.sharding import parse_sharding

    logging.getLogger().setLevel(settings.log_level)
    return run_bot(settings, parse_sharding(args.shard_count, args.shards))


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    """`factbot sync`: push the slash commands, then exit."""
    from bot.discord.runner import sync_commands

    logging.getLogger().setLevel(settings.log_level)
    return sync_commands(settings)


async def _shards(args: argparse.Namespace, library: Library, settings: Settings) -> int:
    """`factbot shards`: the bot processes' shard records (bot.shardlist)."""
    from bot.shardlist import list_shards

    for line in await list_shards(library):
        echo(terminal_safe(line))
    return 0


def _library_copy(args: argparse.Namespace, settings: Settings) -> int:
    """`factbot library copy SRC DST`: each source in one transaction, then all checked in DST."""
    pg = settings.library.pg
    src, dst = parse_db("SRC", args.src, pg), parse_db("DST", args.dst, pg)
    if str(src.location) == str(dst.location):
        raise FactbotError("SRC and DST are the same library.")
    if src.scheme == SQLITE and not src.path.is_file():
        raise FactbotError(f"There is no library file {src.path} to copy.")
    return asyncio.run(_copy(src, dst))


async def _copy(src: LibraryTarget, dst: LibraryTarget) -> int:
    from storage.copy import copy_library

    # A damaged file is opened all the same: copying what it still holds is how it is rescued.
    opening = open_library(src, seed=False, check=False)
    async with await opening as source, await open_library(dst, seed=False) as target:
        report = await copy_library(source, target, progress=lambda items: progress(items, unit="source"))
    for info, why in report.skipped:
        echo(terminal_safe(f"factbot: skipped source {info.id} ({info.title}): {why}."), file=sys.stderr)
    echo(
        terminal_safe(
            f"Copied {report.copied} sources to {target.path} ({report.already_there} were already there); "
            f"{report.verified} checked there: content hashes and counts match."
            + (f" {report.vectors} sentence vectors came along." if report.vectors else "")
            + (f" {len(report.skipped)} could not be read and were skipped." if report.skipped else "")
        )
    )
    for before, now in report.renumbered:
        echo(terminal_safe(f"Source {before} is source {now} there: id {before} was already used in {target.path}."))
    return EXIT_PARTIAL if report.skipped else 0


def _library_check(args: argparse.Namespace, settings: Settings) -> int:
    """`factbot library check`: the settings' library file checked in full; one line either way."""
    from storage.errors import DamagedLibrary
    from storage.integrity import full_check

    if settings.library.scheme != SQLITE:
        raise FactbotError("`factbot library check` checks a library file; PostgreSQL checks its own pages.")
    path = settings.library.path
    report = full_check(path)
    if report.problems:
        more = len(report.problems) - 1
        raise DamagedLibrary(path, report.problems[0] + (f", and {more} more problems" if more else ""))
    index = (
        "and the sentence index's own check found"
        if report.index_checked
        else ("found (the sentence index was not checked: that needs a writable file)")
    )
    print(terminal_safe(f"The library {path} is whole: SQLite's integrity check {index} nothing wrong."))
    return 0


async def _encode(engine: Engine, pending: int) -> int:
    """Encode the library's sentences that lack a vector, with a bar on a terminal; never a
    library whose vectors another model made (`_own_model` decides that)."""
    with counting(pending, unit="sentence") as advance:
        return await engine.catch_up(progress=advance, switch=ModelSwitch.ONLY_UNSET)


async def _own_model(engine: Engine) -> bool:
    """Whether the library's vectors are this encoder's (or it has none yet). A library encoded by
    another model (before an upgrade, or by the other version of a deployment being upgraded) is
    made this one's when it holds few sentences and that model did not replace this one (an older
    version never takes a library back: ModelSwitch.FORWARD); otherwise it is left to `factbot
    library reindex`, with a note: a one-off command must not throw away the encoding every process of the
    other version answers from (they answer by words until it is done again, for up to tens of
    minutes). Answers use words meanwhile; never another model's vectors."""
    assert engine.encoder is not None
    library, identity = engine.library, engine.encoder.identity
    model = await library.vector_model()
    if model in (None, identity):
        return True
    if not library.read_only and (await library.vector_progress())[1] <= ASK_CATCH_UP:
        await library.use_vector_model(identity)  # dropped, and pending again like new sentences
        if await library.vector_model() == identity:
            return True
    replaced = identity in await library.replaced_vector_models()
    note = vectorize.words_only_note(model, read_only=library.read_only, replaced_this=replaced)
    echo(terminal_safe(f"factbot: answering by words only: {note}"), file=sys.stderr)
    return False


async def _meaning_ready(engine: Engine) -> None:
    """Before answering: the few sentences not yet searchable by meaning (sources added by a
    process that was stopped before it encoded them, or every one after a change of model) are
    encoded now; many are left to
    `factbot library reindex`, with a note, and the answers use their words meanwhile."""
    if engine.encoder is None or not await _own_model(engine) or engine.library.read_only:
        return
    pending = await vectorize.pending_count(engine.library)
    if 0 < pending <= ASK_CATCH_UP:
        await _encode(engine, pending)
    elif pending:
        echo(
            f"factbot: {pending} sentences are not yet searchable by meaning (answers use their words); "
            "`factbot library reindex` encodes them.",
            file=sys.stderr,
        )


async def _library_reindex(args: argparse.Namespace, library: Library, settings: Settings) -> int:
    """`factbot library reindex`: every sentence without a vector (all of them after a change of
    model) encoded, a batch a transaction; stopped at any point, it resumes where it stopped."""
    engine = engine_from_settings(library, settings)
    if engine.encoder is not None:
        await library.use_vector_model(engine.encoder.identity, switch=ModelSwitch.ALWAYS)
    done = await _encode(engine, await vectorize.pending_count(library))
    encoded, total = await library.vector_progress()
    print(f"Encoded {done} sentences; {encoded} of {total} are searchable by meaning.")
    return 0


async def _ask(args: argparse.Namespace, library: Library, settings: Settings) -> int:
    engine = engine_from_settings(library, settings)
    await _meaning_ready(engine)
    if args.batch:
        if args.question:
            raise FactbotError("Give either a question or --batch (questions on stdin), not both.")
        for line in sys.stdin:
            answer = await engine.ask(line.rstrip("\n"))
            out = json.dumps(_answer_json(answer), ensure_ascii=False) if args.json else render_answer(answer)
            print(out, flush=True)
        return 0
    if args.question is None:
        raise FactbotError('Ask a question: factbot ask "Who are the members of the CSTO?"')
    answer = await engine.ask(args.question)
    if args.json:
        print(json.dumps(_answer_json(answer), ensure_ascii=False))
    else:
        print(render_answer(answer), end="")
    return 0


async def _chat(args: argparse.Namespace, library: Library, settings: Settings) -> int:
    engine = engine_from_settings(library, settings)
    await _meaning_ready(engine)
    print("Ask a question about the library (an empty line or Ctrl-D quits).")
    context = Context(settings.followup_minutes)  # each line may follow up the one before
    while True:
        try:
            line = await asyncio.to_thread(input, "? ")
        except EOFError:
            print()
            return 0
        if not line.strip():
            return 0
        reading = context.read(CHAT, line)
        if reading.followed:
            print(f"Read as: {reading.read}")
        print(render_answer(await engine.ask(reading.read)))


async def _timeline(args: argparse.Namespace, library: Library, settings: Settings) -> int:
    from bot.timeline.command import timeline_command

    engine = engine_from_settings(library, settings)
    await _meaning_ready(engine)
    return await timeline_command(engine, library, args.topic, args.out)


async def _sources_list(args: argparse.Namespace, library: Library, settings: Settings) -> int:
    found = await library.list_sources()
    if args.json:
        print(json.dumps([_source_json(s) for s in found], ensure_ascii=False))
    else:
        print(render_source_list(found), end="")
    return 0


async def _sources_show(args: argparse.Namespace, library: Library, settings: Settings) -> int:
    info = await library.get_source(args.id)
    encoded, total = await library.vector_progress(source_id=info.id)
    if args.json:
        shown = {**_source_json(info), "meaning": {"encoded": encoded, "sentences": total}}
        print(json.dumps(shown, ensure_ascii=False))
    else:
        print(render_source(info), end="")
        print(meaning_status(encoded, total))
        if args.text:
            print("\n" + terminal_safe(await library.get_body(args.id)))
    return 0


async def _sources_remove(args: argparse.Namespace, library: Library, settings: Settings) -> int:
    info = await library.remove_source(args.id, actor="operator (command line)")
    print(terminal_safe(f"Removed source {info.id}: {info.title}"))
    return EXIT_INTERRUPTED if _interrupted() else 0


async def _sources_add(args: argparse.Namespace, library: Library, settings: Settings) -> int:
    from storage.fetch import FetchPolicy
    from storage.ingest import MetaOverrides, add_file, add_url

    given = MetaOverrides(args.title, args.author, args.publisher, args.url, args.published)
    if len(args.files) > 1 and any((args.title, args.author, args.publisher, args.url, args.published)):
        raise FactbotError("Metadata flags (--title, --author, ...) apply to one file; add files one at a time.")
    policy = FetchPolicy(allowed_networks=settings.fetch_allow_networks)
    failures = 0
    for item in progress(args.files, unit="source"):
        try:
            if item.lower().startswith(("http://", "https://")):
                info = await add_url(library, item, policy, given=given, added_by="operator (command line)")
            else:
                info = await add_file(library, Path(item), given=given, added_by="operator (command line)")
        except StoreError:
            raise  # the library itself cannot be changed: no point trying the other files
        except FactbotError as err:
            if len(args.files) == 1:
                raise
            failures += 1
            echo(terminal_safe(f"factbot: {item}: {err.message}"), file=sys.stderr)
            continue
        echo(terminal_safe(f"Added source {info.id}: {info.title} ({size_text(info)})"))
        if _interrupted():
            print(f"factbot: interrupted; source {info.id} was saved, nothing after it.", file=sys.stderr)
            return EXIT_INTERRUPTED
    # The sources answer by their words already; now by meaning too (a later run resumes this).
    engine = engine_from_settings(library, settings)
    if engine.encoder is not None and await _own_model(engine):
        await _encode(engine, await vectorize.pending_count(library))
    return 0 if failures == 0 else EXIT_PARTIAL


def _answer_json(answer: Answer) -> dict[str, object]:
    """The answer as `ask --json` prints it: the engine's JSON, its reason in words (`note`), and
    the comparison the terminal and Discord show (bot.answer.compare), or null."""
    found = compare(answer)
    return {
        **answer.to_json(),
        "note": None if answer.reason is None else reason_text(answer.reason),
        "comparison": None if found is None else found.to_json(),
    }


def _source_json(source: SourceInfo) -> dict[str, object]:
    return dataclasses.asdict(source)
