"""The key an answer's page buttons carry, and the question a click asks again after a restart.

After a restart the bot has nothing of an answer but its message: a click asks again with the
question the page shows (its first line), if that is the question the key names. So the key is a
fingerprint of the question as shown, which is the engine's cleaned question (`Answer.question`),
never the question as typed: "hey @bot, how many ...? thanks!" shows "how many ...?", and a key
of what was typed would never match it.
"""

from __future__ import annotations

import hashlib

from bot.discord.fit import ELLIPSIS, squash
from bot.discord.render import question_shown
from storage.errors import FactbotError

TOO_LONG = "I can no longer turn these pages (the question is too long to read back from the message). Ask again."
NOT_SHOWN = "I can no longer turn these pages (the message does not show the question they were made for). Ask again."


def question_key(question: str) -> str:
    """A short fingerprint of the question, carried by the page buttons (a custom id holds 100 characters)."""
    return hashlib.blake2b(squash(question).encode(), digest_size=8).hexdigest()


def question_to_ask_again(content: str | None, key: str) -> str:
    """The question a page whose message reads `content` shows, when its buttons' `key` names it;
    else FactbotError with the reason (a question shortened to fit, or another question)."""
    shown = question_shown(content)
    if shown is not None and question_key(shown) == key:
        return shown
    if shown is not None and shown.endswith(ELLIPSIS):
        raise FactbotError(TOO_LONG)
    raise FactbotError(NOT_SHOWN)
