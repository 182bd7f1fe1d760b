"""Rendering answers for Discord, without Discord: every page within Discord's limits (checked
by the fake's own rules), and every quoted word there, in order, uncut, whatever the input."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answer.model import Answer, Fact, Quote, Reason, SourceAnswer, Uncovered
from bot.discord.fit import fit, squash
from bot.discord.pages import Page
from bot.discord.plaintext import answer_text_pages
from bot.discord.render import answer_pages, question_line, question_shown
from bot.testing.fakediscord.limits import check_message
from storage.models import SourceInfo

TAIL = re.compile(r"” — ¶ \d+$")


def source(n: int, title: str = "", url: str | None = None) -> SourceInfo:
    return SourceInfo(
        id=n, scope=0, title=title or f"Source {n}", author="An Author", publisher="A Publisher", url=url,
        published="2021-06", origin=None, added_by=None, added_at="2024-01-01T00:00:00+00:00", sha256="0" * 64,
        paragraphs=1, sentences=1, chars=1,
    )  # fmt: skip


def quote(text: str, facts: tuple[Fact, ...] = (), paragraph: int = 1) -> Quote:
    return Quote(text, paragraph, 1, 0, len(text), 1.0, facts)


def payload(page: Page) -> dict[str, Any]:
    return {"content": page.content or "", "embeds": [e.to_dict() for e in page.embeds]}


def unmark(text: str) -> str:
    """Undo escape_markdown and drop bold markers, reading left to right as Discord does."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        elif text.startswith("**", i):
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def quoted_texts(pages: list[Page]) -> dict[int, list[str]]:
    """Each source's quotes as shown, rebuilt from its blocks across embeds and pages."""
    shown: dict[int, list[str]] = {}
    for page in pages:
        for embed in page.embeds:
            number = re.match(r"\[(\d+)\]", embed.title or "")
            assert number is not None, embed.title
            n = int(number.group(1))
            for block in (embed.description or "").split("\n\n"):
                continued = block.startswith("> … ")
                body = block.removeprefix("> “").removeprefix("> … ")
                last = TAIL.search(body) is not None
                body = TAIL.sub("", body) if last else body.removesuffix(" …")
                quotes = shown.setdefault(n, [])
                if continued:
                    quotes[-1] += " " + unmark(body)
                else:
                    quotes.append(unmark(body))
    return shown


words = st.text(alphabet="abcdefgXYZ0123456789*_~|`>#-[]()\\.,", min_size=1, max_size=40)
texts = st.lists(words, min_size=1, max_size=400).map(" ".join)


@st.composite
def quotes(draw: st.DrawFn) -> Quote:
    text = draw(texts)
    spans = [m.span() for m in re.finditer(r"\S+", text)]
    picked = draw(st.lists(st.sampled_from(spans), max_size=5, unique=True)) if spans else []
    kinds = ["quantity", "date", "name"]
    facts = tuple(Fact(kinds[i % 3], a, b, text[a:b]) for i, (a, b) in enumerate(sorted(picked)))
    return quote(text, facts, draw(st.integers(1, 500)))


@st.composite
def answers(draw: st.DrawFn) -> Answer:
    count = draw(st.integers(1, 12))
    parts = tuple(
        SourceAnswer(
            source(n, draw(st.text(min_size=1, max_size=300))),
            tuple(draw(st.lists(quotes(), min_size=1, max_size=3))),
            1.0,
        )
        for n in range(1, count + 1)
    )
    uncovered = tuple(
        Uncovered(100 + i, draw(st.text(min_size=1, max_size=300))) for i in range(draw(st.integers(0, 25)))
    )
    question = draw(st.text(min_size=1, max_size=1000))
    return Answer(question, parts, uncovered, len(uncovered) + draw(st.integers(0, 500)))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(answers())
