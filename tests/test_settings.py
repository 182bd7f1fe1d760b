"""Settings.load: every setting parsed and checked when it loads; a bad value is one line naming it."""

from __future__ import annotations

import ipaddress
import operator
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.settings import PG_FIELD, SETTINGS, Settings
from storage.errors import SettingsError
from storage.target import POSTGRESQL, SQLITE, LibraryTarget, PgOptions
from tests.test_cli import ROOT, Factbot, one_line_error

GOOD: list[tuple[str, str, str, Any]] = [
    # (variable, value, Settings field, what the field holds)
    ("FACTBOT_DB", "/tmp/x/library.db", "library", LibraryTarget(SQLITE, Path("/tmp/x/library.db"))),
    ("FACTBOT_DB", "~/library.db", "library", LibraryTarget(SQLITE, Path.home() / "library.db")),
    ("FACTBOT_DB", "postgresql://u@h/db", "library", LibraryTarget(POSTGRESQL, "postgresql://u@h/db")),
    (
        "FACTBOT_DB",
        "postgresql://u@h1:5432,[::1]:5433/db",
        "library",
        LibraryTarget(POSTGRESQL, "postgresql://u@h1:5432,[::1]:5433/db"),
    ),
    ("DISCORD_TOKEN", " abc.def ", "discord_token", "abc.def"),
    ("DISCORD_TOKEN", "  ", "discord_token", None),
    ("FACTBOT_DEV_GUILD", "123456789012345678", "dev_guild_id", 123456789012345678),
    ("FACTBOT_MODERATOR_ROLE", " Librarian ", "moderator_role", "Librarian"),
    ("FACTBOT_QUESTION_CHANNELS", "1, 2 3,,4", "question_channels", frozenset({1, 2, 3, 4})),
    ("FACTBOT_QUESTION_CHANNELS", "", "question_channels", frozenset()),
    ("FACTBOT_LOG_LEVEL", "debug", "log_level", "DEBUG"),
    ("FACTBOT_LOG_LEVEL", "", "log_level", "INFO"),
    (
        "FACTBOT_FETCH_ALLOW_NETWORKS",
        "127.0.0.0/8, ::1/128",
        "fetch_allow_networks",
        (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")),
    ),
    ("FACTBOT_FETCH_ALLOW_NETWORKS", "", "fetch_allow_networks", ()),
    ("FACTBOT_ASK_COOLDOWN_SECONDS", "2.5", "ask_cooldown_seconds", 2.5),
    ("FACTBOT_ASK_COOLDOWN_SECONDS", "0", "ask_cooldown_seconds", 0.0),
    ("FACTBOT_ASK_COOLDOWN_RATE", "5", "ask_cooldown_rate", 5),
    ("FACTBOT_ASK_COOLDOWN_RATE", "0", "ask_cooldown_rate", 0),
    ("FACTBOT_CONCURRENT_QUESTIONS", "4", "concurrent_questions", 4),
    ("FACTBOT_ANSWER_THRESHOLD", "0.25", "answer_threshold", 0.25),
    ("FACTBOT_ANSWER_THRESHOLD", "1", "answer_threshold", 1.0),
    ("FACTBOT_ANSWER_THRESHOLD", "", "answer_threshold", None),
    ("FACTBOT_DB_POOL_SIZE", "2", "library.pg.pool_size", 2),
    ("FACTBOT_DB_CONNECT_TIMEOUT", "1.5", "library.pg.connect_timeout", 1.5),
    ("FACTBOT_DB_STATEMENT_TIMEOUT", "0", "library.pg.statement_timeout", 0.0),
    ("FACTBOT_DB_PGBOUNCER", "Yes", "library.pg.pgbouncer", True),
    ("FACTBOT_DB_PGBOUNCER", "off", "library.pg.pgbouncer", False),
]

BAD: list[tuple[str, str]] = [
    ("FACTBOT_DB", "~nosuchuser/lib.db"),  # issue 22: tracebacks from the path and URL parsers
    ("FACTBOT_DB", "postgresql://[bad"),
    ("FACTBOT_DB", "postgresql://host:99999/x"),
    ("FACTBOT_DB", "postgresql://h1:5432,h2:port/x"),
    ("FACTBOT_DEV_GUILD", "my-server"),
    ("FACTBOT_DEV_GUILD", "-5"),
    ("FACTBOT_QUESTION_CHANNELS", "1, general"),
    ("FACTBOT_QUESTION_CHANNELS", "0"),
    ("FACTBOT_LOG_LEVEL", "LOUD"),
    ("FACTBOT_FETCH_ALLOW_NETWORKS", "nonsense"),
    ("FACTBOT_FETCH_ALLOW_NETWORKS", "10.0.0.1/8"),  # host bits set: refused, not widened
    ("FACTBOT_ASK_COOLDOWN_SECONDS", "soon"),
    ("FACTBOT_ASK_COOLDOWN_SECONDS", "-1"),
    ("FACTBOT_ASK_COOLDOWN_SECONDS", "inf"),
    ("FACTBOT_ASK_COOLDOWN_SECONDS", "nan"),
    ("FACTBOT_ASK_COOLDOWN_RATE", "2.5"),
    ("FACTBOT_ASK_COOLDOWN_RATE", "-3"),
    ("FACTBOT_ANSWER_THRESHOLD", "high"),
    ("FACTBOT_ANSWER_THRESHOLD", "1.5"),
    ("FACTBOT_ANSWER_THRESHOLD", "-0.1"),
    ("FACTBOT_ANSWER_THRESHOLD", "nan"),
    ("FACTBOT_DB_POOL_SIZE", "0"),
    ("FACTBOT_CONCURRENT_QUESTIONS", "0"),
    ("FACTBOT_CONCURRENT_QUESTIONS", "two"),
    ("FACTBOT_DB_POOL_SIZE", "many"),
    ("FACTBOT_DB_CONNECT_TIMEOUT", "-1"),
    ("FACTBOT_DB_STATEMENT_TIMEOUT", "forever"),
    ("FACTBOT_DB_PGBOUNCER", "maybe"),
]


def accepts(variable: str) -> str:
    return next(s.accepts for s in SETTINGS if s.env == variable)


@pytest.mark.parametrize(("variable", "value", "name", "expected"), GOOD)
def test_a_good_value_is_parsed(variable: str, value: str, name: str, expected: Any) -> None:
    settings = Settings.load({variable: value}, dotenv_path=None)
    assert operator.attrgetter(name)(settings) == expected


@pytest.mark.parametrize(("variable", "value"), BAD)
def test_a_bad_value_is_one_line_naming_the_setting_and_what_it_accepts(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.load({variable: value}, dotenv_path=None)
    assert caught.value.message == f"{variable} must be {accepts(variable)}, not {value!r}."


def test_every_field_has_a_setting_and_the_defaults_are_those_of_the_class() -> None:
    fields = {s.field for s in SETTINGS if not s.field.startswith(PG_FIELD)}
    assert fields == set(Settings.__dataclass_fields__)
    pg_fields = {s.field.removeprefix(PG_FIELD) for s in SETTINGS if s.field.startswith(PG_FIELD)}
    assert pg_fields == set(PgOptions.__dataclass_fields__)
    assert len({s.env for s in SETTINGS}) == len(SETTINGS)
    loaded = Settings.load({"XDG_DATA_HOME": "/data"}, dotenv_path=None)
    assert loaded == Settings(library=LibraryTarget.file("/data/factbot/library.db"))


def test_the_environment_wins_over_dotenv_and_dotenv_values_are_checked(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("FACTBOT_ASK_COOLDOWN_RATE=7\nFACTBOT_LOG_LEVEL=warning\n")
    settings = Settings.load({"FACTBOT_LOG_LEVEL": "error"}, dotenv_path=dotenv)
    assert (settings.ask_cooldown_rate, settings.log_level) == (7, "ERROR")
    dotenv.write_text("FACTBOT_ASK_COOLDOWN_RATE=often\n")
    with pytest.raises(SettingsError, match=r"^FACTBOT_ASK_COOLDOWN_RATE must be"):
        Settings.load({}, dotenv_path=dotenv)


@pytest.mark.parametrize("command", [("sources", "add", "x.txt"), ("run",), ("ask", "Who?")])
def test_the_command_line_says_one_line_before_doing_anything(tmp_path: Path, command: tuple[str, ...]) -> None:
    (tmp_path / "x.txt").write_text("Beavers build dams.\n")
    factbot = Factbot(tmp_path / "lib" / "library.db", tmp_path)
    done = factbot(*command, FACTBOT_FETCH_ALLOW_NETWORKS="nonsense", DISCORD_TOKEN="a-token")
    assert one_line_error(done) == (
        f"factbot: FACTBOT_FETCH_ALLOW_NETWORKS must be {accepts('FACTBOT_FETCH_ALLOW_NETWORKS')}, not 'nonsense'."
    )
    assert done.returncode == 1 and not factbot.db.parent.exists()


def test_a_refused_url_never_shows_its_password() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.load({"FACTBOT_DB": "postgresql://me:s3cr@t@db.example:99999/x"}, dotenv_path=None)
    assert "s3cr" not in caught.value.message
    assert caught.value.message.endswith("not 'postgresql://me:***@db.example:99999/x'.")


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (("--db", "~nosuchuser/lib.db", "sources", "list"), "--db"),
        (("--db", "postgresql://[bad", "sources", "list"), "--db"),
        (("library", "copy", "postgresql://127.0.0.1:99999/x", "y.db"), "SRC"),
        (("library", "copy", "x.db", "~nosuchuser/y.db"), "DST"),
    ],
)
def test_a_bad_library_argument_is_one_line_naming_it(tmp_path: Path, args: tuple[str, ...], name: str) -> None:
    (tmp_path / "x.db").touch()
    line = one_line_error(Factbot(tmp_path / "library.db", tmp_path)(*args))
    assert line.startswith(f"factbot: {name} must be a library file or a postgresql:// URL, not ")


@pytest.mark.parametrize("value", ["~nosuchuser/lib.db", "postgresql://[bad", "postgresql://127.0.0.1:99999/x"])
def test_a_bad_library_setting_is_one_line_from_the_command_line(tmp_path: Path, value: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACTBOT_")}
    env.update(FACTBOT_DB=value, PYTHONPATH=str(ROOT))
    args = [sys.executable, "-m", "bot", "sources", "list"]
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    line = one_line_error(done)
    assert line == f"factbot: FACTBOT_DB must be a library file or a postgresql:// URL, not {value!r}."
