"""FTS5's ranking, reproduced in Python for a backend without FTS5 (storage.backends.postgres):
its unicode61 tokens, the postings a sentence's index text gives, and bm25's order. Pure: no I/O,
so SQLite's own FTS5 can check it (tests/test_bm25.py).
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Iterable

# FTS5's bm25 constants (fts5_aux.c), reproduced exactly.
BM25_K1 = 1.2
BM25_B = 0.75


def bm25_order(
    rows: Iterable[tuple[int, str, int, int]], terms: list[str], docs: dict[str, int], total: int, tokens: int
) -> list[int]:
    """Sentence ids best first, as FTS5 ranks `"t1" OR "t2" ...`: `rows` are (sentence id, term,
    tf, sentence length), `docs` the library-wide sentences per term, `total` and `tokens` the
    library's sentences and terms. Same operations in the same order as fts5Bm25Function."""
    avgdl = float(tokens) / float(total)
    idf = []
    for term in terms:
        hits = docs.get(term, 0)
        value = math.log((total - hits + 0.5) / (hits + 0.5))
        idf.append(value if value > 0.0 else 1e-6)
    position = {t: i for i, t in enumerate(terms)}
    freqs: dict[int, list[float]] = {}
    lengths: dict[int, int] = {}
    for sid, term, tf, dl in rows:
        freqs.setdefault(sid, [0.0] * len(terms))[position[term]] = float(tf)
        lengths[sid] = dl
    ranks = []
    for sid, freq in freqs.items():
        d = float(lengths[sid])
        score = 0.0
        for i, f in enumerate(freq):
            score += idf[i] * ((f * (BM25_K1 + 1.0)) / (f + BM25_K1 * (1 - BM25_B + BM25_B * d / avgdl)))
        ranks.append((-1.0 * score, sid))
    ranks.sort()
    return [sid for _, sid in ranks]


def fts_tokens(text: str) -> list[str]:
    """The tokens FTS5's unicode61 tokenizer (tokenchars '.') makes of a sentence's index text:
    runs of letters, numbers, private-use characters and '.'. Almost always the terms themselves,
    but a term may hold a separator: "½" folds to "1⁄2" (a fraction slash), which FTS5 indexes as
    "1" and "2"; the postings must hold what FTS5 holds, for the same counts and candidates."""
    if text.isascii():
        return text.split()
    tokens: list[str] = []
    current: list[str] = []
    for ch in text:
        if ch == "." or unicodedata.category(ch)[0] in "LN" or unicodedata.category(ch) == "Co":
            current.append(ch)
        elif current:
            tokens.append("".join(current))
            current = []
    if current:
        tokens.append("".join(current))
    return tokens


def postings(first_id: int, terms: list[str]) -> tuple[list[tuple[str, int, int, int]], Counter[str], int]:
    """(term, sentence id, tf, dl) for each sentence's tokens, the sentences per term, all tokens."""
    rows: list[tuple[str, int, int, int]] = []
    docs: Counter[str] = Counter()
    tokens = 0
    for i, line in enumerate(terms):
        words = fts_tokens(line)
        tokens += len(words)
        for term, tf in Counter(words).items():
            rows.append((term, first_id + i, tf, len(words)))
            docs[term] += 1
    return rows, docs, tokens
