"""What a timing was measured on and with: the commit, the machine's load, and process-wide caches
emptied so that one side of a comparison does not inherit the other's work.

A figure in the README is only comparable with another measured at the same commit under the same
load; these go into every benchmark's output that compares timings.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The code a timing depends on: uncommitted changes there mark the commit "dirty".
TIMED_CODE = ("bot", "storage")


def commit(repo: Path = REPO) -> str:
    """The short commit hash, with " (dirty)" if the timed code has uncommitted changes;
    "unknown" outside a git checkout."""
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--", *TIMED_CODE],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} (dirty)" if changed else head


def load() -> list[float]:
    """The 1, 5 and 15 minute load averages, rounded."""
    return [round(x, 2) for x in os.getloadavg()]


def cold_caches() -> None:
    """Empty the caches that live in the process, not in an engine: the sentence encoder's vectors
    and the memoised terms of sentences and words. Loads nothing that is not loaded yet."""
    from bot.answer import encoder, rank
    from storage import text

    if encoder.shipped.cache_info().currsize:
        encoder.shipped().forget()
    rank.sentence_terms.cache_clear()
    text.term.cache_clear()
