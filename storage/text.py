"""Words as the index and the ranker see them: one tokenizer and stemmer for both.

The FTS5 index stores these normalised terms rather than the raw sentence, so the terms the
ranker looks up (document frequencies in fts5vocab, phrase matches) are exactly the indexed ones.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import snowballstemmer

# Bump when tokenisation or stemming changes: the store rebuilds its index on open.
TERMS_VERSION = 1
# Words whose index term is kept (a library's vocabulary, many times over).
TERM_CACHE = 200_000

# A word: a number with its separators ("17,000", "3.5") or letters with inner apostrophes
# ("don't"). Hyphens and full stops split words: "Brotherhood-2017" and "Feb.8" are two each.
_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)*")
_POSSESSIVE = re.compile(r"['’]s$")

_stemmer = snowballstemmer.stemmer("english")
# The stemmer keeps its state in the object: two threads stemming at once (sources prepared off the
# event loop while another source or a question is) corrupt each other's words, or raise IndexError.
_stemmer_lock = threading.Lock()

# Generic English function words: frequent everywhere, they carry no evidence of relevance.
STOPWORDS = frozenset(
    (
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "also",
        "may",
        "might",
        "must",
        "shall",
        "s",
        "t",
        "d",
        "ll",
        "re",
        "ve",
        "m",
        "o",
        "y",
        "many",
        "much",
    )
)


def fold(word: str) -> str:
    """Lower-case and strip accents, so 'Café' and 'cafe' are one term."""
    word = word.casefold()
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=TERM_CACHE)
def term(word: str) -> str:
    """The index term for one word as written: folded, digit groups joined, stemmed."""
    folded = fold(word)
    if folded[0].isdigit():
        return folded.replace(",", "")
    word = _POSSESSIVE.sub("", folded).replace("’", "").replace("'", "")
    with _stemmer_lock:
        return str(_stemmer.stemWord(word))


def words(text: str) -> list[re.Match[str]]:
    """The words of a text with their positions (for marking and spans)."""
    return list(_WORD.finditer(text))


def terms(text: str) -> list[str]:
    """Index terms of a text in order, stopwords included (phrases need positions)."""
    out = []
    for match in _WORD.finditer(text):
        t = term(match.group())
        if t:
            out.append(t)
    return out


def index_text(text: str) -> str:
    """What FTS5 stores for a sentence: its terms separated by spaces."""
    return " ".join(terms(text))


def is_stopword(t: str) -> bool:
    """True for a term (as `term` makes it) of a stopword: stems count too ("does" -> "doe")."""
    return t in _STOP_TERMS or (len(t) < 2 and not t.isdigit())


_STOP_TERMS = STOPWORDS | {term(w) for w in STOPWORDS}
