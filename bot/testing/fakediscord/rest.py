"""REST endpoints of the fake under /api/v10: login, messages, interactions, webhooks, command sync.

Handlers raise :class:`DiscordError` for refusals; the server's middleware turns them into
Discord's JSON bodies and records them in ``fake.errors``.
"""

from __future__ import annotations

import copy
import json
import mimetypes
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import limits as lim
from . import records as rec
from . import world as w

if TYPE_CHECKING:
    from .server import FakeDiscord

API = "/api/v10"
# Per-request storage set by the server's middleware (typed keys where aiohttp has them).
_key = getattr(web, "RequestKey", None)
PAYLOAD: Any = _key("payload", object) if _key else "payload"
UPLOADS: Any = _key("uploads", list) if _key else "uploads"
INTERACTION_ID: Any = _key("interaction_id", int) if _key else "interaction_id"
FILE_FIELD_RE = re.compile(r"files\[(\d+)\]")
CHANNEL_MESSAGE_FLAGS = lim.SUPPRESS_EMBEDS | lim.SUPPRESS_NOTIFICATIONS | lim.IS_COMPONENTS_V2
FOLLOWUP_FLAGS = CHANNEL_MESSAGE_FLAGS | lim.EPHEMERAL
# Which initial responses each interaction type accepts.
ALLOWED_CALLBACKS = {
    rec.APPLICATION_COMMAND: {rec.CHANNEL_MESSAGE, rec.DEFERRED_CHANNEL_MESSAGE, rec.MODAL},
    rec.MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
    rec.AUTOCOMPLETE: {rec.AUTOCOMPLETE_RESULT},
    rec.MODAL_SUBMIT: {4, 5, 6, 7},
}


@dataclass(frozen=True)
class Upload:
    """A ``files[n]`` part of a multipart request."""

    index: int
    filename: str
    content_type: str
    data: bytes


async def read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    """JSON body, or the ``payload_json`` part plus ``files[n]`` parts of a multipart body."""
    if not request.body_exists:
        return None, []
    if request.content_type.startswith("multipart/"):
        payload: Any = {}
        uploads: list[Upload] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            name = getattr(part, "name", None) or ""
            if name == "payload_json":
                payload = json.loads(await part.text())  # type: ignore[union-attr]
            elif match := FILE_FIELD_RE.fullmatch(name):
                filename = getattr(part, "filename", None) or "file"
                guessed = mimetypes.guess_type(filename)[0]
                data = bytes(await part.read())  # type: ignore[union-attr]
                uploads.append(Upload(int(match[1]), filename, guessed or "application/octet-stream", data))
        return payload, uploads
    raw = await request.read()
    return (json.loads(raw) if raw else None), []


def json_response(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json": discord.py compares the header string, and a charset suffix
    # would make it treat every body as text (the client then never becomes ready).
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})


def no_content() -> web.Response:
    return web.Response(status=204)


def _snowflake(request: web.Request, key: str) -> int:
    try:
        return int(request.match_info[key])
    except ValueError:
        raise lim.not_found() from None


