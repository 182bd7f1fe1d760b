"""Small PDFs for the tests and benchmarks, written object by object (no PDF library needed).

Each page is a list of `Text` runs placed where a layout puts them, in the order the content
stream draws them (which need not be the reading order). The font is Helvetica, one of the 14
fonts every PDF reader has, in WinAnsi encoding; `lines` lays out a column of text as a word
processor would. The hostile documents (encrypted, drawn without text, damaged) are built here too.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PAGE_WIDTH, PAGE_HEIGHT = 612, 792  # US Letter, in points
LEFT, TOP = 72.0, 720.0  # where a page's body starts
SIZE, LEADING = 11.0, 14.0


@dataclass(frozen=True, slots=True)
class Text:
    """One run of text: its baseline's left end at (x, y), in points from the bottom left."""

    x: float
    y: float
    text: str
    size: float = SIZE


def lines(
    rows: Iterable[str], *, x: float = LEFT, top: float = TOP, size: float = SIZE, leading: float = LEADING
) -> list[Text]:
    """Rows of text one under the other; an empty row leaves a line's space (a paragraph gap)."""
    out = []
    y = top
    for row in rows:
        if row:
            out.append(Text(x, y, row, size))
        y -= leading
    return out


def _literal(text: str) -> bytes:
    raw = text.encode("cp1252")
    out = bytearray(b"(")
    for byte in raw:
        if byte in b"()\\":
            out += b"\\" + bytes([byte])
        elif byte < 32 or byte > 126:
            out += b"\\%03o" % byte
        else:
            out.append(byte)
    return bytes(out + b")")


def content(runs: Sequence[Text]) -> bytes:
    """A content stream drawing the runs in the order given."""
    ops = []
    for run in runs:
        ops.append(b"BT /F1 %.2f Tf %.2f %.2f Td %s Tj ET" % (run.size, run.x, run.y, _literal(run.text)))
    return b"\n".join(ops)


def _stream(data: bytes, compress: bool) -> bytes:
    if compress:
        data = zlib.compress(data)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def _string(text: str) -> bytes:
    """A text string for the document information dictionary (UTF-16 with a byte-order mark)."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def make_pdf(
    pages: Sequence[Sequence[Text] | bytes],
    *,
    info: dict[str, str] | None = None,
    compress: bool = False,
    encrypt: bool = False,
    size: tuple[float, float] = (PAGE_WIDTH, PAGE_HEIGHT),
) -> bytes:
    """A PDF of the given pages (text runs, or a raw content stream). `info`: Title, Author,
    CreationDate... `encrypt`: a standard security handler whose user password is not empty, so
    the document cannot be opened without one."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in once the page tree's number is known
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    tree = len(objects) + 1
    add(b"")
    kids = []
    for page in pages:
        data = page if isinstance(page, bytes) else content(page)
        stream = add(_stream(data, compress))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %g %g] /Resources << /Font << /F1 %d 0 R >> >>"
                b" /Contents %d 0 R >>" % (tree, size[0], size[1], font, stream)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    refs = b" ".join(b"%d 0 R" % k for k in kids)
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (refs, len(kids))
    trailer = b"/Root %d 0 R" % catalog
    if info:
        fields = b" ".join(b"/%s %s" % (k.encode(), _string(v)) for k, v in info.items())
        trailer += b" /Info %d 0 R" % add(b"<< " + fields + b" >>")
    if encrypt:
        # RC4 40-bit (revision 2) with made-up password hashes: no password, the empty one
        # included, opens it.
        o, u = (bytes(range(n, n + 32)).hex().encode() for n in (1, 101))
        handler = add(b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -44 >>" % (o, u))
        trailer += b" /Encrypt %d 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>]" % (
            handler
        )
    return assemble(objects, trailer)


def assemble(objects: Sequence[bytes], trailer: bytes) -> bytes:
    """Numbered objects (1, 2, ...), a cross-reference table and the trailer."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    return bytes(out)


def page(
    rows: Sequence[str | tuple[str, float]],
    *,
    header: str | None = None,
    number: str | None = None,
    top: float = TOP,
    bottom: float | None = None,
) -> list[Text]:
    """A page as a word processor lays one out: a running header, rows of text from `top` down
    (or up to `bottom`, for a page that text fills: a row "" leaves a blank line, a row starting
    with a tab is indented, a (text, size) row is set in that size), and a page number at the
    foot. The header and number are drawn last."""
    parsed = [(row, SIZE) if isinstance(row, str) else row for row in rows]
    steps = [max(LEADING, size * 1.3) for _, size in parsed]
    y = top if bottom is None else bottom + sum(steps[:-1])
    runs = []
    for (text, size), step in zip(parsed, steps, strict=True):
        if text:
            runs.append(Text(LEFT + 18 if text.startswith("\t") else LEFT, y, text.lstrip("\t"), size))
        y -= step
    if header:
        runs.append(Text(LEFT, 756, header, 9))
    if number:
        runs.append(Text(PAGE_WIDTH / 2, 40, number, 9))
    return runs


REPORT_HEADER = "River Survey 2022 | Annual Report"
REPORT_INFO = {"Title": "Otters of the Danube", "Author": "Ada Lovelace", "CreationDate": "D:20220314090000Z"}
# Three pages: a running header and page numbers, a title, a paragraph that goes on from the foot of
# page 1 to page 2 through a word hyphenated at the page's end, the otter count on page 2, which
# ends early: page 3 starts a new paragraph.
REPORT_TITLE = "Otters of the Danube"
REPORT_PAGES: tuple[list[str], ...] = (
    [
        "",
        "Otters have returned to the Danube after forty years, according to a survey published",
        "on Monday by the river authority, which counted the animals along its whole length.",
        "",
        "The survey was carried out by volunteers who walked the banks each month and recorded",
        "tracks, spraints and sightings. Their work was checked by biologists from three univer-",
    ],
    [
        "sities, who visited every site at least once during the year and confirmed the records.",
        "",
        "The survey counted 312 otters along the river between Vienna and Bratislava last winter,",
        "most of them in the protected wetlands east of the city, where fishing is not allowed.",
        "",
        "Researchers say cleaner water and protected banks brought the otters back to the river.",
    ],
    [
        "Fishermen along the river reported fewer complaints than a decade ago, and the authority",
        "plans a second survey in the spring of 2024, with cameras at twenty of the sites.",
    ],
)


def report_pdf(*, encrypt: bool = False) -> bytes:
    """The otter report (REPORT_PAGES under REPORT_TITLE) as a PDF with its information dictionary."""
    first: list[str | tuple[str, float]] = [(REPORT_TITLE, 16), *REPORT_PAGES[0]]
    pages = [page(first, header=REPORT_HEADER, number="1", bottom=72)]
    pages += [page(rows, header=REPORT_HEADER, number=str(n)) for n, rows in enumerate(REPORT_PAGES[1:], 2)]
    return make_pdf(pages, info=REPORT_INFO, encrypt=encrypt)
