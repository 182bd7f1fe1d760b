"""How factbot scales: ingest rate, file size, warm `ask` latency and peak memory at 1k, 10k and
40k articles, next to tantivy and rank_bm25 on the same sentences and questions.

    .venv/bin/python -m benchmarks.scale --quick            # 200 articles
    .venv/bin/python -m benchmarks.scale                    # 1,000, 10,000 and 40,000 articles
    .venv/bin/python -m benchmarks.scale --sizes 1000,10000 --profile

Why separate processes: peak memory (ru_maxrss) only means something per process, and a serving
bot never holds the ingest's garbage or a peer's index. So for each size the parent runs one child
per stage (factbot ingest, factbot ask, tantivy, rank_bm25), each of which writes its figures as
JSON into the size's work folder. The libraries live in a temporary folder, never in the repo.

Why these measures: ingest goes through `storage.ingest.add_document`, one transaction per
article, exactly what `factbot sources add` does; `ask` is timed warm in one process over a few
hundred questions (answerable SQuAD questions and questions about articles kept out), the full
answer included. The peers get the very sentences the store segmented (read back from the library
file), the same terms (storage.text) and the same query terms (the engine's searchable terms, OR,
top 10), so a ratio compares engines, not tokenisers. "factbot FTS5 stage" is the engine's own
candidate query alone, the like-for-like figure to hold against the peers.

Not a test: timings depend on the machine. tests/test_benchmarks.py only checks that it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import functools
import io
import json
import math
import os
import platform
import pstats
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import corpus, datasets

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "benchmarks" / "out"
FULL_SIZES = (1_000, 10_000, 40_000)
QUICK_SIZE = 200
STAGE_LIMIT = 10  # hits the peers and the like-for-like FTS5 figure return: the top 10
CHILDREN = ("ingest", "ask", "tantivy", "bm25", "added")
# How long the "added" stage waits for a new article's vectors before it reports a failure.
ADDED_LIMIT_S = 120.0
ADDED_POLL_S = 0.02

Figures = dict[str, Any]


# -- small helpers -------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pss_mb() -> float | None:
    """This process's proportional set size now: a mapped library file's pages count once across
    the processes that share them, where RSS counts them in full in each (None off Linux)."""
    try:
        rollup = Path("/proc/self/smaps_rollup").read_text(encoding="ascii")
    except OSError:
        return None
    kib = next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), None)
    return None if kib is None else kib / 1024


def summarise(seconds: Sequence[float]) -> Figures:
    """p50/p95/p99/mean/max in milliseconds (nearest-rank percentiles: no interpolation on a
    few hundred samples)."""
    if not seconds:
        return {"n": 0}
    ordered = sorted(seconds)

    def rank(p: float) -> float:
        return 1000 * ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return {
        "n": len(ordered),
        "p50": rank(50),
        "p95": rank(95),
        "p99": rank(99),
        "mean": 1000 * statistics.fmean(ordered),
        "max": 1000 * ordered[-1],
    }


def read_sentences(db: Path) -> tuple[list[int], list[str]]:
    """Every sentence the store holds, as it holds it (ids and verbatim text), for the peers."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        bodies: dict[int, list[str]] = {}
        for source_id, text in conn.execute("SELECT source_id, text FROM body_chunks ORDER BY source_id, n"):
            bodies.setdefault(source_id, []).append(text)
        body = {source_id: "".join(texts) for source_id, texts in bodies.items()}
        rows = conn.execute('SELECT id, source_id, start, "end" FROM sentences ORDER BY id').fetchall()
    finally:
        conn.close()
    return [r[0] for r in rows], [body[r[1]][r[2] : r[3]] for r in rows]


def topic_key(title: str) -> str:
    """A title reduced so 'Fresno, California' matches a source titled 'Fresno California 000123'."""
    return re.sub(r"[\W_]+", " ", title).strip().lower()


def write(path: Path, figures: Figures) -> None:
    path.write_text(json.dumps(figures, indent=2), encoding="utf-8")


# -- children: one stage each, figures to <dir>/<stage>.json -------------------------------------


