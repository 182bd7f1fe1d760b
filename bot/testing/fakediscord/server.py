"""FakeDiscord: a loopback stand-in for Discord's REST API and gateway that a real client talks to.

Start it, point discord.py at ``api_base``/``gateway_url`` (see ``plugin.run_client``), drive users
with the methods from :class:`~bot.testing.fakediscord.drive.Drives`, then wait for and assert on what the
bot did. Everything the bot sends is recorded; everything Discord would refuse is refused with
Discord's error body and recorded in ``errors``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import itertools
import json
import logging
import socket
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import discord
from aiohttp import web

from . import limits as lim
from . import records as rec
from . import world as w
from .drive import Drives
from .gateway import DIRECT_MESSAGES, DISPATCH, GUILD_MESSAGES, MESSAGE_CONTENT, PRIVILEGED_INTENTS, Gateway
from .rest import API, INTERACTION_ID, PAYLOAD, UPLOADS, RestApi, json_response, read_body

T = TypeVar("T")
LOGIN_PATHS = frozenset({"/users/@me", "/oauth2/applications/@me", "/gateway", "/gateway/bot"})  # never 429 here
DEFAULT_TOKEN = "fake-bot-token"
POLL_INTERVAL = 0.01
log = logging.getLogger(__name__)


class FakeDiscord(Drives):
    """One fake Discord on 127.0.0.1 with a fixed :mod:`world`. Use ``async with`` or start()/stop()."""

    def __init__(self, world: w.World | None = None, *, token: str = DEFAULT_TOKEN) -> None:
        self.world = world or w.build_world()
        self.token = token
        # Discord's rules, adjustable so a test can show them without waiting for real time.
        self.interaction_deadline = 3.0  # seconds from dispatch to the initial response
        self.token_lifetime = 15 * 60.0  # seconds an interaction token accepts followups/edits
        self.default_timeout = 5.0  # how long waiters wait for the bot
        self.echo_bot_messages = True  # send the bot's own messages back as MESSAGE_CREATE/UPDATE
        self.privileged_intents = PRIVILEGED_INTENTS  # privileged intents "enabled in the portal"
        self.rate_limit_every = 0  # answer every n-th API request after login with 429 (0: never)
        self.rate_limit_retry_after = 0.05  # seconds, as Discord's body and headers say
        self.recommended_shards = 1  # the shard count GET /gateway/bot recommends
        # What happened.
        self.requests: list[rec.RequestRecord] = []
        self.errors: list[rec.ErrorRecord] = []
        self.messages: list[rec.Message] = []
        self.interactions: dict[int, rec.InteractionLog] = {}
        self.typing: list[int] = []
        self.sync_calls: list[rec.SyncCall] = []
        self.files: dict[int, rec.Attachment] = {}
        self.server_exceptions: list[BaseException] = []
        self.rate_limited: list[rec.RequestRecord] = []  # the requests answered 429 (not refusals)
        self._rate_count = 0
        self.client: discord.Client | None = None
        self.gateway = Gateway(self)
        self._by_id: dict[int, rec.Message] = {}
        self._by_token: dict[str, rec.InteractionLog] = {}
        self._commands: dict[int | None, dict[tuple[int, str], dict[str, Any]]] = {}
        self._command_ids: dict[tuple[int | None, int, str], int] = {}
        self._seq = itertools.count(1)
        self._last_id = 0
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle ----

    async def start(self) -> FakeDiscord:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        app.add_routes([web.get("/ws", self.gateway.handle), web.get("/attachments/{id}/{name}", self._file)])
        app.add_routes(RestApi(self).routes())
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be."""
        return self.base_url + API

    @property
    def gateway_url(self) -> str:
        """What ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` must be."""
        return f"ws://127.0.0.1:{self.port}/ws"

    async def drop_connections(self, code: int = 4000) -> None:
        """Close every gateway connection as Discord sometimes does; the client RESUMEs, is told
        INVALID_SESSION and identifies again. Returns once it has.

        discord.py sleeps 5 s before identifying again unless the client overrides
        ``before_identify_hook``; do that in bots that go through this.
        """
        resumes = self.gateway.resume_attempts
        await self.gateway.close_all(code, "fake gateway dropped the connection")
        await self.wait_until(
            lambda: self.gateway.resume_attempts > resumes and self.gateway.identified,
            what="the client to reconnect and identify again",
        )

    async def deny_bot(self, channel_id: int, permissions: int) -> None:
        """A channel overwrite that denies the bot ``permissions`` (e.g. ``world.EMBED_LINKS``) in a
        guild channel; a connected client is told with CHANNEL_UPDATE, as Discord does."""
        channel = self.world.channel(channel_id)
        if channel is None or channel.guild_id is None:
            raise ValueError(f"{channel_id} is not a guild channel")
        self.world.bot_denied[channel_id] = permissions
        await self.gateway.dispatch("CHANNEL_UPDATE", lambda _intents: w.channel_payload(channel, self.world))
        self.notify()

    async def remove_bot(self, guild_id: int) -> None:
        """The bot is kicked from (or its integration removed from) a guild: its session gets
        GUILD_DELETE (no ``unavailable``: removed, not an outage), and from now on every request
        about that guild or its channels is refused with 403 50001 Missing Access, as on Discord."""
        if self.world.guild(guild_id) is None:
            raise ValueError(f"unknown guild {guild_id}")
        self.world.bot_removed.add(guild_id)
        session = self.gateway.session_for(guild_id)
        if session is not None:
            await session.send(DISPATCH, {"id": str(guild_id)}, "GUILD_DELETE")
        self.notify()

    def rate_limit(self, every: int, retry_after: float = 0.05) -> None:
        """Answer every ``every``-th API request after login with 429 and ``retry_after``, as
        Discord does when a bucket runs dry; 0 stops. discord.py waits and sends it again."""
        self.rate_limit_every = every
        self.rate_limit_retry_after = retry_after
        self._rate_count = 0

    def _rate_limited_now(self, path: str) -> bool:
        if self.rate_limit_every <= 0 or path in LOGIN_PATHS:
            return False
        self._rate_count += 1
        return self._rate_count % self.rate_limit_every == 0

    def attach(self, client: discord.Client | None) -> None:
        """Let drives read the client's command tree for commands that were never synced."""
        self.client = client

    # ---- state shared by REST, gateway and drives ----

    def new_id(self) -> int:
        """A fresh snowflake for now, strictly increasing."""
        ms = int(time.time() * 1000) - w.DISCORD_EPOCH_MS
        self._last_id = max(ms << 22, self._last_id + 1)
        return self._last_id

    def notify(self) -> None:
        """Wake every waiter so it re-checks its condition."""
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    def message(self, message_id: int) -> rec.Message | None:
        return self._by_id.get(message_id)

    def interaction_by_token(self, token: str) -> rec.InteractionLog | None:
        return self._by_token.get(token)

    def new_message(
        self, channel: w.Channel, author: w.User, *, interaction: rec.InteractionLog | None = None, **fields: Any
    ) -> rec.Message:
        msg = rec.Message(
            id=self.new_id(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author,
            seq=next(self._seq),
            **fields,
        )
        if interaction is not None:
            user = self.world.user(interaction.user_id)
            msg.interaction_id = interaction.id
            msg.default_parse = ("users",)  # interaction replies parse only user mentions by default
            msg.interaction_metadata = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": w.user_payload(user) if user else None,
                "authorizing_integration_owners": interaction.payload.get("authorizing_integration_owners", {}),
            }
        self.messages.append(msg)
        self._by_id[msg.id] = msg
        return msg

    def message_payload(self, msg: rec.Message, *, gateway: bool = False) -> dict[str, Any]:
        reference = self.message(msg.reference_id) if msg.reference_id else None
        return msg.payload(self.world, reference=reference, gateway=gateway)

    def message_event(self, intents: int, msg: rec.Message) -> dict[str, Any] | None:
        """MESSAGE_CREATE/UPDATE data as a session with ``intents`` would get it, or None if not at all."""
        if not intents & (GUILD_MESSAGES if msg.guild_id is not None else DIRECT_MESSAGES):
            return None
        data = self.message_payload(msg, gateway=True)
        mentioned = {int(x) for x in rec.USER_MENTION_RE.findall(msg.content)}
        # Without the privileged message-content intent a bot sees content only in DMs, in its own
        # messages and in messages that mention it.
        if not (intents & MESSAGE_CONTENT or msg.guild_id is None or msg.by_bot or w.BOT_ID in mentioned):
            data.update(content="", embeds=[], attachments=[], components=[])
        return data

    async def echo(self, msg: rec.Message, event: str) -> None:
        if self.echo_bot_messages and not msg.ephemeral:
            await self.gateway.dispatch(event, lambda intents: self.message_event(intents, msg))

    def add_attachment(
        self,
        data: bytes | str,
        filename: str = "file.txt",
        content_type: str | None = None,
        description: str | None = None,
    ) -> rec.Attachment:
        """Register a file the fake serves; pass it to send_message(attachments=...) or as an option."""
        raw = data.encode() if isinstance(data, str) else data
        aid = self.new_id()
        url = f"{self.base_url}/attachments/{aid}/{quote(filename)}"
        kind = content_type or (
            "text/plain; charset=utf-8" if filename.endswith(".txt") else "application/octet-stream"
        )
        att = rec.Attachment(aid, filename, kind, raw, url, description)
        self.files[aid] = att
        return att

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """The application commands synced globally (None) or to a guild, as Discord stores them."""
        return copy.deepcopy(list(self._commands.get(guild_id, {}).values()))

    def store_commands(self, scope: int | None, definitions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace the commands of one scope; a command keeps its id across syncs (by type and name)."""
        old = self._commands.get(scope, {})
        new: dict[tuple[int, str], dict[str, Any]] = {}
        for definition in definitions:
            ctype = int(definition.get("type") or 1)
            key = (ctype, str(definition["name"]))
            item = copy.deepcopy(definition)
            perms = definition.get("default_member_permissions")
            item.update(
                id=old[key]["id"] if key in old else str(self.new_id()),
                application_id=str(w.APPLICATION_ID),
                type=ctype,
                version=str(self.new_id()),
                description=definition.get("description") or "",
                default_member_permissions=None if perms is None else str(perms),
                nsfw=bool(definition.get("nsfw", False)),
            )
            if scope is not None:
                item["guild_id"] = str(scope)
            new[key] = item
        self._commands[scope] = new
        return copy.deepcopy(list(new.values()))

    # ---- queries for tests ----

    def bot_messages(self, channel_id: int | None = None) -> list[rec.Message]:
        return [m for m in self.messages if m.by_bot and (channel_id is None or m.channel_id == channel_id)]

    def pings(self, msg: rec.Message) -> rec.Pings:
        """Who ``msg`` notifies; empty means nobody was pinged."""
        replied = self.message(msg.reference_id) if msg.reference_id else None
        return msg.pings(self.world, replied_to=replied)

    def errors_for(self, interaction: rec.InteractionLog | rec.Reply) -> list[rec.ErrorRecord]:
        iid = _interaction_id(interaction)
        return [e for e in self.errors if e.interaction_id == iid]

    def assert_no_errors(self) -> None:
        if self.errors:
            raise AssertionError("Discord (fake) refused requests:\n" + "\n".join(map(str, self.errors)))

    def snapshot(self, interaction: rec.InteractionLog | rec.Reply) -> rec.Reply:
        """The bot's answer to an interaction so far (copies; later edits do not change it)."""
        ix = self.interactions[_interaction_id(interaction)]
        return rec.Reply(
            interaction_id=ix.id,
            type=ix.response_type,
            deferred=ix.deferred,
            original=copy.deepcopy(ix.original),
            followups=tuple(copy.deepcopy(m) for m in ix.followups),
            choices=copy.deepcopy(ix.choices),
            modal=copy.deepcopy(ix.modal),
            original_is_answer=ix.original_is_answer(),
        )

    # ---- waiting for the bot ----

    async def wait_until(
        self,
        predicate: Callable[[], T | None],
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - every wait has a default limit; callers need not wrap
        what: str | Callable[[], str] = "a condition",
    ) -> T:
        """Re-check ``predicate`` whenever the bot does something; return its first truthy result.

        On timeout the error says what was awaited and what the bot did last (requests, refusals).
        """
        limit = self.default_timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                described = what() if callable(what) else what
                raise TimeoutError(f"timed out after {limit}s waiting for {described}\n{self._recent()}")
            # Woken by the fake's own events; the short poll also catches state kept by the bot itself.
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, POLL_INTERVAL))

    async def reply(
        self,
        interaction: rec.InteractionLog,
        *,
        count: int | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> rec.Reply:
        """Wait until the user sees an answer (not just "thinking"), and ``count`` messages if given."""
        ix = self.interactions[interaction.id]

        def ready() -> rec.Reply | None:
            if not ix.answered():
                return None
            snap = self.snapshot(ix)
            return snap if count is None or len(snap.messages) >= count else None

        return await self.wait_until(ready, timeout=timeout, what=lambda: self._describe(ix))

    async def response(self, interaction: rec.InteractionLog, *, timeout: float | None = None) -> rec.Reply:  # noqa: ASYNC109
        """Wait for the initial response only (a defer counts)."""
        ix = self.interactions[interaction.id]
        await self.wait_until(lambda: ix.acknowledged, timeout=timeout, what=lambda: self._describe(ix))
        return self.snapshot(ix)

    async def reply_to(self, message: rec.Message, *, timeout: float | None = None) -> rec.Message:  # noqa: ASYNC109
        """The bot's first message in ``message``'s channel after it (a reply or not)."""

        def find() -> rec.Message | None:
            for m in self.messages:
                if m.by_bot and m.channel_id == message.channel_id and m.seq > message.seq and m.interaction_id is None:
                    return copy.deepcopy(m)
            return None

        return await self.wait_until(find, timeout=timeout, what=f"a bot message after message {message.id}")

    async def next_message(
        self,
        channel_id: int,
        *,
        after: rec.Message | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> rec.Message:
        """The bot's first channel message in ``channel_id`` (after ``after`` if given)."""
        floor = after.seq if after else 0

        def find() -> rec.Message | None:
            for m in self.messages:
                if m.by_bot and m.channel_id == channel_id and m.seq > floor and m.interaction_id is None:
                    return copy.deepcopy(m)
            return None

        return await self.wait_until(find, timeout=timeout, what=f"a bot message in channel {channel_id}")

    async def wait_for_error(self, *, code: int | None = None, timeout: float | None = None) -> rec.ErrorRecord:  # noqa: ASYNC109
        """The first refusal (with Discord error ``code`` if given)."""

        def find() -> rec.ErrorRecord | None:
            return next((e for e in self.errors if code is None or e.code == code), None)

        return await self.wait_until(find, timeout=timeout, what=f"an error with code {code}")

    def _describe(self, ix: rec.InteractionLog) -> str:
        kinds = {2: "command", 3: "component", 4: "autocomplete", 5: "modal"}
        done = [f"callback type {c.type}" for c in ix.callbacks] + [f"followup {m.id}" for m in ix.followups]
        errs = [str(e) for e in self.errors if e.interaction_id == ix.id]
        what = f"the bot's answer to {kinds.get(ix.type)} {ix.name!r}"
        return f"{what} (did: {done or 'nothing'}; refused: {errs or 'none'})"

    def _recent(self) -> str:
        lines = [f"  {r.method} {r.path}" for r in self.requests[-8:]]
        errs = [f"  {e}" for e in self.errors[-5:]]
        return "last requests:\n" + ("\n".join(lines) or "  none") + "\nerrors:\n" + ("\n".join(errs) or "  none")

    # ---- HTTP plumbing ----

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        """Record every API call, check the bot token, and turn refusals into Discord error bodies."""
        path = request.path[len(API) :] if request.path.startswith(API + "/") else request.path
        try:
            payload, uploads = await read_body(request)
            request[PAYLOAD], request[UPLOADS] = payload, uploads
            if request.path.startswith(API + "/"):
                files = tuple(u.filename for u in uploads)
                self.requests.append(rec.RequestRecord(request.method, path, dict(request.query), payload, files))
                needs_token = not path.startswith(("/interactions/", "/webhooks/"))
                if needs_token and request.headers.get("Authorization") != f"Bot {self.token}":
                    raise lim.unauthorized()
                if self._rate_limited_now(path):
                    self.rate_limited.append(self.requests.pop())
                    return rate_limited_response(self.rate_limit_retry_after, path)
            return await handler(request)
        except lim.DiscordError as err:
            self.errors.append(
                rec.ErrorRecord.of(request.method, path, err, request.get(PAYLOAD), request.get(INTERACTION_ID))
            )
            return json_response(err.body(), err.status)
        except web.HTTPException:
            raise
        except Exception as exc:
            # A bug in the fake: answer 400 (a 5xx would make discord.py retry with sleeps) and keep it.
            log.exception("fake Discord failed on %s %s", request.method, request.path)
            self.server_exceptions.append(exc)
            crash = lim.DiscordError(400, -1, f"fake Discord crashed: {exc!r}")
            self.errors.append(rec.ErrorRecord.of(request.method, path, crash, request.get(PAYLOAD), None))
            return json_response(crash.body(), crash.status)
        finally:
            self.notify()

    async def _file(self, request: web.Request) -> web.Response:
        att = self.files.get(int(request.match_info["id"])) if request.match_info["id"].isdigit() else None
        if att is None:
            raise web.HTTPNotFound()
        return web.Response(body=att.data, headers={"Content-Type": att.content_type})


def rate_limited_response(retry_after: float, path: str) -> web.Response:
    """Discord's 429: the JSON body with ``retry_after`` and the headers discord.py reads (it takes a
    429 without ``Via`` for a Cloudflare ban and gives up)."""
    body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
    headers = {
        "Content-Type": "application/json",
        "Via": "1.1 google",
        "Retry-After": str(max(1, round(retry_after))),
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
        "X-RateLimit-Bucket": hashlib.sha1(path.encode()).hexdigest()[:16],
        "X-RateLimit-Scope": "user",
    }
    return web.Response(body=json.dumps(body).encode(), status=429, headers=headers)


def _interaction_id(interaction: rec.InteractionLog | rec.Reply) -> int:
    return interaction.id if isinstance(interaction, rec.InteractionLog) else interaction.interaction_id
