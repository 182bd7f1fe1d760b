"""The fixed cast of the fake Discord: guilds, channels, roles, users and their snowflake ids.

Ids are constants so tests can name them (``world.MEMBER_ID``) and so failures are readable.
All fixed ids are older than any id the fake generates at run time, so "created after" can be
decided by comparing ids. Payload builders here produce the JSON shapes Discord sends.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

DISCORD_EPOCH_MS = 1420070400000

# Permission bits, Discord's values.
CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CHANGE_NICKNAME = 1 << 26
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
# What discord.py calls Permissions.all(); guild owners and administrators get this.
ALL_PERMISSIONS = 0x1F7FFFFFFFFFFF

EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
MODERATOR_PERMISSIONS = MANAGE_GUILD | MANAGE_MESSAGES | KICK_MEMBERS
BOT_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY | ADD_REACTIONS
# What Discord reports as app_permissions in a DM with the bot: the same set as the bot's role here.
DM_APP_PERMISSIONS = BOT_PERMISSIONS

# Users. The bot's user id is also its application id, as for every modern bot.
BOT_ID = 1000000000000000001
APPLICATION_ID = BOT_ID
OWNER_ID = 1000000000000000010  # owns both guilds and the application
MODERATOR_ID = 1000000000000000011  # has the Moderator role (Manage Server) in both guilds
MEMBER_ID = 1000000000000000012  # ordinary member
OTHER_USER_ID = 1000000000000000013  # a second ordinary member

# First guild. Its @everyone role id equals the guild id, as on Discord.
GUILD_ID = 1000000000000000100
EVERYONE_ROLE_ID = GUILD_ID
MODERATOR_ROLE_ID = 1000000000000000101
BOT_ROLE_ID = 1000000000000000102
GENERAL_CHANNEL_ID = 1000000000000000110
QUESTIONS_CHANNEL_ID = 1000000000000000111

# Second guild, same shape, for isolation between guilds.
OTHER_GUILD_ID = 1000000000000000200
OTHER_EVERYONE_ROLE_ID = OTHER_GUILD_ID
OTHER_MODERATOR_ROLE_ID = 1000000000000000201
OTHER_BOT_ROLE_ID = 1000000000000000202
OTHER_GENERAL_CHANNEL_ID = 1000000000000000210
OTHER_QUESTIONS_CHANNEL_ID = 1000000000000000211

# DM channels between the bot and each user.
DM_CHANNEL_ID = 1000000000000000300  # with MEMBER_ID
MODERATOR_DM_CHANNEL_ID = 1000000000000000301
OTHER_USER_DM_CHANNEL_ID = 1000000000000000302
OWNER_DM_CHANNEL_ID = 1000000000000000303

JOINED_AT = "2020-01-01T00:00:00+00:00"

TEXT_CHANNEL = 0
DM_CHANNEL = 1
PUBLIC_THREAD = 11
FORUM_CHANNEL = 15
THREAD_TYPES = (10, PUBLIC_THREAD, 12)


def snowflake_time(snowflake: int) -> dt.datetime:
    """Creation time encoded in a snowflake (Discord's message timestamps agree with it)."""
    ms = (snowflake >> 22) + DISCORD_EPOCH_MS
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def iso_time(snowflake: int) -> str:
    return snowflake_time(snowflake).isoformat()


@dataclass(frozen=True)
class User:
    id: int
    name: str
    global_name: str | None = None
    bot: bool = False

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@dataclass(frozen=True)
class Role:
    id: int
    name: str
    permissions: int
    position: int
    managed_by_bot: int | None = None  # a bot's own integration role

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"


@dataclass(frozen=True)
class Channel:
    id: int
    name: str
    guild_id: int | None
    type: int = TEXT_CHANNEL
    position: int = 0
    recipient_id: int | None = None  # DM channels only
    parent_id: int | None = None  # threads (and forum posts): the channel they belong to

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"


@dataclass(frozen=True)
class Member:
    user: User
    role_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Guild:
    id: int
    name: str
    owner_id: int
    roles: tuple[Role, ...]
    channels: tuple[Channel, ...]
    members: tuple[Member, ...]

    def member(self, user_id: int) -> Member | None:
        return next((m for m in self.members if m.user.id == user_id), None)

    def role(self, role_id: int) -> Role | None:
        return next((r for r in self.roles if r.id == role_id), None)

    def permissions_of(self, user_id: int) -> int:
        """Guild-level permissions: the owner and administrators get everything (no overwrites exist)."""
        member = self.member(user_id)
        if member is None:
            return 0
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        value = 0
        for role in self.roles:
            if role.id == self.id or role.id in member.role_ids:
                value |= role.permissions
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value


@dataclass(frozen=True)
class World:
    """Everything the fake knows about; look-ups return None for unknown ids."""

    bot: User
    users: tuple[User, ...]
    guilds: tuple[Guild, ...]
    dm_channels: tuple[Channel, ...]
    application_name: str = "FactBot"
    # Permission bits a channel overwrite denies the bot, by channel id (FakeDiscord.deny_bot sets them).
    bot_denied: dict[int, int] = field(default_factory=dict, compare=False, hash=False)
    # Guilds the bot was removed from (FakeDiscord.remove_bot): their channels answer 403 50001.
    bot_removed: set[int] = field(default_factory=set, compare=False, hash=False)
    _channels: dict[int, Channel] = field(default_factory=dict, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        for guild in self.guilds:
            for channel in guild.channels:
                self._channels[channel.id] = channel
        for channel in self.dm_channels:
            self._channels[channel.id] = channel

    def user(self, user_id: int) -> User | None:
        return next((u for u in (self.bot, *self.users) if u.id == user_id), None)

    def add_channel(self, channel: Channel) -> None:
        """A channel or thread made at run time (FakeDiscord.create_thread, create_forum)."""
        self._channels[channel.id] = channel

    def threads_of(self, guild_id: int) -> list[Channel]:
        """The threads made at run time in ``guild_id`` (all active: none is ever archived here)."""
        return [c for c in self._channels.values() if c.is_thread and c.guild_id == guild_id]

    def guild(self, guild_id: int | None) -> Guild | None:
        return next((g for g in self.guilds if g.id == guild_id), None)

    def channel(self, channel_id: int) -> Channel | None:
        return self._channels.get(channel_id)

    def bot_permissions(self, channel: Channel) -> int:
        """The bot's permissions in ``channel``: its roles, less what an overwrite there denies."""
        guild = self.guild(channel.guild_id)
        if guild is None:
            return DM_APP_PERMISSIONS
        value = guild.permissions_of(self.bot.id)
        # A thread has no overwrites of its own: its parent channel's apply.
        where = channel.parent_id if channel.is_thread and channel.parent_id is not None else channel.id
        return value if value & ADMINISTRATOR else value & ~self.bot_denied.get(where, 0)

    def dm_channel_for(self, user_id: int) -> Channel | None:
        return next((c for c in self.dm_channels if c.recipient_id == user_id), None)

    def find_role(self, role_id: int) -> tuple[Guild, Role] | None:
        for guild in self.guilds:
            role = guild.role(role_id)
            if role is not None:
                return guild, role
        return None


def _guild(guild_id: int, name: str, mod_role: int, bot_role: int, channels: tuple[tuple[int, str], ...]) -> Guild:
    roles = (
        Role(guild_id, "@everyone", EVERYONE_PERMISSIONS, 0),
        Role(mod_role, "Moderator", MODERATOR_PERMISSIONS, 2),
        Role(bot_role, "FactBot", BOT_PERMISSIONS, 1, managed_by_bot=BOT_ID),
    )
    members = (
        Member(USERS[OWNER_ID]),
        Member(USERS[MODERATOR_ID], (mod_role,)),
        Member(USERS[MEMBER_ID]),
        Member(USERS[OTHER_USER_ID]),
        Member(BOT, (bot_role,)),
    )
    chans = tuple(Channel(cid, cname, guild_id, position=i) for i, (cid, cname) in enumerate(channels))
    return Guild(guild_id, name, OWNER_ID, roles, chans, members)


BOT = User(BOT_ID, "FactBot", None, bot=True)
USERS: dict[int, User] = {
    OWNER_ID: User(OWNER_ID, "olive", "Olive Owner"),
    MODERATOR_ID: User(MODERATOR_ID, "mona", "Mona Moderator"),
    MEMBER_ID: User(MEMBER_ID, "mel", "Mel Member"),
    OTHER_USER_ID: User(OTHER_USER_ID, "otto", "Otto Other"),
}


# More guilds, same shape, for sharding and load (build_world(extra_guilds=n)): guild k's id is
# EXTRA_GUILD_BASE + (k << 22), so consecutive guilds fall on different shards ((id >> 22) % count).
EXTRA_GUILD_BASE = 1000000000000001000


def extra_guild_id(k: int) -> int:
    return EXTRA_GUILD_BASE + (k << 22)


def questions_channel_of(guild_id: int) -> int:
    """The #questions channel of the default guilds and of every extra guild."""
    fixed = {GUILD_ID: QUESTIONS_CHANNEL_ID, OTHER_GUILD_ID: OTHER_QUESTIONS_CHANNEL_ID}
    return fixed.get(guild_id, guild_id + 11)


def _extra_guild(k: int) -> Guild:
    gid = extra_guild_id(k)
    return _guild(gid, f"Extra Guild {k}", gid + 1, gid + 2, ((gid + 10, "general"), (gid + 11, "questions")))


def build_world(extra_guilds: int = 0) -> World:
    """The default world every fake starts with; ``extra_guilds`` more guilds of the same shape
    (ids from :func:`extra_guild_id`, the same members)."""
    guilds: tuple[Guild, ...] = (
        _guild(
            GUILD_ID,
            "Fact Checkers",
            MODERATOR_ROLE_ID,
            BOT_ROLE_ID,
            ((GENERAL_CHANNEL_ID, "general"), (QUESTIONS_CHANNEL_ID, "questions")),
        ),
        _guild(
            OTHER_GUILD_ID,
            "Second Guild",
            OTHER_MODERATOR_ROLE_ID,
            OTHER_BOT_ROLE_ID,
            ((OTHER_GENERAL_CHANNEL_ID, "general"), (OTHER_QUESTIONS_CHANNEL_ID, "questions")),
        ),
    )
    dms = tuple(
        Channel(cid, "", None, type=DM_CHANNEL, recipient_id=uid)
        for cid, uid in (
            (DM_CHANNEL_ID, MEMBER_ID),
            (MODERATOR_DM_CHANNEL_ID, MODERATOR_ID),
            (OTHER_USER_DM_CHANNEL_ID, OTHER_USER_ID),
            (OWNER_DM_CHANNEL_ID, OWNER_ID),
        )
    )
    guilds += tuple(_extra_guild(k) for k in range(extra_guilds))
    return World(bot=BOT, users=tuple(USERS.values()), guilds=guilds, dm_channels=dms)


# ---- payload builders (Discord's JSON shapes) ----


def user_payload(user: User) -> dict:
    data: dict = {
        "id": str(user.id),
        "username": user.name,
        "global_name": user.global_name,
        "discriminator": "0",
        "avatar": None,
        "public_flags": 0,
    }
    if user.bot:
        data["bot"] = True
    return data


def role_payload(role: Role) -> dict:
    data: dict = {
        "id": str(role.id),
        "name": role.name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": role.position,
        "permissions": str(role.permissions),
        "managed": role.managed_by_bot is not None,
        "mentionable": False,
        "flags": 0,
    }
    if role.managed_by_bot is not None:
        data["tags"] = {"bot_id": str(role.managed_by_bot)}
    return data


def channel_payload(channel: Channel, world: World, *, permissions: int | None = None) -> dict:
    """A channel object; with ``permissions`` it is the partial channel of interaction data."""
    if channel.type == DM_CHANNEL:
        recipient = world.user(channel.recipient_id or 0)
        data: dict = {
            "id": str(channel.id),
            "type": DM_CHANNEL,
            "last_message_id": None,
            "flags": 0,
            "recipients": [user_payload(recipient)] if recipient else [],
        }
    else:
        data = {
            "id": str(channel.id),
            "type": channel.type,
            "guild_id": str(channel.guild_id),
            "name": channel.name,
            "position": channel.position,
            "permission_overwrites": _overwrites(channel, world),
            "topic": None,
            "nsfw": False,
            "parent_id": str(channel.parent_id) if channel.parent_id is not None else None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }
    if channel.is_thread:
        data.pop("permission_overwrites")
        data.update(
            owner_id=str(OWNER_ID),
            message_count=0,
            member_count=1,
            total_message_sent=0,
            thread_metadata={
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": iso_time(channel.id),
                "locked": False,
                "create_timestamp": iso_time(channel.id),
            },
        )
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def _overwrites(channel: Channel, world: World) -> list[dict]:
    denied = world.bot_denied.get(channel.id, 0)
    return [{"id": str(world.bot.id), "type": 1, "allow": "0", "deny": str(denied)}] if denied else []


def member_payload(guild: Guild, member: Member, *, with_user: bool = True, permissions: bool = False) -> dict:
    """A guild member; interaction payloads add resolved ``permissions`` as a string."""
    data: dict = {
        "roles": [str(r) for r in member.role_ids],
        "nick": None,
        "avatar": None,
        "joined_at": JOINED_AT,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }
    if with_user:
        data["user"] = user_payload(member.user)
    if permissions:
        data["permissions"] = str(guild.permissions_of(member.user.id))
    return data


def guild_payload(guild: Guild, world: World) -> dict:
    """Full GUILD_CREATE data; member_count equals the members sent so the client never chunks."""
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "owner_id": str(guild.owner_id),
        "unavailable": False,
        "large": False,
        "member_count": len(guild.members),
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "features": [],
        "system_channel_id": None,
        "joined_at": JOINED_AT,
        "roles": [role_payload(r) for r in guild.roles],
        "emojis": [],
        "stickers": [],
        "channels": [channel_payload(c, world) for c in guild.channels],
        # Discord lists the active threads the bot can see, so it knows them after a reconnect.
        "threads": [channel_payload(t, world) for t in world.threads_of(guild.id)],
        "members": [member_payload(guild, m) for m in guild.members],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def application_payload(world: World) -> dict:
    """GET /oauth2/applications/@me, with every key discord.py's AppInfo indexes."""
    owner = world.user(OWNER_ID)
    return {
        "id": str(APPLICATION_ID),
        "name": world.application_name,
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": user_payload(owner) if owner else None,
        "verify_key": "0" * 64,
        "flags": 0,
        "bot": user_payload(world.bot),
        "summary": "",
        "team": None,
    }