async def child_ingest(work: Path, size: int, seed: int) -> Figures:
    """Add `size` articles one transaction each, the way `factbot sources add` does."""
    from storage.backends import open_library
    from storage.errors import DuplicateSource
    from storage.ingest import add_document

    topics, _ = corpus.load_topics()
    db = work / "library.db"
    durations: list[float] = []
    duplicates = 0
    started = time.perf_counter()
    async with await open_library(db) as library:  # with the seeds, as the command line opens it
        for article in corpus.articles(size, topics, seed):
            data = article.body.encode("utf-8")
            t = time.perf_counter()
            try:
                await add_document(library, data, filename=article.name, added_by="benchmark")
            except DuplicateSource:
                duplicates += 1
            durations.append(time.perf_counter() - t)
        wall = time.perf_counter() - started
        # Then every sentence's vector, as `sources add` does after its adds (the bot: in the background).
        from bot.answer import Engine

        t = time.perf_counter()
        encoded = await Engine(library).catch_up()
        encode_s = time.perf_counter() - t
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        sources = conn.execute("SELECT count(*) FROM sources").fetchone()[0]
        raw = conn.execute("SELECT sum(length(CAST(text AS BLOB))) FROM body_chunks").fetchone()[0]
        sentences = conn.execute("SELECT count(*) FROM sentences").fetchone()[0]
    finally:
        conn.close()
    file_bytes = sum(p.stat().st_size for p in await asyncio.to_thread(lambda: list(work.glob("library.db*"))))
    tail = durations[-max(1, len(durations) // 10) :]
    return {
        "articles": size,
        "sources": sources,
        "sentences": sentences,
        "duplicates": duplicates,
        "raw_bytes": raw,
        "file_bytes": file_bytes,
        "file_ratio": file_bytes / raw,
        "ingest_s": sum(durations),
        "wall_s": wall,
        "encoded": encoded,
        "encode_s": encode_s,
        "encode_rate": size / encode_s if encode_s else None,  # articles a second
        "rate": len(durations) / sum(durations),
        "rate_last_10pct": len(tail) / sum(tail),
        "per_article": summarise(durations),
        "peak_rss_mb": peak_rss_mb(),
    }


async def child_ask(work: Path, answerable: int, outside: int, seed: int, profile: bool) -> Figures:
    """Warm `ask` latency in one process, the engine's FTS5 stage alone, and (with --profile)
    where the time goes."""
    from bot.answer import Engine
    from bot.answer.engine import CANDIDATES, search_terms
    from bot.answer.question import parse_question
    from storage.backends import open_library

    asked = corpus.questions(answerable, outside, seed=seed)
    figures: Figures = {}
    async with await open_library(work / "library.db", seed=False) as library:
        engine = Engine(library)
        first = time.perf_counter()
        await engine.ask(asked[0].text)
        figures["first_ask_ms"] = 1000 * (time.perf_counter() - first)
        for q in asked[: corpus.WARMUP]:
            await engine.ask(q.text)
        all_s: list[float] = []
        by_kind: dict[str, list[float]] = {"answerable": [], "outside": []}
        answered = topic_hits = outside_answered = 0
        for q in asked:
            t = time.perf_counter()
            answer = await engine.ask(q.text)
            elapsed = time.perf_counter() - t
            all_s.append(elapsed)
            by_kind["answerable" if q.answerable else "outside"].append(elapsed)
            if q.answerable and answer.sources:
                answered += 1
                topic_hits += topic_key(answer.sources[0].source.title).startswith(topic_key(q.topic))
            elif answer.sources:
                outside_answered += 1
        n_in = sum(q.answerable for q in asked)
        figures["ask"] = summarise(all_s)
        figures["ask_answerable"] = summarise(by_kind["answerable"])
        figures["ask_outside"] = summarise(by_kind["outside"])
        figures["quality"] = {
            "answerable": n_in,
            "answered": answered / max(n_in, 1),
            "topic_at_1": topic_hits / max(n_in, 1),
            "outside": len(asked) - n_in,
            "outside_answered": outside_answered / max(len(asked) - n_in, 1),
        }

        # The engine's candidate query alone, with the terms the engine would search for.
        queries: list[list[str]] = []
        stage10: list[float] = []
        stage_engine: list[float] = []
        for q in asked:
            parsed = parse_question(q.text)
            freqs = await library.term_frequencies(parsed.terms)
            terms = search_terms(parsed, freqs)
            queries.append(terms)
            if not terms:
                continue
            t = time.perf_counter()
            await library.match_any(terms, scope=0, limit=STAGE_LIMIT)
            stage10.append(time.perf_counter() - t)
            t = time.perf_counter()
            await library.match_any(terms, scope=0, limit=CANDIDATES)
            stage_engine.append(time.perf_counter() - t)
        figures["fts_top10"] = summarise(stage10)
        figures["fts_candidates"] = summarise(stage_engine)
        (work / "queries.json").write_text(json.dumps(queries), encoding="utf-8")

        if profile:
            figures["profile"] = await _profile(library, engine, asked)
        figures["pss_mb"] = pss_mb()  # after every ask, the library still open
    figures["peak_rss_mb"] = peak_rss_mb()
    return figures


async def _profile(library: Any, engine: Any, asked: list[corpus.BenchQuestion]) -> Figures:
    """Time each library call the engine makes (wrapping the instance's methods, no code
    changed) and a cProfile of the asks."""
    spent: dict[str, list[float]] = {}
    names = [
        "sentence_stats",
        "term_frequencies",
        "match_sentences",
        "neighbours",
        "sources_by_id",
        "count_sources",
        "list_sources",
        "excerpt",
    ]

    def timed(name: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(method)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                spent.setdefault(name, []).append(time.perf_counter() - t)

        return wrapper

    originals = {name: getattr(library, name) for name in names}
    for name, method in originals.items():
        setattr(library, name, timed(name, method))
    totals: list[float] = []
    profiler = cProfile.Profile()
    try:
        for q in asked:
            t = time.perf_counter()
            profiler.enable()
            await engine.ask(q.text)
            profiler.disable()
            totals.append(time.perf_counter() - t)
    finally:
        for name in names:
            delattr(library, name)  # the instance attribute shadowed the class's method
    n = len(asked)
    calls = {
        name: {"calls_per_ask": len(v) / n, "ms_per_ask": 1000 * sum(v) / n, **summarise(v)}
        for name, v in spent.items()
    }
    library_ms = sum(c["ms_per_ask"] for c in calls.values())
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    figures: Figures = {
        "ask_ms_per_ask": 1000 * sum(totals) / n,
        "library_ms_per_ask": library_ms,
        "python_ms_per_ask": 1000 * sum(totals) / n - library_ms,
        "calls": calls,
        "cprofile_top": _trim_pstats(out.getvalue()),
    }
    return figures


def _trim_pstats(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    return [re.sub(r"/\S*/(site-packages|main)/", "", line) for line in lines[start : start + 16]]


def child_tantivy(work: Path) -> Figures:
    """tantivy (BM25) on the store's sentences, OR of the engine's terms, top 10."""
    import tantivy

    from storage import text as textmod

    ids, texts = read_sentences(work / "library.db")
    queries: list[list[str]] = json.loads((work / "queries.json").read_text(encoding="utf-8"))
    t = time.perf_counter()
    terms = [textmod.index_text(s) for s in texts]
    tokenize_s = time.perf_counter() - t
    del texts
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("terms", stored=False, tokenizer_name="whitespace")
    builder.add_unsigned_field("sid", stored=True)
    schema = builder.build()
    folder = work / "tantivy"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    t = time.perf_counter()
    index = tantivy.Index(schema, path=str(folder))
    writer = index.writer(heap_size=256_000_000)
    for sid, text in zip(ids, terms, strict=True):
        writer.add_document(tantivy.Document(terms=text, sid=sid))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    index_s = time.perf_counter() - t
    searcher = index.searcher()

    def search(q: list[str]) -> list[int]:
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "terms", term)) for term in q]
        )
        return [searcher.doc(address)["sid"][0] for _score, address in searcher.search(query, STAGE_LIMIT).hits]

    live = [q for q in queries if q]
    for q in live[: corpus.WARMUP]:
        search(q)
    latencies = []
    for q in live:
        t = time.perf_counter()
        search(q)
        latencies.append(time.perf_counter() - t)
    return {
        "tokenize_s": tokenize_s,
        "index_s": index_s,
        "build_s": tokenize_s + index_s,
        "query": summarise(latencies),
        "index_bytes": sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()),
        "peak_rss_mb": peak_rss_mb(),
    }


