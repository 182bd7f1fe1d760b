"""The timeline's front end, one job a module: `draw` (the PNG), `text` (its words and the
terminal's list), `save` (the file, whole or not at all) and `command` (`factbot timeline`).
What goes on a timeline is decided in bot.answer.timeline; Discord's pages are in
bot.discord.timelineview."""
