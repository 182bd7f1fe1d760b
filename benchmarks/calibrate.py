"""Fit the engine's no-answer model (bot/answer/data/noanswer.json) on SQuAD and chat-style variants.

    python -m benchmarks.calibrate                 # held-out figures (articles, styles), the trade-off curve
    python -m benchmarks.calibrate --write         # ... and write the fit with its provenance to the data file
    python -m benchmarks.calibrate --rows R.json   # cache the engine's assessments (reused if the file exists)

Builds the SQuAD library of benchmarks/data/squad (the 16 'library' articles), asks every question
of the set (library and outside articles) as written and once more in one chat style drawn for it
(benchmarks/variants.py: a greeting, thanks, lower case without '?', one typo, a mention, an emoji),
and records, for every source with a candidate, the engine's named features (`Engine.assess`) and
whether it is the article the question was written on. Half the in-library questions are asked
again (in one drawn style) in a second library of the same articles with every other paragraph
left out: those whose answer was left out must be refused although their article is on topic.
Two logistic models (L2-regularised, Newton's method, numpy) are fitted: the question model on all
features, the source model without those in SOURCE_MODEL_LEAVES_OUT (`lead`, `similarity`). No
WikiQA question is ever used here: WikiQA is for evaluation only.

Two held-out figures, so no test question's article or style helped fit the weights it is scored
with:
  articles  article-level two-fold split: the questions (all styles) of half the articles (library
            and outside alike) train, the other half's test
  styles    for each chat style: train on the other styles (formal included) of one article fold,
            test on that style in the other fold (whole articles AND a whole style held out)

Rows of the figures: each style on the whole articles, `trimmed` (the second library), `all`.
Figures per threshold, over the test questions:
  source@1  the most probable quoted source is the question's article
  quote@1   ... and its best sentence (with its lead) holds a gold answer (approximates squad_score)
  extra     other sources quoted per in-library question
  refused   outside (and trimmed-away) questions with no source at or above the threshold
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import datasets
from benchmarks.quality import build_squad_library, norm
from benchmarks.variants import CHAT_STYLES, STYLES, variant

ROOT = Path(__file__).resolve().parents[1]

L2 = 1.0
# Features the source model does without: `lead` (it judges a source on its own), and the sentence
# encoder's `similarity`: two articles on one topic are both close in meaning to a question only one
# of them answers, and SQuAD's articles (each on its own topic) never show that, so the fitted
# weight would quote every article of a topic (the seed questions' false quotes rose several-fold).
# For the same reason `meaning_best` and `meaning_margin`, which describe the question against the
# whole library and are the same for every source: fitted in, they raised every source of a topic
# together; the source model reads meaning through `meaning_gap`. The README gives the figures.
SOURCE_MODEL_LEAVES_OUT = ("lead", "similarity", "meaning_best", "meaning_margin")
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
VARIANT_SEED = 11  # the draw of each question's chat style and of its random edits
# The share of in-library questions asked again in the library with every other paragraph left out.
TRIMMED_SHARE = 0.5


async def _assess(engine, titles: dict[int, str], q: dict, style: str, role: str, answers_here: bool) -> dict:
    """One question asked in one style: its sources' named features and labels (the source is the
    question's article and holds its answer here; its best sentence holds a gold answer)."""
    gold = [norm(a) for a in q["answers"]]
    trace: list = []
    await engine.ask(variant(q["question"], style, seed=VARIANT_SEED, key=q["id"]), trace=trace)
    sources = []
    for a in trace:
        best = a.items[0]
        text = ((best.lead.text + " ") if best.lead else "") + best.sentence.text
        sources.append(
            {
                "features": dict(a.features),
                "label": int(answers_here and titles[a.source_id] == q["title"]),
                "hit": any(g in norm(text) for g in gold),
            }
        )
    return {"id": q["id"], "title": q["title"], "role": role, "style": style, "sources": sources}


