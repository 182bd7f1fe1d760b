"""Managing sources through the real bot on the fake Discord: add by file, URL and modal; list,
show, autocomplete, remove with confirmation, the log; refusals that change nothing; servers
that cannot see each other's sources; URLs that point inside refused before any connection."""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.discord import forms
from bot.discord.client import FactBot
from bot.discord.forms import CANCEL, CONFIRM
from bot.discord.pages import NEXT, POSITION
from bot.settings import Settings
from bot.testing.fakediscord import FakeDiscord, Reply, run_client
from bot.testing.fakediscord import world as w
from storage.backends.base import Library
from storage.fetch import parse_networks
from storage.models import SourceMeta
from storage.testing.pdfmaker import lines, make_pdf, report_pdf
from tests.discord_helpers import click, page_button, settled, submit, turn_page

if TYPE_CHECKING:
    from tests.discord_helpers import BotStarter

pytest_plugins = ["tests.bot_fixtures"]

MOD = w.MODERATOR_ID
ARTICLE = """<!doctype html><html><head><title>Otters of the Danube | River News</title>
<meta name="author" content="Ada Lovelace"><meta property="og:site_name" content="River News">
<meta property="article:published_time" content="2022-03-14T09:00:00Z"></head>
<body><nav>Home | Sections | Login</nav><article><h1>Otters of the Danube</h1>
<p>Otters have returned to the Danube after forty years, according to a survey published on Monday.</p>
<p>The survey counted 312 otters along the river between Vienna and Bratislava last winter.</p>
<p>Researchers say cleaner water and protected banks brought the otters back to the river.</p>
</article><footer>Copyright River News</footer></body></html>"""
NOTES = "The Ruritanian rapid reaction force numbers 4,200 troops.\n\nIt was founded in 2009 in Strelsau."


async def own_sources(library: Library, scope: int) -> list[str]:
    return [s.title for s in await library.list_sources(scope=scope) if s.scope == scope]


async def add_notes(library: Library, scope: int = w.GUILD_ID, title: str = "Ruritania notes") -> int:
    return (await library.add_source(NOTES, SourceMeta(title, author="R. Rassendyll"), scope=scope)).id


def card_fields(reply: Reply) -> dict[str, str]:
    return {f["name"]: f["value"] for f in reply.embeds[0].get("fields", [])}


# -- the command definitions ----------------------------------------------------------------------


async def test_commands_sync_with_sources_hidden_from_members_and_guild_only(
    fake_discord: FakeDiscord, running_bot: FactBot
) -> None:
    commands = {(c["type"], c["name"]): c for c in fake_discord.commands()}
    assert set(commands) == {(1, "ask"), (1, "feedback"), (1, "sources"), (1, "timeline"), (3, "Find in sources")}
    sources = commands[(1, "sources")]
    assert int(sources["default_member_permissions"]) == w.MANAGE_GUILD
    assert sources.get("contexts") == [0] or sources.get("dm_permission") is False
    assert {o["name"] for o in sources["options"]} == {"add", "list", "show", "remove", "log"}
    assert commands[(1, "ask")].get("default_member_permissions") is None
    assert commands[(1, "timeline")].get("default_member_permissions") is None


async def test_a_dev_guild_gets_the_commands_instantly_and_nothing_global(
    fake_discord: FakeDiscord, start_bot: BotStarter
) -> None:
    async with start_bot(dev_guild_id=w.GUILD_ID):
        names = {c["name"] for c in fake_discord.commands(w.GUILD_ID)}
        assert names == {"ask", "feedback", "sources", "timeline", "Find in sources"}
        assert fake_discord.commands() == []


# -- add ------------------------------------------------------------------------------------------