def child_bm25(work: Path, budget_s: float, max_sentences: int) -> Figures:
    """rank_bm25's BM25Okapi (pure Python and numpy, scores every sentence per query) where it
    finishes within the budget; otherwise says so instead of stalling the run."""
    import numpy as np
    from rank_bm25 import BM25Okapi

    from storage import text as textmod

    ids, texts = read_sentences(work / "library.db")
    if len(texts) > max_sentences:
        return {"skipped": f"skipped (too slow): {len(texts):,} sentences > --bm25-max-sentences {max_sentences:,}"}
    queries: list[list[str]] = [q for q in json.loads((work / "queries.json").read_text(encoding="utf-8")) if q]
    t = time.perf_counter()
    tokens = [textmod.terms(s) for s in texts]
    tokenize_s = time.perf_counter() - t
    del texts
    t = time.perf_counter()
    bm25 = BM25Okapi(tokens)
    index_s = time.perf_counter() - t
    del tokens
    latencies: list[float] = []
    started = time.perf_counter()
    for q in queries:
        t = time.perf_counter()
        scores = bm25.get_scores(q)
        top = np.argpartition(scores, -STAGE_LIMIT)[-STAGE_LIMIT:] if len(scores) > STAGE_LIMIT else range(len(scores))
        [ids[i] for i in top]
        latencies.append(time.perf_counter() - t)
        if time.perf_counter() - started > budget_s:
            break
    figures: Figures = {
        "tokenize_s": tokenize_s,
        "index_s": index_s,
        "build_s": tokenize_s + index_s,
        "query": summarise(latencies),
        "peak_rss_mb": peak_rss_mb(),
    }
    if len(latencies) < len(queries):
        figures["partial"] = f"{len(latencies)} of {len(queries)} queries within the {budget_s:.0f} s budget"
    return figures