def trimmed(text: str, title: str) -> str:
    """Every other paragraph of an article (which half: a hash of its title)."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    keep = int(hashlib.sha1(title.encode()).hexdigest(), 16) % 2
    return "\n\n".join(p for i, p in enumerate(paragraphs) if i % 2 == keep)


async def collect(
    squad: Path, styles_per_question: int = 1, trimmed_share: float = TRIMMED_SHARE, variant_share: float = 1.0
) -> list[dict]:
    """One row per (question, style) with its sources' features and labels.

    Two libraries: the SQuAD half as it is (every question asked as written and in the drawn chat
    styles), and the same articles with every other paragraph left out, where a share of the
    in-library questions is asked again in one drawn style (formal included). A question whose gold
    answers are all in the left-out half is `unanswerable` there: its article is in the library and
    on topic but does not answer it, the case the formal SQuAD split never shows and WikiQA is full
    of. Nothing here reads WikiQA."""
    from bot.answer import Engine
    from storage.backends import open_library
    from storage.ingest import MetaOverrides, add_file

    manifest = [json.loads(line) for line in (squad / "articles.jsonl").read_text().splitlines()]
    questions = [json.loads(line) for line in (squad / "questions.jsonl").read_text().splitlines()]
    tmp = Path(tempfile.mkdtemp(prefix="factbot-calibrate-"))
    rows = []
    try:
        library = await build_squad_library(tmp / "squad.db", manifest, squad)
        try:
            titles = {s.id: s.title for s in await library.list_sources(scope=None)}
            engine = Engine(library, threshold=2.0)  # refuse everything: only the assessments are wanted
            for q in questions:
                draw = random.Random(f"{VARIANT_SEED}:{q['id']}")
                drawn = draw.sample(CHAT_STYLES, styles_per_question) if draw.random() < variant_share else []
                for style in ("formal", *drawn):
                    rows.append(await _assess(engine, titles, q, style, q["role"], q["role"] == "library"))
        finally:
            await library.close()
        kept: dict[str, str] = {}
        for m in manifest:
            if m["role"] == "library":
                kept[m["title"]] = trimmed((squad / m["file"]).read_text(encoding="utf-8"), m["title"])
                (tmp / Path(m["file"]).name).write_text(kept[m["title"]], encoding="utf-8")
        library = await open_library(tmp / "trimmed.db")
        try:
            for m in manifest:
                if m["role"] == "library":
                    await add_file(library, tmp / Path(m["file"]).name, given=MetaOverrides(title=m["title"]))
            titles = {s.id: s.title for s in await library.list_sources(scope=None)}
            engine = Engine(library, threshold=2.0)
            await engine.catch_up()
            for q in questions:
                pick = random.Random(f"{VARIANT_SEED}:trimmed:{q['id']}")
                if q["role"] != "library" or pick.random() >= trimmed_share:
                    continue
                here = any(norm(a) in norm(kept[q["title"]]) for a in q["answers"])
                style = pick.choice(STYLES)
                row = await _assess(engine, titles, q, style, "library" if here else "unanswerable", here)
                rows.append(dict(row, set="trimmed"))
        finally:
            await library.close()
        return rows + await _meaning_rows(tmp / "seeds.db")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


async def _meaning_rows(path: Path) -> list[dict]:
    """The fit half of the meaning set asked of the seed library: a seed is labelled 1 when the
    question's gold names it, 0 when it does not (an optional `?` seed is left out of the fit).
    These are the rows where two articles share one topic and only one says what was asked, and
    where the question's words are not the answer's: the cases SQuAD never shows."""
    from bot.answer import Engine
    from seeds import load_seeds
    from storage.backends import open_library

    key_of = {seed.title: seed.key for seed in load_seeds()}
    questions = [q for q in (json.loads(x) for x in datasets.seed_meaning().read_text().splitlines()) if q]
    library = await open_library(path)
    rows = []
    try:
        keys = {s.id: key_of[s.title] for s in await library.list_sources(scope=None)}
        engine = Engine(library, threshold=2.0)
        await engine.catch_up()
        for q in questions:
            if q["split"] != "fit":
                continue
            gold = {k.rstrip("?"): (v, k.endswith("?")) for k, v in q["gold"].items()}
            trace: list = []
            await engine.ask(q["question"], trace=trace)
            sources = []
            for a in trace:
                phrases, optional = gold.get(keys[a.source_id], ([], False))
                if optional:
                    continue
                best = a.items[0]
                text = norm(((best.lead.text + " ") if best.lead else "") + best.sentence.text)
                label = int(keys[a.source_id] in gold)
                sources.append(
                    {"features": dict(a.features), "label": label, "hit": any(norm(g) in text for g in phrases)}
                )
            role = "library" if any(not optional for _, optional in gold.values()) else "unanswerable"
            rows.append(
                {
                    "id": q["id"],
                    "title": "seed meaning",
                    "role": role,
                    "style": "meaning",
                    "set": "meaning",
                    "sources": sources,
                }
            )
    finally:
        await library.close()
    return rows


def _of_style(style: str) -> Callable[[dict[str, Any]], bool]:
    """Whether a row is a question of that style (and of no named set)."""
    return lambda r: r["style"] == style and "set" not in r


def folds(rows: list[dict]) -> dict[str, int]:
    """Article -> fold (0/1): each role's articles ordered by a hash of their title, alternated."""
    out = {}
    for role in ("library", "outside"):
        titles = sorted(
            {r["title"] for r in rows if r["role"] == role}, key=lambda t: hashlib.sha1(t.encode()).hexdigest()
        )
        out.update({t: i % 2 for i, t in enumerate(titles)})
    return out


