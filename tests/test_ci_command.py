"""The README's test command is the one CI runs (.ci/run), checks included."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_test_command_is_what_ci_runs() -> None:
    blocks = re.findall(r"```sh\n(.*?)\n```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)
    readme = next(b for b in blocks if "pytest" in b)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert readme == ci
    checks = ["ruff check", "ruff format --check", "mypy", "lint-imports", "pytest"]
    assert [ci.index(c) for c in checks] == sorted(ci.index(c) for c in checks), "the checks run before the tests"
