"""storage.backends.bm25: FTS5's tokens and bm25 order reproduced in Python, checked against SQLite's own FTS5."""

from __future__ import annotations

import random
import sqlite3

import pytest

from storage.backends.bm25 import bm25_order, fts_tokens, postings

# The sentence index's tokenizer (storage/schema.py), so FTS5 here ranks as a library's index does.
FTS5_TABLE = """CREATE VIRTUAL TABLE idx USING fts5(
    terms, content='', tokenize="unicode61 remove_diacritics 0 tokenchars '.'"
)"""
WORDS = ["beaver", "dam", "river", "lodg", "wood", "tree", "3.5", "water", "build", "night"]


def fts5_order(lines: list[str], terms: list[str]) -> list[int]:
    """Row ids (1, 2, ...) best first, as SQLite's FTS5 ranks `"t1" OR "t2" ...`, ties by id."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(FTS5_TABLE)
        conn.executemany("INSERT INTO idx (rowid, terms) VALUES (?, ?)", enumerate(lines, 1))
        query = " OR ".join(f'"{t}"' for t in terms)
        return [r[0] for r in conn.execute("SELECT rowid FROM idx WHERE idx MATCH ? ORDER BY rank, rowid", (query,))]
    finally:
        conn.close()


def python_order(lines: list[str], terms: list[str]) -> list[int]:
    rows, docs, tokens = postings(1, lines)
    wanted = [(sid, term, tf, dl) for term, sid, tf, dl in rows if term in terms]
    return bm25_order(wanted, terms, dict(docs), len(lines), tokens)


def test_tokens_are_fts5s_unicode61_with_dots_kept() -> None:
    assert fts_tokens("beaver dam 3.5") == ["beaver", "dam", "3.5"]
    assert fts_tokens("1⁄2 caf\u00e9") == ["1", "2", "café"]  # the fraction slash separates, as in FTS5
    assert fts_tokens("a\ue000b") == ["a\ue000b"]  # private-use characters are token characters


def test_postings_count_each_sentences_terms_once_with_their_frequency() -> None:
    rows, docs, tokens = postings(10, ["dam dam river", "river"])
    assert sorted(rows) == [("dam", 10, 2, 3), ("river", 10, 1, 3), ("river", 11, 1, 1)]
    assert docs == {"dam": 1, "river": 2} and tokens == 4


def test_a_rarer_term_and_a_shorter_sentence_rank_first_and_ties_go_by_id() -> None:
    lines = ["beaver dam", "dam river wood tree", "dam river", "dam river", "beaver dam"]
    assert python_order(lines, ["beaver", "river"]) == fts5_order(lines, ["beaver", "river"])
    assert python_order(lines, ["river"]) == [3, 4, 2]


@pytest.mark.parametrize("seed", range(20))
def test_the_order_is_fts5s_own(seed: int) -> None:
    rng = random.Random(seed)
    lines = [" ".join(rng.choices(WORDS, k=rng.randint(1, 12))) for _ in range(rng.randint(5, 60))]
    terms = rng.sample(WORDS, rng.randint(1, 4))
    assert python_order(lines, terms) == fts5_order(lines, terms)