def _x(features: dict[str, float], names: tuple[str, ...]) -> list[float]:
    return [1.0] + [features.get(n, 0.0) for n in names]


def fit(rows: list[dict], names: tuple[str, ...], l2: float = L2) -> np.ndarray:
    """Logistic regression by Newton's method over the features `names`; returns [bias, weights...]."""
    x = np.array([_x(s["features"], names) for r in rows for s in r["sources"]])
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


class Fitted:
    """Both models of one fit, as the engine applies them."""

    def __init__(self, rows: list[dict], names: tuple[str, ...], l2: float) -> None:
        self.names = names
        self.source_names = tuple(n for n in names if n not in SOURCE_MODEL_LEAVES_OUT)
        self.question = fit(rows, names, l2)
        self.source = fit(rows, self.source_names, l2)

    def probabilities(self, rows: list[dict]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per row, its sources' question-model and source-model probabilities (one matrix product)."""
        flat = [s["features"] for r in rows for s in r["sources"]]
        if not flat:
            return [(np.zeros(0), np.zeros(0)) for _ in rows]
        p = 1.0 / (1.0 + np.exp(-np.clip(np.array([_x(f, self.names) for f in flat]) @ self.question, -30, 30)))
        alone = np.array([_x(f, self.source_names) for f in flat]) @ self.source
        alone = 1.0 / (1.0 + np.exp(-np.clip(alone, -30, 30)))
        out, at = [], 0
        for r in rows:
            n = len(r["sources"])
            out.append((p[at : at + n], alone[at : at + n]))
            at += n
        return out

    def to_json(self) -> dict[str, dict]:
        def model(w: np.ndarray, names: tuple[str, ...]) -> dict:
            weights = {n: round(float(v), 6) for n, v in zip(names, w[1:], strict=True)}
            return {"bias": round(float(w[0]), 6), "weights": weights}

        return {
            "question_model": model(self.question, self.names),
            "source_model": model(self.source, self.source_names),
        }


def evaluate(
    rows: list[dict],
    model: Fitted,
    threshold: float,
    source_threshold: float,
    probabilities: list[tuple[np.ndarray, np.ndarray]] | None = None,
) -> dict[str, float]:
    """The engine's decision: the most probable source is quoted when it reaches `threshold`; any
    source is quoted when the per-source model reaches `source_threshold`; the question is answered
    when any source is quoted. `probabilities`: model.probabilities(rows), when already computed."""
    n_in = n_out = src1 = q1 = extra = refused = 0
    for r, (p, alone) in zip(rows, probabilities or model.probabilities(rows), strict=True):
        order = sorted(range(len(p)), key=lambda i: p[i], reverse=True)
        quoted = [
            r["sources"][i]
            for rank, i in enumerate(order)
            if (rank == 0 and p[i] >= threshold) or alone[i] >= source_threshold
        ]
        if r["role"] != "library":
            n_out += 1
            refused += not quoted
            continue
        n_in += 1
        src1 += bool(quoted) and quoted[0]["label"] == 1
        extra += sum(1 for s in quoted if not s["label"])
        gold = next((s for s in quoted if s["label"]), None)
        q1 += bool(gold and gold["hit"])
    return {
        "source@1": round(src1 / max(n_in, 1), 4),
        "quote@1": round(q1 / max(n_in, 1), 4),
        "extra": round(extra / max(n_in, 1), 4),
        "refused": round(refused / max(n_out, 1), 4),
        "n_in": n_in,
        "n_out": n_out,
    }


def pooled(figs: list[dict[str, float]]) -> dict[str, float]:
    """Figures of several test sets as one (weighted by their question counts)."""
    n_in, n_out = sum(f["n_in"] for f in figs), sum(f["n_out"] for f in figs)
    out: dict[str, float] = {"n_in": n_in, "n_out": n_out}
    for key, n in (("source@1", "n_in"), ("quote@1", "n_in"), ("extra", "n_in"), ("refused", "n_out")):
        out[key] = round(sum(f[key] * f[n] for f in figs) / max(sum(f[n] for f in figs), 1), 4)
    return out


def line(fig: dict[str, float]) -> str:
    return (
        f"in {fig['n_in']}, out {fig['n_out']}: source@1 {fig['source@1']:.3f}; quote@1 {fig['quote@1']:.3f}; "
        f"extra {fig['extra']:.2f}; refused {fig['refused']:.3f}"
    )


def held_out_articles(rows: list[dict], names: tuple[str, ...], l2: float, thresholds: list[float]) -> dict:
    """Threshold -> {"all": pooled figures, style: pooled figures} over both article folds."""
    from bot.answer.engine import source_threshold_for

    fold_of = folds(rows)
    per: dict[float, dict[str, list[dict]]] = {t: {} for t in thresholds}
    groups: dict[str, Callable[[dict[str, Any]], bool]] = {s: _of_style(s) for s in sorted({r["style"] for r in rows})}
    groups["trimmed"] = lambda r: r.get("set") == "trimmed"
    groups["meaning"] = lambda r: r.get("set") == "meaning"
    for k in (0, 1):
        model = Fitted([r for r in rows if fold_of[r["title"]] != k], names, l2)
        test = [r for r in rows if fold_of[r["title"]] == k]
        probs = model.probabilities(test)
        subsets = {"all": list(range(len(test)))} | {
            name: [i for i, r in enumerate(test) if member(r)] for name, member in groups.items()
        }
        for t in thresholds:
            for name, idx in subsets.items():
                fig = evaluate([test[i] for i in idx], model, t, source_threshold_for(t), [probs[i] for i in idx])
                per[t].setdefault(name, []).append(fig)
    return {t: {k: pooled(v) for k, v in by.items()} for t, by in per.items()}


def held_out_styles(rows: list[dict], names: tuple[str, ...], l2: float, threshold: float) -> dict[str, dict]:
    """Chat style -> figures when neither its articles nor its style helped fit the weights."""
    from bot.answer.engine import source_threshold_for

    fold_of = folds(rows)
    out = {}
    for style in sorted({r["style"] for r in rows} - {"formal"}):
        figs = []
        for k in (0, 1):
            train = [r for r in rows if fold_of[r["title"]] != k and r["style"] != style]
            test = [r for r in rows if fold_of[r["title"]] == k and r["style"] == style]
            figs.append(evaluate(test, Fitted(train, names, l2), threshold, source_threshold_for(threshold)))
        out[style] = pooled(figs)
    return out


def code_state() -> str:
    """The commit the fit ran on, marked when the engine's files had uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "bot", "storage"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return "unknown"
    return head.stdout.strip() + (" with uncommitted changes to bot/ or storage/" if dirty.stdout.strip() else "")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--squad", type=Path, default=datasets.squad_dir())
    ap.add_argument("--rows", type=Path, help="cache the collected rows in this JSON file (reused if present)")
    ap.add_argument("--l2", type=float, default=L2)
    ap.add_argument("--styles", type=int, default=1, help="chat styles drawn per question besides the formal one")
    ap.add_argument("--variant-share", type=float, default=1.0, help="share of questions also asked in a chat style")
    ap.add_argument("--trimmed-share", type=float, default=TRIMMED_SHARE, help="share asked in the half-articles")
    ap.add_argument("--write", action="store_true", help="write the fit to bot/answer/data/noanswer.json")
    return ap.parse_args(argv)


def _rows(args: argparse.Namespace) -> tuple[list[dict], str]:
    """The assessed questions and the code they came from: read from --rows when cached, else collected."""
    if args.rows and args.rows.exists():
        cached = json.loads(args.rows.read_text())
        rows, code = (cached["rows"], cached["code"]) if isinstance(cached, dict) else (cached, "unknown")
        return rows, code
    code = code_state()  # the code the assessments come from (recorded before the long collection)
    rows = asyncio.run(collect(args.squad, args.styles, args.trimmed_share, args.variant_share))
    if args.rows:
        args.rows.write_text(json.dumps({"code": code, "rows": rows}))
    return rows, code


def _print_held_out(
    rows: list[dict], by_articles: dict, by_styles: dict[str, dict], thresholds: list[float], threshold: float
) -> None:
    """The held-out figures at the engine's threshold, then the trade-off curve over `thresholds`."""
    print(
        f"{len(rows)} questions asked ({len({r['id'] for r in rows})} SQuAD questions, each formal and in a chat "
        f"style; {sum(r.get('set') == 'trimmed' for r in rows)} of them in the library of half-articles)"
    )
    print(f"\nheld out, whole articles (two folds), at {threshold}:")
    for style, fig in by_articles[threshold].items():
        if fig["n_in"] + fig["n_out"]:
            print(f"  {style:9} {line(fig)}")
    print(f"\nheld out, whole articles and a whole style (trained on the other styles), at {threshold}:")
    for style, fig in by_styles.items():
        print(f"  {style:9} {line(fig)}")
    print("\nheld-out trade-off curve (whole articles, all styles; per-source threshold: source_threshold_for):")
    print("| threshold | source@1 | quote@1 (approx.) | extra | refused |")
    print("| --- | --- | --- | --- | --- |")
    for t in thresholds:
        f = by_articles[t]["all"]
        print(
            f"| {t:g} | {f['source@1']:.3f} | {f['quote@1']:.3f} | {f['extra']:.2f} | {f['refused']:.3f} |  "
            f"({f['n_in']} in, {f['n_out']} out)"
        )


def _write_model(
    args: argparse.Namespace, rows: list[dict], code: str, by_articles: dict, by_styles: dict[str, dict], weights: dict
) -> None:
    """Write the fit with its provenance to the engine's data file, then read it back as the engine will."""
    from bot.answer.engine import FEATURES, MIN_PROBABILITY
    from bot.answer.noanswer import FORMAT, MODEL_FILE, load_model

    doc = {
        "format": FORMAT,
        "provenance": {
            "fitted": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%MZ"),
            "by": "python -m benchmarks.calibrate --write",
            "code": code,
            "data": (
                f"benchmarks/data/squad ({args.squad.name}): {len({r['id'] for r in rows})} questions on "
                f"{len({r['title'] for r in rows})} articles, each asked as written; "
                f"{sum(r['style'] != 'formal' and 'set' not in r for r in rows)} of them also in a chat style "
                f"drawn per question (benchmarks/variants.py, seed {VARIANT_SEED}); "
                f"{sum(r.get('set') == 'trimmed' for r in rows)} in-library questions again in a library of the "
                "same articles with every other paragraph left out; no WikiQA question"
            ),
            "method": f"L2-regularised logistic regression (l2 {args.l2}), Newton's method; source model: no lead",
            "threshold": MIN_PROBABILITY,
            "held_out_articles": by_articles[MIN_PROBABILITY],
            "held_out_styles": by_styles,
        },
        **weights,
    }
    MODEL_FILE.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    load_model(MODEL_FILE, FEATURES)  # what was written is what the engine will read
    print(f"written to {MODEL_FILE.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    from bot.answer.engine import FEATURES, MIN_PROBABILITY, SOURCE_PROBABILITY

    rows, code = _rows(args)
    names = tuple(n for n in FEATURES if any(n in s["features"] for r in rows for s in r["sources"]))
    thresholds = sorted({*THRESHOLDS, MIN_PROBABILITY})
    by_articles = held_out_articles(rows, names, args.l2, thresholds)
    by_styles = held_out_styles(rows, names, args.l2, MIN_PROBABILITY)
    _print_held_out(rows, by_articles, by_styles, thresholds, MIN_PROBABILITY)
    final = Fitted(rows, names, args.l2)
    in_sample = evaluate(rows, final, MIN_PROBABILITY, SOURCE_PROBABILITY)
    print(f"\nall questions, in sample, at {MIN_PROBABILITY}: {line(in_sample)}")
    weights = final.to_json()
    for key in ("question_model", "source_model"):
        print(
            f"{key}: bias {weights[key]['bias']:.3f}; "
            + ", ".join(f"{n} {v:.3f}" for n, v in weights[key]["weights"].items())
        )
    if args.write:
        _write_model(args, rows, code, by_articles, by_styles, weights)
    return 0


if __name__ == "__main__":
    sys.exit(main())
