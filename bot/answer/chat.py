"""The question as people type it in a chat, reduced to the question itself.

Discord mentions, custom and Unicode emoji, URLs, markdown, zero-width characters, combining-mark
clutter ("zalgo") and the greetings and politeness around a question ("hey, ...", "... thanks!",
"quick question: ...", "can you tell me ...") are not part of what is asked. `clean` removes them
and keeps everything else as typed (case included: the engine decides what case means). Accents on
real letters survive: the text is composed (NFC) first, so "é" is one letter, not "e" plus a mark.

The phrase lists are generic English chat conventions, not words of any library or question set.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# -- things that are never part of a question ------------------------------------------------------

_DISCORD_TOKEN = re.compile(
    r"<@[!&]?\d+>"  # user, nickname and role mentions
    r"|<#\d+>"  # channel mentions
    r"|</[\w\- ]+:\d+>"  # slash-command mentions
    r"|<t:-?\d+(?::[tTdDfFR])?>"  # timestamps
    r"|<a?:\w+:\d+>"  # custom emoji
    r"|@(?:everyone|here)\b"
)
_URL = re.compile(r"<?(?:https?://|www\.)[^\s<>]+>?", re.IGNORECASE)
# [text](url): the text stays.
_MASKED_LINK = re.compile(r"\[([^\]\n]*)\]\(\s*<?(?:https?://|www\.)[^)\s]*>?\s*\)", re.IGNORECASE)
_SHORTCODE = re.compile(r"(?<![\w:]):[a-z][a-z0-9_+\-]*:(?![\w:])", re.IGNORECASE)
_EMOTICON = r"(?::-?[()DPp3]|;-?[()DPp]|<3|\^_?\^|xD|XD)"
# Markdown: block markers at a line's start (quote, heading, subtext, list), then inline marks.
_LINE_MARK = re.compile(r"^[ \t]*(?:(?:>>>|>|#{1,3}|-#|[-*+])[ \t]+|>)+", re.MULTILINE)
_FENCE = re.compile(r"```(?:[A-Za-z0-9_+\-]*\n)?")
# Inline marks come in pairs around text ("**bold**", "||spoiler||"); a lone "*" is text ("5 * 3").
_INLINE_PAIR = re.compile(r"(\*{1,3}|~~|\|\||`+)(?=\S)(.+?)(?<=\S)\1")
_UNDERSCORE_PAIR = re.compile(r"(?<![^\W_])(_{1,2})(?=\S)(.+?)(?<=\S)\1(?![^\W_])")
_ESCAPE = re.compile(r"\\([\\*_~|`>#\[\]()-])")
_ESCAPED = 0xF0000  # escaped marks stand in a private-use plane while pairs are taken off
# Invisible characters: zero-width spaces and joiners, bidi controls, soft hyphen, BOM, variation
# selectors, tags.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f\U000e0100-\U000e01ef\U000f0000-\U000f007f]"
)
# Most combining marks a base letter may carry outside the Latin script (Vietnamese, Devanagari
# and the like use one or two); a longer run is decoration.
MAX_MARKS = 2

# -- the chat around a question --------------------------------------------------------------------

_ADDRESS = r"(?:\s+(?:all|everyone|everybody|folks|guys|people|team|there|y'?all|friends?|bot|mate))?"
_GREETING = (
    r"(?:hey+|hi+|hiya|hello+|helo|howdy|yo|greetings|heya|sup|hallo|good\s+(?:morning|afternoon|evening|day))"
    + _ADDRESS
)
_THANKS = (
    r"(?:thanks?(?:\s+(?:you|a\s+lot|so\s+much|very\s+much|in\s+advance|again))*|thank\s+you(?:\s+(?:so|very)\s+much)?"
    r"|thx|tnx|ty|tia|cheers|much\s+appreciated|appreciate\s+it|many\s+thanks)" + _ADDRESS
)
_PLEASE = r"(?:please|pls|plz|plox|kindly)"
_LEAD_PHRASE = (
    r"(?:quick\s+question|random\s+question|(?:a\s+)?question(?=\s*[:\-–—])|q(?=\s*:)|sorry|excuse\s+me|ok(?:ay)?|so"
    r"|um+|uh+|hm+|btw"
    r"|(?:can|could|would)\s+(?:you|someone|somebody|anyone|anybody)(?:\s+please)?\s+(?:tell|show)\s+me"
    r"|(?:can|could|would)\s+(?:you|someone|somebody|anyone|anybody)\s+please"
    r"|(?:please\s+)?tell\s+me|let\s+me\s+know"
    r"|(?:do|does)\s+(?:you|anyone|anybody|someone|somebody)\s+know|(?:any|anyone|anybody)\s+know"
    r"|any\s+idea|i\s+(?:was\s+)?wonder(?:ing)?|i\s+(?:would|'d)\s+like\s+to\s+know|i\s+want\s+to\s+know"
    r"|i\s+have\s+a\s+question|i\s+need\s+to\s+know)"
)
_SEP = r"[\s,.!?:;~\-–—]"
_LEAD_SEP = r"[\s,.!?:;~–—]"  # no hyphen: "Hi-Tech" is a word
# One piece of chat at the start, and what separates it from the rest.
_LEADING = re.compile(
    rf"^\s*(?:{_GREETING}|{_THANKS}|{_PLEASE}|{_LEAD_PHRASE}|{_EMOTICON}|@[^\s,:;!?]+)(?:{_LEAD_SEP}+|$)", re.IGNORECASE
)
# One piece of chat at the end, possibly before the closing punctuation ("... please?").
_TRAILING = re.compile(
    rf"(?:^|[\s,;:\-–—(]+|(?<=[.!?]))\s*(?:{_THANKS}|{_PLEASE}|{_EMOTICON}|lol|haha)\s*([.!?]*)\s*$",
    re.IGNORECASE,
)
_TRAILING_SEP = re.compile(r"[\s,;:~\-–—]+$")
_LEADING_SEP = re.compile(rf"^{_SEP}+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.!?;:])")
_HAS_WORD = re.compile(r"[^\W_]")


@dataclass(frozen=True, slots=True)
class Cleaned:
    """What is left of a message once the chat around it is gone."""

    text: str  # the question as typed, without the chat; '' when nothing is left
    social: bool  # a greeting, thanks or politeness was taken off

    @property
    def has_words(self) -> bool:
        return _HAS_WORD.search(self.text) is not None

    @property
    def greeting_only(self) -> bool:
        """The message was only a greeting or thanks ("hi!", "thanks!"): nothing to look up."""
        return self.social and not self.has_words


def clean(raw: str) -> Cleaned:
    """The question in a chat message; never raises on any string."""
    text = unicodedata.normalize("NFC", raw)
    text = _INVISIBLE.sub("", text)
    text = _without_clutter(text)
    text = _MASKED_LINK.sub(r"\1", text)
    text = _DISCORD_TOKEN.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _SHORTCODE.sub(" ", text)
    text = _without_emoji(text)
    text = _without_markdown(text)
    text = " ".join(text.split())
    text, social = _without_chat(text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    return Cleaned(text, social)


def _without_clutter(text: str) -> str:
    """Combining marks a letter cannot carry for real: on a Latin letter after NFC (a real accent
    has been composed into it), and past MAX_MARKS in a row anywhere."""
    out: list[str] = []
    base_latin = False
    run = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) == "Me":
            run += 1
            if base_latin or run > MAX_MARKS or not out:
                continue
            out.append(char)
            continue
        run = 0
        base_latin = char.isascii() or unicodedata.name(char, "").startswith("LATIN ")
        out.append(char)
    return "".join(out)


def _is_emoji(char: str) -> bool:
    code = ord(char)
    if 0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF or 0x2B00 <= code <= 0x2BFF:
        return unicodedata.category(char) in ("So", "Sk", "Cn") or 0x1F3FB <= code <= 0x1F3FF
    return code in (0x20E3, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299) or 0x2190 <= code <= 0x21FF


def _without_emoji(text: str) -> str:
    return "".join(" " if _is_emoji(c) else c for c in text)


def _without_markdown(text: str) -> str:
    text = _FENCE.sub(" ", text)
    text = _LINE_MARK.sub("", text)
    # An escaped mark ("\\*") is the character itself: kept out of the pairing, then restored.
    text = _ESCAPE.sub(lambda m: chr(_ESCAPED + ord(m.group(1))), text)
    while True:
        unmarked = _UNDERSCORE_PAIR.sub(r"\2", _INLINE_PAIR.sub(r"\2", text))
        if unmarked == text:
            return re.sub(f"[{chr(_ESCAPED)}-{chr(_ESCAPED + 127)}]", lambda m: chr(ord(m.group()) - _ESCAPED), text)
        text = unmarked


def _without_chat(text: str) -> tuple[str, bool]:
    """Greetings and politeness off both ends, as many as there are."""
    social = False
    while True:
        before = text
        match = _LEADING.match(text)
        if match and match.end() > 0:
            text = text[match.end() :]
            social = True
        match = _TRAILING.search(text)
        if match and match.start() < len(text):
            kept = text[: match.start()].rstrip()
            # "... please?" keeps its question mark; "...? thanks!" does not gain an exclamation.
            if "?" in match.group(1) and not kept.endswith(("?", ".", "!")):
                kept += "?"
            text = kept
            social = True
        text = _LEADING_SEP.sub("", text)
        if not re.search(r"[.!?]$", text):
            text = _TRAILING_SEP.sub("", text)
        text = text.strip()
        if text == before:
            return text, social