async def test_add_by_file(fake_discord: FakeDiscord, running_bot: FactBot, library: Library) -> None:
    upload = fake_discord.add_attachment(NOTES, "ruritania-notes.txt")
    ix = await fake_discord.slash("sources add", {"file": upload, "author": "R. Rassendyll"}, user_id=MOD)
    reply = await fake_discord.reply(ix)
    assert reply.deferred and reply.ephemeral
    assert reply.embeds[0]["title"] == "ruritania notes"
    assert card_fields(reply)["Author"] == "R. Rassendyll"
    assert card_fields(reply)["Library"] == "this server"
    assert f"mona ({MOD})" in card_fields(reply)["Added"]
    assert await own_sources(library, w.GUILD_ID) == ["ruritania notes"]

    answer = await fake_discord.reply(
        await fake_discord.slash("ask", {"question": "How many troops does the Ruritanian force number?"})
    )
    assert "**4,200**" in answer.embeds[0]["description"]


async def test_add_a_pdf_and_quote_it_by_its_page(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library
) -> None:
    upload = fake_discord.add_attachment(report_pdf(), "otter-report.pdf", "application/pdf")
    reply = await fake_discord.reply(await fake_discord.slash("sources add", {"file": upload}, user_id=MOD))
    assert reply.ephemeral and reply.embeds[0]["title"] == "Otters of the Danube", reply.content
    fields = card_fields(reply)
    assert (fields["Author"], fields["Published"]) == ("Ada Lovelace", "14 March 2022")
    assert fields["Size"].startswith("3 pages, ")
    source = (await library.list_sources(scope=w.GUILD_ID))[-1]
    assert source.pages == 3 and source.origin == "otter-report.pdf"

    answer = await fake_discord.reply(await fake_discord.slash("ask", {"question": "How many otters were counted?"}))
    description = answer.embeds[0]["description"]
    assert "**312**" in description and "Vienna and Bratislava" in description
    assert "” — p. 2, ¶ 2" in description, "the page, and the paragraph on that page"
    assert "River Survey" not in await library.get_body(source.id), "the running header is left out"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"PK\x03\x04 binary", "report.docx", "not a file I can read"),
        (b"%PDF-1.4 binary", "report.pdf", "This PDF could not be read (it is damaged, or not a PDF)."),
        (make_pdf([lines(["A secret."])], encrypt=True), "secret.pdf", "This PDF is password-protected"),
        (make_pdf([b"0 0 m 300 300 l S"]), "scan.pdf", "This PDF has no text; add its text instead."),
        (b"", "empty.txt", "The file is empty."),
        (b"\x00\x01\x02\x03" * 50, "blob.txt", "looks binary"),
        (b"   \n\n  ", "blank.md", "only whitespace"),
        (b"x" * 5_000_001, "huge.txt", "is too large (5,000,001 bytes; at most 5,000,000)"),
    ],
)
async def test_files_that_cannot_be_sources_are_refused_and_nothing_changes(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library, data: bytes, filename: str, message: str
) -> None:
    before = await library.count_sources()
    upload = fake_discord.add_attachment(data, filename)
    reply = await fake_discord.reply(await fake_discord.slash("sources add", {"file": upload}, user_id=MOD))
    assert reply.ephemeral and message in reply.content and "\n" not in reply.content
    assert await library.count_sources() == before


async def test_a_duplicate_names_the_existing_source(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library
) -> None:
    source_id = await add_notes(library)
    upload = fake_discord.add_attachment(NOTES, "again.txt")
    reply = await fake_discord.reply(await fake_discord.slash("sources add", {"file": upload}, user_id=MOD))
    assert reply.ephemeral
    assert f"already in the library as source {source_id}: 'Ruritania notes'" in reply.content


async def test_file_and_url_together_are_refused(fake_discord: FakeDiscord, running_bot: FactBot) -> None:
    upload = fake_discord.add_attachment(NOTES, "notes.txt")
    options = {"file": upload, "url": "https://example.org/"}
    reply = await fake_discord.reply(await fake_discord.slash("sources add", options, user_id=MOD))
    assert reply.ephemeral and "not both" in reply.content


