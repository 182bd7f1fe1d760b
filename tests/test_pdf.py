"""PDF sources: text in reading order with its paragraphs rebuilt, page starts, metadata, and the
hostile PDFs that are refused with one line (in the child process, as factbot reads them)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from storage.backends import open_library
from storage.errors import IngestError
from storage.extract import extract
from storage.ingest import MetaOverrides, add_document, add_file
from storage.limits import MAX_DOCUMENT_BYTES, MAX_PDF_PAGES
from storage.models import PagePlace, SourceMeta
from storage.pdf import NO_TEXT, PdfText, Refused, _is_page_number, extract_text, read_pdf
from storage.testing.pdfmaker import (
    LEFT,
    REPORT_PAGES,
    REPORT_TITLE,
    Text,
    assemble,
    lines,
    make_pdf,
    page,
    report_pdf,
)
from tests.stores import sql_value


def read(data: bytes) -> PdfText:
    """The text of a PDF read in this process (the child's own work, without the child)."""
    return extract_text(data, max_pages=MAX_PDF_PAGES, max_bytes=MAX_DOCUMENT_BYTES)


def paragraphs(data: bytes) -> list[str]:
    return read(data).text.split("\n\n")


def bomb(depth: int) -> bytes:
    """A page that draws a form that draws the next form twice, `depth` deep: 2**depth drawings
    from a few hundred bytes, which keeps a parser busy (and swelling) for as long as it is let."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /X 5 0 R >> >>"
        b" /Contents %d 0 R >>" % (5 + depth),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for level in range(depth):
        if level == depth - 1:
            data, inner = b"BT /F1 9 Tf 72 72 Td (otter) Tj ET", b""
        else:
            data, inner = b"q /X Do Q q 1 0 0 1 1 1 cm /X Do Q", b"/XObject << /X %d 0 R >>" % (6 + level)
        objects.append(
            b"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> %s >>"
            b" /Length %d >>\nstream\n%s\nendstream" % (inner, len(data), data)
        )
    objects.append(b"<< /Length 5 >>\nstream\n/X Do\nendstream")
    return assemble(objects, b"/Root 1 0 R")


# -- text, in reading order ------------------------------------------------------------------------


def test_the_report_reads_as_its_paragraphs_without_headers_or_page_numbers() -> None:
    found = read(report_pdf())
    assert found.text.split("\n\n") == [
        REPORT_TITLE,
        " ".join(REPORT_PAGES[0][1:3]),
        # goes on across the page, through "univer-" / "sities" (the header and number between left out)
        " ".join(REPORT_PAGES[0][4:6])[:-1] + REPORT_PAGES[1][0],
        " ".join(REPORT_PAGES[1][2:4]),
        REPORT_PAGES[1][5],
        " ".join(REPORT_PAGES[2]),  # page 2 ended early: a new paragraph
    ]
    assert "River Survey" not in found.text and "\n\n2\n\n" not in found.text
    assert found.text[found.pages[1] :].startswith("sities, who visited")
    assert found.text[found.pages[2] :].startswith("Fishermen along the river")
    assert (found.title, found.author, found.created) == ("Otters of the Danube", "Ada Lovelace", "D:20220314090000Z")


def test_two_columns_drawn_line_by_line_read_column_after_column() -> None:
    left = lines(
        ["The left column opens the story of the", "river and tells it down to the end of", "its own first part."], x=72
    )
    right = lines(
        ["The right column picks the story up", "again and carries it on to the end of", "the second part."], x=320
    )
    title = Text(LEFT, 760, "Two Columns", 18)
    interleaved = [title] + [run for pair in zip(left, right, strict=True) for run in pair]
    assert paragraphs(make_pdf([interleaved])) == [
        "Two Columns",
        "The left column opens the story of the river and tells it down to the end of its own first part.",
        "The right column picks the story up again and carries it on to the end of the second part.",
    ]


def test_a_page_drawn_bottom_up_reads_top_down() -> None:
    rows = lines(["First paragraph, on top.", "", "Second paragraph, below it."])
    assert paragraphs(make_pdf([list(reversed(rows))])) == ["First paragraph, on top.", "Second paragraph, below it."]


def test_a_table_reads_row_by_row() -> None:
    rows = [("Vienna", "212 otters"), ("Bratislava", "100 otters")]
    runs = [Text(x, 700 - 16 * n, cell) for n, row in enumerate(rows) for x, cell in zip((72, 300), row, strict=True)]
    cells = [runs[0], runs[2], runs[1], runs[3]]  # drawn column by column
    assert read(make_pdf([cells])).text.split("\n\n") == ["Vienna 212 otters Bratislava 100 otters"]


# -- paragraphs --------------------------------------------------------------------------------------

LINE_A = "The committee met in the spring to look at the state of the river and its banks"
LINE_B = "along the whole length of the country, from the mountains down to the delta and"
LEAD = "In the end it took a year, and all the volunteers it had, to come"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([LINE_A, LINE_B, "the sea."], [f"{LINE_A} {LINE_B} the sea."]),
        # a blank line between
        ([LINE_A, "the sea.", "", LINE_B, "the sea."], [f"{LINE_A} the sea.", f"{LINE_B} the sea."]),
        # an indented first line, no space between
        ([LINE_A, LINE_B + " out.", "\t" + LINE_A, "the sea."], [f"{LINE_A} {LINE_B} out.", f"{LINE_A} the sea."]),
        # a short last line that ends a sentence
        ([LINE_A, "the sea.", LINE_B, "the sea."], [f"{LINE_A} the sea.", f"{LINE_B} the sea."]),
        # a heading in a larger size, then the text
        ([("Findings", 14), LINE_A, "the sea."], ["Findings", f"{LINE_A} the sea."]),
        # list items
        (["1. " + LINE_A, "2. " + LINE_B], ["1. " + LINE_A, "2. " + LINE_B]),
    ],
    ids=["one", "blank-line", "indent", "short-line", "heading", "list"],
)
def test_paragraphs_are_rebuilt(rows: list[str | tuple[str, float]], expected: list[str]) -> None:
    assert paragraphs(make_pdf([page(rows)])) == expected


@pytest.mark.parametrize(
    ("first", "second", "joined"),
    [
        ("to the recom-", "mendations of the board", "to the recommendations of the board"),
        ("a Franco-", "German treaty", "a Franco-German treaty"),
        ("the COVID-", "19 pandemic", "the COVID-19 pandemic"),
        ("the force—", "which was small", "the force—which was small"),
        ("a pause -", "then more", "a pause - then more"),
    ],
)
def test_words_broken_at_a_line_end_are_mended(first: str, second: str, joined: str) -> None:
    rows = [LINE_A, f"{LEAD} {first}", f"{second} {LEAD.lower()}"]
    assert paragraphs(make_pdf([lines(rows)])) == [f"{LINE_A} {LEAD} {joined} {LEAD.lower()}"]


def test_a_hyphen_the_document_writes_elsewhere_is_kept() -> None:
    rows = [LINE_A, "and a well-", "known approach, the well-known one."]
    assert paragraphs(make_pdf([lines(rows)])) == [f"{LINE_A} and a well-known approach, the well-known one."]


def test_ligatures_and_control_characters_do_not_reach_the_text() -> None:
    # WinAnsi has no ligatures: the text comes through a font's ToUnicode map in real files, so
    # here the run is cleaned the way the child cleans PDFium's characters.
    from storage.pdf import _clean

    assert _clean("e\ufb03cient \x07of\ufb01ce\u00ad\ufffe") == "efficient office-"


@pytest.mark.parametrize(
    ("row", "pages", "number"),
    [
        ("12", 40, True),
        ("- 3 -", 5, True),
        ("page 4 of 9", 9, True),
        ("xii", 30, True),
        ("2021", 1, False),  # a year, not the page of a one-page document
        ("mix", 3, False),
        ("the end", 3, False),
    ],
)
def test_page_numbers(row: str, pages: int, number: bool) -> None:
    assert _is_page_number(row, pages) is number


def test_the_first_and_last_rows_of_a_table_that_runs_over_pages_are_kept() -> None:
    def rows(first: int) -> list[Text]:
        cells = [(f"Site {n}", f"{n * 7} otters") for n in range(first, first + 30)]
        return [
            Text(x, 720 - 14 * i, cell) for i, row in enumerate(cells) for x, cell in zip((72, 300), row, strict=True)
        ]

    text = read(make_pdf([rows(1), rows(31)])).text
    for n in (1, 30, 31, 60):
        assert f"Site {n} {n * 7} otters" in text


def test_a_header_on_one_page_only_is_kept() -> None:
    runs = [Text(LEFT, 756, "A notice at the top", 9), *lines([LINE_A, "the sea."])]
    assert paragraphs(make_pdf([runs])) == ["A notice at the top", f"{LINE_A} the sea."]


def test_empty_pages_start_where_the_next_page_does() -> None:
    found = read(make_pdf([lines(["First page text."]), b"", lines(["Third page text."]), b""]))
    third = found.text.index("Third")
    assert found.pages == (0, third, third, len(found.text))


def test_a_quote_names_its_page_and_the_paragraph_on_it() -> None:
    from bot.answer.model import Quote

    quote = Quote("Text.", 9, 1, 0, 5, 1.0)
    assert quote.place == "¶ 9"
    assert dataclasses.replace(quote, page=12, page_paragraph=3, page_end=12).place == "p. 12, ¶ 3"
    assert dataclasses.replace(quote, page=12, page_paragraph=3, page_end=13).place == "pp. 12–13, ¶ 3"
    assert dataclasses.replace(quote, page=2, page_paragraph=1, page_end=2).to_json()["page"] == 2


# -- refusals ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (make_pdf([lines(["A secret."])], encrypt=True), "password-protected"),
        (make_pdf([b"0 0 m 300 300 l S"]), NO_TEXT),  # drawn, no text layer (as a scan is)
        (make_pdf([[Text(300, 40, "1")], [Text(300, 40, "2")]]), NO_TEXT),  # page numbers only
        (b"%PDF-1.4\n" + bytes(range(256)) * 8, "could not be read"),
        (report_pdf()[:400], "could not be read"),  # cut short
        (b"<html>not a PDF</html>", "could not be read"),
    ],
    ids=["encrypted", "no-text", "page-numbers-only", "garbage", "truncated", "not-a-pdf"],
)
def test_hostile_pdfs_are_refused_in_one_line(data: bytes, message: str) -> None:
    with pytest.raises(IngestError) as caught:
        read_pdf(data)
    assert message in caught.value.message and "\n" not in caught.value.message


def test_a_pdf_over_the_page_limit_is_refused_before_its_pages_are_read() -> None:
    data = make_pdf([b""] * (MAX_PDF_PAGES + 1))
    with pytest.raises(IngestError, match=f"has {MAX_PDF_PAGES + 1:,} pages; at most {MAX_PDF_PAGES:,}"):
        read_pdf(data)


def test_a_pdf_holding_too_much_text_is_refused() -> None:
    with pytest.raises(Refused) as caught:
        extract_text(report_pdf(), max_pages=10, max_bytes=300)
    assert caught.value.kind == "long"
    with pytest.raises(IngestError, match="more text than a source may"):
        read_pdf(report_pdf(), max_bytes=300)


def test_a_pdf_that_keeps_the_parser_busy_is_stopped_at_the_time_limit() -> None:
    with pytest.raises(IngestError, match="took longer than 1 second, so it was stopped"):
        read_pdf(bomb(24), seconds=1)
    with pytest.raises(IngestError, match=r"took longer than 0\.001 seconds"):
        read_pdf(report_pdf(), seconds=0.001)


def test_a_pdf_that_swells_past_the_memory_limit_is_refused() -> None:
    small = 512 * 1024**2
    assert read_pdf(report_pdf(), memory=small).pages  # room enough for an ordinary PDF
    with pytest.raises(IngestError, match="could not be read"):
        read_pdf(bomb(24), seconds=60, memory=small)


def test_the_child_reads_what_the_parent_would() -> None:
    assert read_pdf(report_pdf()) == read(report_pdf())


# -- metadata ------------------------------------------------------------------------------------------


def test_extract_reads_a_pdf_by_name_type_or_content() -> None:
    data = report_pdf()
    for filename, content_type in (("report.pdf", None), (None, "application/pdf"), (None, None)):
        found = extract(data, filename=filename, content_type=content_type)
        assert (found.title, found.author, found.published) == ("Otters of the Danube", "Ada Lovelace", "2022-03-14")
        assert len(found.pages) == 3 and found.text.startswith("Otters of the Danube\n\n")


@pytest.mark.parametrize(
    ("info", "title", "published"),
    [
        ({}, "A Title On Top", None),  # no information dictionary: the title the text states
        ({"Title": "Microsoft Word - draft7.docx", "CreationDate": "D:2019"}, "A Title On Top", "2019"),
        ({"Title": "Spaced  Out", "CreationDate": "D:201906"}, "Spaced  Out", "2019-06"),  # tidied by ingest
        ({"Title": "   "}, "A Title On Top", None),
        ({"CreationDate": "yesterday"}, "A Title On Top", None),
    ],
)
def test_metadata_from_the_information_dictionary(info: dict[str, str], title: str, published: str | None) -> None:
    data = make_pdf([lines(["A Title On Top", "", "The text of the document, in a sentence."])], info=info)
    found = extract(data, filename="x.pdf")
    assert (found.title, found.published) == (title, published)


async def test_what_the_person_adding_says_wins(library_target: Path | str) -> None:
    async with await open_library(library_target, seed=False) as library:
        given = MetaOverrides(title="Otters, 2022", author="River Authority", published="2022")
        info = await add_document(library, report_pdf(), filename="report.pdf", given=given)
        assert (info.title, info.author, info.published, info.pages) == ("Otters, 2022", "River Authority", "2022", 3)


# -- pages in the library (both backends) ------------------------------------------------------------


async def test_page_starts_are_stored_with_the_source_and_removed_with_it(
    library_target: Path | str, tmp_path: Path
) -> None:
    path = tmp_path / "otters.pdf"
    path.write_bytes(report_pdf())
    async with await open_library(library_target, seed=False) as library:
        info = await add_file(library, path)
        assert (info.title, info.pages, info.origin) == ("Otters of the Danube", 3, "otters.pdf")
        assert (await library.get_source(info.id)).pages == 3
        body = await library.get_body(info.id)
        starts = await library.page_starts(info.id)
        assert starts == list(read(report_pdf()).pages)
        count = body.index("The survey counted")
        places = await library.page_places(info.id, [(0, 1), (count, 4), (starts[1], 3), (starts[2], 6)])
        assert places == [PagePlace(1, 1), PagePlace(2, 2), PagePlace(2, 1), PagePlace(3, 1)]
        await library.remove_source(info.id)
        assert await sql_value(library, "SELECT count(*) FROM pages") == 0


async def test_a_source_without_pages_has_none(library_target: Path | str) -> None:
    async with await open_library(library_target, seed=False) as library:
        info = await library.add_source("Plain text. Two sentences.", SourceMeta("Plain"))
        assert info.pages == 0 and await library.page_starts(info.id) == []
        assert await library.page_places(info.id, [(0, 1)]) == [None]


@pytest.mark.parametrize("pages", [(0, 30, 10), (0, 10_000), (-1,), tuple(range(MAX_PDF_PAGES + 1))])
async def test_page_starts_out_of_order_or_range_are_refused(library_target: Path | str, pages: tuple[int]) -> None:
    async with await open_library(library_target, seed=False) as library:
        with pytest.raises(IngestError):
            await library.add_source("Some text here. " * 10, SourceMeta("Paged"), pages=pages)
        assert await library.count_sources() == 0
