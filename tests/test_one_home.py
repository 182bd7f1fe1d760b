"""One home for each constant: no two modules of factbot define the same constant with the same
value (a copy that drifts is a bug waiting), nor spell out the same long pattern under two names."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "storage", "seeds")
# Spelled alike, but each module's own thing, not one constant copied: a type variable, and each
# schema's version (the length of its own list of migrations).
NOT_CONSTANTS = {"TypeVar('T')", "len(MIGRATIONS)"}
LONG = 30  # characters: a literal this long written twice is a copy, whatever its names


def constants() -> list[tuple[str, str, str]]:
    """(module, name, value as source) for each UPPER_CASE name a module assigns at its top level."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
                value = getattr(node, "value", None)
                if isinstance(target, ast.Name) and target.id.lstrip("_").isupper() and value is not None:
                    found.append((module, target.id.lstrip("_"), ast.unparse(value)))
    return found


def test_no_constant_is_defined_in_two_modules() -> None:
    homes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for module, name, value in constants():
        if value not in NOT_CONSTANTS:
            homes[name, value].append(module)
    assert {key[0]: modules for key, modules in homes.items() if len(modules) > 1} == {}


def test_no_long_literal_is_written_under_two_names() -> None:
    names: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for module, name, value in constants():
        if len(value) >= LONG and value not in NOT_CONSTANTS:
            names[value].add((module, name))
    assert [sorted(where) for where in names.values() if len(where) > 1] == []
