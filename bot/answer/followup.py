"""Follow-up questions: a question read with the previous one as its context.

After "How large is the CSTO rapid reaction force?" a person asks "when was it set up?" or "and the
peacekeeping force?". Neither names what it is about; asked alone, neither finds anything. `read`
rewrites such a follow-up into the question it stands for, and leaves alone one that names its own
subject. The method is grammatical, never a list of the library's or a question set's words:

- A follow-up that refers back with a pronoun ("it", "its", "they", "this" standing alone) gets the
  previous question's subject in the pronoun's place: "when was the CSTO rapid reaction force set
  up?".
- A fragment led by a connective (no verb of its own: "and the peacekeeping force?", "what about
  Russia?") is the previous question with its subject swapped for the fragment's; a fragment that
  shares the subject's head word keeps the subject's names ("the CSTO peacekeeping force"). A
  question phrase without a verb or a name of its own ("and how many troops?") is asked of the
  previous subject.
- Anything else (a question with a verb and no back-reference) names its own subject: read as is.

The subject of a question is its longest noun phrase: a run of words opened by an article or a
name, closed by a function word or punctuation (the last such phrase on a tie). Plain Python, no
I/O: the front ends keep the context (bot/discord/followups.py, `factbot chat`).
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from storage.text import STOPWORDS

CONTEXTS_KEPT = 10_000  # users x channels remembered at once; the oldest is forgotten first

# Closed grammatical classes of English (not words of any library).
_ARTICLES = frozenset({"the", "a", "an"})
_QUESTION_WORDS = frozenset({"who", "whom", "whose", "what", "when", "where", "which", "why", "how"})
_AUXILIARIES = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "can",
        "could",
        "will",
        "would",
        "shall",
        "should",
        "may",
        "might",
        "must",
    ]
)
# Personal pronouns that stand for a thing or group named before; possessives become "X's".
_PRONOUNS = frozenset({"it", "they", "them", "he", "him", "she", "itself", "themselves"})
_POSSESSIVES = frozenset({"its", "their", "his", "her"})
# "there" stands for the place of what was asked about: "in" it.
_LOCATIVE = "there"
_PLACE_PREPOSITIONS = frozenset({"in", "at"})
_PARTICLES = frozenset({"up", "down", "out", "off", "on", "in", "over"})  # "set up", "carried out"
# Demonstratives refer back only when they stand alone ("when was this set up?"), not before a noun.
_DEMONSTRATIVES = frozenset({"this", "that", "these", "those"})
# What opens a fragment without being part of it: "and the peacekeeping force?", "what about X?".
_CONNECTIVE = re.compile(r"^\s*(?:(?:and|but|or|also|so|then)\b[\s,]*)*(?:(?:what|how)\s+about\b\s*)?", re.IGNORECASE)
_TOKEN = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*|[^\w\s]", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Reading:
    """How a question was read: `read` is what is asked; `previous` the context it borrowed from,
    None when it was read on its own."""

    typed: str
    read: str
    previous: str | None = None

    @property
    def followed(self) -> bool:
        return self.previous is not None


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    start: int
    end: int

    @property
    def low(self) -> str:
        return self.text.lower()

    @property
    def word(self) -> bool:
        return self.text[0].isalnum()


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _is_name(token: _Token, first: bool) -> bool:
    """A capitalised word past the first, or an acronym anywhere."""
    if not token.word or token.low in STOPWORDS:
        return False
    acronym = len(token.text) > 1 and token.text.isupper()
    return acronym or (not first and token.text[0].isupper())


def _phrases(text: str) -> list[tuple[int, int, list[_Token]]]:
    """The noun phrases of a question: (start, end, words), each opened by an article or a name."""
    tokens = _tokens(text)
    found: list[tuple[int, int, list[_Token]]] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        by_article = tok.low in _ARTICLES
        if not (by_article or _is_name(tok, i == 0)):
            i += 1
            continue
        j = i + 1
        while j < len(tokens):
            nxt = tokens[j]
            if nxt.word and nxt.low not in STOPWORDS:
                j += 1
            elif nxt.low == "of" and j + 1 < len(tokens) and tokens[j + 1].word and tokens[j + 1].low not in STOPWORDS:
                j += 2  # "the size of the force": "of" then a content word (or an article, below)
            elif nxt.low == "of" and j + 2 < len(tokens) and tokens[j + 1].low in _ARTICLES:
                j += 2
            elif nxt.low in _PLACE_PREPOSITIONS and j + 1 < len(tokens) and _is_name(tokens[j + 1], False):
                j += 2  # "the UN mission in Lebanon": a place named after the thing
            else:
                break
        words = _without_verb(tokens, i, tokens[i:j])
        j = i + len(words)
        if any(t.low not in _ARTICLES for t in words):
            found.append((words[0].start, words[-1].end, words))
        i = max(j, i + 1)
    return found


def _without_verb(tokens: list[_Token], i: int, words: list[_Token]) -> list[_Token]:
    """A phrase right after an auxiliary, in a question, may end in the question's main verb: "did
    [the CSTO hold] exercises", "was [the force set] up?", "was [the force created]?". Its last word
    is the verb when the auxiliary is do/have/a modal (the verb must follow) and no function-word
    verb follows it ("does [the force] have?"), or, after a form of "be", when a particle ends the
    question ("set up") or the word ends like a participle ("-ed")."""
    content = [t for t in words if t.low not in _ARTICLES]
    if i == 0 or tokens[i - 1].low not in _AUXILIARIES or len(content) < 2:
        return words
    after = tokens[i + len(words) :]
    be = tokens[i - 1].low in ("is", "are", "was", "were", "be", "been", "being", "am")
    nxt = after[0] if after else None
    function_next = nxt is not None and nxt.word and nxt.low in STOPWORDS
    if not be:
        verb_next = function_next and nxt is not None and nxt.low in _AUXILIARIES  # "does [X] have?"
        trim = not verb_next
    else:
        particle_only = all(not t.word or t.low in STOPWORDS for t in after)
        trim = (particle_only and function_next) or (content[-1].low.endswith("ed") and (nxt is None or not nxt.word))
    if trim:
        return words[:-1]
    return words


def subject_of(question: str) -> str | None:
    """The question's subject (its longest noun phrase), with "a"/"an" made definite; None if none."""
    phrases = _phrases(question)
    if not phrases:
        return None
    start, end, words = max(phrases, key=lambda p: (len(p[2]), p[0]))
    text = question[start:end]
    if words[0].low in ("a", "an"):
        text = "the" + text[len(words[0].text) :]
    return text


