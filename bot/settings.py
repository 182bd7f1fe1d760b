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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from dotenv import dotenv_values

from storage.errors import SettingsError
from storage.library import POSTGRES_SCHEMES
from storage.pg_options import DEFAULT_CONNECT_TIMEOUT, DEFAULT_POOL_SIZE, DEFAULT_STATEMENT_TIMEOUT, PgOptions

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


def db_target(value: str) -> Path | str:
    """FACTBOT_DB or --db: a PostgreSQL URL as it is (its hosts and ports checked), else a file
    path. Raises ValueError for `~nobody/x` (no such user) or a URL no driver could parse."""
    if value.lower().startswith(POSTGRES_SCHEMES):
        _check_postgres_url(value)
        return value
    try:
        return Path(value).expanduser()
    except RuntimeError as err:  # `~user` of no such user
        raise ValueError(value) from err


def _check_postgres_url(url: str) -> None:
    """Each host of the URL (libpq allows `h1:5432,h2:5433`) parses, with a port of 0-65535:
    what the driver would otherwise find out with a traceback, or while connecting."""
    netloc = urlsplit(url).netloc  # ValueError: unbalanced brackets
    for host in netloc.rpartition("@")[2].split(","):
        if host:
            parts = urlsplit(f"//{host}")
            _ = parts.hostname, parts.port  # ValueError: a bad IPv6 address, a port out of range


def parse_db(name: str, value: str) -> Path | str:
    """`db_target` for a command-line argument (`--db`, SRC, DST): a bad value is one line naming it."""
    try:
        return db_target(value)
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


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(text)
    return value


def _pool_size(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_POOL_SIZE:
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
    Setting("FACTBOT_DB", "db_path", db_target, DB_ACCEPTS),
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
    Setting("FACTBOT_ASK_COOLDOWN_RATE", "ask_cooldown_rate", _count, "a whole number, 0 or more (0: no limit)"),
    Setting("FACTBOT_ANSWER_THRESHOLD", "answer_threshold", _probability, "a number from 0 to 1"),
    Setting("FACTBOT_DB_POOL_SIZE", "db_pool_size", _pool_size, f"a whole number from 1 to {MAX_POOL_SIZE}"),
    Setting("FACTBOT_DB_CONNECT_TIMEOUT", "db_connect_timeout", _seconds, SECONDS_OR_NONE),
    Setting("FACTBOT_DB_STATEMENT_TIMEOUT", "db_statement_timeout", _seconds, SECONDS_OR_NONE),
    Setting("FACTBOT_DB_PGBOUNCER", "db_pgbouncer", _flag, "true or false"),
    Setting(
        "FACTBOT_FOLLOWUP_MINUTES", "followup_minutes", _seconds, "a number of minutes, 0 or more (0: no follow-ups)"
    ),
)


@dataclass(frozen=True)
class Settings:
    db_path: Path | str  # a library file, or a postgresql:// URL (kept as text)
    discord_token: str | None = None
    dev_guild_id: int | None = None
    moderator_role: str | None = None
    question_channels: frozenset[int] = field(default_factory=frozenset)
    log_level: str = "INFO"
    fetch_allow_networks: tuple[IPNetwork, ...] = ()  # private networks URL fetching may reach (tests)
    ask_cooldown_seconds: float = 10.0
    ask_cooldown_rate: int = 3
    answer_threshold: float | None = None  # the engine's no-answer probability; None: its default
    # How each process connects to a PostgreSQL library (storage.pg_options); unused with SQLite.
    db_pool_size: int = DEFAULT_POOL_SIZE
    db_connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    db_statement_timeout: float = DEFAULT_STATEMENT_TIMEOUT
    db_pgbouncer: bool = False
    followup_minutes: float = 10.0  # how long a question stays the context of a follow-up

    @property
    def pg(self) -> PgOptions:
        return PgOptions(self.db_pool_size, self.db_connect_timeout, self.db_statement_timeout, self.db_pgbouncer)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, dotenv_path: str | Path | None = ".env") -> Settings:
        """The settings of `env` (default: the environment) over those of `dotenv_path`; an unset or
        blank setting keeps its default. Raises SettingsError, one line, for the first bad value."""
        merged: dict[str, str] = {}
        if dotenv_path is not None and Path(dotenv_path).is_file():
            merged.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        merged.update(os.environ if env is None else env)
        values: dict[str, Any] = {"db_path": default_db_path(merged)}
        for setting in SETTINGS:
            text = (merged.get(setting.env) or "").strip()
            if not text:
                continue
            try:
                values[setting.field] = setting.parse(text)
            except ValueError:
                raise SettingsError(f"{setting.env} must be {setting.accepts}, not {_shown(text)!r}.") from None
        return cls(**values)