def test_every_page_is_within_discords_limits_and_no_word_is_lost(answer: Answer) -> None:
    pages = answer_pages(answer)
    for page in pages:
        assert check_message(payload(page)) == []
        assert len(page.embeds) <= 10
    shown = quoted_texts(pages)
    for n, part in enumerate(answer.sources, 1):
        assert [squash(t) for t in shown[n]] == [squash(q.text) for q in part.quotes]


def test_a_huge_quote_is_split_at_word_boundaries_across_embeds_and_pages() -> None:
    text = " ".join(f"word{i} 1,{i:03}" for i in range(2500))  # ~25,000 characters
    facts = tuple(Fact("quantity", m.start(), m.end(), m.group()) for m in re.finditer(r"1,\d{3}", text))
    answer = Answer("How many?", (SourceAnswer(source(1), (quote(text, facts),), 1.0),))
    pages = answer_pages(answer)
    assert len(pages) > 3
    assert all(check_message(payload(p)) == [] for p in pages)
    assert quoted_texts(pages) == {1: [text]}
    assert all(e.description and e.description.count("**") % 2 == 0 for p in pages for e in p.embeds), (
        "a fact is never split"
    )


def test_nothing_answers_is_said_and_long_lists_are_counted_not_cut() -> None:
    uncovered = tuple(Uncovered(i, f"A rather long source title number {i} " + "x" * 200) for i in range(25))
    pages = answer_pages(Answer("Anything?", (), uncovered, 1000, reason=Reason.NOTHING))
    (page,) = pages
    assert page.content is not None and len(page.content) <= 2000
    assert page.content.splitlines()[:2] == ["**Q:** Anything?", "Nothing in the sources answers this."]
    assert re.search(r"and \d+ more\.$", page.content)
    assert page.embeds == []


def test_the_question_and_quotes_are_escaped_and_the_citation_is_complete() -> None:
    text = "The **real** count was 17,000 per _official_ figures."
    facts = (Fact("quantity", text.index("17,000"), text.index("17,000") + 6, "17,000"),)
    part = SourceAnswer(source(7, "Troops & *Things*", url="https://example.org/a"), (quote(text, facts, 4),), 1.0)
    (page,) = answer_pages(Answer("how **many** @everyone?", (part,)))
    assert page.content == r"**Q:** how \*\*many\*\* @everyone?"
    embed = page.embeds[0].to_dict()
    assert embed["title"] == r"[1] Troops & \*Things\*"
    assert embed["url"] == "https://example.org/a"
    assert embed["author"]["name"] == "An Author · A Publisher · June 2021"
    assert embed["description"] == r"> “The \*\*real\*\* count was **17,000** per \_official\_ figures.” — ¶ 4"
    assert embed["footer"]["text"] == "Source 7 · global library"


def test_a_url_discord_would_refuse_is_left_out() -> None:
    part = SourceAnswer(source(1, url="https://exa mple.org/a b"), (quote("Some text."),), 1.0)
    (page,) = answer_pages(Answer("Q?", (part,)))
    assert "url" not in page.embeds[0].to_dict()


def test_fit_cuts_at_a_word_boundary() -> None:
    assert fit("short", 10) == "short"
    assert fit("the quick brown fox", 12) == "the quick…"
    assert fit("a" * 50, 10) == "a" * 9 + "…"


def test_a_comparison_line_only_for_the_kind_of_fact_the_question_asks_for() -> None:
    one, two = (
        "In 2017 Russia and Belarus sent the CSTO 17,000 troops.",
        "In 2018 Russia and Armenia sent the CSTO 3,600.",
    )
    facts = {
        text: tuple(
            Fact(kind, text.index(word), text.index(word) + len(word), word)
            for kind, words in (("date", ("2017", "2018")), ("quantity", ("17,000", "3,600")), ("name", names))
            for word in words
            if word in text
        )
        for text, names in ((one, ("Russia", "Belarus", "CSTO")), (two, ("Russia", "Armenia", "CSTO")))
    }
    parts = tuple(SourceAnswer(source(n), (quote(t, facts[t]),), 1.0) for n, t in enumerate((one, two), 1))
    expected = {
        "date": ["*Dates:* [1] **2017** · [2] **2018**"],
        "quantity": ["*Numbers:* [1] **17,000** · [2] **3,600**"],
        "name": ["*Names:* [1] **Russia**, **Belarus** · [2] **Russia**, **Armenia**"],  # not the CSTO asked about
        "place": ["*Names:* [1] **Russia**, **Belarus** · [2] **Russia**, **Armenia**"],
        "any": [],
    }
    for kind, lines in expected.items():
        (page, *_) = answer_pages(Answer("Which members did the CSTO send?", parts, expects=kind))
        assert page.content is not None
        assert [line for line in page.content.splitlines()[1:] if line.startswith("*") and ":*" in line] == lines, kind