async def test_add_by_modal(fake_discord: FakeDiscord, running_bot: FactBot, library: Library) -> None:
    opened = await fake_discord.slash("sources add", {"publisher": "Strelsau Gazette"}, user_id=MOD)
    form = await fake_discord.reply(opened)
    assert form.modal is not None
    submitted = await submit(
        fake_discord, running_bot, opened, {"text": NOTES, "title": "Pasted notes", "date": "June 2021", "author": ""}
    )
    reply = await fake_discord.reply(submitted)
    assert reply.ephemeral and reply.embeds[0]["title"] == "Pasted notes"
    fields = card_fields(reply)
    assert fields["Publisher"] == "Strelsau Gazette" and fields["Published"] == "June 2021"
    assert await own_sources(library, w.GUILD_ID) == ["Pasted notes"]


async def test_a_bad_date_in_the_modal_is_refused(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library
) -> None:
    opened = await fake_discord.slash("sources add", {}, user_id=MOD)
    await fake_discord.reply(opened)
    submitted = await submit(fake_discord, running_bot, opened, {"text": NOTES, "title": "Notes", "date": "someday"})
    reply = await fake_discord.reply(submitted)
    assert reply.ephemeral and "Could not read 'someday' as a date" in reply.content
    assert await own_sources(library, w.GUILD_ID) == []


# -- add by URL -----------------------------------------------------------------------------------


@pytest.fixture
def outside_connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Records (and blocks) any connection the process tries to make beyond 127.0.0.0/8."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and ipaddress.ip_address(host.split("%")[0]).is_loopback:
            return real_connect(sock, address)
        attempts.append(address)
        raise ConnectionRefusedError("blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", connect)
    yield attempts


@pytest_asyncio.fixture
async def article_site() -> AsyncIterator[tuple[TestServer, list[str]]]:
    """A loopback web site with one article page and one PDF; records the paths it was asked for."""
    hits: list[str] = []

    async def article(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(text=ARTICLE, content_type="text/html")

    async def pdf(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=report_pdf(), content_type="application/pdf")

    app = web.Application()
    app.router.add_get("/otters", article)
    app.router.add_get("/otters.pdf", pdf)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server, hits
    await server.close()


async def test_add_by_url(
    fake_discord: FakeDiscord, start_bot: BotStarter, library: Library, article_site: tuple[TestServer, list[str]]
) -> None:
    server, hits = article_site
    url = str(server.make_url("/otters"))
    async with start_bot(fetch_allow_networks=parse_networks("127.0.0.0/8")):
        reply = await settled(fake_discord, await fake_discord.slash("sources add", {"url": url}, user_id=MOD))
        assert reply.ephemeral, reply.content
        assert reply.embeds[0]["title"] == "Otters of the Danube"
        assert reply.embeds[0]["url"] == url
        fields = card_fields(reply)
        assert fields["Author"] == "Ada Lovelace" and fields["Published"] == "14 March 2022"
        answer = await fake_discord.reply(
            await fake_discord.slash("ask", {"question": "How many otters were counted?"})
        )
        assert "**312**" in answer.embeds[0]["description"]
        assert answer.embeds[0]["url"] == url
    assert hits == ["/otters"]
    assert "Login" not in await library.get_body((await library.list_sources(scope=w.GUILD_ID))[-1].id)


async def test_add_a_pdf_by_url(
    fake_discord: FakeDiscord, start_bot: BotStarter, library: Library, article_site: tuple[TestServer, list[str]]
) -> None:
    server, hits = article_site
    url = str(server.make_url("/otters.pdf"))
    async with start_bot(fetch_allow_networks=parse_networks("127.0.0.0/8")):
        reply = await settled(fake_discord, await fake_discord.slash("sources add", {"url": url}, user_id=MOD))
        assert reply.ephemeral and reply.embeds[0]["title"] == "Otters of the Danube", reply.content
        assert reply.embeds[0]["url"] == url and card_fields(reply)["Size"].startswith("3 pages, ")
    assert hits == ["/otters.pdf"]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
        ("http://10.0.0.1/", "a private address"),
        ("file:///etc/passwd", "only http:// and https://"),
        ("http://[::1]:1/", "a loopback address"),
    ],
)
async def test_hostile_urls_are_refused_before_connecting(
    fake_discord: FakeDiscord,
    running_bot: FactBot,
    library: Library,
    outside_connections: list[Any],
    url: str,
    why: str,
) -> None:
    before = await library.count_sources()
    reply = await settled(fake_discord, await fake_discord.slash("sources add", {"url": url}, user_id=MOD))
    assert reply.ephemeral and reply.content.startswith("Refused: ") and why in reply.content
    assert not reply.embeds
    assert outside_connections == []
    assert await library.count_sources() == before


