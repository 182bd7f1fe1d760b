"""The command line end to end: real processes, a real library file, exit codes and output."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.answer.encoder import shipped
from bot.cli import ASK_CATCH_UP
from storage.backends import open_library
from storage.backends.base import REPLACED_VECTOR_MODELS
from storage.models import SourceMeta

ROOT = Path(__file__).resolve().parents[1]


class Factbot:
    """Runs `python -m bot` against one library file, the way a person or a script would."""

    def __init__(self, db: Path, cwd: Path) -> None:
        self.db = db
        self.cwd = cwd

    def __call__(self, *args: str, stdin: str | None = None, **settings: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTBOT_", "DISCORD_"))}
        env.update(FACTBOT_DB=str(self.db), PYTHONPATH=str(ROOT), **settings)
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=self.cwd,
            timeout=60,
        )

    def titles(self) -> list[str]:
        done = self("sources", "list", "--json")
        assert done.returncode == 0, done.stderr
        return [s["title"] for s in json.loads(done.stdout)]


@pytest.fixture
def factbot(tmp_path: Path) -> Factbot:
    return Factbot(tmp_path / "lib" / "library.db", tmp_path)


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("factbot: "), done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


def test_ask_json_follows_the_contract(factbot: Factbot) -> None:
    done = factbot("ask", "--json", "Who are the members of the CSTO?")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["question"] == "Who are the members of the CSTO?" and out["answered"] is True
    first = out["sources"][0]
    assert {"id", "title", "author", "publisher", "url", "published", "quotes"} <= set(first)
    assert (first["author"], first["publisher"], first["published"]) == (
        "Alex Gorka",
        "strategic-culture.org",
        "2021-06",
    )
    assert {"text", "paragraph", "sentence"} <= set(first["quotes"][0])
    assert isinstance(out["uncovered"], list)
    assert out["comparison"] is None  # the second article names no member: nothing to line up


def test_ask_json_carries_the_comparison_the_terminal_shows(factbot: Factbot) -> None:
    question = "How many troops does the CSTO peacekeeping force have?"
    out = json.loads(factbot("ask", "--json", question).stdout)
    printed = factbot("ask", question).stdout
    found = out["comparison"]
    assert found["kind"] == "quantity" and found["label"] == "Numbers"
    assert "Numbers, side by side:" in printed
    for row in found["sources"]:
        assert f"[{row['source']}] {', '.join(row['facts'])}" in printed


def test_ask_for_a_person_prints_quotes_under_citations(factbot: Factbot) -> None:
    done = factbot("ask", "Who is the CSTO press secretary?")
    assert done.returncode == 0, done.stderr
    assert "Vladimir Zainetdinov" in done.stdout
    assert "“Moscow tries to use the UN mandate in its CSTO-flagged operations”" in done.stdout
    assert "Not addressed by: [1] CSTO Sets Up Peacekeeping Force" in done.stdout


def test_unanswerable_question_says_so(factbot: Factbot) -> None:
    done = factbot("ask", "What is the weather in Moscow today?")
    assert done.returncode == 0
    assert "Nothing in the sources answers this." in done.stdout


def test_batch_answers_one_json_line_per_question_in_order(factbot: Factbot) -> None:
    questions = ["Who is the CSTO press secretary?", "", "What is the weather in Moscow today?", "NEAR(*"]
    done = factbot("ask", "--json", "--batch", stdin="\n".join(questions) + "\n")
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [a["question"] for a in answers] == [
        "Who is the CSTO press secretary?",
        "",
        "What is the weather in Moscow today?",
        "NEAR(*",
    ]
    assert [a["answered"] for a in answers] == [True, False, False, False]


def test_add_show_list_remove_a_source(factbot: Factbot, tmp_path: Path) -> None:
    article = tmp_path / "zebras.txt"
    article.write_text("Zebras live in Africa.\n\nA zebra herd can number 1,200 animals.\n", encoding="utf-8")
    done = factbot(
        "sources",
        "add",
        str(article),
        "--title",
        "All about zebras",
        "--author",
        "Z. Keeper",
        "--published",
        "June 8, 2021",
        "--url",
        "https://example.org/zebras",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Added source 3: All about zebras")
    shown = json.loads(factbot("sources", "show", "3", "--json").stdout)
    assert (shown["author"], shown["published"], shown["url"]) == (
        "Z. Keeper",
        "2021-06-08",
        "https://example.org/zebras",
    )
    answer = json.loads(factbot("ask", "--json", "How many animals are in a zebra herd?").stdout)
    assert answer["sources"][0]["title"] == "All about zebras"
    assert answer["sources"][0]["quotes"][0]["text"] == "A zebra herd can number 1,200 animals."
    assert factbot("sources", "remove", "3").returncode == 0
    assert "All about zebras" not in factbot.titles()
    assert not json.loads(factbot("ask", "--json", "How many animals are in a zebra herd?").stdout)["answered"]


def test_a_pdf_is_added_and_quoted_by_its_page(factbot: Factbot, tmp_path: Path) -> None:
    from storage.extract import extract
    from storage.testing.pdfmaker import report_pdf

    report = tmp_path / "otter-report.pdf"
    report.write_bytes(report_pdf())
    done = factbot("sources", "add", str(report))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Added source 3: Otters of the Danube (3 pages, 6 paragraphs, ")
    assert "size: 3 pages, 6 paragraphs" in factbot("sources", "show", "3").stdout
    answer = json.loads(factbot("ask", "--json", "How many otters were counted?").stdout)
    first = answer["sources"][0]
    cited = (first["title"], first["author"], first["published"])
    assert cited == ("Otters of the Danube", "Ada Lovelace", "2022-03-14")
    quote = first["quotes"][0]
    assert (quote["page"], quote["page_paragraph"], quote["paragraph"]) == (2, 2, 4)
    body = extract(report_pdf(), filename="otter-report.pdf").text
    assert quote["text"] == body[quote["start"] : quote["end"]] and "312 otters" in quote["text"]
    assert "— p. 2, ¶ 2" in factbot("ask", "How many otters were counted?").stdout
    assert "— pp. 1–2, ¶ 3" in factbot("ask", "Who checked the volunteers' work?").stdout  # across a page
    seed = json.loads(factbot("ask", "--json", "Who are the members of the CSTO?").stdout)["sources"][0]["quotes"][0]
    assert seed["page"] is None and seed["page_paragraph"] is None  # a source without pages

    locked = tmp_path / "locked.pdf"
    locked.write_bytes(report_pdf(encrypt=True))
    assert one_line_error(factbot("sources", "add", str(locked))).startswith("factbot: This PDF is password-protected")
    assert factbot.titles()[-1] == "Otters of the Danube"


def test_several_files_each_in_its_own_transaction(factbot: Factbot, tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text("# Lions\n\nLions sleep twenty hours a day.\n", encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    done = factbot("sources", "add", str(good), str(empty))
    assert done.returncode != 0
    assert "Added source 3: Lions" in done.stdout
    assert "empty.txt" in done.stderr
    assert factbot.titles()[-1] == "Lions"


@pytest.mark.parametrize(
    ("name", "content", "expect"),
    [
        ("missing.txt", None, "No such file"),
        ("empty.txt", b"", "empty"),
        ("binary.txt", bytes(range(256)) * 20, "binary"),
        ("picture.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, ".png"),
    ],
)
def test_bad_files_are_refused_with_one_line_and_change_nothing(
    factbot: Factbot, tmp_path: Path, name: str, content: bytes | None, expect: str
) -> None:
    before = factbot.titles()
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    line = one_line_error(factbot("sources", "add", str(path)))
    assert expect.lower() in line.lower()
    assert factbot.titles() == before


def test_duplicates_unknown_ids_and_bad_dates_are_refused(factbot: Factbot, tmp_path: Path) -> None:
    copy = tmp_path / "copy.txt"
    copy.write_bytes((ROOT / "seeds" / "csto-sets-up-peacekeeping-force.txt").read_bytes())
    assert "already in the library as source 1" in one_line_error(factbot("sources", "add", str(copy)))
    assert "no source 99" in one_line_error(factbot("sources", "remove", "99"))
    assert "no source 99" in one_line_error(factbot("sources", "show", "99"))
    article = tmp_path / "a.txt"
    article.write_text("Some text.", encoding="utf-8")
    assert "as a date" in one_line_error(factbot("sources", "add", str(article), "--published", "someday"))
    assert "one file" in one_line_error(factbot("sources", "add", str(article), str(copy), "--title", "X"))
    assert len(factbot.titles()) == 2


def test_ask_without_a_question_is_a_clear_error(factbot: Factbot) -> None:
    assert "Ask a question" in one_line_error(factbot("ask"))


def test_env_file_selects_the_library(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"FACTBOT_DB={tmp_path / 'from-dotenv.db'}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTBOT_", "DISCORD_"))}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "sources", "list"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "from-dotenv.db").exists()


def test_run_without_a_token_exits_with_one_line(factbot: Factbot) -> None:
    assert "DISCORD_TOKEN" in one_line_error(factbot("run"))


def test_the_answer_threshold_is_a_setting(factbot: Factbot) -> None:
    question = "What is the weather in Moscow today?"
    assert not json.loads(factbot("ask", "--json", question).stdout)["answered"]
    assert json.loads(factbot("ask", "--json", question, FACTBOT_ANSWER_THRESHOLD="0").stdout)["answered"]
    assert "FACTBOT_ANSWER_THRESHOLD" in one_line_error(factbot("ask", question, FACTBOT_ANSWER_THRESHOLD="high"))


def test_chat_answers_each_line_until_an_empty_one(factbot: Factbot) -> None:
    done = factbot("chat", stdin="Who is the CSTO press secretary?\n\nWho are the members of the CSTO?\n")
    assert done.returncode == 0, done.stderr
    assert "Vladimir Zainetdinov" in done.stdout
    assert "Who are the members" not in done.stdout  # the empty line ended the session


def test_a_closed_pipe_is_not_an_error(factbot: Factbot) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTBOT_", "DISCORD_"))}
    env.update(FACTBOT_DB=str(factbot.db), PYTHONPATH=str(ROOT))
    # A reader that closes its end at once, as `| head -0` would.
    reader = (
        "import subprocess, sys; p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE); "
        "p.stdout.close(); sys.stderr.write(p.stderr.read().decode()); sys.exit(p.wait())"
    )
    done = subprocess.run(
        [sys.executable, "-c", reader, sys.executable, "-m", "bot", "ask", "Who are the members of the CSTO?"],
        capture_output=True,
        text=True,
        env=env,
        cwd=factbot.cwd,
        timeout=60,
    )
    assert "Traceback" not in done.stderr
    assert done.returncode == 0


# -- issue 10: hostile input and a hostile environment: one line, non-zero, nothing changed -----

NOT_UTF8 = os.fsdecode(b"caf\xe9 \xff")  # bytes that are not UTF-8, as a shell would pass them


def make_fifo(path: Path) -> str:
    os.mkfifo(path)
    return str(path)


def make_loop(path: Path) -> str:
    (path.parent / "loop-a").symlink_to(path.parent / "loop-b")
    (path.parent / "loop-b").symlink_to(path.parent / "loop-a")
    return str(path.parent / "loop-a")


def make_file(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


HOSTILE_ADDS = {
    "a FIFO": (lambda d: ["sources", "add", make_fifo(d / "pipe.txt")], "not a regular file"),
    "a symlink loop": (lambda d: ["sources", "add", make_loop(d / "x")], "cannot read"),
    "a path through a file": (
        lambda d: ["sources", "add", make_file(d / "plain.txt", b"Text.") + "/inner.txt"],
        "cannot read",
    ),
    "a name too long": (lambda d: ["sources", "add", str(d / ("n" * 300 + ".txt"))], "cannot read"),
    "a non-UTF-8 --title": (
        lambda d: ["sources", "add", make_file(d / "a.txt", b"Zebras run."), "--title", NOT_UTF8],
        "utf-8",
    ),
    "a zero-width title": (
        lambda d: ["sources", "add", make_file(d / "a.txt", b"Zebras run."), "--title", "\u200b\u200d\u2060"],
        "title",
    ),
    "a title of control characters": (
        lambda d: ["sources", "add", make_file(d / "a.txt", b"Zebras run."), "--title", "\x1b\x07\x1b[2J"[:2]],
        "title",
    ),
    "a file of punctuation": (
        lambda d: ["sources", "add", make_file(d / "dots.txt", b"... !!! ??? ;;; --- \xe2\x80\xa6\n\n.")],
        "no text",
    ),
    "an id of 2^63": (lambda d: ["sources", "remove", str(2**63)], "no source"),
    "an id of 2^64": (lambda d: ["sources", "show", str(2**64)], "no source"),
    "a negative id": (lambda d: ["sources", "remove", "-1"], "no source"),
    "a non-UTF-8 question": (lambda d: ["ask", NOT_UTF8], "utf-8"),
    "a URL of a bad IPv6 host": (
        lambda d: ["sources", "add", "http://[1:2:3]/"],
        "'http://[1:2:3]/' is not a valid url",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE_ADDS))
def test_hostile_input_is_one_line_and_changes_nothing(factbot: Factbot, tmp_path: Path, case: str) -> None:
    make_args, expect = HOSTILE_ADDS[case]
    before = factbot.titles()
    line = one_line_error(factbot(*make_args(tmp_path)))
    assert expect in line.lower(), line
    assert factbot.titles() == before


@pytest.mark.parametrize("value", ["nan", "-5", "1.5", "inf"])
def test_an_answer_threshold_outside_0_to_1_is_refused(factbot: Factbot, value: str) -> None:
    line = one_line_error(factbot("ask", "Who are the members of the CSTO?", FACTBOT_ANSWER_THRESHOLD=value))
    assert "FACTBOT_ANSWER_THRESHOLD" in line


def other_sqlite(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine'); PRAGMA user_version = 4;"
        )
    return path


def sqlite_with(path: Path, script: str) -> Path:
    with sqlite3.connect(path) as conn:
        conn.executescript(script)
    return path


BAD_LIBRARIES = {
    "its folder is a file": (lambda d: (d / "file").write_text("x") and d / "file" / "library.db", "not a folder"),
    "a name too long": (lambda d: d / ("n" * 300 + ".db"), "name too long"),
    "a symlink loop": (lambda d: Path(make_loop(d / "x")), "symbolic link"),
    "a folder": (lambda d: d, "not a file"),
    "a text file": (lambda d: Path(make_file(d / "notes.db", b"not a database\n" * 100)), "not a factbot library"),
    "a damaged file": (
        lambda d: Path(make_file(d / "bad.db", b"SQLite format 3\x00" + bytes(range(256)) * 40)),
        "not a factbot library",
    ),
    "another application's SQLite file": (
        lambda d: other_sqlite(d / "app.db"),
        "not a factbot library",
    ),
    # issue 22: no table, so it was taken for a new file, adopted and seeded.
    "an SQLite file holding only a view": (
        lambda d: sqlite_with(d / "view.db", "CREATE VIEW answer AS SELECT 42 AS x;"),
        "not a factbot library",
    ),
    "an SQLite file of another application's tables and versions": (
        lambda d: sqlite_with(d / "app2.db", "CREATE TABLE sources (url TEXT); PRAGMA user_version = 2;"),
        "not a factbot library",
    ),
}


@pytest.mark.parametrize("case", list(BAD_LIBRARIES))
@pytest.mark.parametrize("command", [("sources", "list"), ("ask", "Who are the members of the CSTO?")])
def test_a_library_path_that_cannot_be_a_library_is_one_line(tmp_path: Path, case: str, command: tuple) -> None:
    make, expect = BAD_LIBRARIES[case]
    target = tmp_path / "env"
    target.mkdir()
    db = make(target)
    snapshot = {p: p.read_bytes() for p in target.rglob("*") if p.is_file() and not p.is_symlink()}
    line = one_line_error(Factbot(db, tmp_path)(*command))
    assert expect in line.lower(), line
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file() and not p.is_symlink()} == snapshot


def test_terminal_escapes_in_metadata_never_reach_the_terminal(factbot: Factbot, tmp_path: Path) -> None:
    article = tmp_path / "quokkas.txt"
    article.write_text("Quokkas live on Rottnest Island.\n\nA quokka weighs \u202e3 kilograms\u202c.\n")
    added = factbot("sources", "add", str(article), "--title", "\x1b]0;owned\x07Quokkas\x1b[2J", "--author", "\u202eX")
    assert added.returncode == 0, added.stderr
    for done in (
        added,
        factbot("sources", "list"),
        factbot("sources", "show", "3", "--text"),
        factbot("ask", "How much does a quokka weigh?"),
    ):
        assert done.returncode == 0, done.stderr
        assert not any(ch in done.stdout for ch in "\x1b\x07\x9b\u202e"), done.stdout
    assert "\\u202e3 kilograms" in factbot("ask", "How much does a quokka weigh?").stdout  # shown, escaped
    assert "Quokkas" in factbot("sources", "list").stdout
    assert json.loads(factbot("sources", "show", "3", "--json").stdout)["title"] == "]0;owned Quokkas [2J"


def test_a_file_name_that_is_not_utf8_is_added(factbot: Factbot, tmp_path: Path) -> None:
    article = tmp_path / os.fsdecode(b"quokka-\xe9t\xe9.txt")
    article.write_text("Quokkas live on Rottnest Island.\n")
    done = factbot("sources", "add", str(article))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert factbot.titles()[-1] == "quokka \ufffdt\ufffd"


def test_a_read_only_library_lists_and_answers_and_refuses_changes(factbot: Factbot, tmp_path: Path) -> None:
    from tests.test_library import can_make_read_only, make_writable

    before = factbot.titles()
    with sqlite3.connect(factbot.db) as db:  # and its vectors another encoder's, which it cannot remake
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('vector_model', 'another-model:1')")
    if not can_make_read_only(factbot.db):
        pytest.skip("cannot make a file read-only here")
    try:
        assert factbot.titles() == before
        asked = factbot("ask", "Who are the members of the CSTO?")
        assert asked.returncode == 0 and "Armenia" in asked.stdout, asked.stderr
        assert "(another-model:1) and this process cannot write the library" in asked.stderr
        assert "read-only" in one_line_error(factbot("sources", "remove", "1"))
        article = tmp_path / "a.txt"
        article.write_text("Zebras run.")
        assert "read-only" in one_line_error(factbot("sources", "add", str(article)))
    finally:
        make_writable(factbot.db)
    assert factbot.titles() == before


def test_a_large_library_of_another_models_vectors_is_left_to_reindex(factbot: Factbot, tmp_path: Path) -> None:
    """A one-off command of another version never throws away the encoding every process of the
    version in use answers from: it answers by words and says how to encode again."""
    items = "\n\n".join(f"Item {n} of the long list is numbered {n}." for n in range(ASK_CATCH_UP + 1))

    async def fill() -> None:
        async with await open_library(factbot.db) as library:
            await library.add_source(items, SourceMeta("A long list"))

    asyncio.run(fill())
    with sqlite3.connect(factbot.db) as db:
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('vector_model', 'a-newer-model:1')")
        db.execute("INSERT INTO sentence_vectors SELECT id, 0, zeroblob(768) FROM sentences")
    asked = factbot("ask", "--json", "Who are the members of the CSTO?")
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["answered"] is True  # by words
    assert "made by another encoder (a-newer-model:1)" in asked.stderr and "library reindex" in asked.stderr
    assert "replaced this version's" not in asked.stderr  # no record says it did
    article = tmp_path / "zebras.txt"
    article.write_text("Zebras run fast across the plain.")
    added = factbot("sources", "add", str(article))
    assert added.returncode == 0 and "another encoder" in added.stderr, added.stderr
    with sqlite3.connect(factbot.db) as db:
        model = db.execute("SELECT value FROM meta WHERE key = 'vector_model'").fetchone()[0]
        kept = db.execute("SELECT count(*) FROM sentence_vectors").fetchone()[0]
        sentences = db.execute("SELECT count(*) FROM sentences").fetchone()[0]
    assert model == "a-newer-model:1" and kept == sentences - 1  # nothing dropped; the zebras wait


def test_an_older_version_answers_by_words_until_the_operator_takes_the_library_back(factbot: Factbot) -> None:
    """A small library, which `ask` would re-encode on the spot, is left alone when its encoder
    replaced this version's (a rollback with the new version still running); `library reindex`
    is the operator's way back."""
    assert factbot("sources", "list").returncode == 0  # the seed library, made
    with sqlite3.connect(factbot.db) as db:
        db.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [("vector_model", "a-newer-model:1"), (REPLACED_VECTOR_MODELS, json.dumps([shipped().identity]))],
        )
        db.execute("DELETE FROM sentence_vectors")
        db.execute("INSERT INTO sentence_vectors SELECT id, 0, zeroblob(768) FROM sentences")
    asked = factbot("ask", "--json", "Who are the members of the CSTO?")
    assert asked.returncode == 0 and json.loads(asked.stdout)["answered"] is True, asked.stderr
    assert "made by another encoder (a-newer-model:1), which replaced this version's" in asked.stderr
    with sqlite3.connect(factbot.db) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'vector_model'").fetchone()[0] == "a-newer-model:1"
        assert db.execute("SELECT count(*) FROM sentence_vectors WHERE vector = zeroblob(768)").fetchone()[0] > 0
    done = factbot("library", "reindex")
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(factbot.db) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'vector_model'").fetchone()[0] == shipped().identity
        assert db.execute("SELECT count(*) FROM sentence_vectors WHERE vector = zeroblob(768)").fetchone()[0] == 0
        assert (
            db.execute("SELECT count(*) FROM sentence_vectors").fetchone()[0]
            == db.execute("SELECT count(*) FROM sentences").fetchone()[0]
        )


def test_ask_after_a_change_of_model_encodes_again_and_never_reads_the_old_vectors(factbot: Factbot) -> None:
    first = factbot("ask", "--json", "Who are the members of the CSTO?")
    assert first.returncode == 0, first.stderr
    # The library as an older release left it: every vector made by another model, and nonsense.
    with sqlite3.connect(factbot.db) as db:
        db.execute("UPDATE meta SET value = 'an-older-model:0' WHERE key = 'vector_model'")
        db.execute("UPDATE sentence_vectors SET vector = zeroblob(length(vector))")
        stale = db.execute("SELECT count(*) FROM sentence_vectors").fetchone()[0]
    again = factbot("ask", "--json", "Who are the members of the CSTO?")
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    with sqlite3.connect(factbot.db) as db:
        model = db.execute("SELECT value FROM meta WHERE key = 'vector_model'").fetchone()[0]
        zeros = db.execute("SELECT count(*) FROM sentence_vectors WHERE vector = zeroblob(length(vector))").fetchone()
        remade = db.execute("SELECT count(*) FROM sentence_vectors").fetchone()[0]
    assert model != "an-older-model:0" and zeros == (0,) and remade == stale
