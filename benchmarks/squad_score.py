"""Answer quality on real articles and questions that nobody on this project wrote (SQuAD v1.1).

Builds a fresh library from the 'library' articles of a SQuAD half, then asks questions about
those articles (in-library) and about the 'outside' articles, which are not in the library and
so should get "answered": false. Uses the command line only:

    FACTBOT_DB=TMP factbot sources add FILE --title TITLE
    FACTBOT_DB=TMP factbot ask --json --batch      (one question a line on stdin,
                                                    one JSON answer a line on stdout)

A question's role says what a right answer is: "library" (its article is in the library and
answers it), "outside" (its article is not in the library) or "unanswerable" (its article is in
the library but does not answer it: WikiQA). The last two should get "answered": false.
A quote hits when it contains one of the question's gold answers (case and spacing ignored).
  source@1  the first source listed is the article the question was written on
  quote@1   the first quote from that article contains a gold answer
  quote@3   one of its first three quotes does
  extra     mean number of other sources quoted per answerable question
  refused   questions to refuse (outside, unanswerable) answered false, with nothing quoted
  trigger   answer triggering as in Yang et al. 2015: a question is right when it is answered and
            its first quote is a hit; P = right / answered questions, R = right / answerable

Usage: python -m benchmarks.squad_score [DIR] [--cmd factbot] [--in N] [--out N] [--seed S] [--keep-db PATH]
(DIR defaults to benchmarks/data/squad: benchmarks/datasets.py; a WikiQA folder has the same layout.)
The last line printed is the summary.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import datasets
from benchmarks.seed_score import norm


@dataclass
class Tally:
    """The counts behind the summary line."""

    n_in: int = 0
    n_out: int = 0
    src1: int = 0
    q1: int = 0
    q3: int = 0
    refused: int = 0
    extra: int = 0
    answered: int = 0
    right: int = 0

    def summary(self, name: str, ingest_s: float, ask_s: float, asked: int) -> str:
        n_in, n_out = max(self.n_in, 1), max(self.n_out, 1)
        p, r = self.right / max(self.answered, 1), self.right / n_in
        return (
            f"squad {name}: in-library {self.n_in}, outside {self.n_out}; "
            f"source@1 {self.src1 / n_in:.3f}; quote@1 {self.q1 / n_in:.3f}; quote@3 {self.q3 / n_in:.3f}; "
            f"extra {self.extra / n_in:.2f}; refused {self.refused / n_out:.3f}; "
            f"trigger P {p:.3f} R {r:.3f} F1 {2 * p * r / max(p + r, 1e-9):.3f}; "
            f"ingest {ingest_s:.1f}s; ask {1000 * ask_s / max(asked, 1):.1f} ms/question (one process)"
        )


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", type=Path, default=datasets.squad_dir())
    ap.add_argument("--cmd", default="factbot")
    ap.add_argument("--in", dest="n_in", type=int, default=1000)
    ap.add_argument("--out", dest="n_out", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep-db", type=Path)
    ap.add_argument("-v", "--verbose", action="store_true")
    return ap.parse_args(argv)


def _pick(questions: list[dict], n_in: int, n_out: int, seed: int) -> list[dict]:
    """A seeded sample: `n_in` in-library questions, then `n_out` of the others."""
    rng = random.Random(seed)
    inside = [q for q in questions if q["role"] == "library"]
    outside = [q for q in questions if q["role"] != "library"]
    return rng.sample(inside, min(n_in, len(inside))) + rng.sample(outside, min(n_out, len(outside)))


def _build(cmd: list[str], folder: Path, manifest: list[dict], env: dict[str, str]) -> bool:
    """Add the 'library' articles through `sources add`; False (having said why) when one fails."""
    for m in manifest:
        if m["role"] != "library":
            continue
        done = subprocess.run(
            [*cmd, "sources", "add", str(folder / m["file"]), "--title", m["title"]],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            print(f"could not add {m['file']}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
            print("summary: FAILED to build the library")
            return False
    return True


def _ask(cmd: list[str], picked: list[dict], env: dict[str, str]) -> list[str] | None:
    """One JSON answer a line from one `ask --json --batch`; None (having said why) when it fails."""
    stdin = "".join(" ".join(q["question"].split()) + "\n" for q in picked)
    done = subprocess.run([*cmd, "ask", "--json", "--batch"], env=env, input=stdin, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or len(lines) != len(picked):
        print(
            f"ask --batch: exit {done.returncode}, {len(lines)} answers for {len(picked)} questions: "
            f"{done.stderr.strip()[-300:]}"
        )
        print("summary: FAILED to answer the batch")
        return None
    return lines


def _score(picked: list[dict], lines: list[str], verbose: bool) -> Tally:
    """Each answer against its question's role and gold answers."""
    t = Tally()
    for q, line in zip(picked, lines, strict=True):
        out = json.loads(line)
        sources = out.get("sources", [])
        titles = [s.get("title") for s in sources]
        if out.get("answered"):
            t.answered += 1
            first = norm(((sources[0].get("quotes") or [{}])[0]).get("text", "")) if sources else ""
            t.right += (
                q["role"] == "library"
                and bool(titles)
                and titles[0] == q["title"]
                and any(norm(a) in first for a in q["answers"])
            )
        if q["role"] != "library":
            t.n_out += 1
            nothing = not out.get("answered") and not any(s.get("quotes") for s in sources)
            t.refused += nothing
            if verbose and not nothing:
                print(f"should refuse: {q['question']!r} -> {titles[:3]}")
            continue
        t.n_in += 1
        t.src1 += bool(titles) and titles[0] == q["title"]
        t.extra += sum(1 for title in titles if title != q["title"])
        gold = next((s for s in sources if s.get("title") == q["title"]), None)
        quotes = [norm(x.get("text", "")) for x in (gold or {}).get("quotes", [])]
        answers = [norm(a) for a in q["answers"]]
        hits = [any(a in quote for a in answers) for quote in quotes[:3]]
        t.q1 += bool(hits and hits[0])
        t.q3 += any(hits)
        if verbose and not (hits and hits[0]):
            print(f"miss: {q['question']!r} gold={q['answers'][0]!r} top={quotes[0][:100] if quotes else None!r}")
    return t


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    cmd = shlex.split(args.cmd)
    manifest = [json.loads(line) for line in (args.dir / "articles.jsonl").read_text().splitlines()]
    questions = [json.loads(line) for line in (args.dir / "questions.jsonl").read_text().splitlines()]
    picked = _pick(questions, args.n_in, args.n_out, args.seed)
    with tempfile.TemporaryDirectory(prefix="squad-eval-") as tmp:
        env = dict(os.environ, FACTBOT_DB=str(args.keep_db or Path(tmp) / "library.db"))
        start = time.perf_counter()
        if not _build(cmd, args.dir, manifest, env):
            return 1
        ingest_s = time.perf_counter() - start
        start = time.perf_counter()
        lines = _ask(cmd, picked, env)
        ask_s = time.perf_counter() - start
        if lines is None:
            return 1
    print(_score(picked, lines, args.verbose).summary(args.dir.name, ingest_s, ask_s, len(picked)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
