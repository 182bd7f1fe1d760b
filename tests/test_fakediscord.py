"""The fake Discord against the real discord.py client: round trips and every refusal.

The bot here is a small demo defined in this file, not the product bot.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
import pytest_asyncio
from discord import app_commands
from discord.ext import commands
from discord.http import Route

from bot.testing.fakediscord import FakeDiscord, Pings, run_client
from bot.testing.fakediscord import limits as lim
from bot.testing.fakediscord import world as w

SOURCE_NAMES = ["wikipedia", "wikinews", "britannica", "snopes"]


class VoteView(discord.ui.View):
    """A button that edits its own message (callback type 7) and one that opens a modal (type 9)."""

    def __init__(self) -> None:
        super().__init__(timeout=60)
        self.votes = 0

    @discord.ui.button(label="Yes", custom_id="vote:yes", style=discord.ButtonStyle.green)
    async def yes(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.votes += 1
        await interaction.response.edit_message(content=f"Votes: {self.votes}")

    @discord.ui.button(label="Comment", custom_id="vote:comment")
    async def comment(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_modal(FeedbackModal())


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    text: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
        label="Your feedback", custom_id="feedback:text", max_length=200
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Thanks for: {self.text.value}", ephemeral=True)


class DemoBot(commands.Bot):
    """Exercises each kind of interaction; failures it catches land in ``self.failures``."""

    def __init__(self, *, message_content: bool = True) -> None:
        intents = discord.Intents.default()
        intents.members = True
        intents.message_content = message_content
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.05, help_command=None)
        self.failures: list[discord.HTTPException] = []
        self.seen: list[str] = []
        self.late_delay = 0.0

    async def setup_hook(self) -> None:
        register_commands(self.tree)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s before re-identifying; nothing to rate-limit against a fake."""

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        self.seen.append(message.content)
        if self.user is not None and (self.user in message.mentions or message.guild is None):
            question = message.content.replace(self.user.mention, "").strip()
            parts = [f"You asked: {question}"]
            for att in message.attachments:
                parts.append(f"{att.filename} says {(await att.read()).decode()!r}")
            await message.reply("\n".join(parts), mention_author=False)


