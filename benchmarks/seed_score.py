"""Score the bot's answers on a question set about the two seed articles.

Each question is asked through the command line, one process per question:

    CMD "QUESTION"          (CMD defaults to: factbot ask --json)

and the JSON it prints is checked against the gold quotes in the question file.
The command must print one JSON object:

    {"question": str, "answered": bool,
     "sources": [{"id": ..., "title": str, "quotes": [{"text": str, ...}, ...], ...}, ...],
     "uncovered": [{"id": ..., "title": str}, ...]}

Gold: {"csto-...": [keys], "moscow-...?": [keys]} maps a shipped seed (by its key in
seeds/seeds.toml) to key phrases; a quote hits when it contains one of the keys. A '?' marks a seed that may
be quoted but need not be. A seed missing from gold does not answer the question:
any quote from it is a false quote. An empty gold means no source answers: the bot
should say so ("answered": false, no quotes).

Usage: python -m benchmarks.seed_score [QUESTIONS.jsonl] [--cmd 'factbot ask --json'] [-v]
(QUESTIONS defaults to benchmarks/data/seed_questions.jsonl: benchmarks/datasets.py.)
The last line printed is the summary.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

from benchmarks import datasets


def norm(text: str) -> str:
    """Text as quotes and gold phrases are compared (squad_score.py and quality.py too)."""
    text = unicodedata.normalize("NFKC", text)
    for a, b in (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(a, b)
    return " ".join(text.lower().split())


def load_seeds() -> dict[str, str]:
    return {key: norm(body) for key, body in datasets.seed_bodies().items()}


def ask(cmd: list[str], question: str, timeout: float) -> tuple[dict | None, str, float]:
    start = time.perf_counter()
    try:
        done = subprocess.run([*cmd, question], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "timed out", time.perf_counter() - start
    took = time.perf_counter() - start
    if done.returncode != 0:
        return None, f"exit {done.returncode}: {done.stderr.strip()[-200:]}", took
    try:
        return json.loads(done.stdout), "", took
    except json.JSONDecodeError as err:
        return None, f"not JSON ({err}): {done.stdout[:120]!r}", took


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", nargs="?", type=Path, default=datasets.seed_questions())
    ap.add_argument("--cmd", default="factbot ask --json")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)

    seeds = load_seeds()
    cmd = shlex.split(args.cmd)
    rows = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]

    need = hit1 = hitany = 0
    quotes_total = false_quotes = not_verbatim = crashes = 0
    refuse_need = refused = 0
    quote_chars = 0
    times: list[float] = []
    for row in rows:
        out, err, took = ask(cmd, row["question"], args.timeout)
        times.append(took)
        gold = {k.rstrip("?"): (v, k.endswith("?")) for k, v in row["gold"].items()}
        if not gold:
            refuse_need += 1
        if out is None:
            crashes += 1
            need += sum(1 for _, opt in gold.values() if not opt)
            print(f"{row['id']}: CRASH {err}")
            continue
        by_seed: dict[str, list[str]] = {}
        for source in out.get("sources", []):
            for quote in source.get("quotes", []):
                text = norm(quote.get("text", ""))
                quotes_total += 1
                quote_chars += len(text)
                owner = next((sid for sid, body in seeds.items() if text and text in body), None)
                if owner is None:
                    not_verbatim += 1
                    print(f"{row['id']}: NOT VERBATIM {quote.get('text', '')[:100]!r}")
                    continue
                by_seed.setdefault(owner, []).append(text)
        if not gold:
            if not out.get("answered") and not by_seed:
                refused += 1
            else:
                false_quotes += sum(len(v) for v in by_seed.values())
            if args.verbose or by_seed:
                print(f"{row['id']}: should find nothing; quoted {sum(len(v) for v in by_seed.values())}")
            continue
        marks = []
        for sid, (keys, optional) in gold.items():
            quoted = by_seed.get(sid, [])
            hits = [any(norm(k) in q for k in keys) for q in quoted]
            if not optional:
                need += 1
                hit1 += bool(hits and hits[0])
                hitany += any(hits)
            marks.append(f"{sid}{'?' if optional else ''}:{''.join('+' if h else '-' for h in hits) or 'none'}")
        for sid, quoted in by_seed.items():
            if sid not in gold:
                false_quotes += len(quoted)
                marks.append(f"{sid}(false):{len(quoted)}")
        if args.verbose or not all(m.split(":")[1].startswith("+") for m in marks if "?" not in m.split(":")[0]):
            print(f"{row['id']}: {' '.join(marks)}  | {row['question']}")

    times.sort()
    p50 = times[len(times) // 2] if times else 0.0
    answerable = len(rows) - refuse_need
    print(
        f"questions {len(rows)} (answerable {answerable}); "
        f"recall@1 {hit1}/{need} = {hit1 / max(need, 1):.2f}; "
        f"recall@any {hitany}/{need} = {hitany / max(need, 1):.2f}; "
        f"false quotes {false_quotes}/{quotes_total}; refusals {refused}/{refuse_need}; "
        f"not verbatim {not_verbatim}; crashes {crashes}; "
        f"mean quote {quote_chars / max(quotes_total, 1):.0f} chars; median process {p50:.2f}s"
    )
    return 0 if crashes == 0 and not_verbatim == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