def _refers_back(tokens: list[_Token], head: str) -> tuple[int, int] | None:
    """The tokens [i, j) of the first pronoun that stands for something named before, if any: a
    personal or possessive pronoun, a demonstrative standing alone, or one before the subject's own
    head word ("that force")."""
    for i, tok in enumerate(tokens):
        low = tok.low
        if low in _PRONOUNS or low in _POSSESSIVES or low == _LOCATIVE:
            return i, i + 1
        if low in _DEMONSTRATIVES:
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt is None or not nxt.word or nxt.low in _AUXILIARIES:
                return i, i + 1
            if nxt.low == head:
                return i, i + 2
    return None


def _is_fragment(tokens: list[_Token]) -> bool:
    """No verb of its own: no auxiliary, and no word after a question phrase that could be one."""
    return not any(t.low in _AUXILIARIES for t in tokens)


def read(followup: str, previous: str | None) -> Reading:
    """`followup` as asked after `previous` (the previous question as it was read); never raises."""
    typed = " ".join(followup.split())
    if not previous or not typed:
        return Reading(typed, typed)
    subject = subject_of(previous)
    if subject is None:
        return Reading(typed, typed)
    tokens = _tokens(typed)
    at = _refers_back(tokens, _tokens(subject)[-1].low)
    if at is not None:
        first, last = tokens[at[0]], tokens[at[1] - 1]
        return Reading(typed, _capital(_replace(typed, first, last.end, subject)), previous)
    connective = _CONNECTIVE.match(typed)
    stripped = typed[connective.end() :] if connective else typed
    rest = _tokens(stripped)
    if not any(t.word for t in rest) or not _is_fragment(rest):
        return Reading(typed, typed)
    body = stripped.rstrip(" ?.!")
    if rest[0].low in _QUESTION_WORDS:
        # "(and) how many troops?": the phrase asked of the subject, unless it names its own.
        if any(_is_name(t, k == 0) for k, t in enumerate(rest)):
            return Reading(typed, typed)
        return Reading(typed, _capital(f"{body} of {subject}?"), previous)
    if stripped == typed:
        return Reading(typed, typed)  # a phrase without "and" / "what about": a question of its own
    start, end = _swapped_span(previous, rest)
    swapped = _merged(body, previous[start:end])
    return Reading(typed, _capital(previous[:start] + swapped + previous[end:]), previous)


