"""Settings, read once from the environment and `.env` into a typed value that is passed on.

Nothing reads the environment at import time; the environment wins over `.env`. Every setting is
parsed and checked in `Settings.load` (the table `SETTINGS`), so a bad value stops any command
before it starts, with one line naming the setting and what it accepts.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dotenv import dotenv_values

from storage.errors import SettingsError
from storage.target import LibraryTarget, PgOptions

if TYPE_CHECKING:
    from storage.fetch import IPNetwork

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FLAGS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}
MAX_POOL_SIZE = 100
SECONDS_OR_NONE = "a number of seconds, 0 or more (0: no limit)"


DB_ACCEPTS = "a library file or a postgresql:// URL"
# user:password@ in a URL, the password hidden up to the last @ (too much, never too little).
_PASSWORD = re.compile(r"^([a-z][a-z0-9+.-]*://[^/@:]*:).*@", re.IGNORECASE)


def default_db_path(env: Mapping[str, str]) -> Path:
    """`$XDG_DATA_HOME/factbot/library.db`, else `~/.local/share/factbot/library.db`."""
    try:
        base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    except RuntimeError:  # no HOME and no password entry for this user
        raise SettingsError("Set FACTBOT_DB (or XDG_DATA_HOME): this user has no home folder.") from None
    return Path(base) / "factbot" / "library.db"


def parse_db(name: str, value: str, pg: PgOptions | None = None) -> LibraryTarget:
    """A library target from a command-line argument (`--db`, SRC, DST), connected as `pg` says: a
    bad value is one line naming it."""
    try:
        return LibraryTarget.parse(value, pg)
    except ValueError:
        raise SettingsError(f"{name} must be {DB_ACCEPTS}, not {_shown(value)!r}.") from None


def _shown(value: str) -> str:
    """A refused value as a message may show it: a URL's password as ***. A regular expression,
    not a URL parser, since the value may be one no parser accepts."""
    return _PASSWORD.sub(r"\1***@", value)


def _discord_id(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(text)
    return value


def _discord_ids(text: str) -> frozenset[int]:
    return frozenset(_discord_id(part) for part in text.replace(",", " ").split())


def _log_level(text: str) -> str:
    if text.upper() not in LOG_LEVELS:
        raise ValueError(text)
    return text.upper()


def _networks(text: str) -> tuple[IPNetwork, ...]:
    from storage.fetch import parse_networks  # aiohttp is imported only when the setting is given

    return parse_networks(text)


def _whole(lowest: int, highest: int | None = None) -> Callable[[str], int]:
    """A parser of whole numbers from `lowest` to `highest` (no upper bound when None)."""

    def parse(text: str) -> int:
        value = int(text)
        if value < lowest or (highest is not None and value > highest):
            raise ValueError(text)
        return value

    return parse


def _seconds(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(text)
    return value


def _flag(text: str) -> bool:
    if text.lower() not in FLAGS:
        raise ValueError(text)
    return FLAGS[text.lower()]


def _probability(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:  # also refuses nan
        raise ValueError(text)
    return value


@dataclass(frozen=True)
class Setting:
    """One environment variable: the Settings field it fills, how it is parsed, what it accepts.
    `parse` raises ValueError for a value it refuses."""

    env: str
    field: str
    parse: Callable[[str], Any]
    accepts: str


SETTINGS: tuple[Setting, ...] = (
    Setting("FACTBOT_DB", "library", LibraryTarget.parse, DB_ACCEPTS),
    Setting("DISCORD_TOKEN", "discord_token", str, "the bot's token"),
    Setting("FACTBOT_DEV_GUILD", "dev_guild_id", _discord_id, "a Discord server id (a whole number)"),
    Setting("FACTBOT_MODERATOR_ROLE", "moderator_role", str, "a role name or id"),
    Setting("FACTBOT_QUESTION_CHANNELS", "question_channels", _discord_ids, "Discord channel ids separated by commas"),
    Setting("FACTBOT_LOG_LEVEL", "log_level", _log_level, "DEBUG, INFO, WARNING, ERROR or CRITICAL"),
    Setting(
        "FACTBOT_FETCH_ALLOW_NETWORKS",
        "fetch_allow_networks",
        _networks,
        "networks such as 127.0.0.0/8 or ::1/128 (no host bits set), separated by commas",
    ),
    Setting(
        "FACTBOT_ASK_COOLDOWN_SECONDS", "ask_cooldown_seconds", _seconds, "a number of seconds, 0 or more (0: no limit)"
    ),
    Setting("FACTBOT_ASK_COOLDOWN_RATE", "ask_cooldown_rate", _whole(0), "a whole number, 0 or more (0: no limit)"),
    Setting("FACTBOT_ANSWER_THRESHOLD", "answer_threshold", _probability, "a number from 0 to 1"),
    Setting("FACTBOT_CONCURRENT_QUESTIONS", "concurrent_questions", _whole(1), "a whole number, 1 or more"),
    # How each process connects to a PostgreSQL library: fields of the target's PgOptions.
    Setting(
        "FACTBOT_DB_POOL_SIZE", "pg.pool_size", _whole(1, MAX_POOL_SIZE), f"a whole number from 1 to {MAX_POOL_SIZE}"
    ),
    Setting("FACTBOT_DB_CONNECT_TIMEOUT", "pg.connect_timeout", _seconds, SECONDS_OR_NONE),
    Setting("FACTBOT_DB_STATEMENT_TIMEOUT", "pg.statement_timeout", _seconds, SECONDS_OR_NONE),
    Setting("FACTBOT_DB_PGBOUNCER", "pg.pgbouncer", _flag, "true or false"),
    Setting(
        "FACTBOT_FOLLOWUP_MINUTES", "followup_minutes", _seconds, "a number of minutes, 0 or more (0: no follow-ups)"
    ),
)


# A Setting whose field starts with this fills that field of the library target's PgOptions.
PG_FIELD = "pg."


@dataclass(frozen=True)
class Settings:
    library: LibraryTarget  # a library file, or a postgresql:// URL with how to connect to it
    discord_token: str | None = None
    dev_guild_id: int | None = None
    moderator_role: str | None = None
    question_channels: frozenset[int] = field(default_factory=frozenset)
    log_level: str = "INFO"
    fetch_allow_networks: tuple[IPNetwork, ...] = ()  # private networks URL fetching may reach (tests)
    ask_cooldown_seconds: float = 10.0
    ask_cooldown_rate: int = 3
    answer_threshold: float | None = None  # the engine's no-answer probability; None: its default
    # Questions a process works on at once (the others wait, already acknowledged): about its cores.
    concurrent_questions: int = 2
    followup_minutes: float = 10.0  # how long a question stays the context of a follow-up

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, dotenv_path: str | Path | None = ".env") -> Settings:
        """The settings of `env` (default: the environment) over those of `dotenv_path`; an unset or
        blank setting keeps its default. Raises SettingsError, one line, for the first bad value."""
        merged: dict[str, str] = {}
        if dotenv_path is not None and Path(dotenv_path).is_file():
            merged.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        merged.update(os.environ if env is None else env)
        values: dict[str, Any] = {"library": LibraryTarget.file(default_db_path(merged))}
        for setting in SETTINGS:
            text = (merged.get(setting.env) or "").strip()
            if not text:
                continue
            try:
                values[setting.field] = setting.parse(text)
            except ValueError:
                raise SettingsError(f"{setting.env} must be {setting.accepts}, not {_shown(text)!r}.") from None
        pg = {name.removeprefix(PG_FIELD): values.pop(name) for name in list(values) if name.startswith(PG_FIELD)}
        values["library"] = replace(values["library"], pg=PgOptions(**pg))
        return cls(**values)
