"""Extraction: which documents we read, how bytes become text, and what metadata we find."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.errors import IngestError
from storage.extract import Extracted, decode, detect_kind, extract
from storage.segment import segment

ROOT = Path(__file__).resolve().parents[1]

# --- kinds -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content_type", "kind"),
    [
        ("notes.txt", None, "text"),
        ("NOTES.TXT", None, "text"),
        ("notes.md", None, "markdown"),
        ("notes.markdown", "text/plain", "markdown"),  # the name wins over a generic type
        ("page.html", None, "html"),
        ("page.htm", None, "html"),
        ("dir/sub.dir/page.xhtml", None, "html"),
        ("C:\\docs\\page.HTML", None, "html"),
        (None, "text/html", "html"),
        (None, "text/html; charset=utf-8", "html"),
        (None, "application/xhtml+xml", "html"),
        (None, "text/markdown", "markdown"),
        (None, "text/plain", "text"),
        (None, "text/csv", "text"),
        ("data.csv", None, "text"),  # unknown extension, no type: decoding decides
        ("README", None, "text"),
        (None, None, "text"),
        ("notes", "application/octet-stream", "text"),
        ("article.php", "text/html", "html"),
        ("paper.pdf", None, "pdf"),
        ("paper.PDF", "text/plain", "pdf"),
        (None, "application/pdf", "pdf"),
    ],
)
def test_detect_kind(filename: str | None, content_type: str | None, kind: str) -> None:
    assert detect_kind(filename, content_type) == kind


@pytest.mark.parametrize(
    ("filename", "content_type", "named"),
    [
        ("letter.docx", None, ".docx"),
        ("letter.DOCX", "text/plain", ".docx"),
        ("photo.jpeg", None, ".jpeg"),
        ("archive.tar.gz", None, ".gz"),
        (None, "application/msword", "application/msword"),
        (None, "image/png", "image/png"),
        (None, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/vnd"),
        ("upload", "application/zip", "application/zip"),
    ],
)
def test_detect_kind_refuses_other_formats(filename: str | None, content_type: str | None, named: str) -> None:
    with pytest.raises(IngestError) as caught:
        detect_kind(filename, content_type)
    message = str(caught.value)
    assert named in message
    assert ".txt" in message and ".md" in message and ".html" in message and ".pdf" in message


# --- decoding ----------------------------------------------------------------------------------

CAFE = "Caf\u00e9 \u201cquoted\u201d \u2014 \u20ac5"


@pytest.mark.parametrize(
    ("data", "charset", "text"),
    [
        (CAFE.encode("utf-8"), None, CAFE),
        (b"\xef\xbb\xbf" + CAFE.encode("utf-8"), None, CAFE),  # the BOM is dropped
        (CAFE.encode("utf-8"), "iso-8859-1", CAFE),  # UTF-8 first: declared charsets are often wrong
        (CAFE.encode("cp1252"), None, CAFE),  # not UTF-8: Windows-1252
        (CAFE.encode("cp1252"), "iso-8859-1", CAFE),  # "Latin-1" means Windows-1252 in practice
        ("\u0416\u0443\u0440\u043d\u0430\u043b".encode("koi8-r"), "koi8-r", "\u0416\u0443\u0440\u043d\u0430\u043b"),
        (CAFE.encode("utf-16"), None, CAFE),  # BOM says UTF-16
        (CAFE.encode("utf-16-le"), "utf-16-le", CAFE),  # declared, no BOM
        (CAFE.encode("utf-32"), None, CAFE),
        (CAFE.encode("utf-8"), "no-such-charset", CAFE),
        (b"a\tb\fc\r\nd", None, "a\tb\fc\r\nd"),  # decode keeps line endings as they are
    ],
)
def test_decode(data: bytes, charset: str | None, text: str) -> None:
    assert decode(data, charset) == text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"   \n\t\r\n", "The file contains only whitespace."),
        ("\u00a0 \n".encode(), "The file contains only whitespace."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This file looks binary, not text."),
        (b"text with a NUL\x00 in it", "This file looks binary, not text."),
        (bytes(range(1, 32)) * 20, "This file looks binary, not text."),
        (
            b"Ordinary words. " * 20 + b"\x81\x8d",
            "Could not work out this file's text encoding; please save it as UTF-8.",
        ),
    ],
)
def test_decode_refuses(data: bytes, message: str) -> None:
    with pytest.raises(IngestError) as caught:
        decode(data)
    assert str(caught.value) == message


def test_a_few_control_characters_are_still_text() -> None:
    text = "Page one.\x0cPage two, with an escape \x1b here." + " More words." * 20
    assert decode(text.encode()) == text


# --- plain text --------------------------------------------------------------------------------


def test_text_is_kept_exactly_but_for_line_endings_and_bom() -> None:
    body = "  Title\u00a0here \r\n\r\n\t\u201cQuote,\u201d he said.  \rLast line\n"
    result = extract(b"\xef\xbb\xbf" + body.encode(), filename="a.txt")
    assert result == Extracted(
        text="  Title\u00a0here \n\n\t\u201cQuote,\u201d he said.  \nLast line\n", title="Title\u00a0here"
    )


# A title the text states at its top: a first-line heading, or a short first line that reads as one.
TEXT_TITLES = [
    ("The Quokka\n\nThe quokka is a small macropod.", "The Quokka"),
    ("\n  The Quokka  \nThe quokka is a small macropod.", "The Quokka"),
    ("# The Quokka\n\nThe quokka is a small macropod.", "The Quokka"),
    ("The Quokka\n==========\nThe quokka is a small macropod.", "The Quokka"),
    ("What is a quokka?\n\nA small macropod.", "What is a quokka?"),
    ("Quokkas: a field guide\n\nA small macropod.", "Quokkas: a field guide"),
    ("JUNE 2021\n\nCSTO Sets Up Peacekeeping Force\n\nWritten by Alex Gorka.", "CSTO Sets Up Peacekeeping Force"),
    ('The Quokka\n\n"Smiling," they call it.', "The Quokka"),
    # not titles: a sentence, a wrapped line, a list, a lone line, a rule, a date, a long line
    ("The quokka is a small macropod.\n\nIt lives on islands.", None),
    ("The quokka is a small macropod about the\nsize of a domestic cat.", None),
    ("Some facts about quokkas:\n\nThey are small.", None),
    ("- small\n- furry", None),
    ("1. small\n2. furry", None),
    ("The Quokka", None),
    ("---\n\nThe quokka is small.", None),
    ("12 June 2021\n\nThe quokka is small.", None),
    ("## A Section\n\nThe quokka is small.", None),
    (" ".join(["word"] * 30) + "\n\nThe quokka is small.", None),
    ("x" * 10_000 + "\n\nThe quokka is small.", None),
    ("# " + "x" * 10_000 + "\n\nThe quokka is small.", None),  # a heading that runs past the head read
]


@pytest.mark.parametrize(("text", "title"), TEXT_TITLES, ids=[t[:30] for t, _ in TEXT_TITLES])
@pytest.mark.parametrize("filename", ["quokka.txt", "quokka.md"])
def test_title_from_the_text(text: str, title: str | None, filename: str) -> None:
    result = extract(text.encode(), filename=filename)
    assert result.title == title
    assert result.text == text  # the title line stays part of the text, as written


# Inputs whose metadata once took quadratic time (a pattern backtracking over a run of spaces).
@pytest.mark.parametrize(
    ("source", "title"),
    [
        ("---\ntitle: A" + " " * 100_000 + "B\n---\n\nBody.", "A" + " " * 100_000 + "B"),
        ("---\ntitle: A  \t \n---\n\nBody.", "A"),
        ("# A" + " " * 3_000 + "B\n\nBody.", "A" + " " * 3_000 + "B"),
        ("# A" + " " * 3_000 + "#\n\nBody.", "A"),
        ("# C# in depth ##\n\nBody.", "C# in depth"),
        ("# Title#\n\nBody.", "Title#"),
    ],
)
def test_titles_with_long_runs_of_spaces(source: str, title: str) -> None:
    assert extract(source.encode(), filename="a.md").title == title


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufeff")
        | st.sampled_from("\n\t ")
    ).filter(str.strip)
)
def test_text_round_trips(text: str) -> None:
    assert extract(text.encode("utf-8"), filename="x.txt").text == text


@pytest.mark.parametrize("size", [10, 5_000_000])
def test_size_limit(size: int) -> None:
    assert extract(b"x" * size, filename="a.txt", max_bytes=size).text == "x" * size
    with pytest.raises(IngestError, match="too large"):
        extract(b"x" * (size + 1), filename="a.txt", max_bytes=size)


def test_size_limit_message_names_the_limit() -> None:
    with pytest.raises(IngestError) as caught:
        extract(b"x" * 6_200_000, filename="a.txt")
    assert str(caught.value) == "The document is too large (6.2 MB; the limit is 5 MB)."


# --- Markdown ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "title"),
    [
        ("# The Title\n\nBody.", "The Title"),
        ("\n\n# The Title #\n\nBody.", "The Title"),
        ("The Title\n=========\n\nBody.", "The Title"),
        ("## Not a title\n\nBody.", None),
        ("Body first.\n\n# Later heading", None),
        ("#NoSpace\n\nBody.", None),
    ],
)
def test_markdown_title(source: str, title: str | None) -> None:
    result = extract(source.encode(), filename="a.md")
    assert result.title == title
    assert result.text == source  # kept as written


def test_markdown_front_matter() -> None:
    source = (
        "---\n"
        'title: "CSTO: A Peacekeeping Force"\n'
        "author: Alex Gorka\n"
        "date: June 2021\n"
        "publisher: 'Strategic Culture'\n"
        "url: https://example.org/a\n"
        "tags: [one, two]\n"
        "---\n"
        "\n"
        "# A heading that is not the title\n"
        "\n"
        "Body text.\n"
    )
    result = extract(source.encode(), filename="a.md")
    assert result == Extracted(
        text="# A heading that is not the title\n\nBody text.\n",
        title="CSTO: A Peacekeeping Force",
        author="Alex Gorka",
        publisher="Strategic Culture",
        published="2021-06",
        url="https://example.org/a",
    )


def test_markdown_front_matter_with_odd_values() -> None:
    source = "---\r\ntitle: T\r\ndate: someday\r\nurl: not a url\r\n...\r\nBody."
    result = extract(source.encode(), content_type="text/markdown")
    assert result == Extracted(text="Body.", title="T")


def test_markdown_rule_is_not_front_matter() -> None:
    source = "---\nJust a rule above.\n---\n\nBody."
    assert extract(source.encode(), filename="a.md") == Extracted(text=source)


def test_markdown_front_matter_without_body() -> None:
    with pytest.raises(IngestError, match="no text"):
        extract(b"---\ntitle: T\n---\n\n  \n", filename="a.md")


# --- HTML --------------------------------------------------------------------------------------

ARTICLE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>CSTO Sets Up Peacekeeping Force | Strategic Culture</title>
<meta property="og:site_name" content="Strategic Culture Foundation">
<meta name="author" content="Alex Gorka">
<meta property="article:published_time" content="2018-02-12T10:00:00+00:00">
<link rel="canonical" href="https://example.org/news/csto-peacekeeping">
</head><body>
<nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<article>
<h1>CSTO Sets Up Peacekeeping Force</h1>
<p>Russian media reported on Feb.8 that the Collective Security Treaty Organization (CSTO) is preparing
for peacekeeping operations under UN auspices. The bloc is working on creating a legal basis.</p>
<p>It was not made precise which country the peacekeepers will go to but Mr.&nbsp;Semeryakov emphasized
that roughly 7,000 militants pose a threat.</p>
<h2>Capabilities</h2>
<p>The CSTO has boosted its defense capabilities. It has a 17,000 strong rapid reaction force.</p>
<ul><li>Russia</li><li>Belarus and Armenia</li></ul>
</article>
<div class="comments"><p>Great article! Posted by a reader.</p></div>
<footer>Copyright 2018 Example. All rights reserved.</footer>
</body></html>
"""


