"""The evaluation data travels with the repository, is found without any machine path, and WikiQA
(never committed) is laid out from Microsoft's TSV by benchmarks/wikiqa_layout.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import datasets, wikiqa_layout
from benchmarks.seed_score import norm

ROOT = Path(__file__).resolve().parents[1]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_data_is_found_in_the_repository_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(datasets.DATA_ENV, raising=False)
    assert datasets.data_root() == ROOT / "benchmarks" / "data"
    assert datasets.seed_questions().is_file()
    assert (datasets.squad_dir() / "LICENSE.md").is_file(), "CC BY-SA needs its attribution beside the data"


def test_the_environment_variable_moves_every_data_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path))
    assert datasets.seed_questions() == tmp_path / "seed_questions.jsonl"
    assert datasets.squad_dir() == tmp_path / "squad"


def test_every_gold_phrase_is_in_the_seed_it_names() -> None:
    bodies = {key: norm(body) for key, body in datasets.seed_bodies().items()}
    rows = _jsonl(datasets.seed_questions())
    assert len(rows) == 22
    for row in rows:
        for key, phrases in row["gold"].items():
            body = bodies[key.rstrip("?")]
            missing = [p for p in phrases if norm(p) not in body]
            assert not missing, f"{row['id']}: {missing} not in {key}"


def test_squad_half_is_complete() -> None:
    squad = datasets.squad_dir()
    manifest = _jsonl(squad / "articles.jsonl")
    assert [m["role"] for m in manifest].count("library") == 16
    assert [m["role"] for m in manifest].count("outside") == 8
    titles = {m["title"] for m in manifest}
    for m in manifest:
        assert (squad / m["file"]).read_text(encoding="utf-8").strip(), m["file"]
    questions = _jsonl(squad / "questions.jsonl")
    assert len(questions) == 5397
    assert {q["title"] for q in questions} == titles


def test_missing_wikiqa_skips_with_one_line_naming_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert datasets.wikiqa_dir(None) is None
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert datasets.WIKIQA_FLAG + " DIR" in err


def test_a_wikiqa_folder_without_its_files_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"--wikiqa .*: no articles.jsonl, questions.jsonl, articles there"):
        datasets.wikiqa_dir(tmp_path)


# Invented rows in WikiQA's TSV format (not WikiQA's text): two questions on one document, one
# answered by two sentences, one unanswerable, and a document whose title needs a slug.
TSV = (
    "QuestionID\tQuestion\tDocumentID\tDocumentTitle\tSentenceID\tSentence\tLabel\n"
    "Q1\thow tall is the tower\tD7\tTower (Ville)\tD7-0\tThe tower is in Ville .\t0\n"
    'Q1\thow tall is the tower\tD7\tTower (Ville)\tD7-1\tIt is 90 m tall, "a record".\t1\n'
    "Q1\thow tall is the tower\tD7\tTower (Ville)\tD7-2\tIts spire adds 10 m.\t1\n"
    "Q2\twho built the tower\tD7\tTower (Ville)\tD7-0\tThe tower is in Ville .\t0\n"
    'Q2\twho built the tower\tD7\tTower (Ville)\tD7-1\tIt is 90 m tall, "a record".\t0\n'
    "Q2\twho built the tower\tD7\tTower (Ville)\tD7-2\tIts spire adds 10 m.\t0\n"
    "Q5\twhat is a kettle\tD3\tKettle\tD3-0\tA kettle boils water.\t1\n"
)


def test_wikiqa_layout_matches_what_the_scorer_reads(tmp_path: Path) -> None:
    tsv = tmp_path / "WikiQA-dev.tsv"
    tsv.write_text(TSV, encoding="utf-8")
    out = tmp_path / "wikiqa"
    assert wikiqa_layout.main([str(tsv), str(out)]) == 0
    assert _jsonl(out / "articles.jsonl") == [
        {"file": "articles/D7-Tower-Ville.txt", "title": "Tower (Ville)", "role": "library"},
        {"file": "articles/D3-Kettle.txt", "title": "Kettle", "role": "library"},
    ]
    body = (out / "articles" / "D7-Tower-Ville.txt").read_text(encoding="utf-8")
    assert body == 'The tower is in Ville . It is 90 m tall, "a record". Its spire adds 10 m.\n'
    assert _jsonl(out / "questions.jsonl") == [
        {
            "id": "Q1",
            "question": "how tall is the tower",
            "title": "Tower (Ville)",
            "role": "library",
            "answers": ['It is 90 m tall, "a record".', "Its spire adds 10 m."],
        },
        {
            "id": "Q2",
            "question": "who built the tower",
            "title": "Tower (Ville)",
            "role": "unanswerable",
            "answers": [],
        },
        {
            "id": "Q5",
            "question": "what is a kettle",
            "title": "Kettle",
            "role": "library",
            "answers": ["A kettle boils water."],
        },
    ]
    assert datasets.wikiqa_dir(out) == out
    assert wikiqa_layout.main([str(tsv), str(out)]) == 2, "an existing layout is never overwritten"


def test_wikiqa_layout_refuses_another_file(tmp_path: Path) -> None:
    other = tmp_path / "other.tsv"
    other.write_text("a\tb\n1\t2\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "wikiqa_layout.py"), str(other), str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "expected the columns QuestionID" in done.stderr
    assert not (tmp_path / "out").exists()
