"""The bot's commands, one cog per concern: asking questions, and managing the library."""