async def child_added(work: Path, size: int, seed: int) -> Figures:
    """One more article added to the whole library the way the bot adds one (answerable by its
    words when the add returns; its vectors made by the bot's background encoder, woken by the
    add): how long until a question's meaning reaches every one of its sentences (issue 19's goal:
    within 10 s). Runs last: the peers never see the extra article."""
    from bot.answer.encoder import shipped
    from bot.answer.vectorize import BackgroundEncoder, pending_count
    from storage.backends import open_library
    from storage.ingest import add_document

    topics, _ = corpus.load_topics()
    article = corpus.synthetic_article(size, topics, seed)  # the next article: never ingested
    encoder = shipped()
    async with await open_library(work / "library.db", seed=False) as library:
        before = await pending_count(library)
        background = BackgroundEncoder(library, encoder)
        background.start()
        try:
            await asyncio.wait_for(background.idle.wait(), ADDED_LIMIT_S)  # the library as the ingest left it
            question = encoder.vectors([article.body.split(". ")[0]])[0]
            # The vectors held in memory, as a bot that has answered a question holds them.
            await library.vector_cosines([], question, model=encoder.identity)
            started = time.perf_counter()
            info = await add_document(library, article.body.encode("utf-8"), filename=article.name, added_by="bench")
            by_words_s = time.perf_counter() - started
            ids = [s.id for s in await library.pending_vectors(limit=info.sentences + 1)]
            background.wake()
            reached = 0
            while time.perf_counter() - started < ADDED_LIMIT_S:
                reached = len(await library.vector_cosines(ids, question, model=encoder.identity))
                if reached == len(ids):
                    break
                await asyncio.sleep(ADDED_POLL_S)
            by_meaning_s = time.perf_counter() - started
        finally:
            await background.stop()
    return {
        "pending_before": before,
        "sentences": info.sentences,
        "waiting": len(ids),
        "reached": reached,
        "by_words_s": by_words_s,
        "by_meaning_s": by_meaning_s if reached == len(ids) else None,
        "peak_rss_mb": peak_rss_mb(),
    }


