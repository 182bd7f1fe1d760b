"""The no-answer model: two logistic models over named features, read from a data file at start.

The weights live in bot/answer/data/noanswer.json, written by `python -m benchmarks.calibrate
--write` together with where they came from (the date, the code state, the data and the held-out
figures of the fit). Python source never holds fitted numbers. A missing or unreadable file, or
one naming a feature the engine does not compute, is one `ModelFileError` when the engine starts,
naming the file: the engine never runs on half a model.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from storage.errors import ModelFileError

MODEL_FILE = Path(__file__).resolve().parent / "data" / "noanswer.json"
FORMAT = 1
# `z` is clipped before the logistic so extreme feature values never overflow.
Z_CLIP = 30.0


@dataclass(frozen=True, slots=True)
class Logistic:
    """P(yes) = 1 / (1 + exp(-(bias + sum of weight[name] * feature[name]))). A feature the engine
    computes but the model has no weight for counts zero (a new feature, not yet fitted)."""

    bias: float
    weights: Mapping[str, float]

    def probability(self, features: Mapping[str, float]) -> float:
        z = self.bias + sum(w * features[name] for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-Z_CLIP, min(Z_CLIP, z))))

    def to_json(self) -> dict[str, Any]:
        return {"bias": round(self.bias, 6), "weights": {k: round(v, 6) for k, v in self.weights.items()}}


@dataclass(frozen=True, slots=True)
class NoAnswerModel:
    """`question`: the probability that a source is the one that answers, knowing how it compares
    with the others (the `lead` feature). `source`: that a source addresses the question, judged on
    its own (no `lead`; the file gives it no weight for a feature it was fitted without).
    `provenance`: what the file says about the fit (shown, never used)."""

    question: Logistic
    source: Logistic
    provenance: Mapping[str, Any]


def _logistic(path: Path, raw: object, where: str, known: frozenset[str]) -> Logistic:
    if not isinstance(raw, dict) or not isinstance(raw.get("weights"), dict):
        raise ModelFileError(path, f"has no {where} model (a bias and a mapping of feature names to weights)")
    bias, weights = raw.get("bias", math.nan), raw["weights"]  # no bias: not a finite number
    numbers = [bias, *weights.values()]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in numbers):
        raise ModelFileError(path, f"has a {where} weight that is not a finite number")
    unknown = sorted(set(weights) - known)
    if unknown:
        raise ModelFileError(path, f"names features this engine does not compute: {', '.join(unknown)}")
    return Logistic(float(bias), {str(k): float(v) for k, v in weights.items()})


def load_model(path: Path, features: Iterable[str]) -> NoAnswerModel:
    """The model in `path`, checked against the names of the features the engine computes."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(path, "is missing") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ModelFileError(path, f"cannot be read ({err.__class__.__name__})") from None
    except json.JSONDecodeError as err:
        raise ModelFileError(path, f"is not valid JSON (line {err.lineno})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ModelFileError(path, f"is not a format-{FORMAT} no-answer model")
    known = frozenset(features)
    return NoAnswerModel(
        _logistic(path, raw.get("question_model"), "question", known),
        _logistic(path, raw.get("source_model"), "source", known),
        provenance if isinstance(provenance := raw.get("provenance"), dict) else {},
    )


@cache
def shipped_model(features: tuple[str, ...]) -> NoAnswerModel:
    """The model that ships with factbot, read once per process."""
    return load_model(MODEL_FILE, features)
