"""What the fake remembers: messages, files, interactions, requests and refusals.

Records are plain dataclasses so tests can assert on them directly; waiters in the fake hand out
deep copies (snapshots) so a later edit by the bot cannot change what a test already checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import world as w
from .limits import EPHEMERAL, LOADING, DiscordError

USER_MENTION_RE = re.compile(r"<@!?(\d+)>")
ROLE_MENTION_RE = re.compile(r"<@&(\d+)>")

# Interaction and callback type numbers, Discord's values.
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9


@dataclass
class Attachment:
    """A file the fake serves over loopback, so ``discord.Attachment.read()`` works."""

    id: int
    filename: str
    content_type: str
    data: bytes
    url: str
    description: str | None = None

    @property
    def text(self) -> str:
        return self.data.decode()

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
            "description": self.description,
        }


@dataclass(frozen=True)
class Pings:
    """Who a message would notify, after Discord applies allowed_mentions."""

    users: frozenset[int] = frozenset()
    roles: frozenset[int] = frozenset()
    everyone: bool = False

    def __bool__(self) -> bool:
        return bool(self.users or self.roles or self.everyone)


@dataclass
class Message:
    """A message in a channel: sent by a test user or by the bot (incl. interaction responses)."""

    id: int
    channel_id: int
    guild_id: int | None
    author: w.User
    seq: int
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    allowed_mentions: dict[str, Any] | None = None
    reference_id: int | None = None
    interaction_id: int | None = None
    type: int = 0
    tts: bool = False
    edits: int = 0
    deleted: bool = False
    reactions: list[str] = field(default_factory=list)
    interaction_metadata: dict[str, Any] | None = None
    edited_timestamp: str | None = None  # when its author last edited it (FakeDiscord.edit_message)
    # An interaction response parses only user mentions when allowed_mentions is absent.
    default_parse: tuple[str, ...] = ("users", "roles", "everyone")

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """A deferred "Bot is thinking..." message that has not been filled in yet."""
        return bool(self.flags & LOADING)

    @property
    def by_bot(self) -> bool:
        return self.author.id == w.BOT_ID

    def component(self, custom_id: str) -> dict[str, Any] | None:
        """The component with ``custom_id`` anywhere in the layout."""
        stack = list(self.components)
        while stack:
            comp = stack.pop(0)
            if comp.get("custom_id") == custom_id:
                return comp
            stack.extend(comp.get("components") or [])
            for key in ("component", "accessory"):
                if isinstance(comp.get(key), dict):
                    stack.append(comp[key])
        return None

    def custom_ids(self) -> list[str]:
        found: list[str] = []
        stack = list(self.components)
        while stack:
            comp = stack.pop(0)
            if comp.get("custom_id"):
                found.append(comp["custom_id"])
            stack.extend(comp.get("components") or [])
            stack.extend(comp[k] for k in ("component", "accessory") if isinstance(comp.get(k), dict))
        return found

    def pings(self, world: w.World, replied_to: Message | None = None) -> Pings:
        """Users/roles/@everyone this message notifies under Discord's allowed_mentions rules."""
        mentioned_users = {int(x) for x in USER_MENTION_RE.findall(self.content)}
        mentioned_roles = {int(x) for x in ROLE_MENTION_RE.findall(self.content)}
        allowed = self.allowed_mentions
        parse = set(self.default_parse if allowed is None else allowed.get("parse") or ())
        if "users" in parse:
            users = mentioned_users
        else:
            users = mentioned_users & {int(x) for x in (allowed or {}).get("users") or ()}
        if "roles" in parse:
            roles = mentioned_roles
        else:
            roles = mentioned_roles & {int(x) for x in (allowed or {}).get("roles") or ()}
        everyone = "everyone" in parse and ("@everyone" in self.content or "@here" in self.content)
        replied_user = True if allowed is None else bool(allowed.get("replied_user"))
        if replied_to is not None and replied_user and not replied_to.by_bot:
            users = users | {replied_to.author.id}
        users = {u for u in users if world.user(u) is not None and u != self.author.id}
        return Pings(frozenset(users), frozenset(roles), everyone)

    def payload(self, world: w.World, *, reference: Message | None = None, gateway: bool = False) -> dict:
        """The message object as Discord returns it (REST) or dispatches it (gateway adds guild/member)."""
        mentioned = [world.user(int(x)) for x in USER_MENTION_RE.findall(self.content)]
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": w.user_payload(self.author),
            "content": self.content,
            "timestamp": w.iso_time(self.id),
            "edited_timestamp": self.edited_timestamp or (w.iso_time(self.id) if self.edits else None),
            "tts": self.tts,
            "mention_everyone": "@everyone" in self.content,
            "mentions": [w.user_payload(u) for u in mentioned if u is not None],
            "mention_roles": ROLE_MENTION_RE.findall(self.content),
            "attachments": [a.payload() for a in self.attachments],
            "embeds": self.embeds,
            "components": self.components,
            "pinned": False,
            "type": self.type,
            "flags": self.flags,
        }
        if self.by_bot:
            data["application_id"] = str(w.APPLICATION_ID)
        if self.interaction_id is not None:
            data["webhook_id"] = str(w.APPLICATION_ID)
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
        if self.reference_id is not None:
            data["message_reference"] = {
                "type": 0,
                "message_id": str(self.reference_id),
                "channel_id": str(self.channel_id),
                **({"guild_id": str(self.guild_id)} if self.guild_id else {}),
            }
            data["referenced_message"] = reference.payload(world) if reference is not None else None
        if gateway and self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
            guild = world.guild(self.guild_id)
            member = guild.member(self.author.id) if guild else None
            if guild is not None and member is not None:
                data["member"] = w.member_payload(guild, member, with_user=False)
        return data


