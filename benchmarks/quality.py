"""Answer quality: the checks on benchmarks/data against the current code, and the no-answer
threshold's trade-off curve.

    python benchmarks/quality.py                 # runs seed_score.py and squad_score.py, prints their summaries
    python benchmarks/quality.py --wikiqa DIR    # ... and squad_score.py on WikiQA (not in the repository: README)
    python benchmarks/quality.py --seed 1        # squad_score.py on another sample of questions
    python benchmarks/quality.py --inproc        # the same figures computed in this process (fast, for tuning)
    python benchmarks/quality.py --curve         # refused against quote@1 / extra at several thresholds

The scripts are run exactly as a reviewer runs them (fresh library files, `factbot` on PATH). The
in-process mode replicates their sampling and scoring on a Library opened directly, so a change can
be measured in seconds; its figures match the scripts' (same questions, same engine) except timing.

The threshold is the engine's no-answer probability (`FACTBOT_ANSWER_THRESHOLD`, default
engine.MIN_PROBABILITY): the most probable source is quoted when the question model reaches it, any
source when the per-source model reaches `source_threshold_for` it (benchmarks/calibrate.py fits
both models). The curve sets that variable for each value, so no code is edited to move along it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "benchmarks"
sys.path.insert(0, str(ROOT))

from benchmarks import datasets  # noqa: E402

THRESHOLD_ENV = "FACTBOT_ANSWER_THRESHOLD"


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    for a, b in (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(a, b)
    return " ".join(text.lower().split())


def _factbot_env() -> dict[str, str]:
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return env


def run_scripts(seed: int, n_in: int, n_out: int, verbose: bool, wikiqa: Path | None = None) -> None:
    """Run both eval scripts as they are and print their summary lines."""
    env = _factbot_env()
    tmp = tempfile.mkdtemp(prefix="factbot-quality-")
    try:
        env["FACTBOT_DB"] = str(Path(tmp) / "seeds.db")
        cmd = [sys.executable, str(HERE / "seed_score.py"), str(datasets.seed_questions())] + (
            ["-v"] if verbose else []
        )
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if verbose:
            print(done.stdout, end="")
        print("seed_score.py:", (done.stdout.strip().splitlines() or [done.stderr.strip()])[-1])
        cmd = [
            sys.executable,
            str(HERE / "squad_score.py"),
            str(datasets.squad_dir()),
            "--seed",
            str(seed),
            "--in",
            str(n_in),
            "--out",
            str(n_out),
        ] + (["-v"] if verbose else [])
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if verbose:
            print(done.stdout, end="")
        print(f"squad_score.py --seed {seed}:", (done.stdout.strip().splitlines() or [done.stderr.strip()])[-1])
        if wikiqa is not None:  # every question counts (--out 1000), as in the README's WikiQA row
            cmd = [sys.executable, str(HERE / "squad_score.py"), str(wikiqa), "--seed", str(seed), "--out", "1000"]
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
            print(f"squad_score.py {wikiqa.name} --seed {seed}:", (done.stdout.strip().splitlines() or [""])[-1])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -- in process ------------------------------------------------------------------------------------


@dataclass
class SquadFigures:
    n_in: int = 0
    n_out: int = 0
    src1: int = 0
    q1: int = 0
    q3: int = 0
    extra: int = 0
    refused: int = 0
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)

    def line(self) -> str:
        n_in, n_out = max(self.n_in, 1), max(self.n_out, 1)
        return (
            f"in-library {self.n_in}, outside {self.n_out}; source@1 {self.src1 / n_in:.3f}; "
            f"quote@1 {self.q1 / n_in:.3f}; quote@3 {self.q3 / n_in:.3f}; extra {self.extra / n_in:.2f}; "
            f"refused {self.refused / n_out:.3f}; "
            f"{1000 * self.seconds / max(self.n_in + self.n_out, 1):.1f} ms/question (in process)"
        )


def squad_sample(seed: int, n_in: int, n_out: int, squad: Path | None = None) -> tuple[list[dict], list[dict]]:
    """The questions squad_score.py asks for this seed, in its order, and its manifest."""
    squad = squad or datasets.squad_dir()
    manifest = [json.loads(line) for line in (squad / "articles.jsonl").read_text().splitlines()]
    questions = [json.loads(line) for line in (squad / "questions.jsonl").read_text().splitlines()]
    rng = random.Random(seed)
    inside = [q for q in questions if q["role"] == "library"]
    outside = [q for q in questions if q["role"] == "outside"]
    picked = rng.sample(inside, min(n_in, len(inside))) + rng.sample(outside, min(n_out, len(outside)))
    return picked, manifest


async def build_squad_library(path: Path, manifest: list[dict], squad: Path | None = None):
    from storage.ingest import MetaOverrides, add_file
    from storage.library import Library

    squad = squad or datasets.squad_dir()
    library = await Library.open(path)
    for m in manifest:
        if m["role"] == "library":
            await add_file(library, squad / m["file"], given=MetaOverrides(title=m["title"]))
    return library


def score_squad(picked: list[dict], answers: list[dict], verbose: bool = False) -> SquadFigures:
    fig = SquadFigures()
    for q, out in zip(picked, answers, strict=True):
        sources = out.get("sources", [])
        titles = [s.get("title") for s in sources]
        if q["role"] == "outside":
            fig.n_out += 1
            fig.refused += not out.get("answered") and not any(s.get("quotes") for s in sources)
            continue
        fig.n_in += 1
        fig.src1 += bool(titles) and titles[0] == q["title"]
        fig.extra += sum(1 for t in titles if t != q["title"])
        gold = next((s for s in sources if s.get("title") == q["title"]), None)
        quotes = [norm(x.get("text", "")) for x in (gold or {}).get("quotes", [])]
        wanted = [norm(a) for a in q["answers"]]
        hits = [any(a in quote for a in wanted) for quote in quotes[:3]]
        fig.q1 += bool(hits and hits[0])
        fig.q3 += any(hits)
        if verbose and not (hits and hits[0]):
            fig.misses.append(
                f"miss: {q['question']!r} gold={q['answers'][0]!r} "
                f"top={quotes[0][:120] if quotes else None!r} src={titles[:2]}"
            )
    return fig


def score_seed_questions(rows: list[dict], answers: list[dict], seeds: dict[str, str]) -> str:
    """score.py's figures for answers already computed (bodies keyed by seed prefix)."""
    need = hit1 = hitany = quotes_total = false_quotes = refuse_need = refused = 0
    for row, out in zip(rows, answers, strict=True):
        gold = {k.rstrip("?"): (v, k.endswith("?")) for k, v in row["gold"].items()}
        by_seed: dict[str, list[str]] = {}
        for source in out.get("sources", []):
            for quote in source.get("quotes", []):
                text = norm(quote.get("text", ""))
                quotes_total += 1
                owner = next((sid for sid, body in seeds.items() if text and text in body), None)
                by_seed.setdefault(owner or "?", []).append(text)
        if not gold:
            refuse_need += 1
            if not out.get("answered") and not by_seed:
                refused += 1
            else:
                false_quotes += sum(len(v) for v in by_seed.values())
            continue
        for sid, (keys, optional) in gold.items():
            hits = [any(norm(k) in q for k in keys) for q in by_seed.get(sid, [])]
            if not optional:
                need += 1
                hit1 += bool(hits and hits[0])
                hitany += any(hits)
        false_quotes += sum(len(q) for sid, q in by_seed.items() if sid not in gold)
    return (
        f"recall@1 {hit1}/{need} = {hit1 / max(need, 1):.2f}; recall@any {hitany / max(need, 1):.2f}; "
        f"false quotes {false_quotes}/{quotes_total}; refusals {refused}/{refuse_need}"
    )