async def test_loopback_is_refused_unless_the_operator_allows_it(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library, article_site: tuple[TestServer, list[str]]
) -> None:
    server, hits = article_site
    reply = await settled(
        fake_discord, await fake_discord.slash("sources add", {"url": str(server.make_url("/otters"))}, user_id=MOD)
    )
    assert reply.ephemeral and reply.content == "Refused: 127.0.0.1 is a loopback address."
    assert hits == [], "refused before any request reached the server"
    assert await own_sources(library, w.GUILD_ID) == []


# -- list, show, autocomplete ---------------------------------------------------------------------


async def test_list_pages_through_the_library(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library
) -> None:
    for n in range(12):
        await library.add_source(
            f"Fact number {n} is about otters.", SourceMeta(f"Otter fact {n:02}"), scope=w.GUILD_ID
        )
    reply = await fake_discord.reply(await fake_discord.slash("sources list", user_id=MOD))
    assert reply.ephemeral
    assert reply.embeds[0]["title"] == "Sources (14)"
    assert page_button(reply, POSITION)["label"] == "1 / 2"
    first = reply.embeds[0]["description"]
    assert "CSTO Sets Up Peacekeeping Force" in first and "*(global)*" in first and "Otter fact 07" in first
    second = await fake_discord.reply(await turn_page(fake_discord, reply, NEXT, user_id=MOD))
    assert "Otter fact 11" in second.embeds[0]["description"] and "Otter fact 07" not in second.embeds[0]["description"]


async def test_show_by_number_and_by_title(fake_discord: FakeDiscord, running_bot: FactBot, library: Library) -> None:
    source_id = await add_notes(library)
    for name in (str(source_id), "ruritania NOTES", f"#{source_id}"):
        reply = await fake_discord.reply(await fake_discord.slash("sources show", {"source": name}, user_id=MOD))
        assert reply.ephemeral and reply.embeds[0]["title"] == "Ruritania notes", name
        assert reply.embeds[0]["description"].startswith("> The Ruritanian rapid reaction force")
        assert reply.embeds[0]["footer"]["text"] == f"Source {source_id}"
    missing = await fake_discord.reply(await fake_discord.slash("sources show", {"source": "999"}, user_id=MOD))
    assert missing.content == "There is no source 999 here."


async def test_autocomplete_offers_matching_sources(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library
) -> None:
    for n in range(30):
        await library.add_source(f"Otters eat {n} fish.", SourceMeta(f"Otter diet {n} " + "x" * 150), scope=w.GUILD_ID)
    ix = await fake_discord.autocomplete("sources show", "source", {"source": "otter"}, user_id=MOD)
    await fake_discord.reply(ix)
    choices = fake_discord.interactions[ix.id].choices
    assert choices is not None and len(choices) == 25
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 and "Otter diet" in c["name"] for c in choices)
    assert all(c["value"].isdigit() for c in choices)

    ix = await fake_discord.autocomplete("sources show", "source", {"source": "peacekeeping"}, user_id=MOD)
    await fake_discord.reply(ix)
    assert len(fake_discord.interactions[ix.id].choices or []) == 1

    ix = await fake_discord.autocomplete("sources remove", "source", {"source": ""}, user_id=MOD)
    await fake_discord.reply(ix)
    names = [c["name"] for c in fake_discord.interactions[ix.id].choices or []]
    assert names and not any("CSTO" in n for n in names), "the global library cannot be removed from a server"


