"""Tune the sentence encoder for questions and the sentences that answer them.

all-MiniLM-L6-v2 was trained to place texts that say the same thing close together; a question
and the sentence that answers it are not that ("how many soldiers can they send?" against "It has
a 17,000 strong rapid reaction force"), so an on-topic sentence that does not answer often comes as
close as the answer. This tunes it on the public SQuAD half (benchmarks/data/squad): each question
is pulled towards the sentence of its article that holds its answer and pushed from the other
questions' answers in its batch and from one sentence of its own article that shares its words
but not the answer (a multiple-negatives ranking loss, as sentence-transformers' MNRL). No
WikiQA and no seed-article question is read.

    /tmp/encoder-venv/bin/python tools/tune_encoder.py --out /tmp/tuned            # every article
    /tmp/encoder-venv/bin/python tools/tune_encoder.py --out /tmp/tuned-fit --fold fit
    /tmp/encoder-venv/bin/python tools/build_encoder.py --model /tmp/tuned

`--fold fit` trains on half the articles (split by a hash of the title, as benchmarks.fusion
splits them) so that the other half measures what the tuning does on articles it never saw.
Needs the build-time environment of tools/build_encoder.py. Deterministic for a seed on one machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.seed_score import norm  # noqa: E402  (what a gold phrase is matched by, as scored)
from storage.segment import segment  # noqa: E402
from storage.text import is_stopword, terms  # noqa: E402

SQUAD = ROOT / "benchmarks" / "data" / "squad"
BATCH = 32
EPOCHS = 1
LEARNING_RATE = 2e-5
WARMUP_SHARE = 0.1
SCALE = 20.0  # cosines times SCALE are the logits (sentence-transformers' MNRL default)
MAX_TOKENS = 128


def fold_of(title: str) -> str:
    return "fit" if int(hashlib.sha1(title.encode()).hexdigest(), 16) % 2 == 0 else "held"


def triples(fold: str) -> list[tuple[str, str, str]]:
    """(question, the sentence holding its answer, a sentence of its article sharing its words but not
    the answer) for every SQuAD question whose answer lies inside one sentence."""
    manifest = [json.loads(x) for x in (SQUAD / "articles.jsonl").read_text().splitlines()]
    questions = [json.loads(x) for x in (SQUAD / "questions.jsonl").read_text().splitlines()]
    sentences: dict[str, list[str]] = {}
    for m in manifest:
        if fold != "all" and fold_of(m["title"]) != fold:
            continue
        text = (SQUAD / m["file"]).read_text(encoding="utf-8")
        sentences[m["title"]] = [text[s.start : s.end] for p in segment(text) for s in p.sentences]
    out = []
    for q in questions:
        article = sentences.get(q["title"])
        if not article or not q["answers"]:
            continue
        gold = [norm(a) for a in q["answers"]]
        holding = [s for s in article if any(g in norm(s) for g in gold)]
        if not holding:
            continue
        asked = {t for t in terms(q["question"]) if not is_stopword(t)}
        others = [s for s in article if not any(g in norm(s) for g in gold)]
        if not others:
            continue
        negative = max(others, key=lambda s: (len(asked & set(terms(s))), -len(s)))
        out.append((q["question"], holding[0], negative))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="where the tuned model is saved")
    parser.add_argument("--fold", choices=("all", "fit", "held"), default="all")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    import all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer, get_linear_schedule_with_warmup

    torch.manual_seed(args.seed)
    data = triples(args.fold)
    random.Random(args.seed).shuffle(data)
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(all_minilm_l6_v2.get_model_zip_path()) as zf:
            zf.extractall(tmp)
        tokenizer = AutoTokenizer.from_pretrained(tmp)
        model = AutoModel.from_pretrained(tmp)
    model.train()

    def embed(texts: list[str]) -> torch.Tensor:
        batch = tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9), dim=-1)

    steps = args.epochs * ((len(data) + BATCH - 1) // BATCH)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE)
    schedule = get_linear_schedule_with_warmup(optimizer, int(WARMUP_SHARE * steps), steps)
    step = 0
    for epoch in range(args.epochs):
        for i in range(0, len(data), BATCH):
            chunk = data[i : i + BATCH]
            q = embed([c[0] for c in chunk])
            d = embed([c[1] for c in chunk] + [c[2] for c in chunk])
            logits = SCALE * q @ d.T
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(chunk)))
            loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            if step % 20 == 0 or step == steps:
                print(f"epoch {epoch + 1} step {step}/{steps} loss {loss.item():.3f}", flush=True)
    model.eval()
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)
    (args.out / "TUNED.json").write_text(
        json.dumps({"fold": args.fold, "pairs": len(data), "epochs": args.epochs, "seed": args.seed}) + "\n"
    )
    print(f"{len(data)} questions, {steps} steps; saved to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
