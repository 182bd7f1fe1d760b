"""Things a test makes "users" do: send messages, run slash/context-menu commands, click, submit modals.

Each drive builds the gateway event Discord would send and dispatches it to the connected bot.
Option types come from the definitions the bot synced to the fake, else from the attached
client's command tree (what it would sync), else from the Python type of each value.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import discord

from . import limits as lim
from . import records as rec
from . import world as w

if TYPE_CHECKING:
    from .gateway import Gateway

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
SELECT_TYPES = (3, 5, 6, 7, 8)
# Application command option types.
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN = 1, 2, 3, 4, 5
USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 6, 7, 8, 9, 10, 11


class Drives:
    """Mixin for FakeDiscord: the drive methods tests call."""

    world: w.World
    gateway: Gateway
    client: discord.Client | None
    interactions: dict[int, rec.InteractionLog]
    _by_token: dict[str, rec.InteractionLog]
    _commands: dict[int | None, dict[tuple[int, str], dict[str, Any]]]
    _command_ids: dict[tuple[int | None, int, str], int]

    if TYPE_CHECKING:

        def new_id(self) -> int: ...
        def notify(self) -> None: ...
        def message(self, message_id: int) -> rec.Message | None: ...
        def message_event(self, intents: int, msg: rec.Message) -> dict[str, Any] | None: ...
        def new_message(self, channel: w.Channel, author: w.User, **fields: Any) -> rec.Message: ...
        def message_payload(self, msg: rec.Message, *, gateway: bool = False) -> dict[str, Any]: ...

    # ---- messages ----

    async def send_message(
        self,
        content: str = "",
        *,
        channel_id: int = w.QUESTIONS_CHANNEL_ID,
        author_id: int = w.MEMBER_ID,
        mention_bot: bool = False,
        attachments: Sequence[rec.Attachment] = (),
        reply_to: rec.Message | None = None,
        embeds: Sequence[dict[str, Any]] = (),
    ) -> rec.Message:
        """A user posts a message (MESSAGE_CREATE); ``mention_bot`` prefixes ``<@bot>``."""
        channel, author = self._channel(channel_id), self._user(author_id)
        self._member_or_recipient(channel, author.id)
        if mention_bot:
            content = f"<@{w.BOT_ID}> {content}".rstrip()
        msg = self.new_message(
            channel,
            author,
            content=content,
            embeds=list(embeds),
            attachments=list(attachments),
            reference_id=reply_to.id if reply_to else None,
            type=19 if reply_to else 0,
        )
        await self._dispatch("MESSAGE_CREATE", lambda intents: self.message_event(intents, msg))
        return msg

    async def edit_message(self, message: rec.Message, content: str) -> rec.Message:
        """Its author edits ``message`` (a user's) to ``content``: MESSAGE_UPDATE with the whole
        message and its ``edited_timestamp``, seen as MESSAGE_CREATE is (content only where the
        bot may read it)."""
        live = self.message(message.id)
        if live is None or live.deleted or live.by_bot:
            raise ValueError(f"message {message.id} is not a user's message that exists")
        live.content = content
        live.edits += 1
        live.edited_timestamp = w.iso_time(self.new_id())
        await self._dispatch("MESSAGE_UPDATE", lambda intents: self.message_event(intents, live))
        return live

    async def create_thread(
        self, parent_id: int = w.GENERAL_CHANNEL_ID, name: str = "a thread", *, announce: bool = False
    ) -> w.Channel:
        """A public thread in ``parent_id`` (a post, when the parent is a forum from create_forum).
        Unannounced (the default), the bot's cache does not know it, as with an older thread it never
        saw created or a forum post from before it joined; ``announce`` sends THREAD_CREATE."""
        parent = self._channel(parent_id)
        if parent.guild_id is None or parent.is_thread:
            raise ValueError(f"{parent_id} cannot hold threads")
        thread = w.Channel(self.new_id(), name, parent.guild_id, type=w.PUBLIC_THREAD, parent_id=parent.id)
        await self._add_thread(thread, announce)
        return thread

    async def start_thread(self, message: rec.Message, name: str = "a thread", *, announce: bool = False) -> w.Channel:
        """A user starts a public thread from ``message`` (Discord: POST
        /channels/{channel}/messages/{message}/threads): the thread's id is the message's, its parent
        the message's channel, and the message gets the HAS_THREAD flag. ``announce`` as in create_thread."""
        live = self.message(message.id)
        if live is None or live.deleted or live.ephemeral:
            raise ValueError(f"message {message.id} does not exist (any more)")
        parent = self._channel(live.channel_id)
        if parent.guild_id is None or parent.is_thread or parent.type != w.TEXT_CHANNEL:
            raise ValueError(f"message {message.id} is in a channel whose messages cannot start threads")
        if live.flags & lim.HAS_THREAD:
            raise ValueError(f"message {message.id} already started a thread (Discord: 160004)")
        live.flags |= lim.HAS_THREAD
        thread = w.Channel(live.id, name, parent.guild_id, type=w.PUBLIC_THREAD, parent_id=parent.id)
        await self._add_thread(thread, announce)
        return thread

    async def _add_thread(self, thread: w.Channel, announce: bool) -> None:
        self.world.add_channel(thread)
        if announce:
            payload = {**w.channel_payload(thread, self.world), "newly_created": True}
            await self._dispatch("THREAD_CREATE", lambda _intents: payload)

    async def create_forum(self, guild_id: int = w.GUILD_ID, name: str = "forum") -> w.Channel:
        """A forum channel, announced with CHANNEL_CREATE (its posts: create_thread(forum.id))."""
        forum = w.Channel(self.new_id(), name, guild_id, type=w.FORUM_CHANNEL, position=10)
        self.world.add_channel(forum)
        await self._dispatch("CHANNEL_CREATE", lambda _intents: w.channel_payload(forum, self.world))
        return forum

    async def delete_message(self, message: rec.Message) -> None:
        """Its author (or a moderator) deletes ``message`` (MESSAGE_DELETE); replies to it then fail."""
        live = self.message(message.id)
        if live is None or live.deleted:
            raise ValueError(f"message {message.id} does not exist (any more)")
        live.deleted = True
        data = {"id": str(live.id), "channel_id": str(live.channel_id)}
        if live.guild_id is not None:
            data["guild_id"] = str(live.guild_id)
        await self._dispatch("MESSAGE_DELETE", lambda _intents: data)

    # ---- application commands ----

    async def slash(
        self,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        user_id: int = w.MEMBER_ID,
        channel_id: int = w.QUESTIONS_CHANNEL_ID,
    ) -> rec.InteractionLog:
        """Run ``/command`` ("sources add" for subcommands) with ``options`` by name."""
        channel = self._channel(channel_id)
        data = self._chat_input_data(command, dict(options or {}), channel, user_id, focused=None)
        return await self._interact(rec.APPLICATION_COMMAND, data, command, user_id, channel)

    async def autocomplete(
        self,
        command: str,
        focused: str,
        options: Mapping[str, Any] | None = None,
        *,
        user_id: int = w.MEMBER_ID,
        channel_id: int = w.QUESTIONS_CHANNEL_ID,
    ) -> rec.InteractionLog:
        """The user is typing into option ``focused``; its text is ``options[focused]`` (default "")."""
        values = dict(options or {})
        values.setdefault(focused, "")
        channel = self._channel(channel_id)
        data = self._chat_input_data(command, values, channel, user_id, focused=focused)
        return await self._interact(rec.AUTOCOMPLETE, data, command, user_id, channel)

    async def message_command(
        self, name: str, target: rec.Message, *, user_id: int = w.MEMBER_ID
    ) -> rec.InteractionLog:
        """Right-click ``target`` > Apps > ``name`` (a message context-menu command)."""
        channel = self._channel(target.channel_id)
        data = self._context_menu_data(name, 3, channel, target.id)
        data["resolved"] = {"messages": {str(target.id): self.message_payload(target)}}
        return await self._interact(rec.APPLICATION_COMMAND, data, name, user_id, channel)

    async def user_command(
        self,
        name: str,
        target_id: int,
        *,
        user_id: int = w.MEMBER_ID,
        channel_id: int = w.QUESTIONS_CHANNEL_ID,
    ) -> rec.InteractionLog:
        """Right-click a user > Apps > ``name`` (a user context-menu command)."""
        channel = self._channel(channel_id)
        data = self._context_menu_data(name, 2, channel, target_id)
        resolved: dict[str, dict[str, Any]] = {}
        self._resolve_user(self._user(target_id), channel, resolved)
        data["resolved"] = resolved
        return await self._interact(rec.APPLICATION_COMMAND, data, name, user_id, channel)

    # ---- components and modals ----

    async def click(
        self,
        message: rec.Message | rec.Reply,
        custom_id: str,
        *,
        user_id: int = w.MEMBER_ID,
        values: Sequence[str] | None = None,
    ) -> rec.InteractionLog:
        """Click a button (or pick ``values`` in a select) on a message the bot sent."""
        snapshot = message.message if isinstance(message, rec.Reply) else message
        live = self.message(snapshot.id) if snapshot is not None else None
        if live is None or live.deleted:
            raise ValueError("that message does not exist (any more)")
        comp = live.component(custom_id)
        if comp is None:
            raise ValueError(f"no component {custom_id!r} on message {live.id}; it has {live.custom_ids()}")
        if comp.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled; Discord would not send the click")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": comp["type"]}
        if comp["type"] in SELECT_TYPES:
            picked = list(values or [])
            allowed = {o.get("value") for o in comp.get("options") or []}
            if comp["type"] == 3 and not set(picked) <= allowed:
                raise ValueError(f"values {picked} not among the select's options {sorted(map(str, allowed))}")
            data["values"] = picked
        elif values:
            raise ValueError("values only apply to select menus")
        channel = self._channel(live.channel_id)
        return await self._interact(rec.MESSAGE_COMPONENT, data, custom_id, user_id, channel, source=live)

    async def submit_modal(
        self,
        opened_by: rec.InteractionLog | rec.Reply,
        values: Mapping[str, str | Sequence[str]],
        *,
        user_id: int | None = None,
    ) -> rec.InteractionLog:
        """Fill in and submit the modal the bot answered ``opened_by`` with (text by custom_id)."""
        log = self.interactions[opened_by.id if isinstance(opened_by, rec.InteractionLog) else opened_by.interaction_id]
        modal = log.modal
        if modal is None:
            raise ValueError("the bot did not answer that interaction with a modal")
        used: set[str] = set()
        components: list[dict[str, Any]] = []
        for top in modal.get("components") or []:
            if top.get("type") == 18:
                components.append({"type": 18, "component": self._submitted(top.get("component") or {}, values, used)})
            elif top.get("type") == 1:
                row = [self._submitted(c, values, used) for c in top.get("components") or []]
                components.append({"type": 1, "components": row})
        unknown = set(values) - used
        if unknown:
            raise ValueError(f"the modal has no inputs {sorted(unknown)}")
        data = {"custom_id": modal["custom_id"], "components": components}
        channel = self._channel(log.channel_id)
        source = self.message(log.source_message_id or 0)
        uid = log.user_id if user_id is None else user_id
        return await self._interact(rec.MODAL_SUBMIT, data, modal["custom_id"], uid, channel, source=source)

    @staticmethod
    def _submitted(comp: dict[str, Any], values: Mapping[str, Any], used: set[str]) -> dict[str, Any]:
        cid = comp.get("custom_id")
        out: dict[str, Any] = {"type": comp.get("type")}
        if comp.get("id") is not None:
            out["id"] = comp["id"]
        if cid is None:
            return out
        out["custom_id"] = cid
        if cid in values:
            used.add(cid)
        if comp.get("type") == 4:
            text = str(values.get(cid, comp.get("value") or ""))
            if comp.get("required", True) and not text:
                raise ValueError(f"text input {cid!r} is required")
            if len(text) > int(comp.get("max_length") or 4000) or len(text) < int(comp.get("min_length") or 0):
                raise ValueError(f"text input {cid!r}: length {len(text)} outside the allowed range")
            out["value"] = text
        else:
            raw = values.get(cid, [])
            out["values"] = [raw] if isinstance(raw, str) else list(raw)
        return out

    # ---- building blocks ----

    async def _dispatch(self, event: str, make: Any) -> None:
        if not await self.gateway.dispatch(event, make) and not self.gateway.identified:
            raise RuntimeError("no bot is connected to the fake gateway (is it running? did it identify?)")
        self.notify()

    async def _interact(
        self,
        itype: int,
        data: dict[str, Any],
        name: str,
        user_id: int,
        channel: w.Channel,
        *,
        source: rec.Message | None = None,
    ) -> rec.InteractionLog:
        user = self._user(user_id)
        guild = self.world.guild(channel.guild_id)
        member = self._member_or_recipient(channel, user.id)
        iid = self.new_id()
        token = f"fake-interaction-token-{iid}"
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(w.APPLICATION_ID),
            "type": itype,
            "token": token,
            "version": 1,
            "data": data,
            "channel_id": str(channel.id),
            "locale": "en-US",
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "entitlements": [],
        }
        if guild is not None and member is not None:
            perms = guild.permissions_of(user.id)
            payload.update(
                guild_id=str(guild.id),
                guild_locale="en-US",
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                member=w.member_payload(guild, member, permissions=True),
                channel=w.channel_payload(channel, self.world, permissions=perms),
                # Discord's rule: an app may always embed and attach in its interaction responses.
                app_permissions=str(self.world.bot_permissions(channel) | w.EMBED_LINKS | w.ATTACH_FILES),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(
                user=w.user_payload(user),
                channel=w.channel_payload(channel, self.world, permissions=w.DM_APP_PERMISSIONS),
                app_permissions=str(w.DM_APP_PERMISSIONS),
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        if source is not None:
            payload["message"] = self.message_payload(source)
        log = rec.InteractionLog(
            id=iid,
            token=token,
            type=itype,
            name=name,
            user_id=user.id,
            channel_id=channel.id,
            guild_id=channel.guild_id,
            payload=payload,
            dispatched_at=time.monotonic(),
            source_message_id=source.id if source else None,
        )
        self.interactions[iid] = log
        self._by_token[token] = log
        await self._dispatch("INTERACTION_CREATE", lambda _intents: payload)
        return log

    def command_definition(
        self, name: str, ctype: int, guild_id: int | None
    ) -> tuple[dict[str, Any] | None, int | None]:
        """(definition, guild it is registered in or None for global): synced first, then the client's tree."""
        scopes = ([guild_id] if guild_id is not None else []) + [None]
        for scope in scopes:
            found = self._commands.get(scope, {}).get((ctype, name))
            if found is not None:
                return found, scope
        tree = getattr(self.client, "tree", None)
        if not isinstance(tree, discord.app_commands.CommandTree):
            return None, None
        kind = discord.AppCommandType(ctype)
        for scope in scopes:
            guild = discord.Object(scope) if scope is not None else None
            cmd = tree.get_command(name, guild=guild, type=kind)
            if cmd is not None:
                definition = cmd.to_dict(tree)
                key = (scope, ctype, name)
                definition["id"] = str(self._command_ids.setdefault(key, self.new_id()))
                return definition, scope
        return None, None

    def _context_menu_data(self, name: str, ctype: int, channel: w.Channel, target_id: int) -> dict[str, Any]:
        definition, scope = self.command_definition(name, ctype, channel.guild_id)
        data: dict[str, Any] = {"name": name, "type": ctype, "target_id": str(target_id)}
        data["id"] = definition["id"] if definition else str(self.new_id())
        if scope is not None:
            data["guild_id"] = str(scope)
        return data

    def _chat_input_data(
        self, command: str, values: dict[str, Any], channel: w.Channel, user_id: int, focused: str | None
    ) -> dict[str, Any]:
        root, *path = command.split()
        definition, scope = self.command_definition(root, 1, channel.guild_id)
        leaf_defs: list[dict[str, Any]] | None = None
        path_types = [SUB_COMMAND_GROUP, SUB_COMMAND] if len(path) == 2 else [SUB_COMMAND] * len(path)
        if definition is not None:
            node, path_types = definition, []
            for part in path:
                sub = next((o for o in node.get("options") or [] if o.get("name") == part), None)
                if sub is None or int(sub["type"]) not in (SUB_COMMAND, SUB_COMMAND_GROUP):
                    raise ValueError(f"/{root} has no subcommand or group {part!r}")
                node = sub
                path_types.append(int(sub["type"]))
            leaf_defs = list(node.get("options") or [])
            if any(int(o.get("type") or 0) in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in leaf_defs):
                raise ValueError(f"/{command} is a group; name a subcommand")
        resolved: dict[str, dict[str, Any]] = {}
        channel_perms = self._perms(channel, user_id)
        options = [
            self._option(name, value, leaf_defs, channel, channel_perms, resolved, focused == name)
            for name, value in values.items()
        ]
        if leaf_defs is not None and focused is None:
            missing = [o["name"] for o in leaf_defs if o.get("required") and o["name"] not in values]
            if missing:
                raise ValueError(f"/{command} needs options {missing}")
        for part, ptype in reversed(list(zip(path, path_types, strict=True))):
            options = [{"type": ptype, "name": part, "options": options}]
        data: dict[str, Any] = {"name": root, "type": 1, "options": options}
        key = (scope, 1, root)
        data["id"] = definition["id"] if definition else str(self._command_ids.setdefault(key, self.new_id()))
        if resolved:
            data["resolved"] = resolved
        if scope is not None:
            data["guild_id"] = str(scope)
        return data

    def _option(
        self,
        name: str,
        value: Any,
        defs: list[dict[str, Any]] | None,
        channel: w.Channel,
        channel_perms: int,
        resolved: dict[str, dict[str, Any]],
        focused: bool,
    ) -> dict[str, Any]:
        spec = None
        if defs is not None:
            spec = next((o for o in defs if o.get("name") == name), None)
            if spec is None:
                raise ValueError(f"no option {name!r}; the command has {[o.get('name') for o in defs]}")
        otype = int(spec["type"]) if spec else _infer_type(value)
        option: dict[str, Any] = {"name": name, "type": otype}
        if focused:
            # Discord sends whatever the user has typed so far, unconverted.
            return {**option, "value": value, "focused": True}
        option["value"] = self._option_value(otype, value, channel, channel_perms, resolved)
        choices = (spec or {}).get("choices")
        if choices and option["value"] not in [c.get("value") for c in choices]:
            raise ValueError(f"{name}={value!r} is not one of the choices {[c.get('value') for c in choices]}")
        return option

    def _option_value(
        self, otype: int, value: Any, channel: w.Channel, channel_perms: int, resolved: dict[str, dict[str, Any]]
    ) -> Any:
        if otype == STRING:
            return str(value)
        if otype == INTEGER:
            return int(value)
        if otype == BOOLEAN:
            return bool(value)
        if otype == NUMBER:
            return float(value)
        if otype == ATTACHMENT:
            if not isinstance(value, rec.Attachment):
                raise TypeError("attachment options take an Attachment from fake.add_attachment()")
            resolved.setdefault("attachments", {})[str(value.id)] = value.payload()
            return str(value.id)
        target_id = _snowflake_of(value)
        role = self.world.find_role(target_id)
        if otype == ROLE or (otype == MENTIONABLE and role is not None):
            if role is None:
                raise ValueError(f"unknown role {target_id}")
            resolved.setdefault("roles", {})[str(target_id)] = w.role_payload(role[1])
        elif otype in (USER, MENTIONABLE):
            self._resolve_user(self._user(target_id), channel, resolved)
        elif otype == CHANNEL:
            target = self._channel(target_id)
            resolved.setdefault("channels", {})[str(target_id)] = w.channel_payload(
                target, self.world, permissions=channel_perms
            )
        else:
            raise ValueError(f"unsupported option type {otype}")
        return str(target_id)

    def _resolve_user(self, user: w.User, channel: w.Channel, resolved: dict[str, dict[str, Any]]) -> None:
        resolved.setdefault("users", {})[str(user.id)] = w.user_payload(user)
        guild = self.world.guild(channel.guild_id)
        member = guild.member(user.id) if guild else None
        if guild is not None and member is not None:
            resolved.setdefault("members", {})[str(user.id)] = w.member_payload(
                guild, member, with_user=False, permissions=True
            )

    def _perms(self, channel: w.Channel, user_id: int) -> int:
        guild = self.world.guild(channel.guild_id)
        return guild.permissions_of(user_id) if guild else w.DM_APP_PERMISSIONS

    def _channel(self, channel_id: int) -> w.Channel:
        channel = self.world.channel(channel_id)
        if channel is None:
            raise ValueError(f"unknown channel {channel_id}")
        return channel

    def _user(self, user_id: int) -> w.User:
        user = self.world.user(user_id)
        if user is None:
            raise ValueError(f"unknown user {user_id}")
        return user

    def _member_or_recipient(self, channel: w.Channel, user_id: int) -> w.Member | None:
        """The member for guild channels; checks the user may act there at all."""
        guild = self.world.guild(channel.guild_id)
        if guild is None:
            if channel.recipient_id != user_id:
                raise ValueError(f"user {user_id} is not in DM channel {channel.id}")
            return None
        member = guild.member(user_id)
        if member is None:
            raise ValueError(f"user {user_id} is not a member of guild {guild.id}")
        return member


def _snowflake_of(value: Any) -> int:
    if isinstance(value, w.Member):
        return value.user.id
    if isinstance(value, w.User | w.Channel | w.Role):
        return value.id
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"expected an id or a world object, got {value!r}")


def _infer_type(value: Any) -> int:
    """Option type from a Python value, for commands the fake has no definition of."""
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if isinstance(value, w.User | w.Member):
        return USER
    if isinstance(value, w.Channel):
        return CHANNEL
    if isinstance(value, w.Role):
        return ROLE
    if isinstance(value, rec.Attachment):
        return ATTACHMENT
    raise TypeError(f"cannot infer an option type for {value!r}; sync the command or attach the client")
