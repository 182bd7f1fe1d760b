"""The pathological-input benchmark stays runnable: its smallest run prints a row per input and stage.

No timing is asserted: timings belong to the benchmark's report, not to a test."""

from __future__ import annotations

import pytest

from benchmarks import pathological


def test_every_case_makes_about_the_size_asked() -> None:
    for case in pathological.CASES:
        for size in (2_000, 8_000):
            assert 0.8 * size <= len(case.make(size)) <= 1.2 * size, case.name


def test_a_small_run_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert pathological.main(["--sizes", "2000,4000", "--cases", "numbers,headings,html paragraphs"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "| input |" not in line]
    assert len(rows) == 3 * 4
    assert {row.split(" | ")[1] for row in rows} == {"extract", "segment", "add", "ask"}


def test_an_unknown_case_is_one_clear_line() -> None:
    with pytest.raises(SystemExit, match="unknown case"):
        pathological.main(["--cases", "nonsense"])