def run_child(args: argparse.Namespace) -> int:
    work = Path(args.dir)
    stage = args.child
    if stage == "ingest":
        figures = asyncio.run(child_ingest(work, args.size, args.seed))
    elif stage == "ask":
        figures = asyncio.run(child_ask(work, args.answerable, args.outside, args.seed, args.profile))
    elif stage == "tantivy":
        figures = child_tantivy(work)
    elif stage == "bm25":
        figures = child_bm25(work, args.bm25_budget, args.bm25_max_sentences)
    else:
        figures = asyncio.run(child_added(work, args.size, args.seed))
    write(work / f"{stage}.json", figures)
    return 0


# -- the parent: sizes, children, the table --------------------------------------------------------


def peer_available(module: str) -> str | None:
    """None when the peer can run, else the message that says how to get it."""
    try:
        __import__(module)
    except ImportError:
        package = {"tantivy": "tantivy", "rank_bm25": "rank_bm25"}[module]
        return f"not installed (pip install {package})"
    return None


def snapshot(root: Path) -> Path:
    """A copy of the code the children run, so every size measures the same engine even while
    others edit the tree (the parent imports nothing it measures)."""
    code = root / "code"
    ignore = shutil.ignore_patterns("__pycache__", "out", "*.pyc")
    for package in ("bot", "storage", "seeds", "benchmarks"):
        shutil.copytree(ROOT / package, code / package, ignore=ignore, dirs_exist_ok=True)
    return code


def code_state() -> Figures:
    """Which code was measured: the commit, and whether the measured packages had local edits."""

    def git(*command: str) -> str:
        done = subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "edited": git("status", "--porcelain", "--", "bot/answer", "storage").splitlines(),
    }


def run_size(size: int, args: argparse.Namespace, root: Path, code: Path) -> Figures:
    """All stages for one library size, each in its own process (run from the snapshot)."""
    work = root / f"{size}"
    work.mkdir(parents=True, exist_ok=True)
    figures: Figures = {"size": size}
    common = [
        "--dir",
        str(work),
        "--size",
        str(size),
        "--seed",
        str(args.seed),
        "--answerable",
        str(args.answerable),
        "--outside",
        str(args.outside),
        "--bm25-budget",
        str(args.bm25_budget),
        "--bm25-max-sentences",
        str(args.bm25_max_sentences),
    ]
    stages = ["ingest", "ask"]
    if not args.no_peers:
        stages += ["tantivy", "bm25"]
    stages.append("added")
    for stage in stages:
        if stage in ("tantivy", "bm25"):
            missing = peer_available("tantivy" if stage == "tantivy" else "rank_bm25")
            if missing:
                print(f"  {size:>6} {stage}: skipped, {missing}", file=sys.stderr)
                figures[stage] = {"skipped": missing}
                continue
        t = time.perf_counter()
        command = [sys.executable, "-m", "benchmarks.scale", "--child", stage, *common]
        if args.profile and stage == "ask":
            command.append("--profile")
        load = os.getloadavg()[0]
        env = {**os.environ, datasets.DATA_ENV: str(datasets.data_root())}
        done = subprocess.run(command, cwd=code, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise RuntimeError(f"{stage} at {size} failed:\n{done.stderr[-4000:]}")
        figures[stage] = json.loads((work / f"{stage}.json").read_text(encoding="utf-8"))
        figures[stage]["load_before"] = load
        figures[stage]["load_after"] = os.getloadavg()[0]
        print(
            f"  {size:>6} {stage}: {time.perf_counter() - t:.1f} s (load average {load:.1f} before, "
            f"{figures[stage]['load_after']:.1f} after)",
            file=sys.stderr,
        )
    return figures


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}" if value < 10 else f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def _ratio(peer: float | None, base: float | None) -> str:
    if not peer or not base:
        return "–"
    return f"{peer / base:.3g}x"


TABLE_HEAD = (
    "| articles | sentences | system | build s | articles/s | p50 ms | p95 ms | p99 ms | mean ms "
    "| mean vs ask | p95 vs ask | mean vs FTS5 top 10 | peak RSS MB (PSS after the asks) | on disk |"
)


