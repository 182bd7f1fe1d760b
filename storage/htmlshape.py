"""HTML that trafilatura cannot take as it is: nesting too deep to parse, pages too big for its fallback.

libxml2's HTML parser (under lxml, under trafilatura) stops descending at 256 levels and drops
everything deeper, so a page of 300 nested <div> around its text "has no article text". A page
nested that deep is flattened first: beyond MAX_DEPTH levels its wrapper tags are dropped and
their text kept (paragraph, heading, list-item and line-break tags stay), which the standard
library's tokenizer does at any depth.

trafilatura also compares its own extraction with readability's and justext's, and that
comparison grows faster than the page: an XPath over every paragraph of the result (measured at
1.0 s for 43,000 <p> in 0.6 MB of HTML, 5.7 s for twice that). Pages over FALLBACK_MAX_CHARS are
extracted without it (`fast`): a page that big is not the navigation scrap the fallback rescues.
"""

from __future__ import annotations

from html.parser import HTMLParser

# libxml2's HTML parser keeps this many levels and drops what lies deeper.
PARSER_DEPTH = 256
# Levels a flattened page keeps, well inside PARSER_DEPTH (trafilatura also recurses per level).
MAX_DEPTH = 200
# Characters of HTML above which trafilatura's fallback extractors are skipped (see above).
FALLBACK_MAX_CHARS = 256_000
# Tags that stay at any depth: they carry the paragraph structure, and do not nest in practice.
_KEPT = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "br", "blockquote", "pre"})
# Tags that never have an end tag, so never deepen the tree.
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)


def max_depth_reached(markup: str) -> bool:
    """Whether lxml's parse of `markup` comes near the depth where libxml2 stops (content may be lost)."""
    import lxml.html  # type: ignore[import-untyped]  # lxml ships no stubs

    try:
        root = lxml.html.document_fromstring(markup)
    except (ValueError, lxml.etree.ParserError):
        return False
    depth = {root: 0}
    deepest = 0
    for element in root.iter():
        level = depth.pop(element, 0)
        deepest = max(deepest, level)
        for child in element:
            depth[child] = level + 1
    return deepest >= PARSER_DEPTH - 8


class _Flattener(HTMLParser):
    """Re-emits markup as it came, leaving out start and end tags below MAX_DEPTH (but _KEPT)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.open: list[tuple[str, bool]] = []  # each open tag, and whether it was emitted

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        emit = tag in _KEPT or len(self.open) < MAX_DEPTH
        if emit:
            self.out.append(self.get_starttag_text() or "")
        if tag not in _VOID and tag not in _KEPT:
            self.open.append((tag, emit))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _KEPT or len(self.open) < MAX_DEPTH:
            self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in _KEPT:
            self.out.append(f"</{tag}>")
            return
        if not any(name == tag for name, _ in self.open[-64:]):
            return  # a stray end tag: nothing of ours to close
        while self.open:  # close it, and whatever was left open inside it
            name, emitted = self.open.pop()
            if emitted:
                self.out.append(f"</{name}>")
            if name == tag:
                return

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")


def flatten(markup: str) -> str:
    """`markup` with its nesting cut to MAX_DEPTH levels; its text and paragraphs kept."""
    parser = _Flattener()
    parser.feed(markup)
    parser.close()
    return "".join(parser.out)
