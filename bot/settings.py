"""Settings, read once from the environment and `.env` into a typed value that is passed on.

Nothing reads the environment at import time; the environment wins over `.env`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from storage.errors import FactbotError
from storage.library import POSTGRES_SCHEMES


class SettingsError(FactbotError):
    """A setting has a value factbot cannot use."""


def default_db_path(env: Mapping[str, str]) -> Path:
    """`$XDG_DATA_HOME/factbot/library.db`, else `~/.local/share/factbot/library.db`."""
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "factbot" / "library.db"


def _int(env: Mapping[str, str], name: str) -> int | None:
    value = (env.get(name) or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number (a Discord id), not {value!r}.") from None


def _ids(env: Mapping[str, str], name: str) -> frozenset[int]:
    raw = (env.get(name) or "").replace(",", " ").split()
    try:
        return frozenset(int(x) for x in raw)
    except ValueError:
        raise SettingsError(f"{name} must be Discord channel ids separated by commas.") from None


def db_target(value: str) -> Path | str:
    """FACTBOT_DB or --db: a PostgreSQL URL as it is, else a file path."""
    return value if value.lower().startswith(POSTGRES_SCHEMES) else Path(value).expanduser()


@dataclass(frozen=True)
class Settings:
    db_path: Path | str  # a library file, or a postgresql:// URL (kept as text)
    discord_token: str | None = None
    dev_guild_id: int | None = None
    moderator_role: str | None = None
    question_channels: frozenset[int] = field(default_factory=frozenset)
    log_level: str = "INFO"
    fetch_allow_networks: str = ""
    ask_cooldown_seconds: float = 10.0
    ask_cooldown_rate: int = 3
    answer_threshold: float | None = None  # the engine's no-answer probability; None: its default

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, dotenv_path: str | Path | None = ".env") -> Settings:
        merged: dict[str, str] = {}
        if dotenv_path is not None and Path(dotenv_path).is_file():
            merged.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        merged.update(os.environ if env is None else env)
        db = merged.get("FACTBOT_DB")
        level = (merged.get("FACTBOT_LOG_LEVEL") or "INFO").upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise SettingsError(f"FACTBOT_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {level!r}.")
        try:
            cooldown = float(merged.get("FACTBOT_ASK_COOLDOWN_SECONDS") or 10)
            rate = int(merged.get("FACTBOT_ASK_COOLDOWN_RATE") or 3)
        except ValueError:
            raise SettingsError("FACTBOT_ASK_COOLDOWN_SECONDS and _RATE must be numbers.") from None
        threshold = (merged.get("FACTBOT_ANSWER_THRESHOLD") or "").strip()
        try:
            answer_threshold = float(threshold) if threshold else None
        except ValueError:
            answer_threshold = math.nan
        if answer_threshold is not None and not 0 <= answer_threshold <= 1:  # also refuses nan
            raise SettingsError(f"FACTBOT_ANSWER_THRESHOLD must be a number from 0 to 1, not {threshold!r}.")
        return cls(
            db_path=db_target(db) if db else default_db_path(merged),
            discord_token=(merged.get("DISCORD_TOKEN") or "").strip() or None,
            dev_guild_id=_int(merged, "FACTBOT_DEV_GUILD"),
            moderator_role=(merged.get("FACTBOT_MODERATOR_ROLE") or "").strip() or None,
            question_channels=_ids(merged, "FACTBOT_QUESTION_CHANNELS"),
            log_level=level,
            fetch_allow_networks=merged.get("FACTBOT_FETCH_ALLOW_NETWORKS", ""),
            ask_cooldown_seconds=cooldown,
            ask_cooldown_rate=rate,
            answer_threshold=answer_threshold,
        )
