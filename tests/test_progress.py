"""Long work shows progress: `factbot sources add` with several files draws a bar on a terminal
and nothing when stderr is piped; /sources add with a URL says it is fetching, then the result."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot import cli
from bot.discord.cogs.sources import ADDED, FETCHING
from bot.progress import echo, progress
from bot.testing.fakediscord import FakeDiscord
from bot.testing.fakediscord import world as w
from storage.backends.base import Library
from storage.fetch import parse_networks
from tests.discord_helpers import BotStarter, settled

pytest_plugins = ["tests.bot_fixtures"]

PAGE = """<html><head><title>Beavers of the Elbe</title></head><body><article>
<h1>Beavers of the Elbe</h1><p>Rangers counted 212 beavers along the river in 2022, more than ever before.</p>
<p>The dams they built held back the spring floods for the villages downstream of the reserve.</p>
</article></body></html>"""


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def notes(tmp_path: Path, count: int) -> list[str]:
    paths = []
    for i in range(count):
        path = tmp_path / f"note{i}.txt"
        path.write_text(f"Note {i}: the herd crossed the river {i + 2} times in the spring of 2019.\n")
        paths.append(str(path))
    return paths


def test_a_bar_on_a_terminal_and_every_line_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    files = notes(tmp_path, 3)
    assert cli.main(["--db", str(tmp_path / "lib.db"), "sources", "add", *files]) == 0
    assert "0/3" in terminal.getvalue(), "a bar over the three files"
    added = [line for line in capsys.readouterr().out.splitlines() if line]
    assert len(added) == 3 and all(line.startswith("Added source ") for line in added)


def test_quiet_when_stderr_is_piped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = notes(tmp_path, 3)
    assert cli.main(["--db", str(tmp_path / "lib.db"), "sources", "add", *files]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.count("Added source ") == 3


def test_one_item_draws_no_bar() -> None:
    terminal = Terminal()
    assert list(progress(["a"], stream=terminal)) == ["a"]
    assert terminal.getvalue() == ""


def test_lines_printed_under_a_bar_stay_whole() -> None:
    terminal, out = Terminal(), io.StringIO()
    for item in progress(["a", "b"], stream=terminal):
        echo(f"done {item}", file=out)
    assert out.getvalue() == "done a\ndone b\n"
    assert "0/2" in terminal.getvalue()


@pytest_asyncio.fixture
async def beaver_site() -> AsyncIterator[str]:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    app = web.Application()
    app.router.add_get("/beavers", page)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("/beavers"))
    await server.close()


async def test_a_url_says_it_is_being_fetched_then_shows_the_result(
    fake_discord: FakeDiscord, start_bot: BotStarter, library: Library, beaver_site: str
) -> None:
    async with start_bot(fetch_allow_networks=parse_networks("127.0.0.0/8")):
        ix = await fake_discord.slash("sources add", {"url": beaver_site}, user_id=w.MODERATOR_ID)
        reply = await settled(fake_discord, ix)
        edits = [
            r.body.get("content")
            for r in fake_discord.requests
            if r.method == "PATCH" and r.path.endswith("/messages/@original") and isinstance(r.body, dict)
        ]
        assert edits[0] == FETCHING.format(url=beaver_site), "first the fetch is shown as under way"
        assert reply.ephemeral and reply.content == ""
        assert reply.embeds[0]["title"] == "Beavers of the Elbe"
        assert ADDED in str(reply.embeds[0])
        assert len(reply.messages) == 1, "the same message, edited: no stale 'Fetching' left behind"
    assert [s.title for s in await library.list_sources(scope=w.GUILD_ID, own_only=True)] == ["Beavers of the Elbe"]


async def test_a_refused_url_replaces_the_fetching_line_with_the_reason(
    fake_discord: FakeDiscord, running_bot: object, library: Library, beaver_site: str
) -> None:
    ix = await fake_discord.slash("sources add", {"url": beaver_site}, user_id=w.MODERATOR_ID)
    reply = await settled(fake_discord, ix)
    assert reply.content == "Refused: 127.0.0.1 is a loopback address."
    assert len(reply.messages) == 1
    assert await library.list_sources(scope=w.GUILD_ID, own_only=True) == []
