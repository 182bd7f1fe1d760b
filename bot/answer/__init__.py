"""The answer engine: question in, Answer out. Plain Python over the store; no Discord here."""

from bot.answer.engine import Engine
from bot.answer.model import Answer, Fact, Quote, SourceAnswer

__all__ = ["Answer", "Engine", "Fact", "Quote", "SourceAnswer"]
