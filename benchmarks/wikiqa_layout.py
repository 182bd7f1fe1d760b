"""Lay out WikiQA's dev split for `python -m benchmarks.quality --wikiqa DIR` (and squad_score.py).

    python -m benchmarks.wikiqa_layout WikiQACorpus/WikiQA-dev.tsv DIR

WikiQA (Yang, Yih and Meek, EMNLP 2015) is published by Microsoft Research under the Microsoft
Research Data License (research use) as WikiQACorpus.zip, on its download page:
https://www.microsoft.com/en-us/download/details.aspx?id=52419. It is never committed here; this
script turns the TSV you downloaded (QuestionID, Question, DocumentID, DocumentTitle, SentenceID,
Sentence, Label: one candidate sentence a row) into the layout the SQuAD half uses:

    DIR/articles/D<n>-<Title>.txt  one per document: its summary sentences in order, joined by spaces
    DIR/articles.jsonl             {"file", "title", "role": "library"}: every document is in the library
    DIR/questions.jsonl            {"id", "question", "title", "role", "answers"}: role "library" when a
                                   sentence is labelled 1 (those sentences are the answers), else
                                   "unanswerable" (its article is in the library but does not answer it)

Documents and questions keep the file's order. DIR must not exist yet or be empty.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

COLUMNS = ("QuestionID", "Question", "DocumentID", "DocumentTitle", "SentenceID", "Sentence", "Label")
SLUG_CHARS = 60  # file names keep at most this much of the title


@dataclass
class Document:
    doc_id: str
    title: str
    sentences: dict[int, str] = field(default_factory=dict)

    @property
    def file(self) -> str:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", self.title).strip("-")[:SLUG_CHARS]
        return f"articles/{self.doc_id}-{slug}.txt"


def read_tsv(path: Path) -> tuple[dict[str, Document], list[dict]]:
    """The documents and the questions of a WikiQA TSV, in the file's order."""
    documents: dict[str, Document] = {}
    questions: dict[str, dict] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path}: expected the columns {', '.join(COLUMNS)}; found {reader.fieldnames}")
        for row in reader:
            doc = documents.setdefault(row["DocumentID"], Document(row["DocumentID"], row["DocumentTitle"]))
            index = int(row["SentenceID"].rsplit("-", 1)[-1])
            doc.sentences[index] = row["Sentence"]
            question = questions.setdefault(
                row["QuestionID"],
                {"id": row["QuestionID"], "question": row["Question"], "title": doc.title, "answers": []},
            )
            if row["Label"] == "1":
                question["answers"].append(row["Sentence"])
    rows = [{**q, "role": "library" if q["answers"] else "unanswerable"} for q in questions.values()]
    return documents, [{key: q[key] for key in ("id", "question", "title", "role", "answers")} for q in rows]


def write_layout(documents: dict[str, Document], questions: list[dict], out: Path) -> None:
    (out / "articles").mkdir(parents=True)
    manifest = []
    for doc in documents.values():
        body = " ".join(doc.sentences[i] for i in sorted(doc.sentences)) + "\n"
        (out / doc.file).write_text(body, encoding="utf-8")
        manifest.append({"file": doc.file, "title": doc.title, "role": "library"})
    lines = [json.dumps(m, ensure_ascii=False) for m in manifest]
    (out / "articles.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = [json.dumps(q, ensure_ascii=False) for q in questions]
    (out / "questions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tsv", type=Path, help="WikiQA-dev.tsv from WikiQACorpus.zip")
    ap.add_argument("out", type=Path, help="the folder to create (then: quality.py --wikiqa OUT)")
    args = ap.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        print(f"{args.out}: exists and is not empty; give a new folder", file=sys.stderr)
        return 2
    try:
        documents, questions = read_tsv(args.tsv)
    except (OSError, ValueError) as err:
        print(f"could not read the WikiQA file: {err}", file=sys.stderr)
        return 2
    write_layout(documents, questions, args.out)
    refuse = sum(q["role"] == "unanswerable" for q in questions)
    print(f"{args.out}: {len(documents)} articles, {len(questions)} questions ({refuse} unanswerable)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
