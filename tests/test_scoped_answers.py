"""A server's answers depend only on what it can quote: its own sources and the global ones.
Term statistics (how common a word is, how many sentences there are, how long they run) and the
spelling vocabulary are counted over those sources, so another server adding sources changes
nothing here."""

from __future__ import annotations

from pathlib import Path

from bot.answer import Engine
from storage.backends import open_library
from storage.models import SourceMeta

HERE = 7  # a server with a source of its own
BARE = 9  # a server with none (sees the global library only)
OTHER = 8  # the server that adds unrelated sources
QUESTIONS = (
    "who are teh members of the CSTO",
    "who are the members of the CSTO",
    "How many troops does the CSTO peacekeeping force have?",
    "Where did the CSTO members meet?",
)
TOPICS = ["river", "mountain", "economy", "music", "football", "harvest", "painting", "software", "bridge", "ocean"]


def unrelated(i: int) -> str:
    """An article of another server: plain words, a few the questions use (members, teh), none of
    them about the CSTO."""
    words = [TOPICS[(i * 7 + k) % len(TOPICS)] for k in range(60)]
    sentences = [f"The {a} of the {b} is {c}." for a, b, c in zip(words, words[1:], words[2:], strict=False)]
    return " ".join(sentences) + f" Teh club members met again in year {1900 + i}."


async def answers(engine: Engine, scope: int) -> list[dict[str, object]]:
    return [(await engine.ask(q, scope=scope)).to_json() for q in QUESTIONS]


async def test_another_servers_sources_change_nothing_here(library_target: Path | str) -> None:
    async with await open_library(library_target) as library:
        engine = Engine(library)
        await library.add_source(
            "The CSTO members met in Yerevan in November and agreed on joint exercises.",
            SourceMeta("CSTO summit"),
            scope=HERE,
        )
        before = {scope: await answers(engine, scope) for scope in (HERE, BARE)}
        for i in range(40):
            await library.add_source(unrelated(i), SourceMeta(f"Unrelated {i}"), scope=OTHER)
        after = {scope: await answers(engine, scope) for scope in (HERE, BARE)}
        assert after == before
        assert before[HERE][0]["answered"] and before[HERE][3]["answered"]
        # The other server's sources do count in its own answers.
        assert await library.sentence_stats(scope=OTHER) != await library.sentence_stats(scope=HERE)
