"""benchmarks/backends.py gives figures that can be compared: both backends asked in turn, the
order swapped each question, process-wide caches emptied before every ask, and the output naming
the commit (dirty or not), the CPUs and the load, with round trips to PostgreSQL counted.

No timing is asserted: timings belong to the benchmark's report, not to a test."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
from pathlib import Path

import numpy as np
import pytest

from benchmarks import backends, conditions
from bot.answer import Engine, encoder


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_the_commit_is_dirty_only_when_the_timed_code_changed(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "x.py").write_text("x = 1\n")
    (tmp_path / "README.md").write_text("figures\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "one")
    clean = conditions.commit(tmp_path)
    assert clean and "dirty" not in clean
    (tmp_path / "README.md").write_text("new figures\n")
    assert conditions.commit(tmp_path) == clean, "a README edit does not change the timings"
    (tmp_path / "bot" / "x.py").write_text("x = 2\n")
    assert conditions.commit(tmp_path) == f"{clean} (dirty)"
    assert conditions.commit(tmp_path / "nowhere") == "unknown"


def test_cold_caches_make_the_encoder_encode_again(monkeypatch: pytest.MonkeyPatch) -> None:
    model = encoder.shipped()
    runs: list[str] = []
    original = encoder.Encoder._run

    def counted(self: encoder.Encoder, text: str) -> np.ndarray:
        runs.append(text)
        return original(self, text)

    monkeypatch.setattr(encoder.Encoder, "_run", counted)
    model.vectors(["The river floods every spring."])
    model.vectors(["The river floods every spring."])
    assert len(runs) == 1, "a sentence seen is not encoded twice"
    conditions.cold_caches()
    model.vectors(["The river floods every spring."])
    assert len(runs) == 2, "after cold_caches the next backend asked gets no head start"


def test_the_smallest_run_alternates_and_names_its_conditions(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    original_ask, original_cold = Engine.ask, conditions.cold_caches

    async def spied_ask(self: Engine, question: str, **kwargs: object) -> object:
        events.append("postgres" if type(self.library).__name__.startswith("Postgres") else "sqlite")
        return await original_ask(self, question, **kwargs)  # type: ignore[arg-type]

    def spied_cold() -> None:
        events.append("cold")
        original_cold()

    monkeypatch.setattr(Engine, "ask", spied_ask)
    monkeypatch.setattr(conditions, "cold_caches", spied_cold)
    args = argparse.Namespace(
        size=30, answerable=3, outside=1, round_trip_questions=2, pg=pg_url, library=None, words_only=False
    )
    figures = asyncio.run(backends.main(args))

    timed = events[events.index("cold") :][: 4 * 2 * 2]  # 4 questions, 2 backends, cold + ask each
    assert timed == ["cold", "sqlite", "cold", "postgres", "cold", "postgres", "cold", "sqlite"] * 2
    assert figures["identical_answers"] == "4/4"
    assert figures["vectors"] == figures["sentences"] > 0, "both backends are asked with every vector"
    assert figures["commit"] and figures["cpus"] >= 1
    assert len(figures["load_before"]) == len(figures["load_after"]) == 3
    assert figures["round_trips"]["questions"] == 2 and figures["round_trips"]["median"] >= 1
    row = backends.table(figures)
    assert "| 30 articles" in row and f"commit {figures['commit']}" in row
    assert figures["ratio"]["p95"] == round(figures["postgres"]["p95_ms"] / figures["sqlite"]["p95_ms"], 2)
