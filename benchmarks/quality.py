"""Answer quality: every evaluation set in one table, and what each stage of understanding adds.

    python -m benchmarks.quality --wikiqa DIR              # the table: the eval scripts, as a reviewer runs them
    python -m benchmarks.quality --inproc --wikiqa DIR     # the same table computed in this process (fast)
    python -m benchmarks.quality --ablation --wikiqa DIR   # the table again with each Understanding stage off
    python -m benchmarks.quality --curve                   # refused against quote@1 / extra at several thresholds
    python -m benchmarks.quality --seed 1                  # squad_score.py on another sample of questions
    python -m benchmarks.quality --feedback FILE [--db DB] # users' votes (factbot feedback export) against a library

The sets (rows of the table):
  seed questions    benchmarks/data/seed_questions.jsonl, scored as seed_score.py scores them
  variants: STYLE   the seed questions as typed in a chat (benchmarks/variants.py: a greeting, thanks,
                    lower case without '?', one typo, a Discord mention, an emoji, and hand-written
                    paraphrases), scored the same way, one row per style and one for all of them
  follow-ups (HOW)  benchmarks/data/followups.jsonl: a question after another about the seed articles
                    ("when was it set up?"), scored against the gold of the question it stands for;
                    `read` as factbot reads it after the previous one (bot/answer/followup.py),
                    `alone` as if it were a new question, `in full` the full question itself
  meaning (SPLIT)   benchmarks/data/seed_meaning.jsonl: the seed articles asked in other words than
                    theirs, and on-topic questions they do not answer; `fit` may be fitted on
                    (calibrate.py), `held` never is
  squad             squad_score.py on benchmarks/data/squad (--seed, --in 1000, --out 300)
  wikiqa            squad_score.py DIR --out 1000 on WikiQA (not in the repository: --wikiqa DIR)
Columns: quote@1 (recall@1 for the seed sets: the first quote from each gold source holds a gold
phrase), source@1, wrong (false quotes for the seed sets, other sources quoted per answerable
question for squad and wikiqa), refused (questions to refuse that were), trigger F1 (squad_score.py).

The default mode runs the scripts exactly as a reviewer does (fresh library files, `factbot` on
PATH; the variants through `factbot ask --json --batch`, scored like seed_score.py, so the table
needs one process per set rather than one per question). --inproc replicates their sampling and
scoring on Libraries opened directly: the same figures, in a fraction of the time. --ablation runs
in process (the scripts take no flags for the engine's stages): the full engine, then each of
`Understanding`'s stages switched off in turn (chat normaliser, spelling, semantic signal, no-answer
model; with the model off the best-scoring source is always quoted).

The threshold is the engine's no-answer probability (`FACTBOT_ANSWER_THRESHOLD`, default
engine.MIN_PROBABILITY): the most probable source is quoted when the question model reaches it, any
source when the per-source model reaches `source_threshold_for` it (benchmarks/calibrate.py fits
both models). The curve sets it for each value, so no code is edited to move along it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import datasets
from benchmarks.seed_score import norm

ROOT = Path(__file__).resolve().parents[1]

THRESHOLD_ENV = "FACTBOT_ANSWER_THRESHOLD"


# -- the table --------------------------------------------------------------------------------------


@dataclass
class Row:
    """One set's figures, as the table shows them (None: not measured for this kind of set)."""

    name: str
    questions: int
    quote1: float | None = None
    source1: float | None = None
    wrong: str = "-"
    refused: str = "-"
    f1: float | None = None
    ms: float | None = None


def table(rows: list[Row], title: str | None = None) -> str:
    def f(v: float | None, digits: int = 3) -> str:
        return "-" if v is None else f"{v:.{digits}f}"

    out = [f"\n{title}"] if title else []
    out += [
        "| set | questions | quote@1 | source@1 | wrong | refused | trigger F1 | ms/question |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        out.append(
            f"| {r.name} | {r.questions} | {f(r.quote1)} | {f(r.source1)} | {r.wrong} | {r.refused} | "
            f"{f(r.f1)} | {f(r.ms, 1)} |"
        )
    return "\n".join(out)


