"""The timeline picture and its text: a valid PNG of the expected size with one lane (and one
colour) per source, the caps, the numbered list with full quotes and citations, and
`factbot timeline` writing the picture whole or saying in one line why it did not."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bot import cli
from bot.answer.events import find_dated
from bot.answer.model import Answer, Reason
from bot.answer.timeline import MAX_EVENTS, MAX_LANES, Empty, Found, Timeline, answer_timeline, build_timeline
from bot.timeline.draw import AXIS_W, LANE_W, PAD, PALETTE, WIDTH_PX, draw_png, picture_size
from bot.timeline.text import render_text
from bot.wording import REASONS
from storage.models import SourceInfo


def source(n: int, title: str | None = None) -> SourceInfo:
    return SourceInfo(n, 0, title or f"Report {n}", "A. Writer", None, None, None, None, None, "", "", 1, 1, 1)


def timeline_of(sentences: dict[int, list[str]], topic: str = "") -> Timeline:
    found = [
        Found(source(n), p, sentence, dated)
        for n, texts in sentences.items()
        for p, sentence in enumerate(texts, 1)
        for dated in find_dated(sentence)
    ]
    return build_timeline(topic, found)


THREE = timeline_of(
    {
        1: ["In 2018, the first herd crossed.", "On Feb. 8 the rangers counted them."],
        2: ["In December 2021, the second herd crossed.", "Between 2014 and 2016, the river was low."],
        3: ["In the 1990s, the third herd was seen.", "Last October, Zapad-2017 was held."],
    }
)


def rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def test_the_picture_is_a_png_of_the_expected_size() -> None:
    image = Image.open(io.BytesIO(draw_png(THREE)))
    assert image.format == "PNG"
    assert image.size == picture_size(THREE)
    assert image.size[0] == WIDTH_PX
    assert image.size[1] > 200 + 66 * len(THREE.placed)


def test_one_lane_and_one_colour_per_source() -> None:
    image = Image.open(io.BytesIO(draw_png(THREE))).convert("RGB")
    height = image.size[1]
    colours = {colour for _count, colour in image.getcolors(maxcolors=1 << 24) or []}
    assert len(THREE.sources) == 3
    for lane in range(3):
        assert rgb(PALETTE[lane]) in colours, f"lane {lane + 1} has its colour"
        x = round(PAD + AXIS_W + LANE_W * (lane + 0.5))
        column = {image.getpixel((x, y)) for y in range(height)}
        assert rgb(PALETTE[lane]) in column, f"lane {lane + 1}'s events are drawn in its own column"
        for other in set(range(3)) - {lane}:
            assert rgb(PALETTE[other]) not in column, "no other source's events in this lane"
    assert rgb(PALETTE[3]) not in colours, "no fourth lane for three sources"


def test_nothing_placed_draws_no_picture() -> None:
    undated = timeline_of({1: ["On Feb. 8 the rangers counted them."]})
    assert not undated.drawable
    assert undated.empty is Empty.NO_DATES
    with pytest.raises(ValueError):
        draw_png(undated)


def test_caps_keep_every_lane_and_count_what_is_left_out() -> None:
    many = timeline_of({n: [f"In {1990 + n + k}, herd {n} moved." for k in range(4)] for n in range(1, 9)})
    assert len(many.sources) == MAX_LANES
    assert len(many.events) == MAX_EVENTS
    assert many.left_out == 8 * 4 - MAX_EVENTS
    assert {e.lane for e in many.events} == set(range(MAX_LANES)), "every lane shows"
    assert [e.number for e in many.events] == list(range(1, MAX_EVENTS + 1))
    starts = [e.dated.when.start for e in many.placed if e.dated.when]
    assert starts == sorted(starts), "numbered in time order"


def test_the_text_lists_every_number_with_its_quote_and_citation() -> None:
    text = render_text(THREE)
    for event in THREE.events:
        assert f"{event.number:>2}. " in text
        assert f"[{event.lane + 1}] ¶ {event.paragraph}" in text
    assert "“Between 2014 and 2016, the river was low.”" in text
    assert "[1] “Report 1” — A. Writer" in text
    assert "Not placed:" in text and "Feb. 8 · no year stated" in text


def test_the_command_writes_the_picture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "seeds.png"
    assert cli.main(["--db", str(tmp_path / "lib.db"), "timeline", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"Wrote {out} (800×")
    assert "Last October → Oct 2017" in printed
    assert Image.open(out).size[0] == WIDTH_PX
    assert list(tmp_path.glob(".*.tmp")) == [], "no temporary file left behind"


@pytest.mark.parametrize("name", ["picture.jpg", "missing-folder/picture.png"])
def test_a_bad_output_path_is_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    out = tmp_path / name
    assert cli.main(["--db", str(tmp_path / "lib.db"), "timeline", "--out", str(out)]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("factbot: ") and err.count("\n") == 1
    assert not out.exists()


def test_an_empty_library_writes_no_picture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "lib.db")
    for n in (1, 2):
        assert cli.main(["--db", db, "sources", "remove", str(n)]) == 0
    capsys.readouterr()
    out = tmp_path / "empty.png"
    assert cli.main(["--db", db, "timeline", "--out", str(out)]) == cli.EXIT_ERROR
    assert capsys.readouterr().err == "factbot: There are no sources to draw a timeline of. No picture written.\n"
    assert not out.exists()


def test_a_topic_nothing_answers_says_the_answers_reason_in_the_front_ends_words() -> None:
    """The engine hands back the reason (it words nothing); the text view words it as for an answer."""
    for reason in (None, Reason.NO_WORDS):
        timeline = answer_timeline(Answer("what of the moon", reason=reason))
        assert timeline.reason == (reason or Reason.NOTHING) and not timeline.drawable
        assert REASONS[reason or Reason.NOTHING] in render_text(timeline)
