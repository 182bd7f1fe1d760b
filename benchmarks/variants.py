"""Chat-style variants of questions: the same question as people type it in a chat.

    python -m benchmarks.variants                      # the seed questions' variants, one JSON object a line
    python -m benchmarks.variants --style typo -n 3    # a few of one style

Every style is generic, applied to any question with a seeded random generator (same seed, same
variants): nothing here knows the library or the engine.

  formal      the question as written
  greeting    a greeting or opener before it ("hey, ", "quick question: ")
  thanks      politeness after it ("thanks!", "pls")
  lower       all lower case, no question mark
  typo        one keyboard slip in one longer word: two letters swapped, a neighbouring key, a letter
              dropped or doubled
  mention     a Discord mention of a user, role or channel before or after it
  emoji       an emoji (Unicode or a Discord custom one) after it
  paraphrase  (seed questions only) the same question in other words, hand-written in
              benchmarks/data/seed_paraphrases.jsonl: other verbs, synonyms, a different construction

Variants of the seed questions keep their gold (the scoring of score.py / seed_score.py), so the
quality benchmark scores them like the plain questions.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from benchmarks import datasets

PARAPHRASES = datasets.REPO_DATA / "seed_paraphrases.jsonl"
CHAT_STYLES = ("greeting", "thanks", "lower", "typo", "mention", "emoji")
STYLES = ("formal", *CHAT_STYLES)

GREETINGS = ("hey, ", "hi all, ", "hello! ", "quick question: ", "hey there ", "hi, ", "yo ", "good morning, ")
THANKS = (" thanks!", " thx", " pls", " thank you!", " ty", " please :)", " cheers")
EMOJI = ("🤔", "🙏", "😅", "👀", "<:thonk:845129375662800936>", "<a:wave:772839281034649611>", "🇺🇳")

# A QWERTY keyboard's letter neighbours (same row and the rows above and below).
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for _r, _row in enumerate(_ROWS):
    for _c, _ch in enumerate(_row):
        near = [_row[i] for i in (_c - 1, _c + 1) if 0 <= i < len(_row)]
        for _other in (_r - 1, _r + 1):
            if 0 <= _other < len(_ROWS):
                near += [_ROWS[_other][i] for i in (_c - 1, _c, _c + 1) if 0 <= i < len(_ROWS[_other])]
        _NEIGHBOURS[_ch] = "".join(near)

_WORD = re.compile(r"[A-Za-z]{5,}")


def _rng(seed: int, key: str, style: str) -> random.Random:
    return random.Random(f"{seed}:{key}:{style}")


def _lead_lower(question: str) -> str:
    """The first letter lower-cased unless the first word is an acronym or a name in capitals."""
    first = question.split(" ", 1)[0]
    return question[:1].lower() + question[1:] if first[1:2].islower() else question


def typo(word: str, rng: random.Random) -> str:
    """One keyboard slip inside `word` (never its first letter, which people rarely miss)."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "neighbour", "drop", "double"))
    if kind == "swap" and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "neighbour" and word[i].lower() in _NEIGHBOURS:
        key = rng.choice(_NEIGHBOURS[word[i].lower()])
        return word[:i] + (key.upper() if word[i].isupper() else key) + word[i + 1 :]
    if kind == "double":
        return word[: i + 1] + word[i] + word[i + 1 :]
    return word[:i] + word[i + 1 :]


def variant(question: str, style: str, *, seed: int = 0, key: str = "") -> str:
    """`question` in `style` (one of STYLES except paraphrase); `seed` and `key` (the question's id)
    fix the random choices."""
    rng = _rng(seed, key or question, style)
    q = " ".join(question.split())
    if style == "formal":
        return q
    if style == "greeting":
        return rng.choice(GREETINGS) + _lead_lower(q)
    if style == "thanks":
        return q + rng.choice(THANKS)
    if style == "lower":
        return q.lower().rstrip("?!. ")
    if style == "typo":
        words = list(_WORD.finditer(q))
        if not words:
            return q
        m = rng.choice(words)
        return q[: m.start()] + typo(m.group(), rng) + q[m.end() :]
    if style == "mention":
        ident = rng.randrange(10**17, 10**18)
        tag = rng.choice((f"<@{ident}>", f"<@!{ident}>", f"<@&{ident}>", f"<#{ident}>"))
        return f"{tag} {_lead_lower(q)}" if rng.random() < 0.5 else f"{q} {tag}"
    if style == "emoji":
        return f"{q} {rng.choice(EMOJI)}"
    raise ValueError(f"unknown style {style!r}")


def paraphrases(path: Path = PARAPHRASES) -> dict[str, list[str]]:
    """The hand-written paraphrases of the seed questions, by question id."""
    out: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out.setdefault(row["id"], []).append(row["question"])
    return out


def seed_variants(
    rows: list[dict], *, seed: int = 0, styles: tuple[str, ...] = (*CHAT_STYLES, "paraphrase")
) -> Iterator[dict]:
    """Every seed question in every chat style and each of its paraphrases, gold kept: the rows of
    a score.py question file with `style` and `of` (the plain question's id) added."""
    extra = paraphrases() if "paraphrase" in styles else {}
    styles = tuple(s for s in styles if s != "paraphrase")
    for row in rows:
        for style in styles:
            yield dict(row, id=f"{row['id']}-{style}", of=row["id"], style=style,
                       question=variant(row["question"], style, seed=seed, key=row["id"]))  # fmt: skip
        for i, text in enumerate(extra.get(row["id"], [])):
            yield dict(row, id=f"{row['id']}-paraphrase{i + 1}", of=row["id"], style="paraphrase", question=text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=Path, default=datasets.seed_questions())
    ap.add_argument("--style", action="append", choices=(*CHAT_STYLES, "paraphrase"), help="only these (repeatable)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-n", type=int, default=0, help="at most this many rows")
    args = ap.parse_args(argv)
    rows = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    styles = tuple(args.style) if args.style else (*CHAT_STYLES, "paraphrase")
    for i, row in enumerate(seed_variants(rows, seed=args.seed, styles=styles)):
        if args.n and i >= args.n:
            break
        print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
