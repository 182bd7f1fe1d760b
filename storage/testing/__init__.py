"""Test helpers the tests and the benchmarks share: a throw-away PostgreSQL server (``pgserver``),
PgBouncer in front of it (``pgbouncer``), a proxy that can cut it off (``pgproxy``) and small
hand-built PDFs (``pdfmaker``).

Shipped inside the package so that ``benchmarks`` can import them without importing ``tests``;
nothing the bot runs imports them (an import-linter contract in pyproject.toml says so).
"""