def _row(r: Figures, system: str, build: str, rate: str, q: Figures, peak: str, disk: str) -> str:
    """One table row; ratios are this system's figure over factbot's (below 1: faster)."""
    ask, fts = r["ask"]["ask"], r["ask"]["fts_top10"]
    cells = [
        f"{r['size']:,}",
        f"{r['ingest']['sentences']:,}",
        system,
        build,
        rate,
        *(_ms(q.get(k)) for k in ("p50", "p95", "p99", "mean")),
        _ratio(q.get("mean"), ask["mean"]),
        _ratio(q.get("p95"), ask["p95"]),
        _ratio(q.get("mean"), fts["mean"]),
        peak,
        disk,
    ]
    return "| " + " | ".join(cells) + " |"


def table(results: list[Figures]) -> str:
    """One markdown table: a row per size and system. Peers' build times carry their ratio to
    factbot's ingest; their latencies are held against the full `ask` and the FTS5 stage alone."""
    lines = [TABLE_HEAD, "|" + " --- |" * (TABLE_HEAD.count("|") - 1)]
    for r in results:
        ingest, ask = r["ingest"], r["ask"]
        lines.append(
            _row(
                r,
                "factbot ask (full answer)",
                f"{ingest['ingest_s']:.1f}",
                f"{ingest['rate']:.0f}",
                ask["ask"],
                f"{ask['peak_rss_mb']:.0f}"
                + (f", PSS {ask['pss_mb']:.0f}" if ask.get("pss_mb") is not None else "")
                + f" (ingest {ingest['peak_rss_mb']:.0f})",
                f"{ingest['file_bytes'] / 1e6:.1f} MB ({ingest['file_ratio']:.2f}x raw)",
            )
        )
        lines.append(_row(r, "factbot FTS5 stage, top 10", "", "", ask["fts_top10"], "", ""))
        lines.append(_row(r, "factbot FTS5 stage, top 300 (engine)", "", "", ask["fts_candidates"], "", ""))
        for stage, name in (("tantivy", "tantivy (BM25, top 10)"), ("bm25", "rank_bm25 BM25Okapi (top 10)")):
            peer = r.get(stage)
            if peer is None:
                continue
            if "skipped" in peer:
                lines.append(f"| {r['size']:,} | {ingest['sentences']:,} | {name} | {peer['skipped']} |" + " |" * 10)
                continue
            disk = f"{peer['index_bytes'] / 1e6:.1f} MB" if "index_bytes" in peer else "(memory)"
            label = name + (f" [{peer['partial']}]" if "partial" in peer else "")
            build = f"{peer['build_s']:.1f} ({peer['build_s'] / ingest['ingest_s']:.2g}x)"
            lines.append(
                _row(
                    r,
                    label,
                    build,
                    f"{r['size'] / peer['build_s']:.0f}",
                    peer["query"],
                    f"{peer['peak_rss_mb']:.0f}",
                    disk,
                )
            )
    return "\n".join(lines)


def quality_lines(results: list[Figures]) -> str:
    out = []
    for r in results:
        q = r["ask"]["quality"]
        out.append(
            f"- {r['size']:,} articles: answerable questions answered {q['answered']:.0%}, right topic first "
            f"{q['topic_at_1']:.0%} ({q['answerable']}); outside questions answered anyway {q['outside_answered']:.0%} "
            f"({q['outside']}); first ask after opening {r['ask']['first_ask_ms']:.0f} ms; ingest "
            f"{r['ingest']['rate_last_10pct']:.0f} articles/s over the last 10%, per article p95 "
            f"{r['ingest']['per_article']['p95']:.0f} ms"
        )
        added = r.get("added")
        if added:
            meaning = added["by_meaning_s"]
            out.append(
                f"- {r['size']:,} articles, one more added as the bot adds it ({added['sentences']} sentences): "
                f"answerable by words after {added['by_words_s']:.2f} s, by meaning after "
                + (f"{meaning:.2f} s" if meaning is not None else f"more than {ADDED_LIMIT_S:.0f} s")
            )
    return "\n".join(out)


