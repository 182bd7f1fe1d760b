"""The pathological-input benchmark stays runnable: its smallest run prints a row per input and stage.

No timing is asserted: timings belong to the benchmark's report, not to a test."""

from __future__ import annotations

import pytest

from benchmarks import pathological
from storage.pdf import extract_text


def test_every_case_makes_about_the_size_asked() -> None:
    for case in pathological.CASES:
        for size in (2_000, 8_000):
            made = case.make(size)
            text = made if isinstance(made, str) else extract_text(made, max_pages=100, max_bytes=10**6).text
            assert 0.8 * size <= len(text) <= 1.2 * size, case.name


def test_a_pdf_doubles_its_pages_with_its_text() -> None:
    small, large = (extract_text(pathological._pdf_prose(n), max_pages=100, max_bytes=10**6) for n in (8_000, 16_000))
    assert len(large.pages) in range(2 * len(small.pages) - 1, 2 * len(small.pages) + 2)


def test_a_small_run_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    cases = "numbers,headings,html paragraphs,pdf columns"
    assert pathological.main(["--sizes", "2000,4000", "--cases", cases]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "| input |" not in line]
    assert len(rows) == 4 * 4
    assert {row.split(" | ")[1] for row in rows} == {"extract", "segment", "add", "ask"}
    assert "refused" not in out


def test_a_prefix_picks_every_pdf_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert pathological.main(["--sizes", "1000", "--cases", "pdf"]) == 0
    names = {line.split(" | ")[0][2:] for line in capsys.readouterr().out.splitlines() if line.startswith("| pdf")}
    assert names == {c.name for c in pathological.CASES if c.name.startswith("pdf ")}


def test_an_unknown_case_is_one_clear_line() -> None:
    with pytest.raises(SystemExit, match="unknown case"):
        pathological.main(["--cases", "nonsense"])
