"""Test helpers the tests and the benchmarks share: the fake Discord (``bot.testing.fakediscord``).

Shipped inside the package as Red-DiscordBot ships ``redbot.pytest``, so that ``benchmarks`` (above
``bot`` in the layers) can import it without importing ``tests``. Nothing the bot runs imports it:
an import-linter contract in pyproject.toml says so.
"""