@dataclass
class SeedFigures:
    """seed_score.py's counts."""

    questions: int = 0
    need: int = 0
    hit1: int = 0
    hitany: int = 0
    quotes: int = 0
    false_quotes: int = 0
    refuse_need: int = 0
    refused: int = 0
    seconds: float = 0.0

    def row(self, name: str) -> Row:
        return Row(
            name,
            self.questions,
            quote1=self.hit1 / max(self.need, 1),
            wrong=f"{self.false_quotes}/{self.quotes} false",
            refused=f"{self.refused}/{self.refuse_need}",
            ms=1000 * self.seconds / max(self.questions, 1) if self.seconds else None,
        )

    def line(self) -> str:
        return (
            f"recall@1 {self.hit1}/{self.need} = {self.hit1 / max(self.need, 1):.2f}; recall@any "
            f"{self.hitany / max(self.need, 1):.2f}; false quotes {self.false_quotes}/{self.quotes}; "
            f"refusals {self.refused}/{self.refuse_need}"
        )


def score_seed_questions(rows: list[dict], answers: list[dict], seeds: dict[str, str]) -> SeedFigures:
    """seed_score.py's figures for answers already computed (bodies keyed by seed key)."""
    fig = SeedFigures(questions=len(rows))
    for row, out in zip(rows, answers, strict=True):
        gold = {k.rstrip("?"): (v, k.endswith("?")) for k, v in row["gold"].items()}
        by_seed: dict[str, list[str]] = {}
        for source in out.get("sources", []):
            for quote in source.get("quotes", []):
                text = norm(quote.get("text", ""))
                fig.quotes += 1
                owner = next((sid for sid, body in seeds.items() if text and text in body), None)
                by_seed.setdefault(owner or "?", []).append(text)
        if not gold:
            fig.refuse_need += 1
            if not out.get("answered") and not by_seed:
                fig.refused += 1
            else:
                fig.false_quotes += sum(len(v) for v in by_seed.values())
            continue
        for sid, (keys, optional) in gold.items():
            hits = [any(norm(k) in q for k in keys) for q in by_seed.get(sid, [])]
            if not optional:
                fig.need += 1
                fig.hit1 += bool(hits and hits[0])
                fig.hitany += any(hits)
        fig.false_quotes += sum(len(q) for sid, q in by_seed.items() if sid not in gold)
    return fig


@dataclass
class SquadFigures:
    """squad_score.py's counts."""

    n_in: int = 0
    n_out: int = 0
    src1: int = 0
    q1: int = 0
    q3: int = 0
    extra: int = 0
    refused: int = 0
    answered: int = 0
    right: int = 0
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)

    @property
    def f1(self) -> float:
        p, r = self.right / max(self.answered, 1), self.right / max(self.n_in, 1)
        return 2 * p * r / max(p + r, 1e-9)

    def row(self, name: str) -> Row:
        n_in, n_out = max(self.n_in, 1), max(self.n_out, 1)
        return Row(
            name,
            self.n_in + self.n_out,
            quote1=self.q1 / n_in,
            source1=self.src1 / n_in,
            wrong=f"{self.extra / n_in:.2f} extra",
            refused=f"{self.refused / n_out:.3f}",
            f1=self.f1,
            ms=1000 * self.seconds / max(self.n_in + self.n_out, 1),
        )

    def line(self) -> str:
        n_in, n_out = max(self.n_in, 1), max(self.n_out, 1)
        return (
            f"in-library {self.n_in}, outside {self.n_out}; source@1 {self.src1 / n_in:.3f}; "
            f"quote@1 {self.q1 / n_in:.3f}; quote@3 {self.q3 / n_in:.3f}; extra {self.extra / n_in:.2f}; "
            f"refused {self.refused / n_out:.3f}; trigger F1 {self.f1:.3f}; "
            f"{1000 * self.seconds / max(self.n_in + self.n_out, 1):.1f} ms/question (in process)"
        )


