"""Paragraph and sentence segmentation with character offsets into the stored text.

Offsets, not copies: every quote is `text[start:end]` of the stored body, so it is verbatim by
construction. (Placeholder implementation; see tests/test_segment.py for the cases it must pass.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Paragraph:
    start: int
    end: int
    sentences: tuple[Span, ...]


_PARAGRAPH_BREAK = re.compile(r"\n[ \t\u00a0]*\n\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)]*\s+(?=[\"'\u201c\u2018(]?[A-Z0-9])")


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _sentences(text: str, start: int, end: int) -> tuple[Span, ...]:
    spans = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        s, e = _strip(text, cursor, match.start())
        if e > s:
            spans.append(Span(s, e))
        cursor = match.end()
    s, e = _strip(text, cursor, end)
    if e > s:
        spans.append(Span(s, e))
    return tuple(spans)


def segment(text: str) -> list[Paragraph]:
    """Split text into paragraphs (blank-line separated) and each paragraph into sentences."""
    paragraphs = []
    cursor = 0
    for match in [*_PARAGRAPH_BREAK.finditer(text), None]:
        stop = match.start() if match else len(text)
        s, e = _strip(text, cursor, stop)
        if e > s:
            sentences = _sentences(text, s, e)
            if sentences:
                paragraphs.append(Paragraph(s, e, sentences))
        if match:
            cursor = match.end()
    return paragraphs
