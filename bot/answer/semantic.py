"""Meaning, not only words: static word vectors distilled from a sentence transformer.

bot/answer/data/embeddings.npz holds one unit vector and one weight per index term (the terms of
storage.text: folded and stemmed), distilled from all-MiniLM-L6-v2 the model2vec way by
tools/build_embeddings.py (see bot/answer/data/EMBEDDINGS.md for origin and license). At run
time this is numpy only: a term's vector, a text's vector (the weighted mean of its terms'
vectors; common words weigh little), cosine similarity, and a term's nearest neighbours.

The file is read once, on first use (about 20 ms). A missing or unreadable file is one
`EmbeddingsFileError` naming it: the engine never runs on half the weights.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import numpy as np

from storage.errors import EmbeddingsFileError

DATA_FILE = Path(__file__).resolve().parent / "data" / "embeddings.npz"
FORMAT_VERSION = 1


class Embeddings:
    """Unit vectors and weights for index terms; read-only and safe to share between threads."""

    def __init__(self, terms: list[str], vectors: np.ndarray, weights: np.ndarray) -> None:
        self.terms = terms
        self.index = {t: i for i, t in enumerate(terms)}
        self.vectors = vectors  # float32, one unit row per term
        self.weights = weights  # float32, the SIF weight of each term

    def __contains__(self, term: str) -> bool:
        return term in self.index

    def __len__(self) -> int:
        return len(self.terms)

    def vector(self, term: str) -> np.ndarray | None:
        """The unit vector of an index term, or None for a term it does not know."""
        i = self.index.get(term)
        return None if i is None else self.vectors[i]

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two index terms; 0 when either is unknown."""
        i, j = self.index.get(a), self.index.get(b)
        if i is None or j is None:
            return 0.0
        return float(self.vectors[i] @ self.vectors[j])

    def text_vector(self, terms: Iterable[str], weights: dict[str, float] | None = None) -> np.ndarray | None:
        """The unit-length weighted mean of the vectors of `terms` (each counted once); a term's
        weight is `weights[term]` when given, else its own SIF weight. None when no term is known."""
        rows, w = [], []
        for t in dict.fromkeys(terms):
            i = self.index.get(t)
            if i is None:
                continue
            rows.append(i)
            w.append(weights[t] if weights is not None and t in weights else self.weights[i])
        if not rows:
            return None
        v = np.asarray(w, dtype=np.float32) @ self.vectors[rows]
        norm = float(np.linalg.norm(v))
        return v / norm if norm > 0 else None

    def neighbours(self, term: str, count: int, *, minimum: float) -> list[tuple[str, float]]:
        """The `count` terms most similar to `term` (itself excluded) with similarity at least
        `minimum`, most similar first; [] for a term it does not know."""
        v = self.vector(term)
        if v is None:
            return []
        sims = self.vectors @ v
        top = np.argpartition(-sims, min(count + 1, len(sims) - 1))[: count + 1]
        found = sorted(((float(sims[i]), self.terms[i]) for i in top if self.terms[i] != term), reverse=True)
        return [(t, s) for s, t in found[:count] if s >= minimum]


def cosine(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Cosine similarity of two unit vectors; 0 when either is missing."""
    if a is None or b is None:
        return 0.0
    return float(a @ b)


def load_embeddings(path: Path) -> Embeddings:
    """The word vectors in `path`, checked; one EmbeddingsFileError for anything wrong with it."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in ("format", "terms", "vectors", "weights")}
    except FileNotFoundError:
        raise EmbeddingsFileError(path, "is missing") from None
    except KeyError as err:
        raise EmbeddingsFileError(path, f"lacks the array {err}") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise EmbeddingsFileError(path, f"cannot be read ({err})") from None
    if arrays["format"].shape != (1,) or int(arrays["format"][0]) != FORMAT_VERSION:
        raise EmbeddingsFileError(path, f"is not in format {FORMAT_VERSION}")
    try:
        terms = arrays["terms"].tobytes().decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise EmbeddingsFileError(path, "has terms that are not ASCII") from None
    vectors, weights = arrays["vectors"], arrays["weights"]
    if vectors.ndim != 2 or vectors.shape[0] != len(terms) or weights.shape != (len(terms),):
        raise EmbeddingsFileError(path, "has vectors and terms of different counts")
    vectors = vectors.astype(np.float32)
    weights = weights.astype(np.float32)
    if not (np.isfinite(vectors).all() and np.isfinite(weights).all()):
        raise EmbeddingsFileError(path, "holds numbers that are not finite")
    return Embeddings(terms, vectors, weights)


@cache
def shipped() -> Embeddings:
    """The word vectors that ship with factbot, read on first use."""
    return load_embeddings(DATA_FILE)
