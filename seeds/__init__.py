"""The seed library that ships with factbot: article bodies kept exactly as written, and their
metadata kept apart from them in seeds.toml, so a quote can never include a byline or dateline."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from importlib import resources

_FIELDS = {"key", "file", "title", "author", "publisher", "published", "url", "sha256"}


@dataclass(frozen=True)
class Seed:
    key: str
    title: str
    body: str
    author: str | None = None
    publisher: str | None = None
    published: str | None = None
    url: str | None = None


class SeedError(Exception):
    """The shipped seed library is inconsistent; the message lists every problem found."""


def load_seeds() -> list[Seed]:
    """Every shipped seed, checked; raises SeedError listing all problems at once."""
    folder = resources.files(__package__)
    manifest = tomllib.loads(folder.joinpath("seeds.toml").read_text(encoding="utf-8"))
    seeds: list[Seed] = []
    problems: list[str] = []
    for entry in manifest.get("seed", []):
        key = entry.get("key", "?")
        unknown = set(entry) - _FIELDS
        if unknown:
            problems.append(f"{key}: unknown fields {sorted(unknown)}")
        if not entry.get("title"):
            problems.append(f"{key}: no title")
        try:
            raw = folder.joinpath(entry["file"]).read_bytes()
        except (KeyError, FileNotFoundError):
            problems.append(f"{key}: body file {entry.get('file')!r} missing")
            continue
        if hashlib.sha256(raw).hexdigest() != entry.get("sha256"):
            problems.append(f"{key}: body does not match its recorded sha256 (edited by accident?)")
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            problems.append(f"{key}: body is not UTF-8 ({err})")
            continue
        if not body.strip():
            problems.append(f"{key}: body is empty")
        if entry.get("title") and body.lstrip().startswith(entry["title"]):
            problems.append(f"{key}: body starts with its title; headers belong in seeds.toml")
        fields = {name: entry.get(name) for name in ("author", "publisher", "published", "url")}
        seeds.append(Seed(key=key, title=entry.get("title", ""), body=body, **fields))
    keys = [s.key for s in seeds]
    if len(set(keys)) != len(keys):
        problems.append(f"duplicate keys in {keys}")
    if problems:
        raise SeedError("; ".join(problems))
    return seeds