def squad_sample(seed: int, n_in: int, n_out: int, squad: Path | None = None) -> tuple[list[dict], list[dict]]:
    """The questions squad_score.py asks for this seed, in its order, and its manifest."""
    squad = squad or datasets.squad_dir()
    manifest = [json.loads(line) for line in (squad / "articles.jsonl").read_text().splitlines()]
    questions = [json.loads(line) for line in (squad / "questions.jsonl").read_text().splitlines()]
    rng = random.Random(seed)
    inside = [q for q in questions if q["role"] == "library"]
    outside = [q for q in questions if q["role"] != "library"]  # outside and unanswerable (WikiQA)
    picked = rng.sample(inside, min(n_in, len(inside))) + rng.sample(outside, min(n_out, len(outside)))
    return picked, manifest


async def build_squad_library(path: Path, manifest: list[dict], squad: Path | None = None):
    from bot.answer import Engine
    from storage.backends import open_library
    from storage.ingest import MetaOverrides, add_file

    squad = squad or datasets.squad_dir()
    library = await open_library(path)
    for m in manifest:
        if m["role"] == "library":
            await add_file(library, squad / m["file"], given=MetaOverrides(title=m["title"]))
    await Engine(library).catch_up()  # searchable by meaning too, as `factbot sources add` leaves it
    return library


def score_squad(picked: list[dict], answers: list[dict], verbose: bool = False) -> SquadFigures:
    fig = SquadFigures()
    for q, out in zip(picked, answers, strict=True):
        sources = out.get("sources", [])
        titles = [s.get("title") for s in sources]
        wanted = [norm(a) for a in q["answers"]]
        if out.get("answered"):
            fig.answered += 1
            first = norm(((sources[0].get("quotes") or [{}])[0]).get("text", "")) if sources else ""
            fig.right += q["role"] == "library" and titles[:1] == [q["title"]] and any(a in first for a in wanted)
        if q["role"] != "library":
            fig.n_out += 1
            fig.refused += not out.get("answered") and not any(s.get("quotes") for s in sources)
            continue
        fig.n_in += 1
        fig.src1 += bool(titles) and titles[0] == q["title"]
        fig.extra += sum(1 for t in titles if t != q["title"])
        gold = next((s for s in sources if s.get("title") == q["title"]), None)
        quotes = [norm(x.get("text", "")) for x in (gold or {}).get("quotes", [])]
        hits = [any(a in quote for a in wanted) for quote in quotes[:3]]
        fig.q1 += bool(hits and hits[0])
        fig.q3 += any(hits)
        if verbose and not (hits and hits[0]):
            fig.misses.append(
                f"miss: {q['question']!r} gold={q['answers'][0]!r} "
                f"top={quotes[0][:120] if quotes else None!r} src={titles[:2]}"
            )
    return fig


def seed_rows() -> list[dict]:
    return [json.loads(line) for line in datasets.seed_questions().read_text().splitlines() if line.strip()]


def variant_sets(rows: list[dict]) -> dict[str, list[dict]]:
    """The seed questions' chat variants by style (benchmarks/variants.py), and all of them."""
    from benchmarks.variants import seed_variants

    out: dict[str, list[dict]] = {}
    for v in seed_variants(rows):
        out.setdefault(v["style"], []).append(v)
    out["all"] = [v for style in list(out) for v in out[style]]
    return out


def meaning_sets() -> dict[str, list[dict]]:
    """The meaning set (benchmarks/data/seed_meaning.jsonl) by split: rows `meaning (fit)`, `meaning (held)`."""
    rows = [json.loads(line) for line in datasets.seed_meaning().read_text().splitlines() if line.strip()]
    return {f"meaning ({split})": [r for r in rows if r["split"] == split] for split in ("fit", "held")}


def followup_sets() -> dict[str, list[dict]]:
    """The follow-up pairs read after their previous question, asked alone, and asked in full."""
    from bot.answer.followup import read

    rows = [json.loads(line) for line in datasets.followups().read_text().splitlines() if line.strip()]
    return {
        "follow-ups (read)": [{**r, "question": read(r["question"], r["previous"]).read} for r in rows],
        "follow-ups (alone)": rows,
        "follow-ups (in full)": [{**r, "question": r["full"]} for r in rows],
    }


