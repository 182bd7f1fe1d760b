"""Fit the engine's no-answer model (bot/answer/engine.py MODEL_BIAS / MODEL_WEIGHTS) on SQuAD.

    python benchmarks/calibrate.py            # held-out figures, the trade-off curve, the constants

Builds the SQuAD library of benchmarks/data/squad (the 16 'library' articles), asks every question
of the set (library and outside articles) and records, for every source with a candidate, the
engine's features (`Engine.assess`) and whether it is the article the question was written on.
A logistic model (L2-regularised, Newton's method, numpy) is fitted twice on an article-level
two-fold split -- the questions of half the articles (library and outside alike) train, the other
half's questions test -- so no article's questions ever score the weights they helped fit. The
held-out figures of both folds and the probability threshold's trade-off curve are printed; the
constants to paste into the engine are fitted on all questions.

Held-out figures per threshold, over the test fold's questions:
  source@1  the most probable quoted source is the question's article
  quote@1   ... and its best sentence (with its lead) holds a gold answer (approximates squad_score)
  extra     other sources quoted per in-library question
  refused   outside questions with no source at or above the threshold
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import datasets  # noqa: E402
from benchmarks.quality import build_squad_library, norm  # noqa: E402

L2 = 1.0
LEAD = 4  # index of the `lead` feature (engine.FEATURES)
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


async def collect(squad: Path) -> list[dict]:
    """One row per (question, source with a candidate): features, label, and whether the source's
    best sentence holds a gold answer; plus a row with no sources for questions with no candidate."""
    from bot.answer import Engine

    manifest = [json.loads(line) for line in (squad / "articles.jsonl").read_text().splitlines()]
    questions = [json.loads(line) for line in (squad / "questions.jsonl").read_text().splitlines()]
    tmp = Path(tempfile.mkdtemp(prefix="factbot-calibrate-"))
    try:
        library = await build_squad_library(tmp / "squad.db", manifest, squad)
        try:
            titles = {s.id: s.title for s in await library.list_sources(scope=None)}
            engine = Engine(library, threshold=2.0)  # refuse everything: only the assessments are wanted
            rows = []
            for q in questions:
                trace: list = []
                await engine.ask(" ".join(q["question"].split()), trace=trace)
                gold = [norm(a) for a in q["answers"]]
                sources = []
                for a in trace:
                    best = a.items[0]
                    text = ((best.lead.text + " ") if best.lead else "") + best.sentence.text
                    sources.append(
                        {
                            "title": titles[a.source_id],
                            "features": list(a.features),
                            "label": int(q["role"] == "library" and titles[a.source_id] == q["title"]),
                            "hit": any(g in norm(text) for g in gold),
                        }
                    )
                rows.append({"id": q["id"], "title": q["title"], "role": q["role"], "sources": sources})
            return rows
        finally:
            await library.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def folds(rows: list[dict]) -> dict[str, int]:
    """Article -> fold (0/1): each role's articles ordered by a hash of their title, alternated."""
    out = {}
    for role in ("library", "outside"):
        titles = sorted(
            {r["title"] for r in rows if r["role"] == role}, key=lambda t: hashlib.sha1(t.encode()).hexdigest()
        )
        out.update({t: i % 2 for i, t in enumerate(titles)})
    return out


