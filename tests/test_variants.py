"""benchmarks/variants.py: chat-style variants are seeded, keep the question, and each style does
what it says (one keyboard slip, a real Discord mention form, no '?' when lower-cased)."""

from __future__ import annotations

import json
import random
import re

import pytest
from rapidfuzz.distance import DamerauLevenshtein

from benchmarks import datasets
from benchmarks.variants import CHAT_STYLES, STYLES, paraphrases, seed_variants, typo, variant

QUESTION = "How many troops does the CSTO peacekeeping force have?"


def _seed_rows() -> list[dict]:
    return [json.loads(line) for line in datasets.seed_questions().read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("style", STYLES)
def test_a_variant_is_the_same_for_the_same_seed_and_may_differ_for_another(style: str) -> None:
    assert variant(QUESTION, style, seed=3, key="q") == variant(QUESTION, style, seed=3, key="q")
    drawn = {variant(QUESTION, style, seed=s, key="q") for s in range(20)}
    assert len(drawn) == 1 if style in {"formal", "lower"} else len(drawn) > 1


def test_each_style_keeps_the_question_and_adds_only_its_clutter() -> None:
    words = "troops does the CSTO peacekeeping force have"
    for seed in range(30):
        assert words in variant(QUESTION, "greeting", seed=seed)
        assert variant(QUESTION, "thanks", seed=seed).startswith(QUESTION)
        assert variant(QUESTION, "emoji", seed=seed).startswith(QUESTION + " ")
        mention = variant(QUESTION, "mention", seed=seed)
        assert re.search(r"<(@!?|@&|#)\d{18}>", mention) and words in mention
    assert variant(QUESTION, "lower") == "how many troops does the csto peacekeeping force have"


def test_a_typo_is_one_keyboard_slip_inside_one_longer_word() -> None:
    for seed in range(200):
        typed = variant(QUESTION, "typo", seed=seed)
        assert typed != QUESTION
        changed = [(a, b) for a, b in zip(QUESTION.split(), typed.split(), strict=True) if a != b]
        assert len(changed) == 1
        word, slip = changed[0]
        assert len(word) >= 5 and slip[0] == word[0]
        assert DamerauLevenshtein.distance(word, slip) == 1
    assert all(typo("members", random.Random(s)) != "members" for s in range(50))


def test_the_seed_variants_keep_their_gold_and_cover_every_style() -> None:
    rows = _seed_rows()
    by_id = {r["id"]: r for r in rows}
    made = list(seed_variants(rows))
    assert {v["style"] for v in made} == {*CHAT_STYLES, "paraphrase"}
    assert all(v["gold"] == by_id[v["of"]]["gold"] for v in made)
    written = paraphrases()
    assert set(written) <= set(by_id), "every paraphrase rewrites a seed question"
    assert all(p != by_id[qid]["question"] for qid, texts in written.items() for p in texts)
