"""Follow-up questions read with the previous question as context (bot/answer/followup.py): one
lacking a subject borrows it, one naming its own does not; the context expires; `factbot chat`
reads each line after the one before; the follow-up pairs' gold phrases are in their seeds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import datasets
from benchmarks.seed_score import norm
from bot.answer.followup import Context, read, subject_of
from bot.settings import Settings
from storage.errors import SettingsError

ROOT = Path(__file__).resolve().parents[1]
FORCE = "How large is the CSTO rapid reaction force?"


@pytest.mark.parametrize(
    ("followup", "previous", "expected"),
    [
        # a pronoun stands for the previous subject
        ("when was it set up?", FORCE, "When was the CSTO rapid reaction force set up?"),
        ("and who asked for it?", FORCE, "Who asked for the CSTO rapid reaction force?"),
        ("where is that force based?", FORCE, "Where is the CSTO rapid reaction force based?"),
        ("what did his staff draft?", "Who is Valery Gerasimov?", "What did Valery Gerasimov’s staff draft?"),
        # a fragment swaps the subject, keeping its names when the head word is shared
        ("and the peacekeeping force?", FORCE, "How large is the CSTO peacekeeping force?"),
        (
            "what about Russia?",
            "Who asked the CSTO to create a peacekeeping force?",
            "Who asked Russia to create a peacekeeping force?",
        ),
        ("and how many troops?", FORCE, "How many troops of the CSTO rapid reaction force?"),
        # a question naming its own subject, a phrase with its own name: read as typed
        ("Who are the members of the CSTO?", FORCE, "Who are the members of the CSTO?"),
        ("How many CSTO members?", FORCE, "How many CSTO members?"),
        ("CSTO members?", FORCE, "CSTO members?"),
        # no previous question, or one without a subject
        ("when was it set up?", None, "when was it set up?"),
        ("when was it set up?", "why?", "when was it set up?"),
    ],
)
def test_a_follow_up_borrows_the_subject_only_when_it_lacks_one(
    followup: str, previous: str | None, expected: str
) -> None:
    reading = read(followup, previous)
    assert reading.read == expected
    assert reading.followed == (expected != followup)


def test_the_subject_leaves_out_the_verb_after_an_auxiliary() -> None:
    assert subject_of("When was the CSTO peacekeeping force set up?") == "the CSTO peacekeeping force"
    assert subject_of("How many troops does the CSTO peacekeeping force have?") == "the CSTO peacekeeping force"
    assert subject_of("When was the force created?") == "the force"
    assert subject_of("Who asked the CSTO to create a peacekeeping force?") == "the peacekeeping force"


def test_context_is_per_key_and_expires() -> None:
    now = [0.0]
    context = Context(10, clock=lambda: now[0])
    assert context.read(("guild", "channel", "me"), FORCE).read == FORCE
    assert context.read(("guild", "channel", "other"), "when was it set up?").read == "when was it set up?"
    now[0] = 9 * 60
    assert context.read(("guild", "channel", "me"), "when was it set up?").followed
    now[0] = 9 * 60 + 10 * 60 + 1
    assert not context.read(("guild", "channel", "me"), "and the peacekeeping force?").followed
    assert not Context(0, clock=lambda: now[0]).read("k", "when was it set up?").followed


def test_the_setting_is_validated() -> None:
    assert Settings.load({}, dotenv_path=None).followup_minutes == 10
    assert Settings.load({"FACTBOT_FOLLOWUP_MINUTES": "2.5"}, dotenv_path=None).followup_minutes == 2.5
    with pytest.raises(SettingsError) as caught:
        Settings.load({"FACTBOT_FOLLOWUP_MINUTES": "soon"}, dotenv_path=None)
    assert caught.value.message.startswith("FACTBOT_FOLLOWUP_MINUTES must be a number of minutes")


def _chat(tmp_path: Path, lines: str, **settings: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTBOT_", "DISCORD_"))}
    env.update(FACTBOT_DB=str(tmp_path / "library.db"), PYTHONPATH=str(ROOT), **settings)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat"], input=lines, capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_chat_reads_the_next_line_as_a_follow_up(tmp_path: Path) -> None:
    out = _chat(tmp_path, "Who is the CSTO press secretary?\nwhat did he say in December 2021?\n")
    assert "Read as: What did the CSTO press secretary say in December 2021?" in out
    assert out.count("Vladimir Zainetdinov") >= 2, "the follow-up quotes him too"
    off = _chat(
        tmp_path, "Who is the CSTO press secretary?\nwhat did he say in December 2021?\n", FACTBOT_FOLLOWUP_MINUTES="0"
    )
    assert "Read as:" not in off


def test_every_follow_up_gold_phrase_is_in_the_seed_it_names() -> None:
    bodies = {key: norm(body) for key, body in datasets.seed_bodies().items()}
    rows = [json.loads(line) for line in datasets.followups().read_text().splitlines() if line.strip()]
    assert len(rows) >= 12
    for row in rows:
        assert {"previous", "question", "full", "gold"} <= set(row)
        for key, phrases in row["gold"].items():
            missing = [p for p in phrases if norm(p) not in bodies[key.rstrip("?")]]
            assert not missing, f"{row['id']}: {missing} not in {key}"


def test_a_read_as_page_still_names_its_question_for_page_buttons() -> None:
    from bot.discord.followups import read_as_pages
    from bot.discord.pages import Page
    from bot.discord.render import question_line, question_shown

    page = read_as_pages([Page(content=question_line("When was the force set up?") + "\nsummary")])[0]
    assert page.content is not None and page.content.startswith("**Read as:** When was the force set up?")
    assert question_shown(page.content) == "When was the force set up?"