def fit(rows: list[dict], l2: float = L2) -> np.ndarray:
    """Logistic regression by Newton's method; returns [bias, weights...]."""
    x = np.array([[1.0] + s["features"] for r in rows for s in r["sources"]])
    y = np.array([s["label"] for r in rows for s in r["sources"]], dtype=float)
    w = np.zeros(x.shape[1])
    reg = l2 * np.eye(x.shape[1])
    reg[0, 0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        grad = x.T @ (p - y) + reg @ w
        hess = (x * (p * (1 - p))[:, None]).T @ x + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def without_lead(rows: list[dict]) -> list[dict]:
    """The rows with the `lead` feature zeroed: the per-source model judges a source on its own."""
    out = []
    for r in rows:
        sources = [
            dict(s, features=[0.0 if i == LEAD else f for i, f in enumerate(s["features"])]) for s in r["sources"]
        ]
        out.append(dict(r, sources=sources))
    return out


def _p(w: np.ndarray, features: list[float]) -> float:
    return 1.0 / (1.0 + np.exp(-float(np.dot(w, [1.0, *features]))))


def evaluate(
    rows: list[dict],
    w: np.ndarray,
    threshold: float,
    ws: np.ndarray | None = None,
    source_threshold: float | None = None,
) -> dict[str, float]:
    """The engine's decision: the most probable source (model `w`) is quoted when it reaches
    `threshold`; any source is quoted when the per-source model `ws` (no `lead`) reaches
    `source_threshold`; the question is answered when any source is quoted."""
    n_in = n_out = src1 = q1 = extra = refused = 0
    source_threshold = threshold if source_threshold is None else source_threshold
    for r in rows:
        ranked = sorted(((_p(w, s["features"]), s) for s in r["sources"]), key=lambda ps: ps[0], reverse=True)
        quoted = []
        for i, (p, s) in enumerate(ranked):
            alone = [0.0 if i == LEAD else f for i, f in enumerate(s["features"])]
            if (i == 0 and p >= threshold) or (ws is not None and _p(ws, alone) >= source_threshold):
                quoted.append((p, s))
        if r["role"] == "outside":
            n_out += 1
            refused += not quoted
            continue
        n_in += 1
        src1 += bool(quoted) and quoted[0][1]["label"] == 1
        extra += sum(1 for _, s in quoted if not s["label"])
        gold = next((s for _, s in quoted if s["label"]), None)
        q1 += bool(gold and gold["hit"])
    return {
        "source@1": src1 / max(n_in, 1),
        "quote@1": q1 / max(n_in, 1),
        "extra": extra / max(n_in, 1),
        "refused": refused / max(n_out, 1),
        "n_in": n_in,
        "n_out": n_out,
    }


def line(fig: dict[str, float]) -> str:
    return (
        f"in {fig['n_in']}, out {fig['n_out']}: source@1 {fig['source@1']:.3f}; quote@1 {fig['quote@1']:.3f}; "
        f"extra {fig['extra']:.2f}; refused {fig['refused']:.3f}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--squad", type=Path, default=datasets.squad_dir())
    ap.add_argument("--rows", type=Path, help="cache the collected rows in this JSON file (reused if present)")
    ap.add_argument("--l2", type=float, default=L2)
    ap.add_argument("--write", action="store_true", help="write the fitted constants into bot/answer/engine.py")
    args = ap.parse_args()
    from bot.answer.engine import FEATURES, MIN_PROBABILITY, SOURCE_PROBABILITY, source_threshold_for

    if args.rows and args.rows.exists():
        rows = json.loads(args.rows.read_text())
    else:
        rows = asyncio.run(collect(args.squad))
        if args.rows:
            args.rows.write_text(json.dumps(rows))
    fold_of = folds(rows)
    held: dict[float, list[dict[str, float]]] = {t: [] for t in (*THRESHOLDS, MIN_PROBABILITY)}
    for k in (0, 1):
        train = [r for r in rows if fold_of[r["title"]] != k]
        test = [r for r in rows if fold_of[r["title"]] == k]
        w, ws = fit(train, args.l2), fit(without_lead(train), args.l2)
        for t in held:
            held[t].append(evaluate(test, w, t, ws, source_threshold_for(t)))
        print(
            f"fold {k} (train on {len(train)} questions, test on {len(test)}), held out at "
            f"{MIN_PROBABILITY}: {line(held[MIN_PROBABILITY][-1])}"
        )
    print("\nheld-out trade-off curve (both folds' test questions; per-source threshold: source_threshold_for):")
    print("| threshold | source@1 | quote@1 (approx.) | extra | refused |")
    print("| --- | --- | --- | --- | --- |")
    for t in sorted(held):
        a, b = held[t]
        n_in, n_out = a["n_in"] + b["n_in"], a["n_out"] + b["n_out"]

        def pooled(key: str, n: str, a=a, b=b) -> float:
            return (a[key] * a[n] + b[key] * b[n]) / max(a[n] + b[n], 1)

        print(
            f"| {t:g} | {pooled('source@1', 'n_in'):.3f} | {pooled('quote@1', 'n_in'):.3f} | "
            f"{pooled('extra', 'n_in'):.2f} | {pooled('refused', 'n_out'):.3f} |  ({n_in} in, {n_out} out)"
        )
    w, ws = fit(rows, args.l2), fit(without_lead(rows), args.l2)
    fig = evaluate(rows, w, MIN_PROBABILITY, ws, SOURCE_PROBABILITY)
    print(f"\nall questions, in sample, at {MIN_PROBABILITY}: {line(fig)}")
    print("\n# Fitted by `python benchmarks/calibrate.py` (all SQuAD questions of benchmarks/data/squad).")
    for name, v in (("MODEL", w), ("SOURCE_MODEL", ws)):
        print(f"{name}_BIAS = {v[0]:.4f}")
        print(f"{name}_WEIGHTS = (" + ", ".join(f"{x:.4f}" for x in v[1:]) + ")")
        print("# " + ", ".join(f"{n}={x:.3f}" for n, x in zip(FEATURES, v[1:], strict=True)))
    if args.write:
        engine = ROOT / "bot" / "answer" / "engine.py"
        text = engine.read_text()
        for name, v in (("MODEL", w), ("SOURCE_MODEL", ws)):
            text = re.sub(rf"^{name}_BIAS = .*$", f"{name}_BIAS = {v[0]:.4f}", text, flags=re.M)
            text = re.sub(
                rf"^{name}_WEIGHTS = .*$",
                f"{name}_WEIGHTS = (" + ", ".join(f"{x:.4f}" for x in v[1:]) + ")",
                text,
                flags=re.M,
            )
        engine.write_text(text)
        print(f"written to {engine}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
