"""The chat normaliser: what people type around a question is not part of it; the question
itself, accents and case included, is kept as typed. Then the engine: a chatty, lower-case or
greeting-only message is answered as the plain question would be (on a real library file)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st

from bot.answer.chat import clean
from bot.answer.engine import Engine, Understanding
from bot.answer.model import Answer, Reason
from bot.answer.question import parse_question
from storage.backends import open_library

MEMBERS = "Who are the members of the CSTO?"

CASES = [
    # mentions: user, nickname, role, channel, slash command, @everyone, "@name" in front
    ("<@123456789012345678> Who are the members of the CSTO?", MEMBERS),
    ("<@!123456789012345678> Who are the members of the CSTO?", MEMBERS),
    ("Who are the <@&42> members of the CSTO?", MEMBERS),
    ("<#987> Who are the members of the CSTO?", MEMBERS),
    ("</ask:123> Who are the members of the CSTO?", MEMBERS),
    ("@everyone Who are the members of the CSTO?", MEMBERS),
    ("@factbot Who are the members of the CSTO?", MEMBERS),
    ("hey @factbot, Who are the members of the CSTO?", MEMBERS),
    # emoji: custom, animated, Unicode (with skin tone and joiners), shortcodes, emoticons
    ("Who are the members of the CSTO? <:thinking:1234>", MEMBERS),
    ("<a:party:99> Who are the members of the CSTO?", MEMBERS),
    ("🤔 Who are the members of the CSTO? 👍🏽👨‍👩‍👧", MEMBERS),
    ("Who are the members of the CSTO? :pray:", MEMBERS),
    ("Who are the members of the CSTO? :)", MEMBERS),
    # URLs and masked links
    ("Who are the members of the CSTO? https://example.org/a_b?c=d", MEMBERS),
    ("Who are the members of the CSTO? <https://example.org/x>", MEMBERS),
    ("Who are the members of the [CSTO](https://odkb-csto.org)?", MEMBERS),
    # markdown: bold, italics, underline, strike, code, spoilers, quotes, headings, lists, escapes
    ("**Who** are the *members* of the __CSTO__?", MEMBERS),
    ("Who are the _members_ of the ~~CSTO~~?", MEMBERS),
    ("Who are the `members` of the ||CSTO||?", MEMBERS),
    ("```\nWho are the members of the CSTO?\n```", MEMBERS),
    ("> Who are the members of the CSTO?", MEMBERS),
    (">>> ## Who are the members of the CSTO?", MEMBERS),
    ("-# Who are the members of the CSTO?", MEMBERS),
    ("- Who are the members of the CSTO?", MEMBERS),
    (r"Who are the \*members\* of the CSTO?", "Who are the *members* of the CSTO?"),  # escaped: as shown
    ("What does snake_case mean?", "What does snake_case mean?"),
    # greetings and politeness, at the start or the end, stacked
    ("hey, Who are the members of the CSTO?", MEMBERS),
    ("Hi all! Who are the members of the CSTO?", MEMBERS),
    ("hello there, Who are the members of the CSTO?", MEMBERS),
    ("Good morning everyone. Who are the members of the CSTO?", MEMBERS),
    ("Who are the members of the CSTO? thanks!", MEMBERS),
    ("Who are the members of the CSTO? Thank you so much!!", MEMBERS),
    ("Who are the members of the CSTO, thanks in advance", "Who are the members of the CSTO"),
    ("Who are the members of the CSTO pls?", MEMBERS),
    ("please Who are the members of the CSTO?", MEMBERS),
    ("quick question: Who are the members of the CSTO?", MEMBERS),
    ("Question - Who are the members of the CSTO?", MEMBERS),
    ("can you tell me who are the members of the CSTO?", "who are the members of the CSTO?"),
    ("Do you know who are the members of the CSTO?", "who are the members of the CSTO?"),
    ("hi! quick question, do you know who are the members of the CSTO? ty :)", "who are the members of the CSTO?"),
    # invisible and combining clutter; accents on real letters survive (decomposed input too)
    ("Who\u200b are the mem\u00adbers of the\u200d CSTO?\ufeff", MEMBERS),
    ("W̷̢̛h̴o̸͎ are the m̶̡e̵m̷b̸e̸r̸s of the C̷S̸T̸O̴?", MEMBERS),
    ("Who is Jos\u0065\u0301 Martí?", "Who is José Martí?"),
    ("Где штаб-квартира ОДКБ?", "Где штаб-квартира ОДКБ?"),
    ("क्या है?", "क्या है?"),  # Devanagari keeps its vowel signs and virama
    # case is kept as typed (the engine decides what it means); words that only look like chat stay
    ("who are the members of the csto", "who are the members of the csto"),
    ("Could CSTO forces be used in Ukraine?", "Could CSTO forces be used in Ukraine?"),
    ("Hi-Tech exports of Belarus?", "Hi-Tech exports of Belarus?"),
    ("Question Time guests in 2021?", "Question Time guests in 2021?"),
    ("What did Thanksgiving mean for trade?", "What did Thanksgiving mean for trade?"),
    ("How much is 5 * 3?", "How much is 5 * 3?"),  # a lone mark is no markdown
    ("NEAR(*", "NEAR(*"),
    ("***Who*** are the **_members_** of the CSTO?", MEMBERS),
]


@pytest.mark.parametrize(("typed", "question"), CASES)
def test_the_chat_around_a_question_goes_and_the_question_stays(typed: str, question: str) -> None:
    assert clean(typed).text == question


@pytest.mark.parametrize(
    ("typed", "greeting_only"),
    [
        ("hi!", True),
        ("Hello there :)", True),
        ("thanks!", True),
        ("Thank you so much 🙏", True),
        ("hey <@123>", True),
        ("<@123> 🎉", False),  # nothing left, but nothing said either: no words to look for
        ("", False),
        ("hi, who are you?", False),
    ],
)
def test_a_message_that_only_greets_is_told_apart(typed: str, greeting_only: bool) -> None:
    assert clean(typed).greeting_only is greeting_only


@given(st.text(max_size=300), st.sampled_from(["<@123>", "<:e:9>", "\u200b", "https://x.org/a", "🎉", " "]))
def test_any_text_is_cleaned_without_error(typed: str, clutter: str) -> None:
    cleaned = clean(clutter.join(typed.split(" "))).text
    assert cleaned == cleaned.strip()
    for gone in ("\u200b", "<@123>", "<:e:9>", "https://x.org/a", "🎉"):
        assert gone not in cleaned or gone in typed


# -- through the engine, on a real library file ------------------------------------------------------


@pytest_asyncio.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Engine]:
    library = await open_library(tmp_path / "library.db")
    yield Engine(library)
    await library.close()


def quoted(answer: Answer) -> list[tuple[int, tuple[str, ...]]]:
    return [(s.source.id, tuple(q.text for q in s.quotes)) for s in answer.sources]


@pytest.mark.parametrize(
    "typed",
    [
        "Hey, who are the members of the CSTO?",
        "who are the members of the CSTO? thanks!",
        "hey <@123456789012345678>, who are the members of the CSTO? 🙏",
        "who are the members of the csto",
        "WHO ARE THE MEMBERS OF THE CSTO?",
        "**Who are the members of the CSTO?** https://example.org",
    ],
)
async def test_a_chatty_or_lower_case_question_gets_the_plain_answer(engine: Engine, typed: str) -> None:
    plain = await engine.ask(MEMBERS)
    assert plain.answered
    answer = await engine.ask(typed)
    assert quoted(answer) == quoted(plain)
    assert "<@" not in answer.question and "hey" not in answer.question.lower()


async def test_a_question_naming_what_no_source_mentions_is_refused_in_any_case(engine: Engine) -> None:
    for typed in ("Who won the football World Cup in 2018?", "who won the football world cup in 2018?"):
        assert not (await engine.ask(typed)).answered, typed


async def test_a_greeting_gets_a_hello_not_a_search(engine: Engine) -> None:
    answer = await engine.ask("hi!")
    assert (answer.answered, answer.reason, answer.uncovered_count) == (False, Reason.GREETING, 0)
    nothing = await engine.ask("<@123> 🎉")
    assert (nothing.reason, nothing.question) == (Reason.NO_WORDS, "<@123> 🎉"), "what was sent is echoed, not a blank"


async def test_with_the_normaliser_off_the_question_is_read_as_typed(engine: Engine) -> None:
    raw = Engine(engine.library, understanding=Understanding(chat=False))
    assert (await raw.ask("hi!")).reason is not Reason.GREETING
    typed = "hey <@123456789012345678>, who are the members of the CSTO?"
    assert (await raw.ask(typed)).question == typed


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("Who are the members of the CSTO?", ("csto",)),
        ("CSTO members?", ("csto",)),  # an acronym names something even as the first word
        ("Who are the members?", ()),
        ("who are the members of the csto", ()),  # lower case names nothing; the words still count
        ("WHO ARE THE MEMBERS OF THE CSTO?", ()),  # shouted: capitals say nothing
    ],
)
def test_what_a_question_names_is_read_from_its_capitals(question: str, names: tuple[str, ...]) -> None:
    parsed = parse_question(question)
    assert parsed.names == names
    assert parsed.terms == parse_question(question.lower()).terms, "case never changes the words looked up"
