"""Every error a user can cause lives in storage/errors.py, and that module's docstring draws the
tree as it is: a class added elsewhere, or left out of the drawing, fails here."""

from __future__ import annotations

import importlib
import pkgutil
import re

import bot
import storage
from storage import errors
from storage.errors import FactbotError


def load_every_module() -> None:
    """Import all of bot and storage (not `python -m bot`, which runs), so every subclass exists."""
    for package in (bot, storage):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not module.name.endswith(".__main__"):
                importlib.import_module(module.name)


def every_subclass(cls: type[Exception]) -> set[type[Exception]]:
    found: set[type[Exception]] = set()
    for sub in cls.__subclasses__():
        found |= {sub, *every_subclass(sub)}
    return found


def drawn_tree() -> dict[str, str | None]:
    """Each class the docstring draws, with its parent (None for the root), read from the indent."""
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in (errors.__doc__ or "").splitlines():
        drawn = re.match(r"^ {4}([ │├└─]*?)(\w+Error|\w+)\s{2,}\S", line)
        if not drawn or not re.fullmatch(r"[A-Z]\w+", drawn.group(2)):
            continue
        depth, name = len(drawn.group(1)), drawn.group(2)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[name] = stack[-1][1] if stack else None
        stack.append((depth, name))
    return parents


def test_every_factbot_error_is_defined_in_storage_errors() -> None:
    load_every_module()
    elsewhere = {f"{cls.__module__}.{cls.__name__}" for cls in every_subclass(FactbotError)}
    elsewhere = {name for name in elsewhere if not name.startswith("storage.errors.")}
    assert elsewhere == set()


def test_the_docstring_draws_the_tree_as_it_is() -> None:
    load_every_module()
    actual = {cls.__name__: cls.__bases__[0].__name__ for cls in every_subclass(FactbotError)}
    assert drawn_tree() == {"FactbotError": None, **actual}
