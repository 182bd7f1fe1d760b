"""The Discord front end: it only translates between Discord and the answer engine and library.

Modules: `client` (the bot), `runner` (the `factbot run`/`sync` entry points), `checks`, `errors`,
`cooldown`, `render` (Answer -> pages of embeds), `fit` (Discord's limits), `pages` (paging
buttons), `cogs/` (the commands). Nothing here speaks SQL or decides what to quote.
"""