def _swapped_span(question: str, fragment: list[_Token]) -> tuple[int, int]:
    """Where a fragment goes in the previous question: in place of a name when the fragment is a
    name ("what about Russia?" after "... the CSTO ..."), else in place of the subject."""
    phrases = _phrases(question)
    content = [t for t in fragment if t.word and t.low not in _ARTICLES]
    if content and all(_is_name(t, False) for t in content):
        names = [p for p in phrases if all(_is_name(t, False) for t in p[2] if t.low not in _ARTICLES)]
        if names:
            phrases = names
    start, end, _ = max(phrases, key=lambda p: (len(p[2]), p[0]))
    return start, end


def _merged(fragment: str, subject: str) -> str:
    """The fragment's phrase, keeping the names of the subject it replaces when both end in the
    same head word ("the peacekeeping force" for "the CSTO rapid reaction force": "the CSTO
    peacekeeping force")."""
    frag, subj = _tokens(fragment), _tokens(subject)
    if not frag or not subj or frag[-1].low != subj[-1].low:
        return fragment
    names = [t.text for k, t in enumerate(subj) if _is_name(t, k == 0) and t.low not in {f.low for f in frag}]
    if not names:
        return fragment
    lead = 1 if frag[0].low in _ARTICLES else 0
    article = frag[0].text + " " if lead else ""
    return article + " ".join(names) + " " + fragment[frag[lead].start :] if len(frag) > lead else fragment


def _replace(text: str, token: _Token, end: int, subject: str) -> str:
    """`text` with the pronoun (`token` up to `end`) replaced by the subject ("its": "the X’s")."""
    phrase = subject
    if token.low in _POSSESSIVES:
        phrase = subject + ("’" if subject.endswith("s") else "’s")
    elif token.low == _LOCATIVE:
        phrase = "in " + subject
    return text[: token.start] + phrase + text[end:]


def _capital(text: str) -> str:
    text = _CONNECTIVE.sub("", text, count=1) if _CONNECTIVE.match(text) else text
    return text[:1].upper() + text[1:] if text else text


class Context:
    """The last question each conversation asked (by any hashable key: user and channel and
    server), forgotten after `minutes`. In memory only: a restart forgets it, which is fine, since
    a reply names its answer in Discord and the answer shows its question."""

    def __init__(self, minutes: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = minutes * 60
        self._clock = clock
        self._last: OrderedDict[Hashable, tuple[str, float]] = OrderedDict()

    def previous(self, key: Hashable) -> str | None:
        """The question last asked under `key`, if it has not expired."""
        kept = self._last.get(key)
        if kept is None or self.seconds <= 0:
            return None
        question, at = kept
        if self._clock() - at > self.seconds:
            del self._last[key]
            return None
        return question

    def remember(self, key: Hashable, question: str) -> None:
        self._last[key] = (question, self._clock())
        self._last.move_to_end(key)
        while len(self._last) > CONTEXTS_KEPT:
            self._last.popitem(last=False)

    def read(self, key: Hashable, question: str) -> Reading:
        """Read `question` after the conversation's previous one, and remember how it was read."""
        reading = read(question, self.previous(key))
        self.remember(key, reading.read)
        return reading
