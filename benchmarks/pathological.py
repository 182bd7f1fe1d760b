"""Hostile inputs at doubling sizes: does each stage stay linear (or bounded) in its input?

    .venv/bin/python -m benchmarks.pathological                  # 4 sizes, 64K..512K characters, ~2 min
    .venv/bin/python -m benchmarks.pathological --quick          # 3 small sizes, a few seconds
    .venv/bin/python -m benchmarks.pathological --sizes 250000,500000,1000000,2000000,4000000
    .venv/bin/python -m benchmarks.pathological --cases numbers,periods
    .venv/bin/python -m benchmarks.pathological --cases pdf    # the PDF inputs only (a prefix picks them all)

Besides text, Markdown and HTML, the inputs include PDFs (made by storage/testing/pdfmaker.py) whose pages
double with their text: prose under a running header, two columns drawn line by line, a table, a
hyphen at every line's end, and all of it on one tall page.

For each input and size it times four stages: `extract` (bytes to stored text and metadata),
`segment` (paragraphs and sentences), `add` (storage.ingest.add_document into a fresh library:
extraction, segmentation, indexing, one transaction; a refusal counts, its time is the point) and
`ask` (a warm question that matches the input, against the library holding it). The last columns
are the time ratio per doubling of the input: about 2 is linear, about 4 quadratic. Times are CPU
seconds of the process (all its threads: the worker threads of `add`, SQLite's thread) and of the
child processes it waited for (a PDF is read in one), which a busy machine disturbs far less than
wall time; ratios of times under a few milliseconds are noise
and shown as "~". Peak memory is tracemalloc's peak while segmenting (Python allocations).

Not a test: timings depend on the machine. tests/test_pathological_bench.py only checks that it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import resource
import tempfile
import textwrap
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

from storage.errors import FactbotError
from storage.extract import extract
from storage.segment import segment
from storage.testing.pdfmaker import LEFT, TOP, Text, lines, make_pdf, page

T = TypeVar("T")

DEFAULT_SIZES = (64_000, 128_000, 256_000, 512_000)
QUICK_SIZES = (16_000, 32_000, 64_000)
NOISE_S = 0.005  # below this a ratio says nothing

_PARAGRAPH = "Quokkas live on Rottnest Island, where about 12,000 of them were counted in 2007. "


def _numbers(n: int) -> str:
    words, size, i = [], 0, 0
    while size < n:
        word = str(1_000 + i % 9_000)
        words.append(word)
        size += len(word) + 1
        i += 1
    return " ".join(words)


def _repeat(unit: str, n: int, prefix: str = "", suffix: str = "") -> str:
    return prefix + unit * max(1, (n - len(prefix) - len(suffix)) // len(unit)) + suffix


def _deep(n: int, depth: int) -> str:
    """About n characters: paragraphs of text under `depth` nested <div>."""
    paragraphs = max(1, (n - 11 * depth - 12) // (len(_PARAGRAPH) + 7))
    return "<html><body>" + "<div>" * depth + f"<p>{_PARAGRAPH}</p>" * paragraphs + "</div>" * depth


# -- PDFs: about n characters of text, at about 2,000 characters a page -------------------------------

_PDF_LINE = 80  # characters a line
_PDF_ROWS = 40  # lines a page


def _prose_rows(n: int) -> list[str]:
    """Paragraphs of quokka prose wrapped into lines, a blank row between paragraphs."""
    rows: list[str] = []
    size = 0
    while size < n:
        paragraph = textwrap.wrap(_PARAGRAPH * 3, _PDF_LINE)
        rows += [*paragraph, ""]
        size += sum(len(r) + 1 for r in paragraph)
    return rows


def _pdf_prose(n: int) -> bytes:
    rows = _prose_rows(n)
    pages = [rows[i : i + _PDF_ROWS] for i in range(0, len(rows), _PDF_ROWS)]
    return make_pdf(
        [page(p, header="Quokka Survey | Annual Report", number=str(k)) for k, p in enumerate(pages, 1)], compress=True
    )


def _pdf_columns(n: int) -> bytes:
    """Two columns a page, drawn line by line across both (left, right, left...)."""
    rows = [r for r in _prose_rows(n) if r]
    half = [textwrap.wrap(r, _PDF_LINE // 2) for r in rows]
    narrow = [line for pieces in half for line in pieces]
    pages = []
    for i in range(0, len(narrow), 2 * _PDF_ROWS):
        left = lines(narrow[i : i + _PDF_ROWS], x=LEFT)
        right = lines(narrow[i + _PDF_ROWS : i + 2 * _PDF_ROWS], x=LEFT + 250)
        pages.append([run for pair in itertools.zip_longest(left, right) for run in pair if run])
    return make_pdf(pages, compress=True)


def _pdf_table(n: int) -> bytes:
    """Rows of six cells (a quokka's number and its count), the cells drawn row by row."""
    cells = [f"Quokka {i:05d}" for i in range(n // 13 + 1)]
    pages = []
    for i in range(0, len(cells), 6 * _PDF_ROWS):
        chunk = cells[i : i + 6 * _PDF_ROWS]
        pages.append([Text(LEFT + 78 * (k % 6), TOP - 14 * (k // 6), cell) for k, cell in enumerate(chunk)])
    return make_pdf(pages, compress=True)


def _pdf_hyphens(n: int) -> bytes:
    """Every line ends in a word hyphenated into the next line."""
    row = "land of Rottnest, where quokkas were counted in 2007 by the island's rangers on the is-"
    rows = [row] * (n // len(row) + 1)
    return make_pdf([lines(rows[i : i + _PDF_ROWS]) for i in range(0, len(rows), _PDF_ROWS)], compress=True)


def _pdf_one_page(n: int) -> bytes:
    """All the text on one page as tall as PDF allows, lines packed 2 points apart or closer."""
    rows = textwrap.wrap(_PARAGRAPH * (n // len(_PARAGRAPH) + 1), _PDF_LINE)
    leading = min(2.0, 14_000 / len(rows))
    height = 20 + leading * len(rows)
    return make_pdf([lines(rows, top=height - 10, size=leading * 0.8, leading=leading)], size=(612, height))


@dataclass(frozen=True)
class Case:
    name: str
    filename: str
    make: Callable[[int], str | bytes]  # the document for about n characters (of text, for a PDF)
    question: str


CASES = [
    Case("numbers", "numbers.txt", _numbers, "What happened in 1999?"),
    Case("periods", "periods.txt", lambda n: _repeat(".", n, "Quokkas rose", "They fell."), "Did quokkas rise?"),
    Case("bangs", "bangs.txt", lambda n: _repeat("!", n, "Quokkas rose", "They fell."), "Did quokkas rise?"),
    Case("ellipses", "ellipses.txt", lambda n: _repeat("\u2026", n, "Quokkas rose", "They fell."), "Did quokkas rise?"),
    Case("one line", "line.txt", lambda n: _repeat("quokka island ", n), "Where do quokkas live?"),
    Case("no spaces", "blob.txt", lambda n: _repeat("q", n, "Quokka "), "What is a quokka?"),
    Case("headings", "headings.md", lambda n: _repeat("# Quokka island\n", n), "Where do quokkas live?"),
    Case(
        "title spaces",
        "spaces.md",
        lambda n: _repeat(" ", n, "# Quokka", "island\n\n" + _PARAGRAPH),
        "Where do quokkas live?",
    ),
    Case(
        "front matter",
        "front.md",
        lambda n: _repeat(" ", n, "---\ntitle: Quokka", "island\n---\n\n" + _PARAGRAPH),
        "Where do quokkas live?",
    ),
    Case(
        "nested html",
        "nested.html",
        lambda n: "<html><body>" + "<div>" * (n // 11) + f"<p>{_PARAGRAPH * 3}</p>" + "</div>" * (n // 11),
        "Where do quokkas live?",
    ),
    Case(
        "html paragraphs",
        "paragraphs.html",
        lambda n: (
            "<html><body><article>"
            + "".join(f"<p>Quokka number {i} lives on the island.</p>" for i in range(n // 45))
            + "</article></body></html>"
        ),
        "Where do quokkas live?",
    ),
    # Many short <p> (trafilatura's fallback comparison grew faster than the page: the README's
    # "Pathological input"), and text below 300 nested <div> (deeper than libxml2 parses).
    Case(
        "html short paragraphs",
        "short.html",
        lambda n: "<html><body>" + "".join(f"<p>W{i % 100_000:05d}.</p>" for i in range(n // 14)) + "</body></html>",
        "What is W00042?",
    ),
    Case(
        "300 nested divs",  # fewer below 6,600 characters: 300 levels of <div> take 3,300
        "deep.html",
        lambda n: _deep(n, min(300, n // 22)),
        "Where do quokkas live?",
    ),
    Case("prose", "prose.txt", lambda n: _repeat(_PARAGRAPH + "\n\n", n), "Where do quokkas live?"),
    Case("pdf pages", "prose.pdf", _pdf_prose, "Where do quokkas live?"),
    Case("pdf columns", "columns.pdf", _pdf_columns, "Where do quokkas live?"),
    Case("pdf table", "table.pdf", _pdf_table, "Which quokka is number 00042?"),
    Case("pdf hyphens", "hyphens.pdf", _pdf_hyphens, "Who counted the quokkas?"),
    Case("pdf one page", "tall.pdf", _pdf_one_page, "Where do quokkas live?"),
]


@dataclass
class Row:
    case: str
    stage: str
    seconds: list[float]
    note: str = ""


def _cpu() -> float:
    """CPU seconds of this process and of the children it has waited for (PDF readers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _timed(function: Callable[[], T]) -> tuple[float, T | FactbotError]:
    gc.collect()
    start = _cpu()
    result: T | FactbotError
    try:
        result = function()
    except FactbotError as err:
        result = err
    return _cpu() - start, result


async def _add_and_ask(case: Case, data: bytes, folder: Path) -> tuple[float, float, str]:
    from bot.answer import Engine
    from storage.backends import open_library
    from storage.ingest import add_document

    async with await open_library(folder / "library.db", seed=False) as library:
        gc.collect()
        start = _cpu()
        note = ""
        try:
            await add_document(library, data, filename=case.filename)
        except FactbotError as err:
            note = f"refused: {err}"
        added = _cpu() - start
        engine = Engine(library)
        await engine.ask(case.question)  # warm
        start = time.process_time()
        await engine.ask(case.question)
        asked = time.process_time() - start
    return added, asked, note


def run_case(case: Case, sizes: Sequence[int]) -> tuple[list[Row], list[float]]:
    rows = {stage: Row(case.name, stage, []) for stage in ("extract", "segment", "add", "ask")}
    peaks = []
    for size in sizes:
        made = case.make(size)
        data = made.encode("utf-8") if isinstance(made, str) else made
        took, found = _timed(partial(extract, data, filename=case.filename))
        rows["extract"].seconds.append(took)
        if isinstance(found, FactbotError) and not rows["extract"].note:
            rows["extract"].note = f"refused at {size:,}: {found}"
        text = found.text if not isinstance(found, FactbotError) else data.decode("utf-8", "replace")
        took, result = _timed(partial(segment, text))
        rows["segment"].seconds.append(took)
        if isinstance(result, FactbotError):
            rows["segment"].note = f"refused at {size:,}: {result}"
        tracemalloc.start()
        with contextlib.suppress(FactbotError):
            segment(text)
        peaks.append(tracemalloc.get_traced_memory()[1] / 1e6)
        tracemalloc.stop()
        with tempfile.TemporaryDirectory() as folder:
            added, asked, note = asyncio.run(_add_and_ask(case, data, Path(folder)))
        rows["add"].seconds.append(added)
        rows["ask"].seconds.append(asked)
        if note and not rows["add"].note:
            rows["add"].note = f"{note} (from {size:,})"
    return list(rows.values()), peaks


def _ratios(seconds: Sequence[float]) -> str:
    out = []
    for before, after in itertools.pairwise(seconds):
        out.append("~" if max(before, after) < NOISE_S else f"{after / before:.1f}")
    return " ".join(out)


def _time(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def table(results: list[tuple[list[Row], list[float]]], sizes: Sequence[int]) -> str:
    head = "| input | stage | " + " | ".join(f"{s // 1000:,}K" for s in sizes) + " | ×/doubling | peak MB |"
    lines = [head, "|" + "---|" * (len(sizes) + 4)]
    notes = []
    for rows, peaks in results:
        for row in rows:
            peak = " / ".join(f"{p:.1f}" for p in peaks) if row.stage == "segment" else ""
            cells = " | ".join(_time(s) for s in row.seconds)
            lines.append(f"| {row.case} | {row.stage} | {cells} | {_ratios(row.seconds)} | {peak} |")
            if row.note:
                notes.append(f"- {row.case}, {row.stage}: {row.note}")
    return "\n".join(lines + (["", *notes] if notes else []))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES}")
    parser.add_argument("--sizes", help="comma-separated input sizes in characters, each about double the last")
    parser.add_argument("--cases", help="comma-separated input names: " + ", ".join(c.name for c in CASES))
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else QUICK_SIZES if args.quick else DEFAULT_SIZES
    wanted = set(args.cases.split(",")) if args.cases else None
    cases = [c for c in CASES if wanted is None or any(c.name == w or c.name.startswith(w + " ") for w in wanted)]
    if wanted and any(not any(c.name == w or c.name.startswith(w + " ") for c in CASES) for w in wanted):
        raise SystemExit(f"unknown case in {args.cases!r}; known: {', '.join(c.name for c in CASES)}")
    started = time.perf_counter()
    extract(b"<html><body><p>" + _PARAGRAPH.encode() * 3 + b"</p></body></html>", filename="warm.html")  # imports
    results = []
    for case in cases:
        results.append(run_case(case, sizes))
        print(f"{case.name}: done ({time.perf_counter() - started:.0f} s)", flush=True)
    print()
    print(table(results, sizes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
