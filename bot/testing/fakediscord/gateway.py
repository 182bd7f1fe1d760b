"""The fake's websocket gateway: HELLO, heartbeat ACKs, IDENTIFY -> READY + GUILD_CREATE, events.

Frames are plain JSON text; discord.py asks for zlib-stream but only inflates binary frames.

Sharding as Discord does it: IDENTIFY may carry ``shard: [id, count]``; a session then gets only
its guilds (READY, GUILD_CREATE and every later event of a guild go to the shard
``(guild_id >> 22) % count``), and DMs go to shard 0. An invalid shard closes with 4010.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import world as w

if TYPE_CHECKING:
    from .server import FakeDiscord

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE_STATE = 0, 1, 2, 3, 4
RESUME, RECONNECT, REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 7, 8, 9, 10, 11

# Intent bits, Discord's values.
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

HEARTBEAT_INTERVAL_MS = 41250  # Discord's usual value; the client beats once at once anyway
INVALID_SHARD = 4010  # Discord's close code for a shard it cannot accept


def shard_of(guild_id: int | None, count: int) -> int:
    """The shard that receives a guild's events (Discord's formula); DMs (no guild) go to shard 0."""
    return 0 if guild_id is None else (guild_id >> 22) % count


def guild_of(data: Any) -> int | None:
    """The guild an event's data belongs to (``guild_id``, or ``id`` for a guild object), if any."""
    if not isinstance(data, dict):
        return None
    value = data.get("guild_id")
    return int(value) if value is not None else None


@dataclass
class Session:
    """One websocket connection; ``intents`` is None until it has identified."""

    ws: web.WebSocketResponse
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    seq: int = 0
    intents: int | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    shard: tuple[int, int] = (0, 1)  # (id, count) as identified
    sent: list[tuple[str, int | None]] = field(default_factory=list)  # (event, guild id) dispatched here

    def owns(self, guild_id: int | None) -> bool:
        """Whether this session's shard receives the events of ``guild_id`` (None: a DM)."""
        shard_id, count = self.shard
        return shard_of(guild_id, count) == shard_id

    async def send(self, op: int, d: Any, event: str | None = None) -> None:
        frame: dict[str, Any] = {"op": op, "d": d, "s": None, "t": event}
        if op == DISPATCH:
            self.seq += 1
            frame["s"] = self.seq
            guild = int(d["id"]) if event == "GUILD_CREATE" else guild_of(d)
            self.sent.append((event or "", guild))
        if not self.ws.closed:
            await self.ws.send_str(json.dumps(frame))


class Gateway:
    """Accepts client connections and sends them events."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.sessions: list[Session] = []
        self.resume_attempts = 0

    @property
    def identified(self) -> list[Session]:
        return [s for s in self.sessions if s.intents is not None and not s.ws.closed]

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        session = Session(ws)
        self.sessions.append(session)
        try:
            await session.send(HELLO, {"heartbeat_interval": HEARTBEAT_INTERVAL_MS, "_trace": ["fake-gateway"]})
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_frame(session, json.loads(msg.data))
        finally:
            self.sessions.remove(session)
            self.fake.notify()
        return ws

    async def _on_frame(self, session: Session, frame: dict[str, Any]) -> None:
        session.received.append(frame)
        op, d = frame.get("op"), frame.get("d")
        if op == HEARTBEAT:
            await session.send(HEARTBEAT_ACK, None)
        elif op == IDENTIFY:
            await self._identify(session, d or {})
        elif op == RESUME:
            # The fake keeps no event backlog: make the client start a fresh session.
            self.resume_attempts += 1
            await session.send(INVALID_SESSION, False)
        elif op == REQUEST_MEMBERS:
            await self._members_chunk(session, d or {})
        self.fake.notify()

    async def _identify(self, session: Session, d: dict[str, Any]) -> None:
        if d.get("token") != self.fake.token:
            await session.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(d.get("intents") or 0)
        if intents & PRIVILEGED_INTENTS & ~self.fake.privileged_intents:
            await session.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        shard = _shard(d.get("shard"))
        if shard is None:
            await session.ws.close(code=INVALID_SHARD, message=b"Invalid shard.")
            return
        session.shard = shard
        world = self.fake.world
        guilds = [g for g in world.guilds if session.owns(g.id)]
        ready = {
            "v": 10,
            "user": {**w.user_payload(world.bot), "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.fake.gateway_url,
            "shard": list(shard),
            "application": {"id": str(w.APPLICATION_ID), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
        }
        await session.send(DISPATCH, ready, "READY")
        for guild in guilds:
            await session.send(DISPATCH, w.guild_payload(guild, world), "GUILD_CREATE")
        session.intents = intents  # only now may other events go to this session

    async def _members_chunk(self, session: Session, d: dict[str, Any]) -> None:
        guild_ids = d.get("guild_id")
        for gid in guild_ids if isinstance(guild_ids, list) else [guild_ids]:
            guild = None if gid is None else self.fake.world.guild(int(gid))
            if guild is None:
                continue
            members = [w.member_payload(guild, m) for m in guild.members]
            chunk = {"guild_id": str(guild.id), "members": members, "chunk_index": 0, "chunk_count": 1}
            if d.get("nonce") is not None:
                chunk["nonce"] = d["nonce"]
            await session.send(DISPATCH, chunk, "GUILD_MEMBERS_CHUNK")

    async def dispatch(self, event: str, make: Callable[[int], dict[str, Any] | None]) -> int:
        """Send ``event`` to every identified session whose shard holds its guild (``guild_id`` in
        the data; none: a DM, shard 0); ``make(intents)`` may return None to skip one."""
        sent = 0
        for session in self.identified:
            data = make(session.intents or 0)
            if data is not None and session.owns(guild_of(data)):
                await session.send(DISPATCH, data, event)
                sent += 1
        return sent

    def session_for(self, guild_id: int | None) -> Session | None:
        """The identified session that receives ``guild_id``'s events (None: DMs), if one is connected."""
        return next((s for s in self.identified if s.owns(guild_id)), None)

    async def close_all(self, code: int = 1001, reason: str = "fake gateway stopping") -> None:
        for session in list(self.sessions):
            await session.ws.close(code=code, message=reason.encode())


def _shard(value: Any) -> tuple[int, int] | None:
    """IDENTIFY's ``shard`` as (id, count): absent is (0, 1); None if it is not a valid pair."""
    if value is None:
        return (0, 1)
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    shard_id, count = value
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in value) or not 0 <= shard_id < count:
        return None
    return (shard_id, count)
