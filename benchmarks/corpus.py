"""A synthetic library with the topical structure of real articles, and questions for it.

Why not uniform word salad: a search engine's cost depends on how terms are distributed. Real
libraries have topics, so a question's rare words concentrate in a few sources while its common
words are everywhere; random text has neither property and flatters (or punishes) the wrong plans.
So every synthetic article is recombined from the real SQuAD articles in benchmarks/data: most of its
sentences come from one "topic" article, a few from a second one, paragraphs are shuffled and the
sentences lightly varied (numbers and proper names swapped for others from the same article, plus
a couple of invented names per article, so the vocabulary keeps growing as a real library's does
and no two bodies are the same: the store refuses duplicate content).

Only the 16 articles the SQuAD eval puts in the library are used; the 8 "outside" articles never
are, so their questions stay unanswerable. The first 16 synthetic articles are the real articles
verbatim, so every answerable question has its exact answer sentence in every library size.

Articles are generated from a per-article seed, so a smaller library is a prefix of a larger one
and the figures at 1k, 10k and 40k describe nested libraries.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks import datasets
from storage.segment import segment

# The benchmark's children run from a snapshot of the code elsewhere; the parent tells them where
# through datasets.DATA_ENV.
DEFAULT_SQUAD = datasets.squad_dir()

SEED = 20240611
SENTENCES_PER_ARTICLE = 25  # 1M sentences at 40,000 articles, the largest library scale.py builds
SECONDARY_SHARE = 0.2  # sentences drawn from a second topic
NUMBER_SWAP = 0.5  # chance that a sentence's numbers are swapped for others of its article
NAME_SWAP = 0.3  # chance that one proper name in a sentence is swapped
INVENTED_NAMES = 2  # new proper nouns per synthetic article (vocabulary growth)
# Questions asked before the timed ones (caches and the first-query costs settle), by every latency benchmark.
WARMUP = 20

_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?![\w,])|(?<![\w.,])\d+(?![\w,])")
_NAME = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]{3,}\b")
_SYLLABLES = [
    "ka",
    "lo",
    "ve",
    "dra",
    "mi",
    "sor",
    "tel",
    "an",
    "bru",
    "ce",
    "fi",
    "gor",
    "han",
    "ish",
    "jun",
    "ke",
    "lin",
    "mar",
    "nor",
    "oth",
    "pel",
    "quar",
    "ris",
    "sta",
    "tor",
    "ul",
    "vin",
    "wes",
    "xan",
    "yor",
    "zel",
]


@dataclass(frozen=True, slots=True)
class Topic:
    """One real article cut into the pieces synthetic articles are made of."""

    title: str
    slug: str
    body: str
    paragraphs: tuple[tuple[str, ...], ...]  # sentences, per paragraph
    numbers: tuple[str, ...]
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Article:
    name: str  # a file name: the title is derived from it, as `factbot sources add FILE` does
    topic: str  # the title of the real article most of it comes from
    body: str


@dataclass(frozen=True, slots=True)
class BenchQuestion:
    text: str
    topic: str
    answerable: bool


def load_topics(squad: Path = DEFAULT_SQUAD) -> tuple[list[Topic], list[str]]:
    """The library articles as topics, and the titles of the articles kept out of the library."""
    topics: list[Topic] = []
    outside: list[str] = []
    for line in (squad / "articles.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry["role"] != "library":
            outside.append(entry["title"])
            continue
        path = squad / entry["file"]
        body = path.read_text(encoding="utf-8")
        paragraphs = tuple(
            tuple(body[s.start : s.end] for s in p.sentences) for p in segment(body) if len(p.sentences) >= 1
        )
        numbers = tuple(sorted(set(_NUMBER.findall(body))))
        names = tuple(sorted(set(_NAME.findall(body))))
        topics.append(Topic(entry["title"], path.stem, body, paragraphs, numbers, names))
    if not topics:
        raise FileNotFoundError(f"No library articles under {squad}")
    return topics, outside


def _invented(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def _vary(sentence: str, topic: Topic, rng: random.Random, renames: dict[str, str]) -> str:
    """Swap numbers and a proper name for others from the same article; apply the article's
    invented names. The sentence keeps its shape and its topic's words."""
    if topic.numbers and rng.random() < NUMBER_SWAP:
        sentence = _NUMBER.sub(lambda m: rng.choice(topic.numbers), sentence)
    if topic.names and rng.random() < NAME_SWAP:
        found = _NAME.findall(sentence)
        if found:
            old = rng.choice(found)
            sentence = re.sub(rf"\b{re.escape(old)}\b", rng.choice(topic.names), sentence, count=1)
    for old, new in renames.items():
        sentence = re.sub(rf"\b{re.escape(old)}\b", new, sentence)
    return sentence


def synthetic_article(index: int, topics: list[Topic], seed: int = SEED) -> Article:
    """Article `index` of the library: the real articles first, then recombinations."""
    if index < len(topics):
        topic = topics[index]
        return Article(f"{topic.slug}.txt", topic.title, topic.body)
    rng = random.Random(seed * 1_000_003 + index)
    main = topics[rng.randrange(len(topics))]
    other = topics[rng.randrange(len(topics))]
    renames = {name: _invented(rng) for name in rng.sample(main.names, min(INVENTED_NAMES, len(main.names)))}
    paragraphs: list[list[str]] = []
    count = 0
    while count < SENTENCES_PER_ARTICLE:
        source = other if rng.random() < SECONDARY_SHARE else main
        picked = source.paragraphs[rng.randrange(len(source.paragraphs))]
        size = min(len(picked), rng.randint(2, 6), SENTENCES_PER_ARTICLE - count)
        first = rng.randrange(len(picked) - size + 1)
        paragraph = [_vary(s, source, rng, renames if source is main else {}) for s in picked[first : first + size]]
        paragraphs.append(paragraph)
        count += len(paragraph)
    rng.shuffle(paragraphs)
    body = "\n\n".join(" ".join(p) for p in paragraphs) + "\n"
    return Article(f"{main.slug}-{index:06d}.txt", main.title, body)


def articles(count: int, topics: list[Topic], seed: int = SEED) -> Iterator[Article]:
    """The first `count` articles of the synthetic library, generated lazily (40k articles are
    about 150 MB of text: never hold them all)."""
    for index in range(count):
        yield synthetic_article(index, topics, seed)


def questions(answerable: int, unanswerable: int, squad: Path = DEFAULT_SQUAD, seed: int = SEED) -> list[BenchQuestion]:
    """SQuAD questions about the library's topics, and about articles kept out of it, in a fixed
    shuffled order (answerable and unanswerable interleaved, as a server would ask them)."""
    inside: list[BenchQuestion] = []
    outside: list[BenchQuestion] = []
    for line in (squad / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        q = BenchQuestion(row["question"], row["title"], row["role"] == "library")
        (inside if q.answerable else outside).append(q)
    rng = random.Random(seed)
    chosen = rng.sample(inside, min(answerable, len(inside))) + rng.sample(outside, min(unanswerable, len(outside)))
    rng.shuffle(chosen)
    return chosen