class RestApi:
    """Route handlers; state lives on the fake."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def routes(self) -> list[web.RouteDef]:
        msg = API + "/channels/{channel_id}/messages/{message_id}"
        hook = API + "/webhooks/{app_id}/{token}"
        cmds = API + "/applications/{app_id}/commands"
        guild_cmds = API + "/applications/{app_id}/guilds/{guild_id}/commands"
        reaction = msg + "/reactions/{emoji}/@me"
        return [
            web.get(API + "/users/@me", self.me),
            web.get(API + "/oauth2/applications/@me", self.application),
            web.get(API + "/gateway", self.gateway_info),
            web.get(API + "/gateway/bot", self.gateway_info),
            web.post(API + "/users/@me/channels", self.create_dm),
            web.get(API + "/users/{user_id}", self.get_user),
            web.get(API + "/channels/{channel_id}", self.get_channel),
            web.get(API + "/channels/{channel_id}/messages", self.history),
            web.post(API + "/channels/{channel_id}/messages", self.create_message),
            web.post(API + "/channels/{channel_id}/typing", self.typing),
            web.get(msg, self.get_message),
            web.patch(msg, self.edit_message),
            web.delete(msg, self.delete_message),
            web.put(reaction, self.add_reaction),
            web.delete(reaction, self.remove_reaction),
            web.get(API + "/guilds/{guild_id}", self.get_guild),
            web.get(API + "/guilds/{guild_id}/channels", self.guild_channels),
            web.get(API + "/guilds/{guild_id}/roles", self.guild_roles),
            web.get(API + "/guilds/{guild_id}/members/{user_id}", self.get_member),
            web.post(API + "/interactions/{interaction_id}/{token}/callback", self.callback),
            web.post(hook, self.followup),
            web.get(hook + "/messages/{message_id}", self.get_webhook_message),
            web.patch(hook + "/messages/{message_id}", self.edit_webhook_message),
            web.delete(hook + "/messages/{message_id}", self.delete_webhook_message),
            web.get(cmds, self.get_commands),
            web.put(cmds, self.put_commands),
            web.get(guild_cmds, self.get_commands),
            web.put(guild_cmds, self.put_commands),
            web.route("*", API + "/{tail:.*}", self.unknown),
        ]

    # ---- login and look-ups ----

    async def me(self, request: web.Request) -> web.Response:
        return json_response({**w.user_payload(self.fake.world.bot), "verified": True, "mfa_enabled": False})

    async def application(self, request: web.Request) -> web.Response:
        return json_response(w.application_payload(self.fake.world))

    async def gateway_info(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        shards = self.fake.recommended_shards
        return json_response({"url": self.fake.gateway_url, "shards": shards, "session_start_limit": limit})

    async def get_user(self, request: web.Request) -> web.Response:
        user = self.fake.world.user(_snowflake(request, "user_id"))
        if user is None:
            raise lim.unknown_user()
        return json_response(w.user_payload(user))

    async def create_dm(self, request: web.Request) -> web.Response:
        recipient = int((request[PAYLOAD] or {}).get("recipient_id") or 0)
        channel = self.fake.world.dm_channel_for(recipient)
        if channel is None:
            raise lim.invalid_form_body([lim.FieldError(("recipient_id",), "UNKNOWN_USER", "Unknown User")])
        return json_response(w.channel_payload(channel, self.fake.world))

    async def get_channel(self, request: web.Request) -> web.Response:
        return json_response(w.channel_payload(self._channel(request), self.fake.world))

    async def get_guild(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        data = w.guild_payload(guild, self.fake.world)
        for key in ("channels", "members", "threads", "voice_states", "presences"):
            data.pop(key)
        return json_response(data)

    async def guild_channels(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response([w.channel_payload(c, self.fake.world) for c in guild.channels])

    async def guild_roles(self, request: web.Request) -> web.Response:
        return json_response([w.role_payload(r) for r in self._guild(request).roles])

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        member = guild.member(_snowflake(request, "user_id"))
        if member is None:
            raise lim.unknown_member()
        return json_response(w.member_payload(guild, member))

    # ---- channel messages ----

    async def history(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        limit = int(request.query.get("limit", "50"))
        found = [m for m in self.fake.messages if m.channel_id == channel.id and not m.deleted and not m.ephemeral]
        found.reverse()  # newest first, as Discord returns them
        return json_response([self.fake.message_payload(m) for m in found[:limit]])

    async def create_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        payload = request[PAYLOAD] or {}
        uploads: list[Upload] = request[UPLOADS]
        self._check_may_post(channel, payload)
        errors = lim.check_message(payload)
        reference_id = self._reference(payload, channel, errors)
        if errors:
            raise lim.invalid_form_body(errors)
        if lim.is_empty_message(payload, bool(uploads)):
            raise lim.empty_message()
        msg = self.fake.new_message(
            channel,
            self.fake.world.bot,
            content=payload.get("content") or "",
            embeds=payload.get("embeds") or [],
            components=payload.get("components") or [],
            attachments=self._attachments(payload, uploads, []) or [],
            flags=int(payload.get("flags") or 0) & CHANNEL_MESSAGE_FLAGS,
            allowed_mentions=payload.get("allowed_mentions"),
            reference_id=reference_id,
            type=19 if reference_id else 0,
            tts=bool(payload.get("tts")),
        )
        await self.fake.echo(msg, "MESSAGE_CREATE")
        return json_response(self.fake.message_payload(msg))

    def _reference(self, payload: dict[str, Any], channel: w.Channel, errors: list[lim.FieldError]) -> int | None:
        ref = payload.get("message_reference")
        if not ref:
            return None
        target = self.fake.message(int(ref.get("message_id") or 0))
        if target is None or target.channel_id != channel.id or target.deleted:
            if ref.get("fail_if_not_exists", True):
                errors.append(lim.FieldError(("message_reference",), "REPLIES_UNKNOWN_MESSAGE", "Unknown message"))
            return None
        return target.id

    async def get_message(self, request: web.Request) -> web.Response:
        return json_response(self.fake.message_payload(self._message(request)))

    async def edit_message(self, request: web.Request) -> web.Response:
        msg = self._message(request)
        if not msg.by_bot:
            raise lim.not_author()
        self._check_may_post(self._channel(request), request[PAYLOAD] or {}, sending=False)
        self.apply_edit(msg, request[PAYLOAD] or {}, request[UPLOADS])
        await self.fake.echo(msg, "MESSAGE_UPDATE")
        return json_response(self.fake.message_payload(msg))

    async def delete_message(self, request: web.Request) -> web.Response:
        msg = self._message(request)
        msg.deleted = True
        return no_content()

    async def typing(self, request: web.Request) -> web.Response:
        self.fake.typing.append(self._channel(request).id)
        return no_content()

    async def add_reaction(self, request: web.Request) -> web.Response:
        self._message(request).reactions.append(request.match_info["emoji"])
        return no_content()

    async def remove_reaction(self, request: web.Request) -> web.Response:
        msg = self._message(request)
        emoji = request.match_info["emoji"]
        if emoji in msg.reactions:
            msg.reactions.remove(emoji)
        return no_content()

    # ---- interactions ----

    async def callback(self, request: web.Request) -> web.Response:
        iid = _snowflake(request, "interaction_id")
        log = self.fake.interactions.get(iid)
        if log is None or log.token != request.match_info["token"]:
            raise lim.unknown_interaction()
        request[INTERACTION_ID] = log.id
        if time.monotonic() - log.dispatched_at > self.fake.interaction_deadline:
            raise lim.unknown_interaction()
        if log.acknowledged:
            raise lim.already_acknowledged()
        body = request[PAYLOAD] or {}
        kind = int(body.get("type") or 0)
        data = body.get("data") or {}
        source = self.fake.message(log.source_message_id or 0)
        if kind not in ALLOWED_CALLBACKS.get(log.type, set()) or (kind in (6, 7) and source is None):
            raise lim.invalid_form_body(
                [lim.FieldError(("type",), "INTERACTION_RESPONSE_TYPE_INVALID", "Interaction response type is invalid")]
            )
        msg: rec.Message | None = None
        if kind == rec.CHANNEL_MESSAGE:
            msg = self._interaction_message(log, data, request[UPLOADS], prefix=("data",))
        elif kind == rec.DEFERRED_CHANNEL_MESSAGE:
            msg = self._interaction_message(log, {"flags": lim.LOADING | int(data.get("flags") or 0)}, [], prefix=None)
        elif kind == rec.UPDATE_MESSAGE and source is not None:
            self.apply_edit(source, data, request[UPLOADS], prefix=("data",))
            msg = source
        elif kind == rec.AUTOCOMPLETE_RESULT:
            self._raise_if(lim.check_autocomplete(data), ("data",))
            log.choices = list(data["choices"])
        elif kind == rec.MODAL:
            self._raise_if(lim.check_modal(data), ("data",))
            log.modal = data
        log.original = msg if kind != rec.DEFERRED_UPDATE_MESSAGE else source
        log.original_edits_at_ack = log.original.edits if log.original else 0
        log.callbacks.append(rec.Callback(kind, data or None, time.monotonic()))
        if msg is not None and kind != rec.UPDATE_MESSAGE:
            await self.fake.echo(msg, "MESSAGE_CREATE")
        elif msg is not None:
            await self.fake.echo(msg, "MESSAGE_UPDATE")
        if request.query.get("with_response", "").lower() not in ("1", "true"):
            return no_content()
        resource: dict[str, Any] = {"type": kind}
        if msg is not None:
            resource["message"] = self.fake.message_payload(msg)
        interaction = {
            "id": str(log.id),
            "type": log.type,
            "response_message_id": str(msg.id) if msg else None,
            "response_message_loading": kind == rec.DEFERRED_CHANNEL_MESSAGE,
            "response_message_ephemeral": bool(msg and msg.ephemeral),
        }
        return json_response({"interaction": interaction, "resource": resource})

    def _interaction_message(
        self, log: rec.InteractionLog, data: dict[str, Any], uploads: list[Upload], prefix: tuple[str, ...] | None
    ) -> rec.Message:
        if prefix is not None:
            self._raise_if(lim.check_message(data), prefix)
            if lim.is_empty_message(data, bool(uploads)):
                raise lim.empty_message()
        channel = self.fake.world.channel(log.channel_id)
        assert channel is not None
        is_command = log.type == rec.APPLICATION_COMMAND
        command_type = int(log.payload["data"].get("type") or 1) if is_command else 0
        return self.fake.new_message(
            channel,
            self.fake.world.bot,
            content=data.get("content") or "",
            embeds=data.get("embeds") or [],
            components=data.get("components") or [],
            attachments=self._attachments(data, uploads, []) or [],
            flags=int(data.get("flags") or 0) & (FOLLOWUP_FLAGS | lim.LOADING),
            allowed_mentions=data.get("allowed_mentions"),
            interaction=log,
            type=(20 if command_type == 1 else 23) if is_command else 0,
            tts=bool(data.get("tts")),
        )

    def _interaction_for_token(self, request: web.Request) -> rec.InteractionLog:
        log = self.fake.interaction_by_token(request.match_info["token"])
        if log is None or request.match_info["app_id"] != str(w.APPLICATION_ID):
            raise lim.unknown_webhook()
        request[INTERACTION_ID] = log.id
        if time.monotonic() - log.dispatched_at > self.fake.token_lifetime:
            raise lim.invalid_webhook_token()
        return log

    async def followup(self, request: web.Request) -> web.Response:
        log = self._interaction_for_token(request)
        if not log.acknowledged:
            raise lim.unknown_webhook()
        payload = request[PAYLOAD] or {}
        uploads: list[Upload] = request[UPLOADS]
        original = log.original
        if log.response_type == rec.DEFERRED_CHANNEL_MESSAGE and original is not None and original.loading:
            # The first followup after a "thinking" defer replaces that message; whether it is
            # ephemeral was fixed by the defer, so the followup's own ephemeral flag is ignored.
            self.apply_edit(original, {k: v for k, v in payload.items() if k != "flags"}, uploads)
            await self.fake.echo(original, "MESSAGE_UPDATE")
            msg = original
        else:
            msg = self._interaction_message(log, payload, uploads, prefix=())
            log.followups.append(msg)
            await self.fake.echo(msg, "MESSAGE_CREATE")
        if request.query.get("wait", "").lower() not in ("1", "true"):
            return no_content()
        return json_response(self.fake.message_payload(msg))

    def _webhook_message(self, request: web.Request) -> tuple[rec.InteractionLog, rec.Message]:
        log = self._interaction_for_token(request)
        key = request.match_info["message_id"]
        if key == "@original":
            msg = log.original
        else:
            msg = next((m for m in (log.original, *log.followups) if m is not None and str(m.id) == key), None)
        if msg is None or msg.deleted:
            raise lim.unknown_message()
        return log, msg

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        _, msg = self._webhook_message(request)
        return json_response(self.fake.message_payload(msg))

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        _, msg = self._webhook_message(request)
        self.apply_edit(msg, request[PAYLOAD] or {}, request[UPLOADS])
        await self.fake.echo(msg, "MESSAGE_UPDATE")
        return json_response(self.fake.message_payload(msg))

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        _, msg = self._webhook_message(request)
        msg.deleted = True
        return no_content()

    # ---- application commands ----

    def _command_scope(self, request: web.Request) -> int | None:
        if request.match_info["app_id"] != str(w.APPLICATION_ID):
            raise lim.DiscordError(403, 50001, "Missing Access")
        if "guild_id" not in request.match_info:
            return None
        return self._guild(request).id

    async def get_commands(self, request: web.Request) -> web.Response:
        return json_response(self.fake.commands(self._command_scope(request)))

    async def put_commands(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        definitions = request[PAYLOAD]
        if not isinstance(definitions, list):
            raise lim.invalid_form_body([lim.FieldError((), "BASE_TYPE_ARRAY", "Must be an array.")])
        self._raise_if(lim.check_commands(definitions), ())
        stored = self.fake.store_commands(scope, definitions)
        self.fake.sync_calls.append(rec.SyncCall(scope, copy.deepcopy(stored)))
        return json_response(stored)

    async def unknown(self, request: web.Request) -> web.Response:
        raise lim.not_found()

    # ---- helpers ----

    @staticmethod
    def _raise_if(errors: list[lim.FieldError], prefix: tuple[str, ...]) -> None:
        if errors:
            raise lim.invalid_form_body([e.under(*prefix) for e in errors])

    def _check_may_post(self, channel: w.Channel, payload: dict[str, Any], *, sending: bool = True) -> None:
        """Sending needs Send Messages (in threads: Send Messages in Threads), and embeds need Embed
        Links (not so in interaction responses)."""
        allowed = self.fake.world.bot_permissions(channel)
        send = w.SEND_MESSAGES_IN_THREADS if channel.is_thread else w.SEND_MESSAGES
        if (sending and not allowed & send) or (payload.get("embeds") and not allowed & w.EMBED_LINKS):
            raise lim.missing_permissions()

    def _channel(self, request: web.Request) -> w.Channel:
        channel = self.fake.world.channel(_snowflake(request, "channel_id"))
        if channel is None:
            raise lim.unknown_channel()
        if channel.guild_id in self.fake.world.bot_removed:
            raise lim.missing_access()
        return channel

    def _guild(self, request: web.Request) -> w.Guild:
        guild = self.fake.world.guild(_snowflake(request, "guild_id"))
        if guild is None:
            raise lim.unknown_guild()
        if guild.id in self.fake.world.bot_removed:
            raise lim.missing_access()
        return guild

    def _message(self, request: web.Request) -> rec.Message:
        channel = self._channel(request)
        msg = self.fake.message(_snowflake(request, "message_id"))
        if msg is None or msg.channel_id != channel.id or msg.deleted or msg.ephemeral:
            raise lim.unknown_message()
        return msg

    def _attachments(
        self, payload: dict[str, Any], uploads: list[Upload], existing: list[rec.Attachment]
    ) -> list[rec.Attachment] | None:
        """The message's files after this request: kept ones by id, new ones by upload index."""
        if "attachments" not in payload:
            if not uploads:
                return None
            return [*existing, *(self.fake.add_attachment(u.data, u.filename, u.content_type) for u in uploads)]
        by_index = {u.index: u for u in uploads}
        result: list[rec.Attachment] = []
        for entry in payload.get("attachments") or []:
            key = int(entry.get("id"))
            kept = next((a for a in existing if a.id == key), None)
            if kept is not None:
                result.append(kept)
            elif (up := by_index.get(key)) is not None:
                filename = entry.get("filename") or up.filename
                result.append(self.fake.add_attachment(up.data, filename, up.content_type, entry.get("description")))
        return result

    def apply_edit(
        self, msg: rec.Message, payload: dict[str, Any], uploads: list[Upload], prefix: tuple[str, ...] = ()
    ) -> None:
        """Validate the message as it would be after the edit, then apply it (filling a loading message)."""
        merged: dict[str, Any] = {
            "content": (payload["content"] or "") if "content" in payload else msg.content,
            "embeds": (payload["embeds"] or []) if "embeds" in payload else msg.embeds,
            "components": (payload["components"] or []) if "components" in payload else msg.components,
            "flags": msg.flags | (int(payload.get("flags") or 0) & lim.IS_COMPONENTS_V2),
        }
        self._raise_if(lim.check_message(merged), prefix)
        attachments = self._attachments(payload, uploads, msg.attachments)
        merged["attachments"] = [a.payload() for a in (msg.attachments if attachments is None else attachments)]
        if lim.is_empty_message(merged, False):
            raise lim.empty_message()
        msg.content, msg.embeds, msg.components = merged["content"], merged["embeds"], merged["components"]
        if attachments is not None:
            msg.attachments = attachments
        if "allowed_mentions" in payload:
            msg.allowed_mentions = payload["allowed_mentions"]
        if payload.get("flags") is not None:
            keep = msg.flags & ~lim.SUPPRESS_EMBEDS
            msg.flags = keep | (int(payload["flags"]) & (lim.SUPPRESS_EMBEDS | lim.IS_COMPONENTS_V2))
        msg.flags &= ~lim.LOADING
        msg.edits += 1
