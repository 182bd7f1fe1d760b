"""The scale benchmark stays runnable: its generator keeps its promises, and its smallest path
(a few dozen articles, a few questions, no peers) produces a table and its JSON figures.

No timing is asserted: timings belong to the benchmark's report, not to a test."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from benchmarks import corpus, scale
from storage.segment import segment


@pytest.fixture(scope="module")
def topics() -> list[corpus.Topic]:
    return corpus.load_topics()[0]


def test_generator_is_deterministic_nested_and_unique(topics: list[corpus.Topic]) -> None:
    small = list(corpus.articles(40, topics))
    large = list(corpus.articles(60, topics))
    assert small == large[:40], "a smaller library is a prefix of a larger one"
    assert len({a.body for a in large}) == len(large), "the store refuses duplicate content"
    assert len({a.name for a in large}) == len(large)
    assert [a.body for a in small[: len(topics)]] == [t.body for t in topics], "the real articles come first"
    other_seed = list(corpus.articles(20, topics, seed=corpus.SEED + 1))
    assert other_seed[len(topics) :] != small[len(topics) : 20]


def _skeleton(sentence: str) -> tuple[str, ...]:
    """A sentence without its numbers and proper names: what the generator's variation keeps."""
    return tuple(re.findall(r"\b[a-z]+\b", sentence))


def test_synthetic_articles_keep_a_topic_and_a_real_size(topics: list[corpus.Topic]) -> None:
    by_skeleton = {_skeleton(s): t.title for t in topics for p in t.paragraphs for s in p}
    for article in list(corpus.articles(40, topics))[len(topics) :]:
        paragraphs = segment(article.body)
        count = sum(len(p.sentences) for p in paragraphs)
        assert corpus.SENTENCES_PER_ARTICLE * 0.8 <= count <= corpus.SENTENCES_PER_ARTICLE * 1.5
        assert len(paragraphs) >= 4
        origins = Counter(
            by_skeleton.get(_skeleton(article.body[s.start : s.end])) for p in paragraphs for s in p.sentences
        )
        assert origins.most_common(1)[0][0] == article.topic, "most sentences come from the article's topic"
        assert origins[article.topic] >= 0.5 * count
        assert article.body not in {t.body for t in topics}


def test_questions_mix_answerable_and_outside_topics(topics: list[corpus.Topic]) -> None:
    asked = corpus.questions(30, 10)
    assert len(asked) == 40 and sum(q.answerable for q in asked) == 30
    inside = {t.title for t in topics}
    assert all((q.topic in inside) == q.answerable for q in asked)
    assert asked == corpus.questions(30, 10)


def test_the_smallest_run_prints_a_table_and_writes_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "figures.json"
    code = scale.main(
        [
            "--sizes",
            "30",
            "--answerable",
            "8",
            "--outside",
            "4",
            "--no-peers",
            "--workdir",
            str(tmp_path / "work"),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "| 30 |" in printed and "factbot ask (full answer)" in printed
    result = json.loads(out.read_text(encoding="utf-8"))["results"][0]
    ingest, ask = result["ingest"], result["ask"]
    assert ingest["articles"] == 30 and ingest["duplicates"] == 0
    assert ingest["sources"] >= 30 and ingest["sentences"] > 30 * 20
    assert ingest["rate"] > 0 and ingest["file_bytes"] > ingest["raw_bytes"] * 0.5
    assert ask["ask"]["n"] == 12 and 0 < ask["ask"]["p50"] <= ask["ask"]["p99"]
    assert ask["quality"]["answerable"] == 8
    assert ask["peak_rss_mb"] > 0
    added = result["added"]  # one more article, searchable by meaning once the bot's encoder woke
    assert added["pending_before"] == 0 and added["waiting"] == added["sentences"] > 0
    assert added["reached"] == added["sentences"] and added["by_meaning_s"] >= added["by_words_s"] > 0
    assert "answerable by words after" in printed
