"""A loopback fake of Discord's REST API and gateway for end-to-end tests of a real discord.py bot.

Typical use (the ``fake_discord`` fixture comes from ``bot.testing.fakediscord.plugin``)::

    async def test_ask(fake_discord):
        async with run_client(MyBot(guild_ready_timeout=0.05), fake_discord) as bot:
            ix = await fake_discord.slash("ask", {"question": "Is the sky blue?"})
            reply = await fake_discord.reply(ix)          # waits (5 s default) for a visible answer
            assert "blue" in reply.content and not reply.ephemeral
            asked = await fake_discord.send_message("hi", mention_bot=True)
            answer = await fake_discord.reply_to(asked)   # the bot's next message in that channel
            assert not fake_discord.pings(answer)
            fake_discord.assert_no_errors()               # Discord refused nothing

Real conditions on demand: ``await fake.deny_bot(channel_id, world.EMBED_LINKS)`` (a channel
overwrite; embeds there get 403 50013 Missing Permissions, interaction responses may still embed),
``fake.rate_limit(3)`` (every third request after login gets 429 with ``retry_after`` and the
X-RateLimit headers; ``fake.rate_limited`` lists them), ``fake.interaction_deadline = 0`` (every
interaction has expired: 10062), ``await fake.delete_message(msg)`` (replies to it then fail).
``await fake.remove_bot(guild_id)`` (the bot is removed from a guild: GUILD_DELETE, then 403 50001
Missing Access for anything there).
``await fake.create_thread(parent_id)`` (a thread the bot's cache does not know, as an older one,
until it reconnects: GUILD_CREATE lists every thread; ``announce=True`` sends THREAD_CREATE),
``await fake.start_thread(message)`` (a thread started from a message: the same id),
``await fake.create_forum()`` then ``create_thread(forum.id)`` (a forum post).
``await fake.edit_message(msg, content)`` (its author edits it: MESSAGE_UPDATE).
Sharding as Discord does it: clients that IDENTIFY with ``shard: [id, count]`` (discord.py's
``AutoShardedClient``) each get only their guilds' events, by ``(guild_id >> 22) % count``, and DMs
go to shard 0; ``FakeDiscord(world.build_world(extra_guilds=n))`` has more guilds to spread,
``fake.recommended_shards`` is what ``GET /gateway/bot`` answers.

Fixed ids live in :mod:`bot.testing.fakediscord.world` (``GUILD_ID``, ``QUESTIONS_CHANNEL_ID``,
``MODERATOR_ID``, ``MEMBER_ID``, ...).
"""

from . import world
from .client import run_client
from .limits import DiscordError, FieldError
from .records import Attachment, ErrorRecord, InteractionLog, Message, Pings, Reply, RequestRecord, SyncCall
from .server import FakeDiscord

__all__ = [
    "Attachment",
    "DiscordError",
    "ErrorRecord",
    "FakeDiscord",
    "FieldError",
    "InteractionLog",
    "Message",
    "Pings",
    "Reply",
    "RequestRecord",
    "SyncCall",
    "run_client",
    "world",
]