def seed_bodies() -> dict[str, str]:
    return {key: norm(body) for key, body in datasets.seed_bodies().items()}


# -- the scripts, as a reviewer runs them -------------------------------------------------------------


def _factbot_env() -> dict[str, str]:
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    # The scorers run as `python -m benchmarks.NAME`: the repository must be importable from any folder.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    return env


def _number(pattern: str, text: str) -> float | None:
    m = re.search(pattern, text)
    return float(m.group(1)) if m else None


def _summary(done: subprocess.CompletedProcess[str], label: str, verbose: bool) -> str:
    if verbose:
        print(done.stdout, end="")
    last = (done.stdout.strip().splitlines() or [done.stderr.strip()])[-1]
    print(f"{label}: {last}")
    return last


def _squad_row(name: str, summary: str) -> Row:
    n_in, n_out = _number(r"in-library (\d+)", summary), _number(r"outside (\d+)", summary)
    extra, refused = _number(r"extra ([\d.]+)", summary) or 0.0, _number(r"refused ([\d.]+)", summary) or 0.0
    return Row(
        name,
        int((n_in or 0) + (n_out or 0)),
        quote1=_number(r"quote@1 ([\d.]+)", summary),
        source1=_number(r"source@1 ([\d.]+)", summary),
        wrong=f"{extra:.2f} extra",
        refused=f"{refused:.3f}",
        f1=_number(r"F1 ([\d.]+)", summary),
        ms=_number(r"ask ([\d.]+) ms/question", summary),
    )


COUNTED = ("questions", "need", "hit1", "hitany", "quotes", "false_quotes", "refuse_need", "refused")


def _batch_figures(name: str, items: list[dict], env: dict[str, str], bodies: dict[str, str]) -> SeedFigures | None:
    """Seed-style questions through one `factbot ask --json --batch`, scored like seed_score.py."""
    started = time.perf_counter()
    stdin = "".join(" ".join(v["question"].split()) + "\n" for v in items)
    done = subprocess.run(["factbot", "ask", "--json", "--batch"], env=env, input=stdin, capture_output=True, text=True)
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or len(answers) != len(items):
        print(f"{name}: factbot ask --batch failed: {done.stderr.strip()[-300:]}")
        return None
    fig = score_seed_questions(items, answers, bodies)
    fig.seconds = time.perf_counter() - started
    return fig


