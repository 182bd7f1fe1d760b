"""The text of a PDF, with where each page starts in it, read by PDFium (pypdfium2) in a child process.

PDFium parses a file it has never seen: a hostile PDF can make it loop, swell or crash. So the
reading runs in a child process (`python -m storage.pdf`) with a time limit, a memory limit and a
page limit (storage.limits), and what comes back is plain JSON; a PDF refused for any reason
gives one line (IngestError) and leaves nothing behind.

What PDFium gives is characters with their boxes, in the order the file draws them. From them:

- runs: pieces of one line, split where PDFium ends a line and where a gap wider than a column
  gutter falls inside one (two columns drawn line by line come back as one line otherwise);
- running headers, footers and page numbers left out: a row at the top or bottom edge of a page
  whose words, numbers aside, stand at the same edge of another page, or that is a page number;
- reading order by recursive cuts along the widest empty bands (XY-cut): columns left to right,
  blocks top to bottom; where no empty band separates them, the file's own order stands;
- paragraphs rebuilt: lines of one paragraph joined by a space, words hyphenated at a line's end
  mended (the hyphen dropped, unless the document writes the word with it elsewhere), a new
  paragraph where the spacing grows, the size of type changes, an indented or listed line starts,
  or a short line ended a sentence. Paragraphs go on across columns and pages.

The text is stored as built, so every quote is a slice of it; the page starts (offsets into it,
one per page) are what a citation's "p. 12" is read from.
"""

from __future__ import annotations

import bisect
import ctypes
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage.errors import IngestError
from storage.limits import MAX_DOCUMENT_BYTES, MAX_PDF_PAGES, PDF_MEMORY_BYTES, PDF_SECONDS, size_text

# -- what comes back ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PdfText:
    text: str  # paragraphs separated by blank lines
    pages: tuple[int, ...]  # where each page's text starts in `text` (an empty page: where the next one's does)
    title: str | None = None  # the document information dictionary's, as written
    author: str | None = None
    created: str | None = None  # its CreationDate, e.g. "D:20210608120000Z"


class Refused(Exception):
    """Why a PDF cannot be read (a kind the parent words), raised in the child."""

    def __init__(self, kind: str, count: int = 0) -> None:
        super().__init__(kind)
        self.kind = kind
        self.count = count


NO_TEXT = "This PDF has no text; add its text instead."


def _message(kind: str, count: int, max_pages: int, seconds: float, max_bytes: int) -> str:
    """The one line said of a refused PDF."""
    if kind == "encrypted":
        return "This PDF is password-protected; add an unprotected copy, or its text instead."
    if kind == "pages":
        return f"This PDF has {count:,} pages; at most {max_pages:,} can be added."
    if kind == "long":
        return f"This PDF holds more text than a source may ({size_text(max_bytes)})."
    if kind == "no_text":
        return NO_TEXT
    if kind == "timeout":
        unit = "second" if seconds == 1 else "seconds"
        return f"Reading this PDF took longer than {seconds:g} {unit}, so it was stopped; add its text instead."
    return "This PDF could not be read (it is damaged, or not a PDF)."


# -- the parent: run the child, read its answer ---------------------------------------------------


def read_pdf(
    data: bytes,
    *,
    seconds: float = PDF_SECONDS,
    max_pages: int = MAX_PDF_PAGES,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    memory: int = PDF_MEMORY_BYTES,
) -> PdfText:
    """A PDF's text and page starts, read in a child process within the limits; IngestError with
    one line for a PDF that is encrypted, damaged, too long, without text, or too slow to read."""
    root = str(Path(__file__).resolve().parent.parent)  # the child imports this very storage package
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    # -P: the working folder is not put on the import path (a folder named "storage" there is not ours).
    command = [sys.executable, "-P", "-m", "storage.pdf", str(max_pages), str(max_bytes), str(memory), str(seconds)]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=seconds, env=env, check=False)
    except subprocess.TimeoutExpired:
        raise IngestError(_message("timeout", 0, max_pages, seconds, max_bytes)) from None
    try:
        answer = json.loads(done.stdout) if done.returncode == 0 else {}
    except ValueError:
        answer = {}
    if "refused" in answer or "text" not in answer:
        kind = answer.get("refused", "unreadable")
        raise IngestError(_message(kind, int(answer.get("count", 0)), max_pages, seconds, max_bytes))
    return PdfText(
        answer["text"], tuple(answer["pages"]), answer.get("title"), answer.get("author"), answer.get("created")
    )


# -- the child: PDFium's characters to runs ---------------------------------------------------------


