"""Meaning of whole sentences: a small sentence encoder, run on the engine's best candidates.

The static word vectors (semantic.py) tell which words are related; they cannot read a sentence.
all-MiniLM-L6-v2 can: it maps a question and a sentence that says what it asks ("Which countries
belong to the CSTO?", "Russia, Kazakhstan, ... are members of the CSTO") to nearby vectors although
they share one word. Its cosine is a no-answer feature and a re-ranking signal.

bot/answer/data/encoder.onnx is the model exported to ONNX with its mean pooling and normalisation,
weights quantised to int8 (23 MB), tuned on SQuAD questions and their answer sentences by
tools/tune_encoder.py and exported by tools/build_encoder.py (bot/answer/data/ENCODER.md: origin,
license). It runs on onnxruntime and tokenizers (no torch), milliseconds a sentence on one core (the
README's Performance section has the figure), so only a question's best few candidates are encoded,
and the vectors of sentences already seen are kept (a bot is asked about the same sentences again
and again).

The files are read once, when the engine starts; a missing or unreadable one is one
`EncoderFileError` naming it, never a failure at the first question.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from storage.errors import EncoderFileError

DATA_DIR = Path(__file__).resolve().parent / "data"
MODEL_FILE = DATA_DIR / "encoder.onnx"
TOKENIZER_FILE = DATA_DIR / "encoder-tokenizer.json"
# Word pieces read of a sentence (the model was trained on up to 128; longer sentences are cut).
MAX_TOKENS = 128
DIMENSIONS = 384
# The model's name in a library's record of what made its vectors (with a digest of the files).
MODEL_NAME = "all-MiniLM-L6-v2-int8"
# Sentence vectors kept (float16, 384 dimensions: about 0.8 kB each, 16 MB in all).
CACHED = 20_000


class Encoder:
    """Unit vectors of texts; safe to share between threads."""

    def __init__(self, model: Path = MODEL_FILE, tokenizer: Path = TOKENIZER_FILE) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        if not tokenizer.is_file():
            raise EncoderFileError(tokenizer, "is missing")
        try:
            self._tokenizer = Tokenizer.from_file(str(tokenizer))
        except Exception as err:  # tokenizers raises a bare Exception for a bad file
            raise EncoderFileError(tokenizer, f"cannot be read ({err})") from None
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        options = onnxruntime.SessionOptions()
        # One thread a call: the bot answers several questions at once, each in its own thread.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        if not model.is_file():
            raise EncoderFileError(model, "is missing")
        try:
            self._session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime's errors share no documented base class
            raise EncoderFileError(model, f"cannot be read ({err})") from None
        if {i.name for i in self._session.get_inputs()} != {"input_ids", "attention_mask"}:
            raise EncoderFileError(model, "is not the sentence encoder (its inputs differ)")
        # One text through it now: a model that runs but does not give one unit vector (exported
        # without its pooling, say) fails here, at start, not at the first question.
        try:
            probe = self._run("Is this the sentence encoder?")
        except Exception as err:  # onnxruntime's errors share no documented base class
            raise EncoderFileError(model, f"cannot run ({err})") from None
        if probe.shape != (DIMENSIONS,) or not np.isclose(float(np.linalg.norm(probe)), 1.0, atol=0.01):
            raise EncoderFileError(model, f"does not give one unit vector of {DIMENSIONS} numbers a text")
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        # What a library records as the maker of its vectors: another model's vectors are made again.
        digest = hashlib.sha256(model.read_bytes() + tokenizer.read_bytes()).hexdigest()[:16]
        self.identity = f"{MODEL_NAME}:{digest}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One vector per text, a row each, as the library stores them (float16), bypassing the
        cache: what a library's sentences are encoded with when they are added."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float16)
        return np.stack([self._run(t).astype(np.float16) for t in texts])

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector (float32) per text, a row each."""
        # The lock guards the cache only: onnxruntime runs concurrent calls, each on one thread.
        with self._lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
        made = {t: self._run(t).astype(np.float16) for t in dict.fromkeys(texts) if t not in known}
        rows = [(known[t] if t in known else made[t]).astype(np.float32) for t in texts]
        with self._lock:
            self._cache.update(made)
            for t in known:
                if t in self._cache:
                    self._cache.move_to_end(t)
            while len(self._cache) > CACHED:
                self._cache.popitem(last=False)
        return np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)

    def forget(self) -> None:
        """Empty the cache of sentence vectors: a benchmark comparing two libraries in one process
        starts each question cold, so the second library asked does not reuse the first's work."""
        with self._lock:
            self._cache.clear()

    def _run(self, text: str) -> np.ndarray:
        """One text alone: a batch would pad, and the int8 model's activation scales are measured
        over the whole batch, so a text's vector would depend on its neighbours (and one at a time
        is no slower on one thread)."""
        ids = np.asarray([self._tokenizer.encode(text).ids], dtype=np.int64)
        (result,) = self._session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
        vector: np.ndarray = np.asarray(result, dtype=np.float32).reshape(-1)
        return vector


@cache
def shipped() -> Encoder:
    """The encoder that ships with factbot, loaded on first use."""
    return Encoder()