def run_scripts(seed: int, n_in: int, n_out: int, verbose: bool, wikiqa: Path | None = None) -> list[Row]:
    """Run the eval scripts as they are (and the variants through `factbot ask --json --batch`);
    print their summary lines and return the table's rows."""
    env = _factbot_env()
    tmp = tempfile.mkdtemp(prefix="factbot-quality-")
    rows: list[Row] = []
    try:
        env["FACTBOT_DB"] = str(Path(tmp) / "seeds.db")
        started = time.perf_counter()
        cmd = [sys.executable, "-m", "benchmarks.seed_score", str(datasets.seed_questions())] + (
            ["-v"] if verbose else []
        )
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        last = _summary(done, "seed_score.py", verbose)
        asked = int(_number(r"questions (\d+)", last) or 0)
        m = re.search(r"recall@1 \d+/\d+ = ([\d.]+).*?false quotes (\d+/\d+); refusals (\d+/\d+)", last)
        rows.append(
            Row(
                "seed questions",
                asked,
                quote1=float(m.group(1)) if m else None,
                wrong=f"{m.group(2)} false" if m else "?",
                refused=m.group(3) if m else "?",
                ms=1000 * (time.perf_counter() - started) / max(asked, 1),
            )
        )
        bodies = seed_bodies()
        every = SeedFigures()
        for style, items in variant_sets(seed_rows()).items():
            if style != "all" and (fig := _batch_figures(f"variants: {style}", items, env, bodies)):
                rows.append(fig.row(f"variants: {style}"))
                for counted in COUNTED:
                    setattr(every, counted, getattr(every, counted) + getattr(fig, counted))
                every.seconds += fig.seconds
        rows.append(every.row("variants: all"))
        for name, items in {**meaning_sets(), **followup_sets()}.items():
            if fig := _batch_figures(name, items, env, bodies):
                rows.append(fig.row(name))
        cmd = [
            sys.executable,
            "-m",
            "benchmarks.squad_score",
            str(datasets.squad_dir()),
            "--seed",
            str(seed),
            "--in",
            str(n_in),
            "--out",
            str(n_out),
        ] + (["-v"] if verbose else [])
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        rows.append(_squad_row("squad", _summary(done, f"squad_score.py --seed {seed}", verbose)))
        if wikiqa is not None:  # every question counts (--out 1000), as in the README's WikiQA row
            cmd = [sys.executable, "-m", "benchmarks.squad_score", str(wikiqa), "--seed", str(seed), "--out", "1000"]
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
            rows.append(_squad_row("wikiqa", _summary(done, f"squad_score.py {wikiqa.name} --seed {seed}", verbose)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


# -- in process ------------------------------------------------------------------------------------


def _quoted(answer: dict) -> list[tuple[int, int, int]]:
    """What an answer quotes (source, start, end), to tell two answers apart."""
    return [(s["id"], q["start"], q["end"]) for s in answer.get("sources", []) for q in s.get("quotes", [])]


async def _ask_all(engine, questions: list[str]) -> tuple[list[dict], float]:
    start = time.perf_counter()
    out = [(await engine.ask(q)).to_json() for q in questions]
    return out, time.perf_counter() - start


class Sets:
    """Every set's questions and library, opened once for all the configurations measured."""

    def __init__(self, seed: int, n_in: int, n_out: int, wikiqa: Path | None) -> None:
        self.seed_questions = seed_rows()
        self.variants = variant_sets(self.seed_questions)
        self.meaning = meaning_sets()
        self.followups = followup_sets()
        self.bodies = seed_bodies()
        self.squad, self.squad_manifest = squad_sample(seed, n_in, n_out)
        self.wikiqa_dir = wikiqa
        self.wikiqa, self.wikiqa_manifest = squad_sample(seed, 1000, 1000, wikiqa) if wikiqa else ([], [])
        self.libraries: dict[str, object] = {}

    async def open(self, tmp: Path) -> None:
        from bot.answer import Engine
        from storage.backends import open_library

        self.libraries["seeds"] = seeds = await open_library(tmp / "seeds.db")
        await Engine(seeds).catch_up()
        self.libraries["squad"] = await build_squad_library(tmp / "squad.db", self.squad_manifest)
        if self.wikiqa_dir:
            self.libraries["wikiqa"] = await build_squad_library(
                tmp / "wikiqa.db", self.wikiqa_manifest, self.wikiqa_dir
            )

    async def close(self) -> None:
        for library in self.libraries.values():
            await library.close()  # type: ignore[attr-defined]

    async def measure(self, threshold: float | None = None, understanding=None, verbose: bool = False) -> list[Row]:
        from bot.answer import Engine

        def engine(name: str) -> Engine:
            return Engine(self.libraries[name], threshold=threshold, understanding=understanding)  # type: ignore[arg-type]

        rows = []
        seeds = engine("seeds")
        answers, took = await _ask_all(seeds, [r["question"] for r in self.seed_questions])
        fig = score_seed_questions(self.seed_questions, answers, self.bodies)
        fig.seconds = took
        rows.append(fig.row("seed questions"))
        for style, items in self.variants.items():
            answers, took = await _ask_all(seeds, [v["question"] for v in items])
            fig = score_seed_questions(items, answers, self.bodies)
            fig.seconds = took
            rows.append(fig.row(f"variants: {style}"))
            if verbose and style != "all":
                for v, out in zip(items, answers, strict=True):
                    one = score_seed_questions([v], [out], self.bodies)
                    if one.hit1 < one.need or one.false_quotes or one.refused < one.refuse_need:
                        print(f"variant miss ({style}): {v['question']!r} -> {one.line()}")
        for name, items in self.meaning.items():
            answers, took = await _ask_all(seeds, [v["question"] for v in items])
            fig = score_seed_questions(items, answers, self.bodies)
            fig.seconds = took
            rows.append(fig.row(name))
            if verbose:
                for v, out in zip(items, answers, strict=True):
                    one = score_seed_questions([v], [out], self.bodies)
                    if one.hit1 < one.need or one.false_quotes or one.refused < one.refuse_need:
                        print(f"{name} miss: {v['question']!r} -> {one.line()}")
        full: list[dict] = []
        for name, items in self.followups.items():
            answers, took = await _ask_all(seeds, [v["question"] for v in items])
            fig = score_seed_questions(items, answers, self.bodies)
            fig.seconds = took
            rows.append(fig.row(name))
            if name == "follow-ups (in full)":
                full = answers
        for name in ("follow-ups (read)", "follow-ups (alone)"):
            answers, _ = await _ask_all(seeds, [v["question"] for v in self.followups[name]])
            same = sum(_quoted(a) == _quoted(f) for a, f in zip(answers, full, strict=True))
            print(f"{name}: answered as if asked in full {same}/{len(full)}")
        for name, picked in (("squad", self.squad), ("wikiqa", self.wikiqa)):
            if name not in self.libraries:
                continue
            answers, took = await _ask_all(engine(name), [" ".join(q["question"].split()) for q in picked])
            squad_fig = score_squad(picked, answers, verbose)
            squad_fig.seconds = took
            for miss in squad_fig.misses[:40]:
                print(miss)
            rows.append(squad_fig.row(name))
        return rows


async def inproc(
    seed: int, n_in: int, n_out: int, wikiqa: Path | None, thresholds: list[float | None], verbose: bool
) -> None:
    sets = Sets(seed, n_in, n_out, wikiqa)
    tmp = Path(tempfile.mkdtemp(prefix="factbot-quality-"))
    try:
        await sets.open(tmp)
        try:
            for threshold in thresholds:
                label = "default" if threshold is None else f"{threshold:g}"
                rows = await sets.measure(threshold, verbose=verbose)
                print(table(rows, f"in process, threshold {label}, squad sample seed {seed}:"), flush=True)
        finally:
            await sets.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


SAMPLE = (1000, 300)  # squad_score.py's defaults
ABLATION_SAMPLE = (500, 200)
ABLATION: tuple[tuple[str, dict[str, bool]], ...] = (
    ("everything", {}),
    ("no chat normaliser", {"chat": False}),
    ("no spelling", {"spelling": False}),
    ("no semantic signal", {"semantic": False}),
    ("no no-answer model", {"refusal": False}),
    ("no sentence encoder", {"encoder": False}),
)


async def ablation(seed: int, n_in: int, n_out: int, wikiqa: Path | None) -> None:
    """The table for the full engine and with each Understanding stage off; then one summary table
    of each set's headline figure per configuration."""
    from bot.answer.engine import Understanding

    sets = Sets(seed, n_in, n_out, wikiqa)
    tmp = Path(tempfile.mkdtemp(prefix="factbot-quality-"))
    results: dict[str, list[Row]] = {}
    try:
        await sets.open(tmp)
        try:
            for label, off in ABLATION:
                results[label] = await sets.measure(understanding=Understanding(**off))
                title = f"{label} (in process; squad sample seed {seed}, {n_in} in, {n_out} out):"
                print(table(results[label], title), flush=True)
        finally:
            await sets.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    names = [r.name for r in results["everything"]]
    print("\nablation, quote@1 / refused (/ trigger F1) per set; the seed sets' quote@1 is recall@1")
    print("| set | " + " | ".join(results) + " |")
    print("| --- |" + " --- |" * len(results))
    for i, name in enumerate(names):
        cells = []
        for rows in results.values():
            r = rows[i]
            f1 = "" if r.f1 is None else f" / {r.f1:.3f}"
            cells.append(f"{r.quote1:.3f} / {r.refused}{f1}" if r.quote1 is not None else "-")
        print(f"| {name} | " + " | ".join(cells) + " |")


# -- users' votes (factbot feedback export) ------------------------------------------------------------


def _first_quote(answer: dict) -> str | None:
    return next((q["text"] for s in answer.get("sources", []) for q in s.get("quotes", [])), None)


def feedback_passes(row: dict, answer: dict) -> bool:
    """Whether a new answer does what the vote asks (bot/feedback_cli.py EXPECT): `same` keeps the
    helpful answer's first quote (or its refusal), `not_negative` does not open with a quote voted
    wrong, `answer` quotes a source the voted answer lacked, `refuse` quotes nothing."""
    voted = row.get("voted") or {}
    expect = row["expect"]
    if expect == "same":
        first, before = _first_quote(answer), [q["text"] for s in voted.get("sources", []) for q in s["quotes"]]
        return (first is None and not before) or first in before
    if expect == "not_negative":
        return _first_quote(answer) not in set(row.get("negative") or [])
    if expect == "answer":
        had = {s["id"] for s in voted.get("sources", [])}
        return any(s["id"] not in had for s in answer.get("sources", []))
    return not answer.get("answered")


def feedback_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


async def score_feedback(path: Path, rows: list[dict], target: str | None) -> None:
    """Ask every exported vote's question again (in its server's view) and count the answers that do
    what the vote asks, by kind."""
    from bot.answer import Engine
    from storage.backends import open_library

    tmp = Path(tempfile.mkdtemp(prefix="factbot-quality-"))
    try:
        async with await open_library(target or tmp / "seeds.db") as library:
            engine = Engine(library)
            passed: dict[str, list[int]] = {}
            for row in rows:
                answer = (await engine.ask(row["question"], scope=int(row.get("scope") or 0))).to_json()
                counts = passed.setdefault(row["expect"], [0, 0])
                counts[0] += feedback_passes(row, answer)
                counts[1] += 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{path.name}: {len(rows)} votes")
    for expect, (good, total) in sorted(passed.items()):
        print(f"  {expect:<13} {good}/{total}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, action="append", help="squad sample seed (repeatable; default 7)")
    ap.add_argument("--in", dest="n_in", type=int, help="squad questions from the library (default 1000)")
    ap.add_argument("--out", dest="n_out", type=int, help="squad questions to refuse (default 300)")
    ap.add_argument("--inproc", action="store_true", help="compute the figures in this process (fast)")
    ap.add_argument("--ablation", action="store_true", help="the table with each Understanding stage off in turn")
    ap.add_argument("--curve", action="store_true", help="the no-answer threshold's trade-off curve")
    ap.add_argument(
        "--thresholds", default="0,0.2,0.3,0.4,0.5,0.6,0.7,0.8", help="comma-separated threshold values for --curve"
    )
    ap.add_argument(datasets.WIKIQA_FLAG, type=Path, metavar="DIR", help="also score WikiQA's dev split (README)")
    ap.add_argument("--feedback", type=Path, metavar="FILE", help="score `factbot feedback export FILE`")
    ap.add_argument("--db", help="the library the votes are scored against (default: FACTBOT_DB, else the seeds)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    if args.feedback:
        rows = feedback_rows(args.feedback)
        asyncio.run(score_feedback(args.feedback, rows, args.db or os.environ.get("FACTBOT_DB")))
        return 0
    seeds = args.seed or [7]
    # The ablation measures five configurations: a smaller squad sample keeps it near ten minutes.
    n_in, n_out = ABLATION_SAMPLE if args.ablation else SAMPLE
    args.n_in, args.n_out = args.n_in or n_in, args.n_out or n_out
    wikiqa = datasets.wikiqa_dir(args.wikiqa)
    for seed in seeds:
        if args.ablation:
            asyncio.run(ablation(seed, args.n_in, args.n_out, wikiqa))
        elif args.curve:
            values: list[float | None] = [float(v) for v in args.thresholds.split(",") if v.strip()]
            asyncio.run(inproc(seed, args.n_in, args.n_out, wikiqa, values, False))
        elif args.inproc:
            asyncio.run(inproc(seed, args.n_in, args.n_out, wikiqa, [None], args.verbose))
        else:
            print(table(run_scripts(seed, args.n_in, args.n_out, args.verbose, wikiqa), f"squad sample seed {seed}:"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