def _child(argv: Sequence[str]) -> int:
    """`python -m storage.pdf MAX_PAGES MAX_BYTES MEMORY SECONDS`, the PDF on standard input: one
    JSON object on standard output, the text or {"refused": kind}."""
    max_pages, max_bytes, memory = (int(a) for a in argv[:3])
    seconds = float(argv[3])
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        # A second guard besides the parent's clock: the CPU time of a child that outlived it.
        cpu = int(seconds) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    except (ImportError, ValueError, OSError):  # not on this system: the parent's clock still holds
        pass
    data = sys.stdin.buffer.read()
    try:
        found = extract_text(data, max_pages=max_pages, max_bytes=max_bytes)
        answer: dict[str, Any] = {
            "text": found.text,
            "pages": list(found.pages),
            "title": found.title,
            "author": found.author,
            "created": found.created,
        }
    except Refused as refused:
        answer = {"refused": refused.kind, "count": refused.count}
    except MemoryError:
        answer = {"refused": "unreadable"}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    return 0


@dataclass(slots=True)
class Run:
    """Text on one line of a page, with its box (PDF points, y up): the font's full height, so
    lines of one size have boxes of one height and their bottoms step by the line spacing."""

    text: str
    x0: float
    x1: float
    bottom: float
    top: float

    @property
    def height(self) -> float:
        return self.top - self.bottom


@dataclass(slots=True)
class PageRuns:
    bottom: float
    top: float
    runs: list[Run] = field(default_factory=list)


# A gap inside one PDFium line wider than this many line heights splits it (a column gutter).
SPLIT_GAP = 1.5
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
# Characters never kept: controls, soft hyphens inside a line, lone surrogates, non-characters.
_DROP = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\ud800-\udfff\ufffe\uffff]")
# PDFium marks a hyphen that ends a line (U+FFFE in its text, 2 as a character code).
_HYPHEN_MARKS = "\ufffe\x02"
_LINE = re.compile(r"[^\r\n]+")
_SPACES = re.compile(r" +")