async def _ask_all(engine, questions: list[str]) -> tuple[list[dict], float]:
    start = time.perf_counter()
    out = [(await engine.ask(q)).to_json() for q in questions]
    return out, time.perf_counter() - start


async def inproc(seeds: list[int], n_in: int, n_out: int, thresholds: list[float | None], verbose: bool) -> None:
    from bot.answer import Engine
    from storage.library import Library

    tmp = Path(tempfile.mkdtemp(prefix="factbot-quality-"))
    try:
        rows = [json.loads(line) for line in datasets.seed_questions().read_text().splitlines() if line.strip()]
        bodies = {key: norm(body) for key, body in datasets.seed_bodies().items()}
        samples = {s: squad_sample(s, n_in, n_out) for s in seeds}
        manifest = next(iter(samples.values()))[1]
        async with await Library.open(tmp / "seeds.db") as seed_lib:
            library = await build_squad_library(tmp / "squad.db", manifest)
            try:
                for threshold in thresholds:
                    label = "default" if threshold is None else f"{threshold:g}"
                    answers, _ = await _ask_all(Engine(seed_lib, threshold=threshold), [r["question"] for r in rows])
                    print(f"threshold {label}: score.py (in process): {score_seed_questions(rows, answers, bodies)}")
                    engine = Engine(library, threshold=threshold)
                    for seed, (picked, _) in samples.items():
                        answers, took = await _ask_all(engine, [" ".join(q["question"].split()) for q in picked])
                        fig = score_squad(picked, answers, verbose)
                        fig.seconds = took
                        for miss in fig.misses:
                            print(miss)
                        print(f"threshold {label}: squad --seed {seed} (in process): {fig.line()}")
            finally:
                await library.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, action="append", help="squad sample seed (repeatable; default 7)")
    ap.add_argument("--in", dest="n_in", type=int, default=1000)
    ap.add_argument("--out", dest="n_out", type=int, default=300)
    ap.add_argument("--inproc", action="store_true", help="compute the figures in this process (fast)")
    ap.add_argument("--curve", action="store_true", help="the no-answer threshold's trade-off curve")
    ap.add_argument(
        "--thresholds", default="0,0.2,0.3,0.4,0.5,0.6,0.7,0.8", help="comma-separated threshold values for --curve"
    )
    ap.add_argument(datasets.WIKIQA_FLAG, type=Path, metavar="DIR", help="also score WikiQA's dev split (README)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    seeds = args.seed or [7]
    if args.curve:
        values: list[float | None] = [float(v) for v in args.thresholds.split(",") if v.strip()]
        asyncio.run(inproc(seeds, args.n_in, args.n_out, values, False))
    elif args.inproc:
        asyncio.run(inproc(seeds, args.n_in, args.n_out, [None], args.verbose))
    else:
        wikiqa = datasets.wikiqa_dir(args.wikiqa)
        for seed in seeds:
            run_scripts(seed, args.n_in, args.n_out, args.verbose, wikiqa)
    return 0


if __name__ == "__main__":
    sys.exit(main())
