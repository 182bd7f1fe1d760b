"""Limits on what may become a source, and how a size is written in a message (one home each)."""

from __future__ import annotations

# The most bytes a document may have: a file, an upload, a pasted text or a fetched page. The text
# read out of a PDF is held to it too (compressed, a PDF of 5 MB can hold several times that).
MAX_DOCUMENT_BYTES = 5_000_000
# The most pages a PDF may have: counted when it is opened, before any page is read.
MAX_PDF_PAGES = 2_000
# How long reading one PDF may take (in a child process, storage.pdf), and the address space the
# child may use: a PDF built to make the parser loop or swell is stopped and refused.
PDF_SECONDS = 30
PDF_MEMORY_BYTES = 2 * 1024**3


def size_text(n: int) -> str:
    """A byte count for a message: "6.2 MB", "10 kB", "512 bytes"."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}".removesuffix(".0") + " MB"
    if n >= 1_000:
        return f"{n / 1_000:.1f}".removesuffix(".0") + " kB"
    return f"{n} bytes"


def too_large(name: str, size: int) -> str:
    """What is said of a named file over MAX_DOCUMENT_BYTES (before it is read)."""
    return f"{name} is too large ({size:,} bytes; at most {MAX_DOCUMENT_BYTES:,})."