# -- plain text (a channel without Embed Links) ------------------------------------------------------


def quoted_texts_plain(pages: list[Page]) -> dict[int, list[str]]:
    """Each source's quotes as the plain-text pages show them, rebuilt from their lines."""
    shown: dict[int, list[str]] = {}
    n = 0
    for page in pages:
        for line in (page.content or "").split("\n"):
            if heading := re.match(r"\*\*\[(\d+)\] ", line):
                n = int(heading.group(1))
            elif line.startswith(("> “", "> … ")):
                body = line.removeprefix("> “").removeprefix("> … ")
                last = TAIL.search(body) is not None
                body = TAIL.sub("", body) if last else body.removesuffix(" …")
                quotes = shown.setdefault(n, [])
                if line.startswith("> … "):
                    quotes[-1] += " " + unmark(body)
                else:
                    quotes.append(unmark(body))
    return shown


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(answers())
def test_plain_text_pages_fit_one_message_each_and_no_word_is_lost(answer: Answer) -> None:
    pages = answer_text_pages(answer)
    for page in pages:
        assert page.embeds == [] and check_message(payload(page)) == []
    shown = quoted_texts_plain(pages)
    for n, part in enumerate(answer.sources, 1):
        assert [squash(t) for t in shown[n]] == [squash(q.text) for q in part.quotes]


def test_plain_text_cites_like_the_embed_and_escapes_markdown() -> None:
    text = "The **real** count was 17,000 per _official_ figures."
    facts = (Fact("quantity", text.index("17,000"), text.index("17,000") + 6, "17,000"),)
    part = SourceAnswer(source(7, "Troops & *Things*", url="https://example.org/a"), (quote(text, facts, 4),), 1.0)
    (page,) = answer_text_pages(Answer("how **many** @everyone?", (part,)))
    assert page.content is not None
    assert page.content.split("\n") == [
        r"**Q:** how \*\*many\*\* @everyone?",
        "",
        r"**[1] Troops & \*Things\***",
        "An Author · A Publisher · June 2021 · <https://example.org/a> · source 7, global library",
        r"> “The \*\*real\*\* count was **17,000** per \_official\_ figures.” — ¶ 4",
    ]


def test_the_question_a_page_shows_reads_back_exactly_when_it_fits() -> None:
    asked = "Is *this*  [the] `question`\n- with 1. markdown \\ and _more_?"
    assert question_shown(question_line(asked)) == squash(asked)
    assert question_shown(question_line(asked) + "\n*Numbers:* …") == squash(asked)
    assert question_shown("no question here") is None
    long = "why " * 100
    assert question_shown(question_line(long)) != squash(long), "a shortened question is not taken for the whole"


def test_plain_text_worst_case_citation_and_question_still_fit() -> None:
    info = dataclasses.replace(
        source(1, "*" * 300, url="https://example.org/" + "a" * 280), author="_" * 256, publisher="~" * 256
    )
    text = " ".join(["*a_"] * 3000)
    answer = Answer("`" * 1000, (SourceAnswer(info, (quote(text), quote(text)), 1.0),))
    pages = answer_text_pages(answer)
    assert len(pages) > 4 and all(check_message(payload(p)) == [] for p in pages)
    assert quoted_texts_plain(pages) == {1: [text, text]}
