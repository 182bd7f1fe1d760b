"""Segmentation: paragraphs and sentences as offsets, so every quote is a verbatim slice."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import datasets
from storage import segment as segment_module
from storage.errors import IngestError
from storage.segment import LONGEST_SENTENCE, MAX_SENTENCE, MAX_SENTENCES, Paragraph, Span, segment

# The seed articles as their original files were written: the header lines that seeds.toml now keeps
# as metadata, then the shipped body (seeds/), byte for byte.
SEED_HEADERS = {
    "csto-sets-up-peacekeeping-force": "JUNE 2021\n\nCSTO Sets Up Peacekeeping Force\n\n"
    "Written by Alex Gorka; Originally appeared at\u00a0strategic-culture.org\n\n",
    "moscow-tries-to-use-the-un-mandate": "Moscow tries to use the UN mandate in its CSTO-flagged operations\n\n" * 2,
}
SEEDS = [SEED_HEADERS[key] + body for key, body in datasets.seed_bodies().items()]
SQUAD = datasets.squad_dir() / "articles"


def sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for p in segment(text) for s in p.sentences]


def paragraphs(text: str) -> list[list[str]]:
    return [[text[s.start : s.end] for s in p.sentences] for p in segment(text)]


# --- sentence boundaries -----------------------------------------------------------------------

SPLITS = [
    ("One. Two! Three? Four.", ["One.", "Two!", "Three?", "Four."]),
    ("Wait?! Really.", ["Wait?!", "Really."]),
    ("It rose in 1999. 2000 was worse.", ["It rose in 1999.", "2000 was worse."]),
    # quotes and brackets after the stop stay with their sentence
    ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
    ("He said \u201cStop.\u201d Then he left.", ["He said \u201cStop.\u201d", "Then he left."]),
    ('"Why?" she asked.', ['"Why?" she asked.']),
    ('"Why?" she asked. "Because," he said.', ['"Why?" she asked.', '"Because," he said.']),
    ("It failed. (It was late.) Then it ended.", ["It failed.", "(It was late.)", "Then it ended."]),
    ("It rose.[12] Then it fell.", ["It rose.[12]", "Then it fell."]),
    ("It rose.[citation needed] Then it fell.", ["It rose.[citation needed]", "Then it fell."]),
    ('called it "a threat". The end.', ['called it "a threat".', "The end."]),
    # no space after the stop: dates and numbers
    (
        "Russian media reported on Feb.8 that the bloc is ready. On Jan.30, a road map was agreed on.",
        ["Russian media reported on Feb.8 that the bloc is ready.", "On Jan.30, a road map was agreed on."],
    ),
    ("Growth was 3.5 percent. It fell.", ["Growth was 3.5 percent.", "It fell."]),
    ("Rating of 99.4. Newton led.", ["Rating of 99.4.", "Newton led."]),
    # titles
    (
        "But Mr. Semeryakov emphasized the threat. It grew.",
        ["But Mr. Semeryakov emphasized the threat.", "It grew."],
    ),
    (
        "Dr. Smith met Gen. Jones. Lt. Brown and Sen. Warren came.",
        ["Dr. Smith met Gen. Jones.", "Lt. Brown and Sen. Warren came."],
    ),
    ("Mrs. Ng and Prof. Li spoke. Ms. Do did not.", ["Mrs. Ng and Prof. Li spoke.", "Ms. Do did not."]),
    ("They prayed at St. Paul's. It was cold.", ["They prayed at St. Paul's.", "It was cold."]),
    ("They built Trinity-St. Paul's Church.", ["They built Trinity-St. Paul's Church."]),
    ("He lives on Main St. The house is old.", ["He lives on Main St.", "The house is old."]),
    # dotted abbreviations
    ("The U.S. and the U.N. agreed. So did others.", ["The U.S. and the U.N. agreed.", "So did others."]),
    ("The U.S. Army moved.", ["The U.S. Army moved."]),
    ("He lives in the U.S. He likes it.", ["He lives in the U.S.", "He likes it."]),
    ("Fruit, e.g. Apples, is good.", ["Fruit, e.g. Apples, is good."]),
    ("Some, i.e. The Few, stayed.", ["Some, i.e. The Few, stayed."]),
    ("He left at 5 p.m. on Friday. She stayed.", ["He left at 5 p.m. on Friday.", "She stayed."]),
    ("He left at 5 p.m. She stayed.", ["He left at 5 p.m.", "She stayed."]),
    ("The series S.W.A.T. That year it ended.", ["The series S.W.A.T.", "That year it ended."]),
    # etc.
    ("Apples, pears, etc. are fruit. Yes.", ["Apples, pears, etc. are fruit.", "Yes."]),
    ("Apples, pears, etc. The rest rot.", ["Apples, pears, etc.", "The rest rot."]),
    # before numbers
    ("It is No. 5 on the list. Next.", ["It is No. 5 on the list.", "Next."]),
    ("See Fig. 3 and Vol. 2 of it. Next.", ["See Fig. 3 and Vol. 2 of it.", "Next."]),
    ("It was on Feb. 8 that it began.", ["It was on Feb. 8 that it began."]),
    ("He was born (b. 1950) in Rome.", ["He was born (b. 1950) in Rome."]),
    ("Population was ca. 2 million then.", ["Population was ca. 2 million then."]),
    ('God" (Ps. 31:5), the prayer.', ['God" (Ps. 31:5), the prayer.']),
    ("It was yes or no. Notable cases exist.", ["It was yes or no.", "Notable cases exist."]),
    ("Team A vs. Team B. It ended.", ["Team A vs. Team B.", "It ended."]),
    # initials
    (
        "J. R. R. Tolkien wrote books. George W. Bush read them.",
        ["J. R. R. Tolkien wrote books.", "George W. Bush read them."],
    ),
    ("X reduces to Y. There are many.", ["X reduces to Y.", "There are many."]),
    ("It is the size n. Since then it grew.", ["It is the size n.", "Since then it grew."]),
    ("as opposed to Super Bowl L. The use ended.", ["as opposed to Super Bowl L.", "The use ended."]),
    # ellipses
    ("He paused... and then spoke. Later he left.", ["He paused... and then spoke.", "Later he left."]),
    ("He paused\u2026 and then spoke.", ["He paused\u2026 and then spoke."]),
    ("I went to... London today.", ["I went to... London today."]),
    ("He paused... Then he spoke.", ["He paused...", "Then he spoke."]),
    ("The text [...] The rest.", ["The text [...] The rest."]),
    # a lowercase start is not a new sentence
    ("It costs 5 dollars. iPhones cost more.", ["It costs 5 dollars. iPhones cost more."]),
    # NBSP and other odd spaces are kept inside and count as whitespace between sentences
    (
        "It has a\u00a0\u00a017,000 strong force. It grew.",
        ["It has a\u00a0\u00a017,000 strong force.", "It grew."],
    ),
    ("He left.\u00a0She stayed.", ["He left.", "She stayed."]),
    ("Line one\ncontinues here. Next one.", ["Line one\ncontinues here.", "Next one."]),
    ("", []),
    ("   \n\n \u00a0 ", []),
    ("No full stop at all", ["No full stop at all"]),
]


@pytest.mark.parametrize(("text", "expected"), SPLITS, ids=[t[:40] for t, _ in SPLITS])
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


# --- paragraphs --------------------------------------------------------------------------------

PARAGRAPHS = [
    ("One.\n\nTwo. Three.", [["One."], ["Two.", "Three."]]),
    ("One.\n \u00a0\t\nTwo.", [["One."], ["Two."]]),  # a line of only whitespace, NBSP included
    ("One.\r\n\r\nTwo.", [["One."], ["Two."]]),
    ("One\ntwo.\nThree.", [["One\ntwo.", "Three."]]),  # single line break is just whitespace
    ("\n\n\nOne.\n\n\n\nTwo.\n\n", [["One."], ["Two."]]),
    ("# Title\nFirst line. Second.", [["# Title"], ["First line.", "Second."]]),
    ("## Mr. Smith. Goes home\n\nText.", [["## Mr. Smith. Goes home"], ["Text."]]),
    ("Intro:\n- apples\n- pears and plums", [["Intro:"], ["- apples"], ["- pears and plums"]]),
    ("* One. Two.\n* Three", [["* One.", "Two."], ["* Three"]]),
    ("1. The first thing.\n2. The second thing.", [["1. The first thing."], ["2. The second thing."]]),
    ("Steps:\n1) Mix it.\n2) Bake it.", [["Steps:"], ["1) Mix it."], ["2) Bake it."]]),
    ("- item\n  continues here.\nText", [["- item\n  continues here.", "Text"]]),
    ("It was\n1999. The year ended.", [["It was\n1999.", "The year ended."]]),  # not a list
    ("#hashtag is not a heading.", [["#hashtag is not a heading."]]),
]


@pytest.mark.parametrize(("text", "expected"), PARAGRAPHS, ids=[t[:30] for t, _ in PARAGRAPHS])
def test_paragraphs(text: str, expected: list[list[str]]) -> None:
    assert paragraphs(text) == expected


def test_offsets_index_the_original_text() -> None:
    text = "  Dr. Who?\u00a0Yes.\n\n\u201cNo,\u201d he said. "
    result = segment(text)
    assert result == [
        Paragraph(2, 15, (Span(2, 10), Span(11, 15))),
        Paragraph(17, 31, (Span(17, 31),)),
    ]
    assert text[11:15] == "Yes."
    assert text[17:31] == "\u201cNo,\u201d he said."


# --- overlong sentences ------------------------------------------------------------------------


def test_overlong_sentence_is_cut_at_semicolons() -> None:
    items = [f"item number {i} with some words" for i in range(40)]
    text = "; ".join(items) + "."
    pieces = sentences(text)
    assert len(pieces) > 1
    assert all(len(p) <= MAX_SENTENCE for p in pieces)
    assert all(p.endswith(";") for p in pieces[:-1])
    assert " ".join(pieces) == text


def test_overlong_sentence_prefers_line_breaks() -> None:
    lines = [f"Entry {i}; with a semicolon and more words" for i in range(30)]
    text = "\n".join(lines)
    pieces = sentences(text)
    assert len(pieces) > 1
    assert all(len(p) <= MAX_SENTENCE for p in pieces)
    assert all(p.endswith("words") for p in pieces)  # cut between lines, not at the semicolons


def test_overlong_sentence_without_any_cut_stays_whole() -> None:
    text = "x" * (MAX_SENTENCE * 2)
    assert sentences(text) == [text]


def test_sentence_at_the_limit_is_not_cut() -> None:
    text = ("word; " * (MAX_SENTENCE // 6))[: MAX_SENTENCE - 1].rstrip() + "."
    assert len(text) <= MAX_SENTENCE
    assert sentences(text) == [text]


# --- hostile input -----------------------------------------------------------------------------

# Inputs that once made segmentation quadratic or a "sentence" of megabytes, each with the pieces it
# must come out as: no sentence over LONGEST_SENTENCE, nothing but whitespace lost, offsets verbatim.
HOSTILE = [
    ("one line of words", "word " * 100_000),
    ("one line without spaces", "x" * 100_000),
    ("a run of periods", "." * 100_000),
    ("a run of exclamation marks", "Stop" + "!" * 50_000 + " Go"),
    ("a run of ellipses", "\u2026" * 50_000),
    ("mixed stops", ".!?\u2026" * 20_000),
    ("a stop then closers", "It ended." + '"' * 50_000 + " Then"),
    ("a stop then references", "It ended." + "[1]" * 20_000 + " Then"),
    ("a heading of a megabyte", "# " + "heading " * 125_000),
    ("spaces between two words", "a" + " " * 100_000 + "b"),
    ("one paragraph of numbers", " ".join(str(n) for n in range(40_000))),
    ("words and one huge token", "Some words " + "y" * 5_000 + " more words."),
]


@pytest.mark.parametrize("text", [t for _, t in HOSTILE], ids=[name for name, _ in HOSTILE])
def test_hostile_input_gives_bounded_verbatim_sentences(text: str) -> None:
    result = segment(text)
    assert_invariants(text, result)
    longest = max(s.end - s.start for p in result for s in p.sentences)
    assert longest <= LONGEST_SENTENCE


def test_an_overlong_run_is_cut_at_whitespace() -> None:
    text = " ".join(f"w{i}" for i in range(2_000))  # 9,889 characters, no punctuation
    pieces = sentences(text)
    assert len(pieces) > 1
    assert all(len(p) <= MAX_SENTENCE for p in pieces)
    assert " ".join(pieces) == text  # cut between words, never inside one


def test_an_overlong_run_without_whitespace_is_cut_anywhere() -> None:
    text = "Start. " + "z" * (4 * MAX_SENTENCE + 7)  # over LONGEST_SENTENCE
    assert sentences(text) == ["Start.", *(["z" * MAX_SENTENCE] * 4), "z" * 7]


def test_runs_of_stops_still_break_where_they_did() -> None:
    assert sentences("Wait!!!!!! Really... Then it ended?!?! Yes.") == [
        "Wait!!!!!!",
        "Really...",
        "Then it ended?!?!",
        "Yes.",
    ]
    assert sentences("Well.... It was over.") == ["Well....", "It was over."]


def test_too_many_sentences_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(segment_module, "MAX_SENTENCES", 50)
    assert len(sentences("# Heading\n" * 50)) == 50
    with pytest.raises(IngestError, match="too many sentences"):
        segment("# Heading\n" * 51)
    with pytest.raises(IngestError, match="too many sentences"):
        segment("One. " * 51)


def test_a_megabyte_of_headings_is_refused() -> None:
    with pytest.raises(IngestError, match="too many sentences"):
        segment("# a\n" * (MAX_SENTENCES + 1))


# --- real text ---------------------------------------------------------------------------------

SEED_SENTENCES = [
    "JUNE 2021",
    "CSTO Sets Up Peacekeeping Force",
    "Written by Alex Gorka; Originally appeared at\u00a0strategic-culture.org",
    "Russian media reported on Feb.8 that the\u00a0Collective Security Treaty Organization\u00a0(CSTO) is "
    "preparing for peacekeeping operations under UN auspices.",
    "On Jan.30, a road map was agreed on.",
    "CSTO\u2019s Deputy Secretary General Valery Semeryakov\u00a0said\u00a0on Feb.8 that preparatory work "
    "had been done and signing regulatory documents was the only thing left to do.",
    "It was not made precise which country or region the peacekeepers will go to but Mr. Semeryakov "
    "emphasized that roughly 7,000 Islamic State militants operating in Afghanistan pose a threat to the "
    "CSTO.",
    "It has a\u00a0\u00a017,000 strong collective\u00a0rapid reaction force and a specialized peacekeeping brigade.",
    "And it does.",
    "Moscow will not step on the same rake.",
    "Moscow tries to use the UN mandate in its CSTO-flagged operations",
    "At present, the CSTO Collective Peacekeeping Forces number about 3,600 people.",
    "In December 2021, Russia considered the possibility of deploying CSTO units as part of the UN UNIFIL "
    "mission in Lebanon.",
    "Such a scenario is more than probable.",
]


@pytest.fixture(scope="module")
def seed_sentences() -> list[str]:
    found = []
    for text in SEEDS:
        found += sentences(text)
    return found


@pytest.mark.parametrize("expected", SEED_SENTENCES, ids=[s[:40] for s in SEED_SENTENCES])
def test_seed_sentences_come_out_whole(seed_sentences: list[str], expected: str) -> None:
    assert expected in seed_sentences


def test_seed_headers_are_paragraphs_of_their_own() -> None:
    text = SEEDS[0]
    assert paragraphs(text)[:3] == [
        ["JUNE 2021"],
        ["CSTO Sets Up Peacekeeping Force"],
        ["Written by Alex Gorka; Originally appeared at\u00a0strategic-culture.org"],
    ]


SQUAD_SENTENCES = [
    ("Apollo-program", "Dr. Harrison Schmitt, a geologist, was the first NASA scientist astronaut to fly in "
     "space, and landed on the Moon on the last mission, Apollo 17."),
    ("Apollo-program", "The design, development and construction of the center was conducted by Kurt H. "
     "Debus, a member of Dr. Wernher von Braun's original V-2 rocket engineering team."),
    ("Huguenot", "This was a huge influx as the entire population of the Dutch Republic amounted to ca. 2 "
     "million at that time."),
    ("Huguenot", "Other predecessors of the Reformed church included the pro-reform and Gallican Roman "
     "Catholics, such as Jacques Lefevre (c. 1455–1536)."),
    ("Jacksonville-Florida", "The St. Johns River divides the city."),
    ("American-Broadcasting-Company", "At the end of 1949, movie theater operator United Paramount "
     "Theatres (UPT) was forced by the U.S. Supreme Court to become an independent entity, separating "
     "itself from Paramount Pictures."),
    ("Computational-complexity-theory", 'The instance is a number (e.g. 15) and the solution is "yes" if '
     'the number is prime and "no" otherwise (in this case "no").'),
    ("Martin-Luther", "He was baptized as a Catholic the next morning on the feast day of St. Martin of "
     "Tours."),
    ("Super-Bowl-50", "The game was played on February 7, 2016, at Levi's Stadium in the San Francisco Bay "
     "Area at Santa Clara, California."),
]  # fmt: skip


@pytest.mark.parametrize(("article", "expected"), SQUAD_SENTENCES, ids=[a for a, _ in SQUAD_SENTENCES])
def test_squad_sentences_come_out_whole(article: str, expected: str) -> None:
    assert expected in sentences((SQUAD / f"{article}.txt").read_text(encoding="utf-8"))


@pytest.mark.parametrize("article", ["Normans", "Prime-number", "Doctor-Who"])
def test_squad_articles_keep_their_paragraphs(article: str) -> None:
    text = (SQUAD / f"{article}.txt").read_text(encoding="utf-8")
    blocks = [b for b in text.split("\n\n") if b.strip()]
    result = segment(text)
    assert len(result) == len(blocks)
    assert_invariants(text, result)
    assert sum(len(p.sentences) for p in result) > 2 * len(blocks)


# --- properties --------------------------------------------------------------------------------


def assert_invariants(text: str, result: list[Paragraph]) -> None:
    """Offsets in bounds, ordered, stripped, non-empty, nested, and nothing but whitespace lost."""
    covered = bytearray(len(text))
    previous_end = 0
    for paragraph in result:
        assert paragraph.sentences
        assert previous_end <= paragraph.start < paragraph.end <= len(text)
        assert paragraph.sentences[0].start == paragraph.start
        assert paragraph.sentences[-1].end == paragraph.end
        for span in paragraph.sentences:
            assert previous_end <= span.start < span.end <= paragraph.end
            assert not text[span.start].isspace() and not text[span.end - 1].isspace()
            covered[span.start : span.end] = b"\x01" * (span.end - span.start)
            previous_end = span.end
    lost = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]]
    assert not lost, f"characters outside every sentence: {[text[i] for i in lost[:10]]}"


PIECES = st.sampled_from(
    ["Mr.", "Dr.", "St.", "U.S.", "e.g.", "No.", "5", "3.5", "Feb.8", "J.", "etc.", "...", "\u2026", "The",
     "he", "It", "word", "said", '"Stop."', "(note.)", "[1]", "Why?", "Yes!", "# Head", "- item", "1.",
     ";", ",", ":", "\u201c", "\u201d", "'", ")"]
)  # fmt: skip
SPACES = st.sampled_from([" ", " ", " ", "\n", "\n\n", "\u00a0", "\t", "  ", "\n \n", "\r\n"])
PROSE = st.lists(st.tuples(PIECES, SPACES), max_size=80).map(lambda parts: "".join(a + b for a, b in parts))


@settings(max_examples=300, deadline=None)
@given(PROSE)
def test_invariants_on_prose_like_text(text: str) -> None:
    assert_invariants(text, segment(text))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_invariants_on_any_text(text: str) -> None:
    assert_invariants(text, segment(text))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["aaaa", "bb;", "c,", "\n", " ", ". ", "Dd"]), min_size=200, max_size=600))
def test_invariants_on_overlong_text(parts: list[str]) -> None:
    text = " ".join(parts)
    assert_invariants(text, segment(text))