@dataclass
class Callback:
    """One accepted initial response (POST /interactions/{id}/{token}/callback)."""

    type: int
    data: dict[str, Any] | None
    at: float


@dataclass
class InteractionLog:
    """An interaction the fake dispatched and everything the bot did in answer to it."""

    id: int
    token: str
    type: int
    name: str  # command path ("sources add"), custom_id for components and modals
    user_id: int
    channel_id: int
    guild_id: int | None
    payload: dict[str, Any]
    dispatched_at: float
    source_message_id: int | None = None  # the message a component (or its modal) was on
    callbacks: list[Callback] = field(default_factory=list)
    original: Message | None = None
    original_edits_at_ack: int = 0
    followups: list[Message] = field(default_factory=list)
    choices: list[dict[str, Any]] | None = None
    modal: dict[str, Any] | None = None

    @property
    def acknowledged(self) -> bool:
        return bool(self.callbacks)

    @property
    def response_type(self) -> int | None:
        return self.callbacks[0].type if self.callbacks else None

    @property
    def deferred(self) -> bool:
        return self.response_type in (DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE)

    def original_is_answer(self) -> bool:
        """Whether the original message shows the bot's answer (not thinking, not an untouched component message)."""
        msg = self.original
        if msg is None or msg.deleted or msg.loading:
            return False
        if self.response_type == DEFERRED_UPDATE_MESSAGE:
            return msg.edits > self.original_edits_at_ack
        return True

    def answered(self) -> bool:
        """True once the user would see an answer, not just "thinking"."""
        if self.response_type in (AUTOCOMPLETE_RESULT, MODAL):
            return True
        return bool(self.followups) or self.original_is_answer()


@dataclass(frozen=True)
class Reply:
    """A snapshot of the bot's answer to one interaction, easy to assert on.

    ``message`` is what the user sees as the answer: the original response (after edits), or
    the first followup when the original is absent, still "thinking", or an untouched component
    message. ``content``/``embeds``/... read from ``message``.
    """

    interaction_id: int
    type: int | None
    deferred: bool
    original: Message | None
    followups: tuple[Message, ...]
    choices: list[dict[str, Any]] | None
    modal: dict[str, Any] | None
    original_is_answer: bool = True

    @property
    def message(self) -> Message | None:
        if self.original is not None and self.original_is_answer:
            return self.original
        return self.followups[0] if self.followups else None

    @property
    def messages(self) -> tuple[Message, ...]:
        head = (self.original,) if self.original is not None and self.original_is_answer else ()
        return head + self.followups

    @property
    def content(self) -> str:
        return self.message.content if self.message else ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.message.embeds if self.message else []

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.message.components if self.message else []

    @property
    def flags(self) -> int:
        return self.message.flags if self.message else 0

    @property
    def ephemeral(self) -> bool:
        return bool(self.message and self.message.ephemeral)

    @property
    def allowed_mentions(self) -> dict[str, Any] | None:
        return self.message.allowed_mentions if self.message else None

    @property
    def attachments(self) -> list[Attachment]:
        return self.message.attachments if self.message else []


@dataclass(frozen=True)
class RequestRecord:
    """Every REST call the bot made, in order."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    body: Any
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class ErrorRecord:
    """A refusal the fake sent (Discord's error body), or an unknown endpoint the bot called."""

    method: str
    path: str
    status: int
    code: int
    message: str
    body: dict[str, Any]
    request: Any = None
    interaction_id: int | None = None

    @classmethod
    def of(cls, method: str, path: str, err: DiscordError, request: Any, interaction_id: int | None) -> ErrorRecord:
        return cls(method, path, err.status, err.code, err.message, err.body(), request, interaction_id)

    def __str__(self) -> str:
        details = self.body.get("errors")
        return f"{self.method} {self.path} -> {self.status} {self.code} {self.message}" + (
            f" {details}" if details else ""
        )


@dataclass(frozen=True)
class SyncCall:
    """One PUT of application commands: ``guild_id`` None means global."""

    guild_id: int | None
    definitions: list[dict[str, Any]]
