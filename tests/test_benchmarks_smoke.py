"""Every benchmark stays runnable as `python -m benchmarks.NAME`: each is run here on a tiny input
(a few articles, a few questions, a copy of benchmarks/data cut to a few lines), and only that it
finishes and prints its report is checked. Figures belong to the README, not to a test.

scale, pathological, backends and determinism have their own small runs (test_benchmarks.py,
test_pathological_bench.py, test_backends_bench.py, test_determinism.py); wikiqa_layout is run in
test_datasets.py, quality --feedback in test_feedback_cli.py."""

from __future__ import annotations

import json
import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import benchmarks
from benchmarks import calibrate, datasets, discord_load, fusion, large_source, quality, variants

ROOT = Path(__file__).resolve().parents[1]
# The modules of the package that are helpers of the others, not benchmarks with a command line.
HELPERS = {"conditions", "corpus", "datasets", "roundtrips"}
LIBRARY_ARTICLES = ("Amazon rainforest", "Sky (United Kingdom)")
OUTSIDE_ARTICLES = ("Jacksonville, Florida",)


def _benchmarks() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name not in HELPERS)


def _first_lines(source: Path, target: Path, keep: int) -> None:
    target.write_text("".join(source.read_text(encoding="utf-8").splitlines(keepends=True)[:keep]), encoding="utf-8")


def _run_benchmark(name: str, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    """`python -m benchmarks.NAME ARGS` from the repository root, as the README runs it: its output,
    once it has exited 0 (else the test fails with the end of what it printed)."""
    done = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{name}", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


@pytest.fixture
def tiny_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """benchmarks/data cut down (two seed questions, one follow-up, one meaning question of each
    split, two SQuAD library articles and one outside, two or three questions each), set as
    FACTBOT_BENCH_DATA for this test and the processes it starts."""
    data = tmp_path / "data"
    (data / "squad" / "articles").mkdir(parents=True)
    _first_lines(datasets.REPO_DATA / "seed_questions.jsonl", data / "seed_questions.jsonl", 2)
    _first_lines(datasets.REPO_DATA / "followups.jsonl", data / "followups.jsonl", 1)
    _first_lines(datasets.REPO_DATA / "seed_meaning.jsonl", data / "seed_meaning.jsonl", 2)
    squad = datasets.REPO_DATA / "squad"
    kept = [*LIBRARY_ARTICLES, *OUTSIDE_ARTICLES]
    manifest = [m for m in map(json.loads, (squad / "articles.jsonl").read_text().splitlines()) if m["title"] in kept]
    for m in manifest:
        shutil.copy(squad / m["file"], data / "squad" / m["file"])
    questions = []
    for title in kept:
        questions += [
            q for q in map(json.loads, (squad / "questions.jsonl").read_text().splitlines()) if q["title"] == title
        ][:3]
    (data / "squad" / "articles.jsonl").write_text("".join(json.dumps(m) + "\n" for m in manifest), encoding="utf-8")
    (data / "squad" / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")
    monkeypatch.setenv(datasets.DATA_ENV, str(data))
    return data


@pytest.mark.parametrize("name", _benchmarks())
def test_each_benchmark_runs_as_a_module(name: str) -> None:
    """`python -m benchmarks.NAME --help` from the repository root: the package form the README gives."""
    assert "usage:" in _run_benchmark(name, "--help", timeout=120)


def test_calibrate_fits_and_reports_on_a_tiny_squad(
    tiny_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "rows.json"
    assert calibrate.main(["--squad", str(tiny_data / "squad"), "--rows", str(rows)]) == 0
    printed = capsys.readouterr().out
    assert "held out, whole articles (two folds)" in printed and "question_model: bias" in printed
    assert json.loads(rows.read_text())["rows"], "the assessments are cached for the next run"
    assert calibrate.main(["--squad", str(tiny_data / "squad"), "--rows", str(rows)]) == 0
    assert capsys.readouterr().out == printed, "the cached rows give the same report"


def test_fusion_compares_combinations_on_a_tiny_squad(tiny_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert fusion.main(["--squad", "4"]) == 0
    printed = capsys.readouterr().out
    assert "| shipped, meaning weight 2 |" in printed and "listwise logistic" in printed


def test_quality_in_process_prints_its_table(tiny_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert quality.main(["--inproc", "--in", "3", "--out", "2"]) == 0
    printed = capsys.readouterr().out
    assert "seed questions" in printed and "squad" in printed


def _factbot(tmp_path: Path) -> tuple[str, dict[str, str]]:
    """The factbot command as this interpreter runs it, and an environment with a fresh library."""
    env = dict(os.environ, FACTBOT_DB=str(tmp_path / "library.db"), PYTHONPATH=str(ROOT))
    return f"{sys.executable} -m bot", env


def test_squad_score_scores_a_tiny_squad(tiny_data: Path, tmp_path: Path) -> None:
    factbot, env = _factbot(tmp_path)
    printed = _run_benchmark(
        "squad_score", str(tiny_data / "squad"), "--cmd", factbot, "--in", "2", "--out", "1", env=env
    )
    assert "squad squad: in-library 2, outside 1;" in printed.splitlines()[-1]


def test_seed_score_scores_one_question(tiny_data: Path, tmp_path: Path) -> None:
    questions = tmp_path / "one.jsonl"
    _first_lines(tiny_data / "seed_questions.jsonl", questions, 1)
    factbot, env = _factbot(tmp_path)
    printed = _run_benchmark("seed_score", str(questions), "--cmd", f"{factbot} ask --json", env=env)
    assert "questions 1" in printed.splitlines()[-1]


def test_variants_prints_one_json_object_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert variants.main(["--style", "typo", "-n", "2"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 2 and all(r["style"] == "typo" for r in rows)


def test_large_source_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    large_source.main(["--mb", "0.05", "--concurrent", "2"])
    assert "questions at once, all answered" in capsys.readouterr().out


def test_discord_load_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert discord_load.main(["--articles", "3", "--questions", "3", "--rate", "20"]) == 0
    printed = capsys.readouterr().out
    assert "Discord load check: 3 /ask interactions" in printed and "| acknowledge |" in printed


def test_stress_runs_one_round_and_the_held_library_check() -> None:
    """One round of two workers; most of its wall time is the held-library check's write wait."""
    printed = _run_benchmark("stress", "--rounds", "1", "--workers", "2", "--seconds", "0.5")
    assert "held library: waited aloud, gave up in one line" in printed


def test_shard_load_runs_two_processes_briefly() -> None:
    """Two real `factbot run` processes on a SQLite library, a second of load; run as a process of
    its own because it points discord.py at the fake for good."""
    printed = _run_benchmark("shard_load", "--articles", "3", "--rate", "2", "--duration", "0.5", "--sqlite")
    assert "| interactions sent | 1 " in printed and "quoted by the process of shards 2,3" in printed