def register_commands(tree: app_commands.CommandTree) -> None:
    """Fresh command objects for each bot, so tests share nothing."""

    @tree.command(description="Echo every option type back")
    async def echo(
        interaction: discord.Interaction,
        text: str,
        count: int,
        flag: bool,
        ratio: float,
        who: discord.Member,
        where: discord.TextChannel,
        role: discord.Role,
        thing: discord.Member | discord.Role,
        file: discord.Attachment,
    ) -> None:
        body = (await file.read()).decode()
        await interaction.response.send_message(
            f"text={text} count={count} flag={flag} ratio={ratio} who={who.display_name}"
            f" mod={who.guild_permissions.manage_guild} where={where.name} role={role.name}"
            f" thing={thing.id} file={file.filename}:{body}",
            allowed_mentions=discord.AllowedMentions.none(),
        )

    sources = app_commands.Group(name="sources", description="Manage the library's sources")

    @sources.command(name="add", description="Add a source")
    async def sources_add(interaction: discord.Interaction, url: str) -> None:
        await interaction.response.send_message(f"Added {url}")

    @sources.command(name="remove", description="Remove a source")
    async def sources_remove(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(f"Removed {name}")

    @sources_remove.autocomplete("name")
    async def source_names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=n, value=n) for n in SOURCE_NAMES if current in n]

    tree.add_command(sources)

    config = app_commands.Group(name="config", description="Settings")
    flags = app_commands.Group(name="flags", description="Feature flags", parent=config)

    @flags.command(name="set", description="Set a flag")
    async def flags_set(interaction: discord.Interaction, name: str, on: bool) -> None:
        await interaction.response.send_message(f"{name} is now {'on' if on else 'off'}")

    tree.add_command(config)

    @tree.command(description="Think, then answer in two followups")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(0.05)
        await interaction.followup.send("Done thinking")
        await interaction.followup.send("And one more thing")

    @tree.command(description="Defer publicly, then try an ephemeral followup")
    async def leak(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.followup.send("meant to be private", ephemeral=True)

    @tree.command(description="A private answer")
    async def secret(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Only you can see this", ephemeral=True)

    @tree.command(description="Vote with buttons")
    async def vote(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Votes: 0", view=VoteView())

    @tree.command(description="Open the feedback form")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(FeedbackModal())

    @tree.command(description="Moderators only")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def settings(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Settings changed")

    @tree.error
    async def on_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.MissingPermissions):
            await interaction.response.send_message("You need Manage Server", ephemeral=True)
        else:
            raise error

    @tree.context_menu(name="Quote")
    async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"> {message.content}\n— {message.author.display_name}")

    @tree.context_menu(name="Profile")
    async def profile(interaction: discord.Interaction, user: discord.Member) -> None:
        role = "moderator" if user.guild_permissions.manage_guild else "member"
        await interaction.response.send_message(f"{user.display_name} is a {role}", ephemeral=True)

    @tree.command(description="Answers too late")
    async def late(interaction: discord.Interaction) -> None:
        bot = interaction.client
        assert isinstance(bot, DemoBot)
        await asyncio.sleep(bot.late_delay)
        await _try(bot, interaction.response.send_message("finally"))

    @tree.command(description="Answers twice")
    async def twice(interaction: discord.Interaction) -> None:
        bot = interaction.client
        assert isinstance(bot, DemoBot)
        await interaction.response.send_message("first")
        # discord.py itself refuses a second response, so send it the raw way a second process would.
        route = Route("POST", "/interactions/{iid}/{token}/callback", iid=interaction.id, token=interaction.token)
        await _try(bot, bot.http.request(route, json={"type": 4, "data": {"content": "second"}}))

    @tree.command(description="Too long an answer")
    async def long(interaction: discord.Interaction) -> None:
        bot = interaction.client
        assert isinstance(bot, DemoBot)
        await _try(bot, interaction.response.send_message("x" * 2001))
        if not interaction.response.is_done():
            await interaction.response.send_message("x" * 2000)

    @tree.command(description="Autocomplete that offers too much")
    async def greedy(interaction: discord.Interaction, pick: str) -> None:
        await interaction.response.send_message(pick)

    @greedy.autocomplete("pick")
    async def too_many(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        if current == "long":
            return [app_commands.Choice(name="long", value="v" * 101)]
        return [app_commands.Choice(name=f"option {i}", value=str(i)) for i in range(30)]


async def _try(bot: DemoBot, call: object) -> None:
    try:
        await call  # type: ignore[misc]
    except discord.HTTPException as exc:
        bot.failures.append(exc)


@pytest_asyncio.fixture
async def bot(fake_discord: FakeDiscord) -> AsyncIterator[DemoBot]:
    async with run_client(DemoBot(), fake_discord) as client:
        yield client


# ---- login and the world ----


async def test_login_ready_with_both_guilds_members_and_roles(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    assert bot.user is not None and bot.user.id == w.BOT_ID
    assert bot.application_id == w.APPLICATION_ID
    assert {g.id for g in bot.guilds} == {w.GUILD_ID, w.OTHER_GUILD_ID}
    guild = bot.get_guild(w.GUILD_ID)
    assert guild is not None and guild.chunked
    assert guild.member_count == len(guild.members) == 5
    assert {c.name for c in guild.text_channels} == {"general", "questions"}
    moderator, member = guild.get_member(w.MODERATOR_ID), guild.get_member(w.MEMBER_ID)
    assert moderator is not None and member is not None
    assert moderator.guild_permissions.manage_guild and not member.guild_permissions.manage_guild
    assert [r.name for r in moderator.roles] == ["@everyone", "Moderator"]
    assert guild.owner_id == w.OWNER_ID
    assert fake_discord.requests[0].path == "/users/@me"


async def test_bad_token_is_a_login_failure(fake_discord: FakeDiscord) -> None:
    with pytest.raises(discord.LoginFailure):
        async with run_client(DemoBot(), fake_discord, token="wrong"):
            pass
    assert fake_discord.errors[0].status == 401


async def test_route_base_is_restored_after_the_client_stops(fake_discord: FakeDiscord) -> None:
    original = discord.http.Route.BASE
    async with run_client(DemoBot(), fake_discord):
        assert fake_discord.api_base == discord.http.Route.BASE
    assert original == discord.http.Route.BASE


# ---- slash commands ----


async def test_slash_command_with_every_option_type(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    upload = fake_discord.add_attachment(b"hello file", "note.txt")
    ix = await fake_discord.slash(
        "echo",
        {
            "text": "hi",
            "count": 3,
            "flag": True,
            "ratio": 0.5,
            "who": w.MODERATOR_ID,
            "where": w.GENERAL_CHANNEL_ID,
            "role": w.MODERATOR_ROLE_ID,
            "thing": w.OTHER_USER_ID,
            "file": upload,
        },
    )
    reply = await fake_discord.reply(ix)
    assert reply.content == (
        "text=hi count=3 flag=True ratio=0.5 who=Mona Moderator mod=True where=general role=Moderator"
        f" thing={w.OTHER_USER_ID} file=note.txt:hello file"
    )
    assert reply.type == 4 and not reply.ephemeral and not reply.deferred
    assert reply.allowed_mentions == {"parse": []}
    fake_discord.assert_no_errors()


async def test_subcommand_and_subcommand_group(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    added = await fake_discord.reply(await fake_discord.slash("sources add", {"url": "https://example.org"}))
    assert added.content == "Added https://example.org"
    flag = await fake_discord.reply(await fake_discord.slash("config flags set", {"name": "beta", "on": False}))
    assert flag.content == "beta is now off"
    with pytest.raises(ValueError, match="needs options"):
        await fake_discord.slash("sources add")


async def test_deferred_then_followups(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    ix = await fake_discord.slash("slow")
    first = await fake_discord.response(ix)
    assert first.deferred and first.message is None  # still "thinking"
    reply = await fake_discord.reply(ix, count=2)
    assert reply.deferred
    assert [m.content for m in reply.messages] == ["Done thinking", "And one more thing"]
    assert reply.content == "Done thinking" and reply.original is not None and reply.message is not None
    assert reply.original.id == reply.message.id  # the first followup filled in the thinking message


async def test_followup_after_public_defer_is_public(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    reply = await fake_discord.reply(await fake_discord.slash("leak"))
    assert reply.content == "meant to be private"
    assert not reply.ephemeral  # Discord keeps the defer's visibility


async def test_ephemeral_flag(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    reply = await fake_discord.reply(await fake_discord.slash("secret"))
    assert reply.ephemeral and reply.flags & lim.EPHEMERAL
    assert reply.content == "Only you can see this"


async def test_permission_check_uses_resolved_member_permissions(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    ok = await fake_discord.reply(await fake_discord.slash("settings", user_id=w.MODERATOR_ID))
    denied = await fake_discord.reply(await fake_discord.slash("settings", user_id=w.MEMBER_ID))
    assert ok.content == "Settings changed"
    assert denied.content == "You need Manage Server" and denied.ephemeral


async def test_autocomplete_returns_the_bots_choices(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    ix = await fake_discord.autocomplete("sources remove", "name", {"name": "wiki"})
    reply = await fake_discord.reply(ix)
    assert reply.type == 8
    assert reply.choices == [{"name": "wikipedia", "value": "wikipedia"}, {"name": "wikinews", "value": "wikinews"}]


async def test_message_context_menu(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    target = await fake_discord.send_message("The moon is made of rock", author_id=w.OTHER_USER_ID)
    reply = await fake_discord.reply(await fake_discord.message_command("Quote", target))
    assert reply.content == "> The moon is made of rock\n— Otto Other"


async def test_user_context_menu(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    reply = await fake_discord.reply(await fake_discord.user_command("Profile", w.MODERATOR_ID))
    assert reply.content == "Mona Moderator is a moderator" and reply.ephemeral


async def test_slash_command_in_a_dm(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    ix = await fake_discord.slash("sources add", {"url": "dm-url"}, channel_id=w.DM_CHANNEL_ID)
    assert "member" not in ix.payload and ix.payload["user"]["id"] == str(w.MEMBER_ID)
    reply = await fake_discord.reply(ix)
    assert reply.content == "Added dm-url" and reply.message is not None and reply.message.guild_id is None


# ---- components and modals ----


async def test_button_click_updates_the_message(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    shown = await fake_discord.reply(await fake_discord.slash("vote"))
    assert shown.message is not None
    assert shown.message.custom_ids() == ["vote:yes", "vote:comment"]
    clicked = await fake_discord.reply(await fake_discord.click(shown, "vote:yes"))
    assert clicked.type == 7 and clicked.content == "Votes: 1"
    again = await fake_discord.reply(await fake_discord.click(shown, "vote:yes", user_id=w.OTHER_USER_ID))
    assert again.content == "Votes: 2"
    assert again.message is not None and again.message.id == shown.message.id
    with pytest.raises(ValueError, match="no component"):
        await fake_discord.click(shown, "vote:no")


async def test_modal_submit_round_trip(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    opened = await fake_discord.reply(await fake_discord.slash("feedback"))
    assert opened.type == 9 and opened.modal is not None and opened.modal["title"] == "Feedback"
    submitted = await fake_discord.submit_modal(opened, {"feedback:text": "Great bot"})
    reply = await fake_discord.reply(submitted)
    assert reply.content == "Thanks for: Great bot" and reply.ephemeral


async def test_modal_from_a_button(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    shown = await fake_discord.reply(await fake_discord.slash("vote"))
    opened = await fake_discord.reply(await fake_discord.click(shown, "vote:comment"))
    reply = await fake_discord.reply(await fake_discord.submit_modal(opened, {"feedback:text": "nice"}))
    assert reply.content == "Thanks for: nice"


# ---- plain messages ----


async def test_mention_is_answered_as_a_reply_without_pings(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    asked = await fake_discord.send_message("is the earth flat?", mention_bot=True)
    answer = await fake_discord.reply_to(asked)
    assert answer.content == "You asked: is the earth flat?"
    assert answer.reference_id == asked.id
    assert answer.allowed_mentions is not None and answer.allowed_mentions["replied_user"] is False
    assert not fake_discord.pings(answer)


async def test_attachment_is_read_by_the_bot(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    note = fake_discord.add_attachment("the sky is blue", "claim.txt")
    asked = await fake_discord.send_message("check this", mention_bot=True, attachments=[note])
    answer = await fake_discord.reply_to(asked)
    assert answer.content == "You asked: check this\nclaim.txt says 'the sky is blue'"


async def test_direct_message(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    asked = await fake_discord.send_message("hello", channel_id=w.DM_CHANNEL_ID)
    answer = await fake_discord.reply_to(asked)
    assert answer.channel_id == w.DM_CHANNEL_ID and answer.guild_id is None
    assert answer.content == "You asked: hello"


async def test_without_message_content_intent_only_mentions_have_content(fake_discord: FakeDiscord) -> None:
    async with run_client(DemoBot(message_content=False), fake_discord) as client:
        await fake_discord.send_message("plain chatter")
        mention = await fake_discord.send_message("about the moon", mention_bot=True)
        await fake_discord.reply_to(mention)
        assert client.seen == ["", f"<@{w.BOT_ID}> about the moon"]


async def test_dropped_connection_resumes_then_identifies_again(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    await fake_discord.drop_connections()
    assert fake_discord.gateway.resume_attempts == 1
    await asyncio.wait_for(bot.wait_until_ready(), 5)
    reply = await fake_discord.reply(await fake_discord.slash("secret"))
    assert reply.content == "Only you can see this"


async def test_disallowed_privileged_intent_is_refused(fake_discord: FakeDiscord) -> None:
    fake_discord.privileged_intents = 0  # as if nothing were enabled in the developer portal
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with run_client(DemoBot(), fake_discord):
            pass


# ---- command sync ----


async def test_command_sync_is_recorded_with_ids(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    synced = await bot.tree.sync()
    stored = {c["name"]: c for c in fake_discord.commands()}
    assert {"echo", "sources", "config", "Quote"} <= set(stored)
    assert {c.name: c.id for c in synced} == {name: int(c["id"]) for name, c in stored.items()}
    sources = stored["sources"]
    assert [o["name"] for o in sources["options"]] == ["add", "remove"]
    bot.tree.copy_global_to(guild=discord.Object(w.GUILD_ID))
    await bot.tree.sync(guild=discord.Object(w.GUILD_ID))
    assert [call.guild_id for call in fake_discord.sync_calls] == [None, w.GUILD_ID]
    # A guild command's interaction carries data.guild_id, so the tree finds it.
    reply = await fake_discord.reply(await fake_discord.slash("sources add", {"url": "u"}))
    assert reply.content == "Added u"
    assert fake_discord.interactions[reply.interaction_id].payload["data"]["guild_id"] == str(w.GUILD_ID)


# ---- refusals ----


async def test_late_initial_response_is_unknown_interaction(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    fake_discord.interaction_deadline = 0.1  # Discord's 3 s, shortened to keep the test fast
    bot.late_delay = 0.2
    ix = await fake_discord.slash("late")
    error = await fake_discord.wait_for_error(code=10062)
    assert (error.status, error.message) == (404, "Unknown interaction")
    await fake_discord.wait_until(lambda: bot.failures)
    assert isinstance(bot.failures[0], discord.NotFound) and bot.failures[0].code == 10062
    assert not fake_discord.snapshot(ix).messages


async def test_second_initial_response_is_already_acknowledged(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    ix = await fake_discord.slash("twice")
    assert (await fake_discord.reply(ix)).content == "first"
    await fake_discord.wait_until(lambda: bot.failures)
    assert bot.failures[0].status == 400 and bot.failures[0].code == 40060
    assert [e.code for e in fake_discord.errors_for(ix)] == [40060]


async def test_content_over_2000_is_refused(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    ix = await fake_discord.slash("long")
    reply = await fake_discord.reply(ix)
    assert len(reply.content) == 2000  # the bot's retry was accepted
    failure = bot.failures[0]
    assert failure.code == 50035 and "In data.content: Must be 2000 or fewer in length." in str(failure)
    channel = bot.get_channel(w.GENERAL_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException, match="In content: Must be 2000 or fewer"):
        await channel.send("y" * 2001)
    assert not fake_discord.bot_messages(w.GENERAL_CHANNEL_ID)


async def test_more_than_ten_embeds_are_refused(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    # discord.py refuses this itself, so go through its HTTP client the way raw code would.
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=w.GENERAL_CHANNEL_ID)
    with pytest.raises(discord.HTTPException, match="In embeds: Must be 10 or fewer in length") as info:
        await bot.http.request(route, json={"embeds": [{"title": str(i)} for i in range(11)]})
    assert info.value.code == 50035
    await bot.http.request(route, json={"embeds": [{"title": str(i)} for i in range(10)]})
    assert len(fake_discord.bot_messages(w.GENERAL_CHANNEL_ID)[0].embeds) == 10


EMBED_CASES = [
    (discord.Embed(title="t" * 257), "embeds.0.title: Must be 256 or fewer"),
    (discord.Embed(description="d" * 4097), "embeds.0.description: Must be 4096 or fewer"),
    (discord.Embed().set_footer(text="f" * 2049), "embeds.0.footer.text: Must be 2048 or fewer"),
    (discord.Embed().set_author(name="a" * 257), "embeds.0.author.name: Must be 256 or fewer"),
    (discord.Embed().add_field(name="n" * 257, value="v"), "embeds.0.fields.0.name: Must be 256 or fewer"),
    (discord.Embed().add_field(name="n", value="v" * 1025), "embeds.0.fields.0.value: Must be 1024 or fewer"),
]


async def test_embed_limits_are_refused(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    channel = bot.get_channel(w.GENERAL_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    for embed, expected in EMBED_CASES:
        with pytest.raises(discord.HTTPException, match=re.escape(expected)):
            await channel.send(embed=embed)
    too_many_fields = discord.Embed(title="many")
    for i in range(26):
        too_many_fields.add_field(name=str(i), value="v")
    with pytest.raises(discord.HTTPException, match=re.escape("embeds.0.fields: Must be 25 or fewer")):
        await channel.send(embed=too_many_fields)
    big = [discord.Embed(description="d" * 4000), discord.Embed(description="d" * 2001)]
    with pytest.raises(discord.HTTPException, match="Embed size exceeds maximum size of 6000"):
        await channel.send(embeds=big)
    assert len(fake_discord.errors) == len(EMBED_CASES) + 2
    await channel.send(embeds=[discord.Embed(description="d" * 4000), discord.Embed(description="d" * 2000)])
    assert len(fake_discord.bot_messages()) == 1


async def test_component_limits_are_refused(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    channel = bot.get_channel(w.GENERAL_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="L" * 81, custom_id="ok"))
    with pytest.raises(discord.HTTPException, match=re.escape("components.0.components.0.label: Must be 80 or fewer")):
        await channel.send("pick", view=view)
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="ok", custom_id="c" * 101))
    with pytest.raises(discord.HTTPException, match="custom_id: Must be 100 or fewer"):
        await channel.send("pick", view=view)
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=w.GENERAL_CHANNEL_ID)

    def button(i: int) -> dict:
        return {"type": 2, "style": 1, "label": str(i), "custom_id": f"b{i}"}

    six_rows = [{"type": 1, "components": [button(i)]} for i in range(6)]
    with pytest.raises(discord.HTTPException, match="In components: Must be 5 or fewer"):
        await bot.http.request(route, json={"content": "x", "components": six_rows})
    six_buttons = [{"type": 1, "components": [button(i) for i in range(6)]}]
    with pytest.raises(discord.HTTPException, match=re.escape("components.0.components: Must be 5 or fewer")):
        await bot.http.request(route, json={"content": "x", "components": six_buttons})
    assert not fake_discord.bot_messages()


async def test_autocomplete_limits_are_refused(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    ix = await fake_discord.autocomplete("greedy", "pick", {"pick": ""})
    error = await fake_discord.wait_for_error(code=50035)
    assert error.interaction_id == ix.id
    assert error.body["errors"] == {
        "data": {
            "choices": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 25 or fewer in length."}]}
        }
    }
    long = await fake_discord.autocomplete("greedy", "pick", {"pick": "long"})
    await fake_discord.wait_until(lambda: fake_discord.errors_for(long))
    assert "value" in str(fake_discord.errors_for(long)[0])
    assert fake_discord.snapshot(ix).choices is None and fake_discord.snapshot(long).choices is None


async def test_invalid_command_definitions_are_refused_on_sync(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    async def noop(interaction: discord.Interaction) -> None: ...

    bot.tree.add_command(app_commands.Command(name="wordy", description="d" * 101, callback=noop))
    with pytest.raises(app_commands.CommandSyncFailure, match="Must be 100 or fewer in length"):
        await bot.tree.sync()
    assert fake_discord.commands() == [] and fake_discord.sync_calls == []


async def test_command_over_8000_characters_is_refused(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    # discord.py accepts this locally; only Discord counts the whole definition.
    choices = [app_commands.Choice(name=f"{i:02d}" + "n" * 98, value=f"{i:02d}" + "v" * 98) for i in range(25)]

    @app_commands.command(description="Huge")
    @app_commands.choices(first=choices, second=choices)
    async def huge(interaction: discord.Interaction, first: str, second: str) -> None: ...

    bot.tree.add_command(huge, guild=discord.Object(w.GUILD_ID))
    with pytest.raises(app_commands.CommandSyncFailure, match="Command exceeds maximum size"):
        await bot.tree.sync(guild=discord.Object(w.GUILD_ID))


async def test_raw_bulk_upsert_with_bad_names_is_refused(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    bad: list[dict[str, Any]] = [
        {"name": "Upper", "description": "x", "type": 1},
        {"name": "ok", "description": "", "type": 1},
        {
            "name": "opts",
            "description": "x",
            "options": [{"type": 3, "name": f"o{i}", "description": "d"} for i in range(26)],
        },
    ]
    with pytest.raises(discord.HTTPException) as info:
        await bot.http.bulk_upsert_global_commands(w.APPLICATION_ID, bad)
    errors = info.value.text
    assert "0.name" in errors and "1.description" in errors and "2.options" in errors


async def test_unknown_endpoint_is_a_recorded_404(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    with pytest.raises(discord.NotFound):
        await bot.http.request(Route("GET", "/guilds/{guild_id}/bans", guild_id=w.GUILD_ID))
    assert [(e.method, e.path, e.status) for e in fake_discord.errors] == [("GET", f"/guilds/{w.GUILD_ID}/bans", 404)]
    with pytest.raises(AssertionError, match="refused"):
        fake_discord.assert_no_errors()


async def test_typing_and_edits_are_recorded(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    channel = bot.get_channel(w.QUESTIONS_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    async with channel.typing():
        sent = await channel.send("draft", file=discord.File(io.BytesIO(b"x"), "a.txt"))
    await sent.edit(content="final")
    recorded = fake_discord.bot_messages(w.QUESTIONS_CHANNEL_ID)[0]
    assert (recorded.content, recorded.edits) == ("final", 1)
    assert [a.filename for a in recorded.attachments] == ["a.txt"] and recorded.attachments[0].data == b"x"
    assert fake_discord.typing == [w.QUESTIONS_CHANNEL_ID]
    assert await sent.attachments[0].read() == b"x"


async def test_pings_follow_allowed_mentions(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    channel = bot.get_channel(w.GENERAL_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    await channel.send(f"<@{w.MEMBER_ID}> and <@&{w.MODERATOR_ROLE_ID}> @everyone")
    await channel.send(f"<@{w.MEMBER_ID}> quietly", allowed_mentions=discord.AllowedMentions.none())
    loud, quiet = fake_discord.bot_messages(w.GENERAL_CHANNEL_ID)
    assert fake_discord.pings(loud) == Pings(frozenset({w.MEMBER_ID}), frozenset({w.MODERATOR_ROLE_ID}), True)
    assert not fake_discord.pings(quiet)


async def test_a_bot_removed_from_a_guild_loses_it_and_gets_missing_access(
    fake_discord: FakeDiscord, bot: DemoBot
) -> None:
    channel = bot.get_channel(w.GENERAL_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    removed: list[int] = []

    async def on_guild_remove(guild: discord.Guild) -> None:
        removed.append(guild.id)

    bot.add_listener(on_guild_remove)
    await fake_discord.remove_bot(w.GUILD_ID)
    await fake_discord.wait_until(lambda: bot.get_guild(w.GUILD_ID) is None, what="GUILD_DELETE")
    with pytest.raises(discord.Forbidden) as refused:
        await channel.send("still here?")
    assert (refused.value.status, refused.value.code) == (403, 50001)
    other = bot.get_channel(w.OTHER_GENERAL_CHANNEL_ID)
    assert isinstance(other, discord.TextChannel)
    await other.send("the other guild is unaffected")
    assert removed == [w.GUILD_ID]
    assert [e.code for e in fake_discord.errors] == [50001]
    fake_discord.errors.clear()


async def test_threads_unknown_to_the_cache_can_be_fetched(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    hidden = await fake_discord.create_thread(w.GENERAL_CHANNEL_ID, "older")
    shown = await fake_discord.create_thread(w.GENERAL_CHANNEL_ID, "new", announce=True)
    await fake_discord.wait_until(lambda: bot.get_channel(shown.id), what="THREAD_CREATE")
    assert bot.get_channel(hidden.id) is None
    forum = await fake_discord.create_forum()
    await fake_discord.wait_until(lambda: isinstance(bot.get_channel(forum.id), discord.ForumChannel))
    post = await fake_discord.create_thread(forum.id, "a post")
    fetched = await bot.fetch_channel(post.id)
    assert isinstance(fetched, discord.Thread) and fetched.parent_id == forum.id
    assert isinstance(fetched.parent, discord.ForumChannel)
    assert fetched.permissions_for(fetched.guild.me).embed_links
    sent = await fetched.send("in a post")
    assert fake_discord.bot_messages(post.id)[0].id == sent.id


async def test_a_thread_started_from_a_message_has_its_id_and_is_known_after_a_reconnect(
    fake_discord: FakeDiscord,
) -> None:
    async with run_client(DemoBot(), fake_discord) as bot:
        channel = bot.get_channel(w.GENERAL_CHANNEL_ID)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("start a thread from me")
        thread = await fake_discord.start_thread(fake_discord.bot_messages()[-1], "about it", announce=True)
        known = await fake_discord.wait_until(lambda: bot.get_channel(sent.id), what="THREAD_CREATE")
        assert thread.id == sent.id and isinstance(known, discord.Thread) and known.parent_id == channel.id
        assert known.starter_message is not None and known.starter_message.id == sent.id
        fetched = await channel.fetch_message(thread.id)
        assert fetched.flags.has_thread
        with pytest.raises(ValueError, match="already started a thread"):
            await fake_discord.start_thread(fake_discord.bot_messages()[-1])
        older = await fake_discord.create_thread(w.GENERAL_CHANNEL_ID, "unannounced")
        assert bot.get_channel(older.id) is None
    async with run_client(DemoBot(), fake_discord) as again:  # GUILD_CREATE lists the active threads
        assert isinstance(again.get_channel(thread.id), discord.Thread)
        assert isinstance(again.get_channel(older.id), discord.Thread)
        assert again.get_channel(w.OTHER_GENERAL_CHANNEL_ID) is not None


async def test_an_embed_without_embed_links_is_missing_permissions(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    channel = bot.get_channel(w.GENERAL_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    assert channel.permissions_for(channel.guild.me).embed_links
    await fake_discord.deny_bot(w.GENERAL_CHANNEL_ID, w.EMBED_LINKS)
    await fake_discord.wait_until(lambda: not channel.permissions_for(channel.guild.me).embed_links)
    with pytest.raises(discord.Forbidden) as refused:
        await channel.send("look", embed=discord.Embed(title="a card"))
    assert (refused.value.status, refused.value.code) == (403, 50013)
    plain = await channel.send("plain text still goes")
    with pytest.raises(discord.Forbidden):
        await plain.edit(embed=discord.Embed(title="nor by an edit"))
    other = bot.get_channel(w.QUESTIONS_CHANNEL_ID)
    assert isinstance(other, discord.TextChannel)
    await other.send(embed=discord.Embed(title="another channel is unaffected"))
    # Interaction responses may always embed: Discord adds Embed Links to app_permissions.
    ix = await fake_discord.slash("secret", channel_id=w.GENERAL_CHANNEL_ID)
    await fake_discord.reply(ix)
    assert int(fake_discord.interactions[ix.id].payload["app_permissions"]) & w.EMBED_LINKS
    assert [e.code for e in fake_discord.errors] == [50013, 50013]


async def test_rate_limits_answer_429_and_the_client_retries(fake_discord: FakeDiscord, bot: DemoBot) -> None:
    channel = bot.get_channel(w.GENERAL_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    fake_discord.rate_limit(2, retry_after=0.01)
    for n in range(4):
        await channel.send(f"message {n}")
    assert [m.content for m in fake_discord.bot_messages(w.GENERAL_CHANNEL_ID)] == [f"message {n}" for n in range(4)]
    assert len(fake_discord.rate_limited) == 3 and not fake_discord.errors  # requests 2, 4 and 6
    fake_discord.rate_limit(0)
    await channel.send("no longer limited")
    assert len(fake_discord.rate_limited) == 3


# ---- the rules themselves ----


def test_embed_size_counts_the_documented_fields() -> None:
    embed: dict[str, Any] = {"title": "ab", "description": "cde", "footer": {"text": "f"}, "author": {"name": "g"}}
    embed["fields"] = [{"name": "h", "value": "ij"}]
    assert lim.embed_size(embed) == 10


def test_command_size_counts_options_and_choices_recursively() -> None:
    definition = {
        "name": "cmd",
        "description": "four",
        "options": [{"name": "o", "description": "dd", "choices": [{"name": "n", "value": 12}]}],
    }
    assert lim.command_size(definition) == 3 + 4 + 1 + 2 + 1 + 2


def test_command_names_must_be_lowercase_words() -> None:
    assert not lim.check_command({"name": "ask-me_2", "description": "d"})
    assert lim.check_command({"name": "Ask", "description": "d"})
    assert lim.check_command({"name": "two words", "description": "d"})
    assert not lim.check_command({"name": "Quote This", "type": 3})


# ---- sharding ----


class ShardedDemo(commands.AutoShardedBot):
    """A sharded client (discord.py's AutoShardedBot) that notes which guild each event came from."""

    def __init__(self, shard_ids: list[int] | None = None, shard_count: int | None = None) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        sharding: dict[str, Any] = {} if shard_ids is None else {"shard_ids": shard_ids, "shard_count": shard_count}
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.05, help_command=None, **sharding)
        self.heard: list[int | None] = []  # the guild (None: a DM) of each message and command

    async def setup_hook(self) -> None:
        @self.tree.command(description="Say which shard answers")
        async def where(interaction: discord.Interaction) -> None:
            self.heard.append(interaction.guild_id)
            await interaction.response.send_message(f"shards {sorted(self.shards)}")

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s between shards' IDENTIFYs (Discord's rate); nothing to wait for here."""

    async def on_message(self, message: discord.Message) -> None:
        if not message.author.bot:
            self.heard.append(message.guild.id if message.guild else None)


def shard_guilds(world: w.World, shard_id: int, count: int) -> set[int]:
    return {g.id for g in world.guilds if (g.id >> 22) % count == shard_id}


@pytest_asyncio.fixture
async def sharded_fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(w.build_world(extra_guilds=4)) as fake:
        yield fake


async def test_each_shard_gets_only_its_guilds(sharded_fake: FakeDiscord) -> None:
    world = sharded_fake.world
    on_zero, on_one = shard_guilds(world, 0, 2), shard_guilds(world, 1, 2)
    assert on_zero and on_one and on_zero | on_one == {g.id for g in world.guilds}
    async with (
        run_client(ShardedDemo([0], 2), sharded_fake) as zero,
        run_client(ShardedDemo([1], 2), sharded_fake) as one,
    ):
        assert {g.id for g in zero.guilds} == on_zero and {g.id for g in one.guilds} == on_one
        assert {g.shard_id for g in one.guilds} == {1}
        sessions = {s.shard: s for s in sharded_fake.gateway.identified}
        assert set(sessions) == {(0, 2), (1, 2)}
        for (shard_id, count), session in sessions.items():
            identify = next(f for f in session.received if f["op"] == 2)
            assert identify["d"]["shard"] == [shard_id, count]
            created = {gid for event, gid in session.sent if event == "GUILD_CREATE"}
            assert created == shard_guilds(world, shard_id, count)
    assert all(r.path != "/gateway/bot" for r in sharded_fake.requests)  # the count was given


async def test_guild_events_go_to_their_shard_and_dms_to_shard_zero(sharded_fake: FakeDiscord) -> None:
    zero_guild = w.extra_guild_id(1)
    assert (zero_guild >> 22) % 2 == 0 and (w.GUILD_ID >> 22) % 2 == 1
    async with (
        run_client(ShardedDemo([0], 2), sharded_fake) as zero,
        run_client(ShardedDemo([1], 2), sharded_fake) as one,
    ):
        await sharded_fake.send_message("on shard one", channel_id=w.QUESTIONS_CHANNEL_ID)
        await sharded_fake.send_message("on shard zero", channel_id=w.questions_channel_of(zero_guild))
        await sharded_fake.send_message("a DM", channel_id=w.DM_CHANNEL_ID)
        await sharded_fake.wait_until(lambda: len(zero.heard) + len(one.heard) == 3, what="three messages heard")
        assert zero.heard == [zero_guild, None] and one.heard == [w.GUILD_ID]

        ix = await sharded_fake.slash("where", channel_id=w.questions_channel_of(zero_guild))
        assert (await sharded_fake.reply(ix)).content == "shards [0]"
        ix = await sharded_fake.slash("where", channel_id=w.QUESTIONS_CHANNEL_ID)
        assert (await sharded_fake.reply(ix)).content == "shards [1]"
        ix = await sharded_fake.slash("where", channel_id=w.DM_CHANNEL_ID)
        assert (await sharded_fake.reply(ix)).content == "shards [0]"
        assert zero.heard[2:] == [zero_guild, None] and one.heard[1:] == [w.GUILD_ID]
    sharded_fake.assert_no_errors()


async def test_gateway_bot_recommends_the_shard_count(sharded_fake: FakeDiscord) -> None:
    sharded_fake.recommended_shards = 3
    async with run_client(ShardedDemo(), sharded_fake) as client:
        assert client.shard_count == 3 and sorted(client.shards) == [0, 1, 2]
        assert sorted(s.shard for s in sharded_fake.gateway.identified) == [(0, 3), (1, 3), (2, 3)]
        assert {g.id for g in client.guilds} == {g.id for g in sharded_fake.world.guilds}
    assert any(r.path == "/gateway/bot" for r in sharded_fake.requests)


@pytest.mark.parametrize("shard", [[2, 2], [-1, 2], [0, 0], [0], "0,1", [True, 2]])
async def test_an_invalid_shard_is_closed_with_4010(fake_discord: FakeDiscord, shard: object) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(fake_discord.gateway_url) as ws:
        hello = await ws.receive_json()
        assert hello["op"] == 10
        identify = {"token": fake_discord.token, "intents": 0, "properties": {}, "shard": shard}
        await ws.send_json({"op": 2, "d": identify})
        closed = await ws.receive()
        assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 4010
    assert not fake_discord.gateway.identified
