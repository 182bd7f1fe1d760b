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
from pathlib import Path

from benchmarks import datasets
from benchmarks.seed_score import norm


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", type=Path, default=datasets.squad_dir())
    ap.add_argument("--cmd", default="factbot")
    ap.add_argument("--in", dest="n_in", type=int, default=1000)
    ap.add_argument("--out", dest="n_out", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep-db", type=Path)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    cmd = shlex.split(args.cmd)
    manifest = [json.loads(line) for line in (args.dir / "articles.jsonl").read_text().splitlines()]
    questions = [json.loads(line) for line in (args.dir / "questions.jsonl").read_text().splitlines()]
    rng = random.Random(args.seed)
    inside = [q for q in questions if q["role"] == "library"]
    outside = [q for q in questions if q["role"] != "library"]
    picked = rng.sample(inside, min(args.n_in, len(inside))) + rng.sample(outside, min(args.n_out, len(outside)))

    tmp = tempfile.mkdtemp(prefix="squad-eval-")
    db = args.keep_db or Path(tmp) / "library.db"
    env = dict(os.environ, FACTBOT_DB=str(db))
    start = time.perf_counter()
    for m in manifest:
        if m["role"] != "library":
            continue
        done = subprocess.run(
            [*cmd, "sources", "add", str(args.dir / m["file"]), "--title", m["title"]],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            print(f"could not add {m['file']}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
            print("summary: FAILED to build the library")
            return 1
    ingest_s = time.perf_counter() - start

    start = time.perf_counter()
    stdin = "".join(" ".join(q["question"].split()) + "\n" for q in picked)
    done = subprocess.run([*cmd, "ask", "--json", "--batch"], env=env, input=stdin, capture_output=True, text=True)
    ask_s = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or len(lines) != len(picked):
        print(
            f"ask --batch: exit {done.returncode}, {len(lines)} answers for {len(picked)} questions: "
            f"{done.stderr.strip()[-300:]}"
        )
        print("summary: FAILED to answer the batch")
        return 1

    n_in = n_out = src1 = q1 = q3 = refused = extra = answered = right = 0
    for q, line in zip(picked, lines, strict=True):
        out = json.loads(line)
        sources = out.get("sources", [])
        titles = [s.get("title") for s in sources]
        if out.get("answered"):
            answered += 1
            first = norm(((sources[0].get("quotes") or [{}])[0]).get("text", "")) if sources else ""
            right += (
                q["role"] == "library"
                and bool(titles)
                and titles[0] == q["title"]
                and any(norm(a) in first for a in q["answers"])
            )
        if q["role"] != "library":
            n_out += 1
            nothing = not out.get("answered") and not any(s.get("quotes") for s in sources)
            refused += nothing
            if args.verbose and not nothing:
                print(f"should refuse: {q['question']!r} -> {titles[:3]}")
            continue
        n_in += 1
        src1 += bool(titles) and titles[0] == q["title"]
        extra += sum(1 for t in titles if t != q["title"])
        gold = next((s for s in sources if s.get("title") == q["title"]), None)
        quotes = [norm(x.get("text", "")) for x in (gold or {}).get("quotes", [])]
        answers = [norm(a) for a in q["answers"]]
        hits = [any(a in quote for a in answers) for quote in quotes[:3]]
        q1 += bool(hits and hits[0])
        q3 += any(hits)
        if args.verbose and not (hits and hits[0]):
            print(f"miss: {q['question']!r} gold={q['answers'][0]!r} top={quotes[0][:100] if quotes else None!r}")

    p, r = right / max(answered, 1), right / max(n_in, 1)
    print(
        f"squad {args.dir.name}: in-library {n_in}, outside {n_out}; "
        f"source@1 {src1 / max(n_in, 1):.3f}; quote@1 {q1 / max(n_in, 1):.3f}; quote@3 {q3 / max(n_in, 1):.3f}; "
        f"extra {extra / max(n_in, 1):.2f}; refused {refused / max(n_out, 1):.3f}; "
        f"trigger P {p:.3f} R {r:.3f} F1 {2 * p * r / max(p + r, 1e-9):.3f}; "
        f"ingest {ingest_s:.1f}s; ask {1000 * ask_s / max(len(picked), 1):.1f} ms/question (one process)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