def extract_text(data: bytes, *, max_pages: int, max_bytes: int) -> PdfText:
    """The text of a PDF in this process (the child's work; tests call it directly). Raises
    Refused."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        raise Refused("encrypted" if err.err_code == pdfium_c.FPDF_ERR_PASSWORD else "unreadable") from None
    try:
        count = len(pdf)
        if count > max_pages:
            raise Refused("pages", count)
        meta = pdf.get_metadata_dict(skip_empty=True)
        pages: list[PageRuns] = []
        size = 0  # bytes of text so far, as UTF-8 (what a source's text is held to)
        for index in range(count):
            page = pdf[index]
            try:
                _, bottom, _, top = page.get_bbox()
                textpage = page.get_textpage()
                try:
                    runs = _page_runs(textpage, pdfium_c)
                finally:
                    textpage.close()
            finally:
                page.close()
            size += sum(len(r.text.encode()) + 1 for r in runs)
            if size > max_bytes:
                raise Refused("long")
            pages.append(PageRuns(bottom, top, runs))
    except pdfium.PdfiumError:
        raise Refused("unreadable") from None
    finally:
        pdf.close()
    text, starts = layout(pages)
    if not re.search(r"\w", text):
        raise Refused("no_text")
    return PdfText(text, tuple(starts), meta.get("Title"), meta.get("Author"), meta.get("CreationDate"))


def _page_runs(textpage: Any, pdfium_c: Any) -> list[Run]:
    """A page's runs, in the order PDFium lists its characters (the file's drawing order)."""
    count = textpage.count_chars()
    if count <= 0:
        return []
    text = textpage.get_text_range()
    if len(text) != count:  # PDFium left a character out of its text or put one in: read them one by one
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i)) for i in range(count))
    rect = pdfium_c.FS_RECTF()
    boxes: dict[int, tuple[float, float, float, float] | None] = {}

    def box(i: int) -> tuple[float, float, float, float] | None:
        """(left, bottom, right, top) of character i: the font's height, the glyph's width."""
        if i not in boxes:
            if pdfium_c.FPDFText_GetLooseCharBox(textpage.raw, i, ctypes.byref(rect)):
                boxes[i] = (rect.left, rect.bottom, rect.right, rect.top)
            else:
                boxes[i] = None
        return boxes[i]

    runs: list[Run] = []
    for line in _LINE.finditer(text):
        start = line.start()
        for mark in re.finditer(f"[{_HYPHEN_MARKS}]", line.group()):
            _add_runs(text, start, line.start() + mark.end(), box, runs)
            start = line.start() + mark.end()
        _add_runs(text, start, line.end(), box, runs)
    return runs


def _add_runs(text: str, start: int, end: int, box: Any, runs: list[Run]) -> None:
    """The runs of characters start..end of a page (one line), split at wide gaps."""
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    start += len(piece) - len(piece.lstrip())
    end = start + len(stripped)
    cuts = [start]
    for gap in _SPACES.finditer(text, start, end):
        before, after = box(gap.start() - 1), box(gap.end())
        if before and after and after[0] - before[2] > SPLIT_GAP * (before[3] - before[1]):
            cuts += [gap.start(), gap.end()]
    cuts.append(end)
    for a, b in zip(cuts[::2], cuts[1::2], strict=True):
        first, last = box(a), box(b - 1)
        if first is None or last is None:
            continue  # a character PDFium cannot place: nothing to lay out by
        words = _clean(text[a:b])
        if words:
            runs.append(Run(words, first[0], last[2], min(first[1], last[1]), max(first[3], last[3])))


def _clean(text: str) -> str:
    if text[-1] in _HYPHEN_MARKS:
        text = text[:-1] + "-"
    text = _DROP.sub("", text.replace("\t", " ")).translate(_LIGATURES)
    return " ".join(text.split())


# -- layout: runs to paragraphs ---------------------------------------------------------------------

# Rows at each edge of a page that may be a running header or footer, how near the edge they must
# stand (a share of the page's height), and the space that must part them from the text within (in
# line heights): the first rows of a table that runs on over pages are not parted from the next.
EDGE_ROWS = 2
EDGE_BAND = 0.15
EDGE_GAP = 0.5
# A page number: "12", "- 12 -", "Page 12", "12 of 40", "xii".
_PAGE_NUMBER = re.compile(
    r"(?:page\s+)?[-–—(\[]?\s*(\d{1,4}|(?=[ivxl])l?x{0,3}(?:ix|iv|v?i{0,3}))\s*[-–—)\]]?(?:\s*(?:of|/)\s*\d{1,4})?",
    re.IGNORECASE,
)
# An empty band this many line heights wide between runs is a gutter between columns.
GUTTER = 1.0
# The lines of a column of text are at least this many line heights wide (a table's cells are narrower).
COLUMN = 8.0
# Cuts nested deeper than this keep the file's order below them (bounds the work on any page).
MAX_CUT_DEPTH = 40
# Line spacing this many times the document's usual one starts a new paragraph.
PARAGRAPH_SPACING = 1.4
USUAL_SPACING = 1.1  # line bottoms apart, in line heights, where no page says otherwise
INDENT = 0.6  # line heights
_SENTENCE_END = re.compile(r"[.!?:…][\"'”’)\]]*$")
_LIST_ITEM = re.compile(r"(?:[•◦▪‣●○■□–]|\d{1,2}[.)]|\([a-zA-Z0-9]{1,3}\))\s")
_WORD = re.compile(r"[^\W\d_]+")
_COMPOUND = re.compile(r"[^\W\d_]+-[^\W\d_]+")


@dataclass(slots=True)
class Line:
    text: str
    x0: float
    x1: float
    bottom: float
    top: float
    page: int
    column: tuple[int, ...]

    @property
    def height(self) -> float:
        return self.top - self.bottom


def layout(pages: Sequence[PageRuns]) -> tuple[str, list[int]]:
    """The text of the pages in reading order, paragraphs rebuilt, and where each page starts in it."""
    furniture = _furniture(pages)
    lines: list[Line] = []
    for number, page in enumerate(pages):
        body = [r for r in page.runs if id(r) not in furniture]
        lines.extend(_lines(_order(body), number))
    return _paragraphs(lines, len(pages))


def _rows(runs: list[Run]) -> list[list[Run]]:
    """Runs grouped into rows, top row first."""
    rows: list[list[Run]] = []
    for run in sorted(runs, key=lambda r: -r.top):
        if rows and abs(rows[-1][0].top - run.top) < 0.5 * run.height:
            rows[-1].append(run)
        else:
            rows.append([run])
    return rows


def _row_key(row: list[Run]) -> str:
    return " ".join(" ".join(r.text for r in sorted(row, key=lambda r: r.x0)).casefold().split())


def _is_page_number(key: str, pages: int) -> bool:
    match = _PAGE_NUMBER.fullmatch(key)
    if not match or not match.group(1):
        return False
    number = match.group(1)
    return not number.isdigit() or int(number) <= 2 * pages + 20  # "2021" alone is a year, not a page


def _furniture(pages: Sequence[PageRuns]) -> set[int]:
    """The ids of the runs that are running headers, footers or page numbers."""
    candidates: list[tuple[str, int, list[Run]]] = []  # (edge and words without numbers, page, row)
    found: set[int] = set()
    for number, page in enumerate(pages):
        rows = _rows(page.runs)
        band = EDGE_BAND * (page.top - page.bottom)
        edges = [
            ("top", row)
            for i, row in enumerate(rows[:EDGE_ROWS])
            if row[0].bottom >= page.top - band and _parted([row], rows[i + 1 : i + 2])
        ]
        edges += [
            ("bottom", row)
            for i, row in enumerate(rows[-EDGE_ROWS:], len(rows) - min(EDGE_ROWS, len(rows)))
            if max(r.top for r in row) <= page.bottom + band and _parted(rows[i - 1 : i] if i else [], [row])
        ]
        for edge, row in edges:
            key = _row_key(row)
            if _is_page_number(key, len(pages)):
                found.update(id(r) for r in row)
            else:
                candidates.append((edge + ":" + re.sub(r"\d+", "#", key), number, row))
    seen: dict[str, set[int]] = {}
    for key, number, _ in candidates:
        seen.setdefault(key, set()).add(number)
    for key, _, row in candidates:
        if len(seen[key]) >= 2:
            found.update(id(r) for r in row)
    return found


def _parted(above: list[list[Run]], below: list[list[Run]]) -> bool:
    """Whether the row above and the row below (either may be missing) stand apart by EDGE_GAP."""
    if not above or not below:
        return True
    upper, lower = above[0], below[0]
    gap = min(r.bottom for r in upper) - max(r.top for r in lower)
    return gap > EDGE_GAP * max(r.height for r in upper + lower)


def _gaps(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The empty bands between spans on one axis: (width, middle)."""
    spans = sorted(spans)
    found = []
    reach = spans[0][1]
    for low, high in spans[1:]:
        if low > reach:
            found.append((low - reach, (low + reach) / 2))
        reach = max(reach, high)
    return found