# -- remove and the log ---------------------------------------------------------------------------


async def test_remove_asks_to_confirm_then_removes_and_logs(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library
) -> None:
    source_id = await add_notes(library)
    asked = await fake_discord.reply(
        await fake_discord.slash("sources remove", {"source": str(source_id)}, user_id=MOD)
    )
    assert asked.ephemeral and f"Remove source {source_id}" in asked.content
    assert await own_sources(library, w.GUILD_ID) == ["Ruritania notes"], "nothing removed before confirming"

    done = await fake_discord.reply(await click(fake_discord, running_bot, asked, CONFIRM, user_id=MOD))
    assert done.content == f"Removed source {source_id}: Ruritania notes."
    assert done.components == [] and done.embeds == []
    assert await own_sources(library, w.GUILD_ID) == []

    log = await fake_discord.reply(await fake_discord.slash("sources log", user_id=MOD))
    text = log.embeds[0]["description"]
    assert f"**removed** {source_id} · Ruritania notes — by mona ({MOD})" in text
    assert "<t:" in text


async def test_cancel_keeps_the_source(fake_discord: FakeDiscord, running_bot: FactBot, library: Library) -> None:
    source_id = await add_notes(library)
    asked = await fake_discord.reply(
        await fake_discord.slash("sources remove", {"source": str(source_id)}, user_id=MOD)
    )
    done = await fake_discord.reply(await click(fake_discord, running_bot, asked, CANCEL, user_id=MOD))
    assert "nothing was removed" in done.content and done.components == []
    assert await own_sources(library, w.GUILD_ID) == ["Ruritania notes"]


async def test_an_unanswered_confirmation_expires_and_removes_nothing(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forms, "CONFIRM_TIMEOUT", 0.3)
    source_id = await add_notes(library)
    asked = await fake_discord.reply(
        await fake_discord.slash("sources remove", {"source": str(source_id)}, user_id=MOD)
    )
    assert asked.message is not None
    message = fake_discord.message(asked.message.id)
    assert message is not None
    await fake_discord.wait_until(lambda: message.components == [], what="the confirmation to expire")
    assert message.content == "No answer in time; nothing was removed."
    assert await own_sources(library, w.GUILD_ID) == ["Ruritania notes"]


async def test_a_global_source_cannot_be_removed_from_a_server(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library
) -> None:
    reply = await fake_discord.reply(await fake_discord.slash("sources remove", {"source": "1"}, user_id=MOD))
    assert reply.ephemeral and "only the operator can remove it" in reply.content
    assert reply.components == []
    assert (await library.get_source(1)).is_global


async def test_the_log_shows_who_added_what(fake_discord: FakeDiscord, running_bot: FactBot, library: Library) -> None:
    empty = await fake_discord.reply(await fake_discord.slash("sources log", user_id=MOD))
    assert "Nothing has been added or removed" in empty.content
    upload = fake_discord.add_attachment(NOTES, "notes.txt")
    await fake_discord.reply(await fake_discord.slash("sources add", {"file": upload}, user_id=MOD))
    log = await fake_discord.reply(await fake_discord.slash("sources log", user_id=MOD))
    assert f"**added** 3 · notes — by mona ({MOD})" in log.embeds[0]["description"]


# -- who may --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("sources add", {"url": "https://example.org/"}),
        ("sources add", {}),
        ("sources list", {}),
        ("sources show", {"source": "1"}),
        ("sources remove", {"source": "3"}),
        ("sources log", {}),
    ],
)
async def test_a_member_is_refused_and_nothing_changes(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library, command: str, options: dict[str, Any]
) -> None:
    await add_notes(library)
    events = await library.events()
    reply = await fake_discord.reply(await fake_discord.slash(command, options, user_id=w.MEMBER_ID))
    assert reply.ephemeral and not reply.deferred and reply.modal is None
    assert reply.content == "Only moderators (Manage Server permission) can manage sources."
    assert await library.events() == events
    assert await own_sources(library, w.GUILD_ID) == ["Ruritania notes"]


