"""Feedback on answers: two persistent buttons on every answer, the form behind the second, the vote.

"Helpful" records a vote at once; "Wrong or missing" opens a short form (what was wrong: a wrong
quote, a source missing, it should have said nothing; an optional comment). One vote per user per
answer, changeable (storage.feedback). Like the page buttons, these are `DynamicItem`s whose custom
ids say everything needed, so they work on any answer after a restart: the question is read back
from the answer's first line and the answer asked again, and the vote keeps that answer's JSON
with the library's version. Every reply is ephemeral; nothing pings or sends a DM.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot import __version__
from bot.discord import errors
from bot.discord.asking import scope_of
from bot.discord.render import question_shown
from storage.backends.base import Library
from storage.errors import FactbotError
from storage.feedback import HELPFUL, KINDS, MAX_COMMENT, WRONG_KINDS, Vote
from storage.models import GLOBAL_SCOPE

if TYPE_CHECKING:
    from bot.discord.client import FactBot

log = logging.getLogger(__name__)

_PREFIX = "factbot:vote"
HELPFUL_BUTTON, WRONG_BUTTON = "h", "w"
TEMPLATE = re.compile(_PREFIX + r":(?P<action>[hw])")
FORM_ID = "factbot:vote-form"
HELPFUL_LABEL = "Helpful"
WRONG_LABEL = "Wrong or missing"
FEEDBACK_ROW = 1  # below the page buttons
NO_QUESTION = "I can no longer tell which question this answer was for, so I can't record a vote on it."
RECORDED = "Thanks, recorded: {label}."
CHANGED = "Changed your vote to: {label}."


async def library_version(library: Library, scope: int) -> str:
    """What the answer was computed against: factbot's version and a fingerprint of the sources the
    server sees (their content hashes), so a vote can be matched with the library that earned it."""
    keys = sorted(f"{s}:{sha}" for s, sha in await library.content_keys() if s in (GLOBAL_SCOPE, scope))
    digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:12]
    return f"factbot {__version__}; {len(keys)} sources {digest}"


def feedback_buttons() -> list[discord.ui.Item[Any]]:
    """The two buttons every answer carries."""
    return [VoteButton(HELPFUL_BUTTON), VoteButton(WRONG_BUTTON)]


async def record_vote(
    interaction: discord.Interaction[FactBot], answer: discord.Message, kind: str, comment: str | None = None
) -> None:
    """Store the user's vote on `answer` (after the interaction was acknowledged) and say so, privately."""
    question = question_shown(answer.content)
    if question is None:
        raise FactbotError(NO_QUESTION)
    bot = interaction.client
    scope = scope_of(interaction.guild_id)
    answered = await bot.engine.ask(question, scope=scope)
    vote = Vote(
        scope=scope,
        answer_id=answer.id,
        user_id=interaction.user.id,
        kind=kind,
        question=question,
        answer=answered.to_json(),
        library_version=await library_version(bot.library, scope),
        comment=comment,
    )
    new = await bot.library.record_feedback(vote)
    log.info("Vote %s on answer %s in scope %s (%s)", kind, answer.id, scope, "new" if new else "changed")
    await interaction.followup.send((RECORDED if new else CHANGED).format(label=KINDS[kind]), ephemeral=True)


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
    """ "Helpful" or "Wrong or missing", on any answer, whenever it was sent."""

    def __init__(self, action: str) -> None:
        helpful = action == HELPFUL_BUTTON
        super().__init__(
            discord.ui.Button(
                label=HELPFUL_LABEL if helpful else WRONG_LABEL,
                emoji="👍" if helpful else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=f"{_PREFIX}:{action}",
                row=FEEDBACK_ROW,
            )
        )
        self.action = action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> VoteButton:
        return cls(match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """discord.py only logs what a dynamic item raises, so failures are routed here."""
        try:
            answer = interaction.message
            if answer is None:
                raise FactbotError(NO_QUESTION)
            if self.action == WRONG_BUTTON:
                await interaction.response.send_modal(WrongForm(answer))
                return
            await interaction.response.defer(ephemeral=True, thinking=True)
            await record_vote(interaction, answer, HELPFUL)
        except Exception as err:
            await errors.on_interaction_error(interaction, err)


class WrongForm(discord.ui.Modal, title="What was wrong with this answer?"):
    """What was wrong (one of the WRONG_KINDS) and an optional comment."""

    def __init__(self, answer: discord.Message) -> None:
        super().__init__(timeout=900, custom_id=FORM_ID)
        self.answer = answer
        self.what: discord.ui.Select[WrongForm] = discord.ui.Select(
            custom_id="what",
            options=[discord.SelectOption(label=KINDS[k], value=k) for k in WRONG_KINDS],
            min_values=1,
            max_values=1,
        )
        self.comment: discord.ui.TextInput[WrongForm] = discord.ui.TextInput(
            label="Comment (optional)",
            custom_id="comment",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=MAX_COMMENT,
            placeholder="What should it have quoted, or said?",
        )
        self.add_item(discord.ui.Label(text="What was wrong?", component=self.what))
        self.add_item(self.comment)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        kind = self.what.values[0] if self.what.values else ""
        if kind not in WRONG_KINDS:
            raise FactbotError("Choose what was wrong with the answer.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        await record_vote(interaction, self.answer, kind, self.comment.value or None)

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception) -> None:  # type: ignore[override]
        await errors.on_interaction_error(interaction, error)