def _order(runs: list[Run]) -> list[tuple[Run, tuple[int, ...]]]:
    """A page's runs in reading order, each with its column (the path of vertical cuts to it)."""
    out: list[tuple[Run, tuple[int, ...]]] = []
    if runs:
        _cut(runs, (), 0, out)
    return out


def _cut(runs: list[Run], column: tuple[int, ...], depth: int, out: list[tuple[Run, tuple[int, ...]]]) -> None:
    if len(runs) < 2 or depth >= MAX_CUT_DEPTH:
        out.extend((r, column) for r in runs)
        return
    height = statistics.median(r.height for r in runs)
    across = _gaps([(r.x0, r.x1) for r in runs])
    down = _gaps([(r.bottom, r.top) for r in runs])
    widest_across = max((g for g, _ in across), default=0.0)
    widest_down = max((g for g, _ in down), default=0.0)
    if widest_across >= GUTTER * height and widest_across >= widest_down:
        cuts = sorted(at for g, at in across if g >= max(GUTTER * height, widest_down))
        parts: list[list[Run]] = [[] for _ in range(len(cuts) + 1)]
        for r in runs:
            parts[bisect.bisect(cuts, (r.x0 + r.x1) / 2)].append(r)
        # Columns of text, not the columns of a table: those are read row by row.
        if not widest_down or all(statistics.median(r.x1 - r.x0 for r in p) >= COLUMN * height for p in parts):
            for k, part in enumerate(parts):
                _cut(part, (*column, k), depth + 1, out)
            return
    if widest_down > 0:
        cuts = sorted(at for g, at in down if g >= 0.8 * widest_down)
        parts = [[] for _ in range(len(cuts) + 1)]
        for r in runs:
            parts[bisect.bisect(cuts, (r.bottom + r.top) / 2)].append(r)
        for part in reversed(parts):  # top first
            _cut(part, column, depth + 1, out)
    else:
        out.extend((r, column) for r in runs)


def _lines(ordered: list[tuple[Run, tuple[int, ...]]], page: int) -> list[Line]:
    """Runs in reading order made lines: a run to the right of the one before, on its row, joins it."""
    lines: list[Line] = []
    for run, column in ordered:
        last = lines[-1] if lines else None
        if last and abs(last.bottom - run.bottom) < 0.3 * run.height and run.x0 >= last.x1 - 0.5 * run.height:
            last.text += " " + run.text
            last.x1, last.top = run.x1, max(last.top, run.top)
        else:
            lines.append(Line(run.text, run.x0, run.x1, run.bottom, run.top, page, column))
    return lines


