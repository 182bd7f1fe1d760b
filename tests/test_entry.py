"""Ctrl-C at any moment of the `factbot` command's start-up (imports, settings, opening and seeding
the library) ends with one line and status 130, never a traceback."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bot.exits import EXIT_INTERRUPTED, INTERRUPTED

ROOT = Path(__file__).resolve().parent.parent
# Seconds after bot.cli begins to load: the imports take about 0.25 s here, a new library's seeding
# as long again, so these land in each stage and, the last, after the end.
OFFSETS = (0.0, 0.02, 0.06, 0.12, 0.2, 0.3, 0.45, 0.7)
# What the console script `factbot` does (pip writes it from [project.scripts]), with a line on
# stdout once bot.cli begins to load (inside the entry point). Before that comes the interpreter's
# own start-up, where Ctrl-C prints a traceback whatever the program: the signal waits for the line.
SCRIPT = """
import sys

class Announce:
    def find_spec(self, name, path=None, target=None):
        if name == "bot.cli":
            print("ready", flush=True)

sys.meta_path.insert(0, Announce())
from bot.entry import main
sys.exit(main())
"""


def test_the_console_script_is_the_light_entry_point() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["factbot"] == "bot.entry:main"
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, bot.entry; print(*sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.split()
    assert not {"bot.cli", "bot.answer", "numpy", "asyncio"} & set(loaded)


@pytest.mark.parametrize("offset", OFFSETS)
def test_ctrl_c_during_start_up_says_one_line(tmp_path: Path, offset: float) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTBOT_", "DISCORD_"))}
    env.update(FACTBOT_DB=str(tmp_path / "library.db"), PYTHONPATH=str(ROOT))
    child = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, "sources", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n"
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(offset)
    if child.poll() is None:
        child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    assert "Traceback" not in err and "Exception ignored" not in err, err
    if child.returncode == EXIT_INTERRUPTED:
        assert err == INTERRUPTED + "\n"
    else:
        assert (child.returncode, err) == (0, ""), "finished before the signal"
        assert "CSTO" in out
    if offset == 0.0:
        assert child.returncode == EXIT_INTERRUPTED, "the first lands in the imports"