async def test_someone_else_cannot_confirm_a_removal(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library
) -> None:
    source_id = await add_notes(library)
    asked = await fake_discord.reply(
        await fake_discord.slash("sources remove", {"source": str(source_id)}, user_id=MOD)
    )
    refused = await fake_discord.reply(await click(fake_discord, running_bot, asked, CONFIRM, user_id=w.OWNER_ID))
    assert refused.ephemeral and "Only the person who asked" in refused.content
    assert await own_sources(library, w.GUILD_ID) == ["Ruritania notes"]


def world_with_a_powerless_moderator_role() -> w.World:
    """The default world, but the Moderator role carries no Manage Server permission."""
    base = w.build_world()
    guilds = tuple(
        dataclasses.replace(
            g, roles=tuple(dataclasses.replace(r, permissions=0) if r.name == "Moderator" else r for r in g.roles)
        )
        for g in base.guilds
    )
    return dataclasses.replace(base, guilds=guilds, _channels={})


@pytest.mark.parametrize(("role", "allowed"), [(None, False), ("Moderator", True), (str(w.MODERATOR_ROLE_ID), True)])
async def test_the_configured_moderator_role_may_manage_sources(
    library: Library, bot_settings: Settings, role: str | None, allowed: bool
) -> None:
    async with FakeDiscord(world_with_a_powerless_moderator_role()) as fake:
        bot = FactBot(dataclasses.replace(bot_settings, moderator_role=role), library, guild_ready_timeout=0.05)
        async with run_client(bot, fake):
            reply = await fake.reply(await fake.slash("sources list", user_id=MOD))
            assert (reply.embeds != []) is allowed
            if not allowed:
                assert reply.content.startswith("Only moderators")
        fake.assert_no_errors()


# -- two servers ----------------------------------------------------------------------------------


async def test_two_servers_cannot_see_each_others_sources(
    fake_discord: FakeDiscord, running_bot: FactBot, library: Library
) -> None:
    upload = fake_discord.add_attachment(NOTES, "ruritania.txt")
    await fake_discord.reply(await fake_discord.slash("sources add", {"file": upload}, user_id=MOD))
    (mine,) = await library.list_sources(scope=w.GUILD_ID, title_contains="ruritania")
    elsewhere = w.OTHER_GENERAL_CHANNEL_ID

    async def run(command: str, options: dict[str, Any], user: int = MOD) -> Reply:
        return await fake_discord.reply(await fake_discord.slash(command, options, user_id=user, channel_id=elsewhere))

    answer = await run("ask", {"question": "How many troops does the Ruritanian force number?"}, w.MEMBER_ID)
    assert "Nothing in the sources answers this." in answer.content and "ruritania" not in answer.content
    listing = await run("sources list", {})
    assert "ruritania" not in listing.embeds[0]["description"] and listing.embeds[0]["title"] == "Sources (2)"
    assert (await run("sources show", {"source": str(mine.id)})).content == f"There is no source {mine.id} here."
    assert (await run("sources remove", {"source": str(mine.id)})).content == f"There is no source {mine.id} here."
    ix = await fake_discord.autocomplete(
        "sources show", "source", {"source": "ruri"}, user_id=MOD, channel_id=elsewhere
    )
    await fake_discord.reply(ix)
    assert fake_discord.interactions[ix.id].choices == []
    assert await own_sources(library, w.GUILD_ID) == ["ruritania"]

    here = await fake_discord.reply(
        await fake_discord.slash("ask", {"question": "How many troops does the Ruritanian force number?"})
    )
    assert "**4,200**" in here.embeds[0]["description"]