def _paragraphs(lines: list[Line], page_count: int) -> tuple[str, list[int]]:
    """The lines joined into paragraphs (separated by blank lines), and each page's start offset."""
    edges: dict[tuple[int, tuple[int, ...]], tuple[float, float]] = {}
    for line in lines:
        key = (line.page, line.column)
        left, right = edges.get(key, (line.x0, line.x1))
        edges[key] = (min(left, line.x0), max(right, line.x1))
    spacing = _usual_spacing(lines)
    foot = min((line.bottom for line in lines), default=0.0)  # where text that fills a page ends
    words, compounds = _vocabulary(lines)
    pieces: list[str] = []
    length = 0
    starts: list[int | None] = [None] * page_count
    previous: Line | None = None
    for line in lines:
        text = line.text
        if previous is None:
            joint = ""
        elif _new_paragraph(previous, line, edges, spacing, foot):
            joint = "\n\n"
        else:
            joint, mended = _joint(pieces[-1], text, words, compounds)
            if mended != pieces[-1]:
                length -= len(pieces[-1]) - len(mended)
                pieces[-1] = mended
        pieces.append(joint)
        length += len(joint)
        if starts[line.page] is None:
            starts[line.page] = length
        pieces.append(text)
        length += len(text)
        previous = line
    following = length
    for n in range(page_count - 1, -1, -1):  # a page without text starts where the next one does
        found = starts[n]
        following = found if found is not None else following
        starts[n] = following
    return "".join(pieces), [s for s in starts if s is not None]


def _usual_spacing(lines: list[Line]) -> float:
    """The distance between the bottoms of consecutive lines of one column, in line heights."""
    ratios = []
    for a, b in itertools.pairwise(lines):
        if (a.page, a.column) == (b.page, b.column) and abs(a.height - b.height) < 0.1 * a.height:
            ratio = (a.bottom - b.bottom) / a.height
            if 0 < ratio < 4:
                ratios.append(ratio)
    # The lower quartile: most steps are within a paragraph, and a paragraph's gap is wider. With
    # few lines to go by, no wider than usual.
    ratios.sort()
    return ratios[len(ratios) // 4] if len(ratios) >= 4 else min([*ratios, USUAL_SPACING])


def _new_paragraph(
    a: Line, b: Line, edges: dict[tuple[int, tuple[int, ...]], tuple[float, float]], spacing: float, foot: float
) -> bool:
    """Whether line b starts a new paragraph after line a."""
    height = max(a.height, b.height)
    if abs(a.height - b.height) > 0.15 * height:
        return True  # a heading, or the text after one
    a_left, a_right = edges[(a.page, a.column)]
    b_left, _ = edges[(b.page, b.column)]
    width = a_right - a_left
    flows_on = (a.page, a.column) == (b.page, b.column) and b.top <= a.bottom + 0.5 * height
    if flows_on and a.bottom - b.bottom > PARAGRAPH_SPACING * spacing * height:
        return True
    if _LIST_ITEM.match(b.text):
        return True
    if a.x1 - a_left < 0.5 * width and not a.text.endswith("-"):
        return True  # a line of its own: a heading, or a paragraph's last words
    if _SENTENCE_END.search(a.text):
        short = a_right - a.x1 > max(2 * height, 0.2 * width)
        indented = b.x0 - b_left > INDENT * height
        # A page or column that ends well above where text fills one to ended with its paragraph.
        ended_early = not flows_on and a.bottom - foot > 2 * spacing * height
        return short or indented or ended_early
    return False


def _vocabulary(lines: list[Line]) -> tuple[set[str], set[str]]:
    """The words the document writes whole, and the compounds it writes with a hyphen inside a line."""
    words: set[str] = set()
    compounds: set[str] = set()
    for line in lines:
        lowered = line.text.casefold()
        words.update(_WORD.findall(lowered))
        compounds.update(_COMPOUND.findall(lowered))
    return words, compounds


def _joint(before: str, after: str, words: set[str], compounds: set[str]) -> tuple[str, str]:
    """What goes between two lines of a paragraph, and the first line as it then ends: a space;
    nothing after a hyphen or a dash; a hyphen that breaks a word at the line's end dropped."""
    if before.endswith("—"):
        return "", before
    if not before.endswith("-") or len(before) < 2 or not before[-2].isalpha():
        return " ", before
    if not after[:1].islower():
        return "", before  # "Franco-" / "German", "COVID-" / "19": the hyphen is part of it
    head = re.search(r"[^\W\d_]+-$", before)
    tail = re.match(r"[^\W\d_]+", after)
    if head and tail:
        first, rest = head.group()[:-1].casefold(), tail.group().casefold()
        if f"{first}-{rest}" in compounds and first + rest not in words:
            return "", before  # "well-" / "known", written "well-known" elsewhere
    return "", before[:-1]


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
