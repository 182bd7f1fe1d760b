"""Paragraph and sentence segmentation with character offsets into the stored text.

Offsets, not copies: every quote is `text[start:end]` of the stored body, so it is verbatim by
construction, and the text itself is never touched (non-breaking spaces, curly quotes and odd
spacing stay as they are).

Why a rule set of our own rather than a library: of the small pure-Python ones, syntok broke
"Lt. Brown" apart and ran "in the U.S. He likes it." together; pysbd did about as well as these
rules but returns strings (its span mode re-finds them in the text), is unmaintained since 2021
and takes ~0.1 s per 30 KB against ~1 ms here. Neither was worth a dependency for a page of
rules. The rules are the usual ones, with generic English word lists, and were compared with
pysbd's output on the SQuAD articles in benchmarks/data/squad.

Paragraphs: blocks separated by blank lines (lines holding only whitespace, NBSP included); inside a
block, Markdown headings are a paragraph of one sentence and each list item starts a paragraph of
its own. A single line break inside a paragraph is just whitespace.

Sentences: a break after `.`, `!`, `?` or an ellipsis (plus any closing quotes or brackets), when
whitespace and then a capital letter or digit follow, unless the word before the full stop is an
abbreviation that does not end sentences (titles, "e.g.", "No. 5", "Feb. 8") or one that ends them
only sometimes ("U.S.", "Inc.", initials), where the next word decides: a break only before a word
that typically opens a sentence ("He", "The", "However"...); an ellipsis, too, breaks only before
such a word, and reference marks ("[12]", "[citation needed]") stay with the sentence before them.
Sentences over MAX_SENTENCE characters
(lists without full stops) are cut at line breaks, then semicolons, then commas, so a quote stays
readable; a piece still over LONGEST_SENTENCE (a line of words without punctuation, a heading of
megabytes) is cut at whitespace, or anywhere when there is none, into pieces of at most
MAX_SENTENCE. No sentence is longer than LONGEST_SENTENCE, so no quote is huge.

Cost: linear in the text (each rule looks at a bounded window, the boundary pattern starts only
at the first of a run of stops and never backtracks into it), and a document of more than
MAX_SENTENCES sentences is refused before its spans fill memory: a 5 MB file of one-word headings
would otherwise make a million sentences to store and index.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from storage.errors import IngestError

MAX_SENTENCE = 600
LONGEST_SENTENCE = 2_000
MAX_SENTENCES = 100_000


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Paragraph:
    start: int
    end: int
    sentences: tuple[Span, ...]


# --- the rules --------------------------------------------------------------------------------


def _words(spec: str) -> frozenset[str]:
    """A word list written as one string, so the lists below stay readable."""
    return frozenset(spec.split())


# Titles and words that always lead into what follows: a full stop after them never ends a sentence.
_NEVER_FINAL = _words(
    """mr mrs ms messrs mme mlle dr prof rev fr hon rt gen lt col maj capt cpt cmdr adm brig sgt cpl
    pvt sen rep gov pres supt insp det amb atty mt ft vs v viz cf approx esp incl"""
)
# Dotted abbreviations that never end a sentence either.
_NEVER_FINAL_DOTTED = frozenset({"e.g", "i.e", "a.k.a", "n.b"})
# Abbreviations that stand before a number: "No. 5", "Feb. 8", "p. 12", "c. 1500".
_BEFORE_NUMBER = _words(
    """no nos nr vol vols art arts fig figs p pp ch chap sec para op ed eq ca c
    jan feb mar apr jun jul aug sep sept oct nov dec"""
)
# Abbreviations that may or may not end a sentence: "St." (Saint/Street), "Inc.", "Jr.", "etc.".
_SOMETIMES_FINAL = _words("st ave rd blvd inc ltd co corp llc plc bros jr sr al etc lit dept univ assn est")
# Words that commonly open a sentence and rarely continue a name, for the ambiguous cases above.
_OPENERS = _words(
    """a an the this that these those it its he she they we i you his her their our my your there
    here but and or so yet however meanwhile moreover also then thus therefore still in on at as
    after before when while if although though since because what why how who where which some
    many most all each every not one both such today yesterday now for from with by of to under
    during according despite later earlier instead finally first another other yes no nor"""
)

_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_HEADING = re.compile(r"[ \t]{0,3}#{1,6}(?:[ \t]|$)")
_BULLET = re.compile(r"[ \t]*[-*+•◦‣▪][ \t]+\S")
_NUMBERED = re.compile(r"[ \t]*\d{1,3}[.)][ \t]+\S")
_MARKER = re.compile(r"[ \t]*(?:[-*+•◦‣▪]|\d{1,3}[.)])[ \t]+")
# Closing quotes and brackets, and reference marks such as "[12]" or "[citation needed]".
# A match starts only at the first stop of a run, and the possessive quantifiers never give back
# what they took (giving back cannot help: a stop or closer is never whitespace), so a run of 100,000
# stops is read once rather than once per stop.
_BOUNDARY = re.compile(r"(?<![.!?…])(?P<term>[.!?…]++)(?P<close>(?:[\"'”’»)\]]|\[[^\[\]\n]{1,40}\])*+)\s+")
_DOTTED = re.compile(r"(?:[^\W\d_]{1,3}\.)+[^\W\d_]{1,3}")  # "U.S", "e.g", "Ph.D", "S.W.A.T"
_OPENING = "\"'“‘«([¿¡"
_CLOSING = "\"'”’»)]"
_CUTS = (re.compile(r"\n"), re.compile(r";(?=\s)"), re.compile(r",(?=\s)"))
_TO_LAST_SPACE = re.compile(r".*\s", re.S)


# --- paragraphs --------------------------------------------------------------------------------


def segment(text: str) -> list[Paragraph]:
    """Split text into paragraphs and each paragraph into sentences, all as offsets into `text`."""
    paragraphs = []
    count = 0
    for block_start, block_end in _blocks(text):
        for start, end, is_heading, body_start in _units(text, block_start, block_end):
            s, e = _strip(text, start, end)
            if e <= s:
                continue
            if is_heading:
                sentences = (Span(s, e),) if e - s <= LONGEST_SENTENCE else tuple(_readable(text, s, e))
            else:
                sentences = _sentences(text, s, e, max(s, body_start))
            count += len(sentences)
            if count > MAX_SENTENCES:
                raise IngestError(
                    f"This document has too many sentences and headings to quote from (over {MAX_SENTENCES:,})."
                )
            paragraphs.append(Paragraph(s, e, sentences))
    return paragraphs


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    """Spans between blank lines."""
    cursor = 0
    for match in _BLANK_LINE.finditer(text):
        yield cursor, match.start()
        cursor = match.end()
    yield cursor, len(text)


def _lines(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start <= end:
        stop = text.find("\n", start, end)
        if stop < 0:
            stop = end
        yield start, stop
        start = stop + 1


def _units(text: str, start: int, end: int) -> Iterator[tuple[int, int, bool, int]]:
    """Paragraphs of one block: (start, end, is_heading, where sentence breaks may begin).

    A heading line stands alone; a list item starts a new unit that runs until the next item or
    heading (Markdown's lazy continuation lines). A numbered line counts as an item only at the
    start of a block, after another item, or after a line ending in ':', so a wrapped line that
    happens to begin "1999. The..." stays part of its sentence.
    """
    unit_start, body_start, in_item, prev_line = None, start, False, ""
    for line_start, line_end in _lines(text, start, end):
        line = text[line_start:line_end]
        is_item = bool(_BULLET.match(line)) or (
            bool(_NUMBERED.match(line)) and (unit_start is None or in_item or prev_line.rstrip().endswith(":"))
        )
        if _HEADING.match(line) or is_item:
            if unit_start is not None:
                yield unit_start, line_start, False, body_start
            if _HEADING.match(line):
                yield line_start, line_end, True, line_start
                unit_start, in_item = None, False
            else:
                marker = _MARKER.match(line)
                unit_start, in_item = line_start, True
                body_start = line_start + (marker.end() if marker else 0)
        elif unit_start is None and line.strip():
            unit_start, body_start, in_item = line_start, line_start, False
        if line.strip():
            prev_line = line
    if unit_start is not None:
        yield unit_start, end, False, body_start


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# --- sentences ---------------------------------------------------------------------------------


def _sentences(text: str, start: int, end: int, scan_from: int) -> tuple[Span, ...]:
    """Sentence spans of the stripped paragraph [start, end); breaks are looked for from scan_from."""
    spans: list[Span] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, scan_from, end):
        if match.end() < end and _is_break(text, match, end):
            spans.extend(_readable(text, cursor, match.start("close") + len(match["close"])))
            cursor = match.end()
    spans.extend(_readable(text, cursor, end))
    return tuple(spans)


def _is_break(text: str, match: re.Match[str], end: int) -> bool:
    """Does the terminator in `match` end a sentence, given the words either side of it?"""
    following = _next_word(text, match.end(), end)
    if not following or not (following[0].isupper() or following[0].isdigit()):
        return False
    term = match["term"]
    if "!" in term or "?" in term:
        return True
    if term != ".":  # an ellipsis ends a sentence only before a typical opener
        omission = match["close"][:1] in (")", "]") and _char_before(text, match) in ("[", "(")
        return not omission and _opens_sentence(following)
    if match["close"]:  # 'said "Stop." Then', '(see above.) The'
        return True
    return _ends_sentence(_word_before(text, match.start()), following)


def _ends_sentence(word: str, following: str) -> bool:
    """Does a full stop after `word` end the sentence, when `following` comes next?"""
    if not word or word[-1] in _CLOSING:  # 'a "threat". The'
        return True
    lower = word.lower()
    opener = _opens_sentence(following)
    if _DOTTED.fullmatch(word):  # "e.g", "U.S", "a.m", "Ph.D"
        return lower not in _NEVER_FINAL_DOTTED and opener
    if lower in _NEVER_FINAL:
        return False
    if following[0].isdigit() and (lower in _BEFORE_NUMBER or _short_word(word)):  # "(b. 1950)"
        return False
    if lower in _SOMETIMES_FINAL or (len(word) == 1 and word.isalpha()):  # "Inc.", "J.", "of size n."
        return opener
    return True


def _short_word(word: str) -> bool:
    """Before a number, a short word that is not an acronym ("b", "Ps", "Art") is an abbreviation."""
    return len(word) <= 3 and word.isalpha() and word[1:].islower()


def _opens_sentence(word: str) -> bool:
    return word.rstrip(",;:").lower() in _OPENERS


def _word_before(text: str, stop: int) -> str:
    """The word ending at `stop`: the token after the last space, hyphen, dash or slash
    ("Trinity-St." is "St."), less any opening quotes or brackets."""
    start = stop
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "-–—/" and stop - start < 40:
        start -= 1
    return text[start:stop].lstrip(_OPENING)


def _next_word(text: str, start: int, end: int) -> str:
    """The token starting at `start`, less any opening quotes or brackets."""
    stop = start
    while stop < end and not text[stop].isspace() and stop - start < 40:
        stop += 1
    return text[start:stop].lstrip(_OPENING)


def _char_before(text: str, match: re.Match[str]) -> str:
    return text[match.start() - 1] if match.start() > 0 else ""


# --- overlong sentences ------------------------------------------------------------------------


def _readable(text: str, start: int, end: int) -> list[Span]:
    """The stripped span, cut at line breaks, then ';', then ',' while a piece is overlong; then
    any piece over LONGEST_SENTENCE at whitespace (or anywhere)."""
    start, end = _strip(text, start, end)
    pieces = [(start, end)] if end > start else []
    for cut in _CUTS:
        if all(e - s <= MAX_SENTENCE for s, e in pieces):
            break
        pieces = [p for s, e in pieces for p in _cut(text, s, e, cut)]
    if any(e - s > LONGEST_SENTENCE for s, e in pieces):
        pieces = [p for s, e in pieces for p in (_chop(text, s, e) if e - s > LONGEST_SENTENCE else [(s, e)])]
    return [Span(s, e) for s, e in pieces]


def _chop(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split [start, end) into pieces of at most MAX_SENTENCE, each ending at the last whitespace
    that keeps it within the limit, or at the limit itself when it holds no whitespace."""
    pieces = []
    while end - start > MAX_SENTENCE:
        limit = start + MAX_SENTENCE
        space = _TO_LAST_SPACE.match(text, start + 1, limit + 1)  # reads at most MAX_SENTENCE characters
        cut = space.end() if space else limit
        s, e = _strip(text, start, cut)
        if e > s:
            pieces.append((s, e))
        start, _ = _strip(text, cut, end)
    if end > start:
        pieces.append((start, end))
    return pieces


def _cut(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Split [start, end) at `pattern` into pieces of at most MAX_SENTENCE where possible.

    Greedy: each piece ends at the last cut that keeps it within the limit (or at the first cut
    at all, when none does).
    """
    if end - start <= MAX_SENTENCE:
        return [(start, end)]
    cuts = [m.end() for m in pattern.finditer(text, start, end)]
    pieces = []
    while end - start > MAX_SENTENCE:
        first = bisect.bisect_right(cuts, start)
        fits = bisect.bisect_right(cuts, start + MAX_SENTENCE) - 1
        if fits >= first:
            cut = cuts[fits]
        elif first < len(cuts) and cuts[first] < end:
            cut = cuts[first]
        else:
            break
        s, e = _strip(text, start, cut)
        if e > s:
            pieces.append((s, e))
        start = cut
    s, e = _strip(text, start, end)
    if e > s:
        pieces.append((s, e))
    return pieces
