"""Ingestion on a real library file: titles taken from the text, hostile documents bounded or refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.backends import open_library
from storage.backends.base import Library
from storage.errors import IngestError
from storage.ingest import MAX_FIELD_CHARS, MetaOverrides, add_document, add_file
from storage.segment import LONGEST_SENTENCE, MAX_SENTENCES

BODY = "The quokka is a small macropod about the size of a domestic cat. It lives on Rottnest Island."


@pytest.fixture
async def library(tmp_path: Path):
    async with await open_library(tmp_path / "library.db", seed=False) as lib:
        yield lib


@pytest.mark.parametrize(
    ("name", "content", "given", "title"),
    [
        # The case: a .txt whose first line is its title was cited as "quokka".
        ("quokka.txt", f"The Quokka\n\n{BODY}", None, "The Quokka"),
        ("quokka.txt", f"The Quokka\n{BODY}", None, "The Quokka"),
        ("quokka.md", f"# The Quokka\n\n{BODY}", None, "The Quokka"),
        ("quokka-facts.txt", BODY, None, "quokka facts"),  # no title in the text: the file's name
        ("quokka.txt", f"The Quokka\n\n{BODY}", "Quokkas", "Quokkas"),  # a given title wins
        # A heading too long to be a title is not one, and does not get the document refused.
        ("quokka.md", "# " + "Long " * 100 + f"\n\n{BODY}", None, "quokka"),
    ],
)
async def test_title_from_the_text(
    library: Library, tmp_path: Path, name: str, content: str, given: str | None, title: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    info = await add_file(library, path, given=MetaOverrides(title=given))
    assert info.title == title
    assert [s.title for s in await library.list_sources()] == [title]
    assert await library.get_body(info.id) == content  # the title line stays in the text


async def test_a_given_title_too_long_is_still_refused(library: Library) -> None:
    with pytest.raises(IngestError, match="title is too long"):
        await add_document(library, BODY.encode(), filename="a.txt", given=MetaOverrides(title="x" * 301))
    assert await library.count_sources() == 0
    assert MAX_FIELD_CHARS == 300


async def test_a_line_of_megabytes_is_cut_into_bounded_sentences(library: Library) -> None:
    body = "word " * 400_000  # 2 MB, no punctuation
    info = await add_document(library, body.encode(), filename="words.txt")
    assert info.sentences >= len(body) // LONGEST_SENTENCE
    sentences = await library.match_any(["word"], scope=info.scope, limit=50)
    assert sentences
    assert all(len(s.text) <= LONGEST_SENTENCE for s in sentences)


async def test_a_file_of_headings_is_refused_and_changes_nothing(library: Library) -> None:
    data = ("# Heading\n" * (MAX_SENTENCES + 1)).encode()  # 1 MB; the same at 4 MB
    with pytest.raises(IngestError, match="too many sentences"):
        await add_document(library, data, filename="headings.md")
    assert await library.count_sources() == 0
