"""HTML that trafilatura could not take as it was (issue 22): nesting deeper than libxml2 parses,
and pages of many paragraphs whose extraction grew faster than the page."""

from __future__ import annotations

import time

import pytest

from storage import htmlshape
from storage.extract import extract

TEXT = "Quokkas live on Rottnest Island, where about 12,000 of them were counted in 2007."


def nested(depth: int, tag: str = "div") -> bytes:
    return (f"<html><body>{f'<{tag}>' * depth}<p>{TEXT}</p><p>They eat leaves.</p>{f'</{tag}>' * depth}").encode()


@pytest.mark.parametrize("depth", [255, 300, 1000, 5000])
def test_text_nested_hundreds_of_divs_deep_is_found(depth: int) -> None:
    assert extract(nested(depth), filename="deep.html").text == f"{TEXT}\n\nThey eat leaves."


def test_flattening_keeps_shallow_structure_and_every_word() -> None:
    page = '<div class="a">' * 250 + "<p>One &amp; two</p><br/><span>three</span>" + "</div>" * 250
    flat = htmlshape.flatten(page)
    assert flat.count("<div") == htmlshape.MAX_DEPTH == flat.count("</div>")
    assert "<p>One &amp; two</p><br/>three" in flat
    assert not htmlshape.max_depth_reached(flat) and htmlshape.max_depth_reached(page)


def paragraphs(n_bytes: int) -> bytes:
    """About 5,000 <p> per 64 KB, each its own short sentence."""
    items = [f"<p>W{i % 100_000:05d}.</p>" for i in range(n_bytes // 14)]
    return ("<html><body>" + "".join(items) + "</body></html>").encode()


def test_extracting_many_paragraphs_grows_linearly() -> None:
    """Fourfold the page, at most sixfold the time (was over ninefold: 4.2 s at 0.6 MB, 12.3 s at 1.2)."""
    timings = []
    for size in (300_000, 1_200_000):
        page = paragraphs(size)
        start = time.process_time()
        found = extract(page, filename="p.html")
        timings.append(time.process_time() - start)
        assert found.text.count("\n\n") + 1 == page.count(b"<p>")
    assert timings[1] < 6 * timings[0], timings
