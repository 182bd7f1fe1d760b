"""The same library and question give byte-identical `ask --json` in any process: every tie is
broken by a stable key, never by the order Python's string hashing iterates a set."""

from __future__ import annotations

import asyncio
from pathlib import Path

from benchmarks import determinism

# Questions whose sources tie (the synthetic articles repeat sentences): on the old code their
# order followed float sums taken over sets of strings, so PYTHONHASHSEED changed the answer. The
# library: the articles of a 2,000-article one that hold their answers' words.
PHRASES = ("same-sex", "bubonic", "recording division", "Edinburgh", "square miles")
TIED = (
    "How many same-sex married couples or partnerships were there?",
    "Was the bubonic plague spread faster or slower than modern bubonic plague?",
    "Who did ABC sell it's recording division to in 1979?",
    "What major Newcastle road stretches from Edinburgh to London?",
    "The rate of clearing of forest from 2000 to 2005 was how many square miles per year?",
)


def test_two_processes_with_different_hash_seeds_answer_byte_for_byte_alike(tmp_path: Path) -> None:
    library = tmp_path / "library.db"
    asyncio.run(determinism.build(library, 2000, containing=PHRASES))
    asked = [*TIED, *determinism.questions_for(40)]
    assert determinism.differing(str(library), asked) == []