@pytest.fixture(scope="module")
def article() -> Extracted:
    return extract(ARTICLE.encode(), filename="page.html")


def test_html_metadata(article: Extracted) -> None:
    assert article.title == "CSTO Sets Up Peacekeeping Force"
    assert article.author == "Alex Gorka"
    assert article.publisher == "Strategic Culture Foundation"
    assert article.published == "2018-02-12"
    assert article.url == "https://example.org/news/csto-peacekeeping"


def test_html_keeps_the_article_and_drops_the_rest(article: Extracted) -> None:
    assert "Home" not in article.text
    assert "Great article" not in article.text
    assert "Copyright" not in article.text
    assert "but Mr. Semeryakov emphasized that roughly 7,000" in article.text  # trafilatura folds spaces


def test_html_paragraphs_are_separated_by_blank_lines(article: Extracted) -> None:
    paragraphs = [[article.text[s.start : s.end] for s in p.sentences] for p in segment(article.text)]
    assert paragraphs[0] == ["CSTO Sets Up Peacekeeping Force"]
    assert paragraphs[1] == [
        "Russian media reported on Feb.8 that the Collective Security Treaty Organization (CSTO) is "
        "preparing for peacekeeping operations under UN auspices.",
        "The bloc is working on creating a legal basis.",
    ]
    assert ["Capabilities"] in paragraphs
    assert ["- Russia"] in paragraphs
    assert "\n\n\n" not in article.text


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [(None, "text/html"), (None, "text/html; charset=utf-8"), ("article.php", "text/html"), (None, None)],
)
def test_html_is_recognised_without_a_file_name(filename: str | None, content_type: str | None) -> None:
    assert extract(ARTICLE.encode(), filename=filename, content_type=content_type).title == (
        "CSTO Sets Up Peacekeeping Force"
    )


def test_html_charset_from_meta_tag() -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head>'
        "<body><article><p>The caf\u00e9 \u2019round the corner\u2019 is open all week long.</p>"
        "</article></body></html>"
    )
    result = extract(page.encode("cp1252"), content_type="text/html")
    assert result.text == "The caf\u00e9 \u2019round the corner\u2019 is open all week long."


@pytest.mark.parametrize(
    "page",
    ["<html><body></body></html>", "<html><head><title>Only a title</title></head><body> </body></html>"],
)
def test_html_without_text(page: str) -> None:
    with pytest.raises(IngestError) as caught:
        extract(page.encode(), filename="empty.html")
    assert str(caught.value) == "No article text found in this page."


def test_html_extraction_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("extraction tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    assert extract(ARTICLE.encode(), filename="page.html").author == "Alex Gorka"


def test_trafilatura_is_imported_only_when_needed() -> None:
    code = (
        "import sys, storage.extract as e; assert 'trafilatura' not in sys.modules; "
        "e.extract(b'plain', filename='a.txt'); assert 'trafilatura' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