def profile_lines(results: list[Figures]) -> str:
    out = []
    for r in results:
        p = r["ask"].get("profile")
        if not p:
            continue
        out.append(
            f"\nWhere `ask` time goes at {r['size']:,} articles ({p['ask_ms_per_ask']:.1f} ms per ask, "
            f"library calls {p['library_ms_per_ask']:.1f} ms, Python {p['python_ms_per_ask']:.1f} ms):\n"
        )
        out.append("| call | calls/ask | ms/ask | p50 ms | p95 ms | max ms |\n| --- | --- | --- | --- | --- | --- |")
        for name, c in sorted(p["calls"].items(), key=lambda kv: -kv[1]["ms_per_ask"]):
            out.append(
                f"| {name} | {c['calls_per_ask']:.2f} | {c['ms_per_ask']:.2f} | {_ms(c['p50'])} "
                f"| {_ms(c['p95'])} | {_ms(c['max'])} |"
            )
        out.append("\ncProfile, top by own time:\n```\n" + "\n".join(p["cprofile_top"]) + "\n```")
    return "\n".join(out)


def machine() -> Figures:
    info: Figures = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
    }
    with contextlib.suppress(OSError, StopIteration):
        info["cpu"] = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    return info


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"one small library ({QUICK_SIZE} articles)")
    parser.add_argument("--sizes", help="comma-separated article counts (default 1000,10000,40000)")
    parser.add_argument("--answerable", type=int, default=None, help="answerable questions (default 300; quick 70)")
    parser.add_argument("--outside", type=int, default=None, help="unanswerable questions (default 100; quick 30)")
    parser.add_argument("--seed", type=int, default=corpus.SEED)
    parser.add_argument("--profile", action="store_true", help="where ask time goes, and query variants")
    parser.add_argument("--no-peers", action="store_true", help="factbot only")
    parser.add_argument("--bm25-budget", type=float, default=60.0, help="seconds of rank_bm25 queries per size")
    parser.add_argument(
        "--bm25-max-sentences",
        type=int,
        default=300_000,
        help="skip rank_bm25 above this many sentences (it scores every one per query)",
    )
    parser.add_argument("--out", type=Path, help="JSON figures (default benchmarks/out/scale-<time>.json)")
    parser.add_argument("--workdir", type=Path, help="where libraries go (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the libraries")
    parser.add_argument("--child", choices=CHILDREN, help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.answerable is None:
        args.answerable = 70 if args.quick else 300
    if args.outside is None:
        args.outside = 30 if args.quick else 100
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return run_child(args)
    if args.sizes:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    else:
        sizes = [QUICK_SIZE] if args.quick else list(FULL_SIZES)
    for module in ("tantivy", "rank_bm25"):
        missing = None if args.no_peers else peer_available(module)
        if missing:
            print(f"Peer {module} {missing}; its rows are skipped.", file=sys.stderr)
    root = args.workdir or Path(tempfile.mkdtemp(prefix="factbot-bench-"))
    results: list[Figures] = []
    started = time.perf_counter()
    state = code_state()
    if os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1):
        print(
            f"Warning: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; timings will be noisy.",
            file=sys.stderr,
        )
    try:
        code = snapshot(root)
        for size in sizes:
            results.append(run_size(size, args, root, code))
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(root, ignore_errors=True)
    report = {
        "machine": machine(),
        "code": state,
        "seed": args.seed,
        "wall_s": time.perf_counter() - started,
        "results": results,
    }
    out = args.out or OUT_DIR / f"scale-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    write(out, report)
    m = report["machine"]
    edits = f" with local edits to {len(state['edited'])} files" if state["edited"] else ""
    print(
        f"\nfactbot at scale: {m.get('cpu', '?')}, {m['cpus']} CPUs, Python {m['python']}, SQLite {m['sqlite']}; "
        f"{args.answerable} answerable + {args.outside} outside questions, warm, one process; code "
        f"{state['commit']}{edits}\n"
    )
    print(table(results))
    print()
    print(quality_lines(results))
    print(profile_lines(results))
    print(f"\nFigures: {out} (run took {report['wall_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
