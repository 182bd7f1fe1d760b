"""The shipped seed library: every seed loads, and its metadata is what its file states."""

from __future__ import annotations

from seeds import load_seeds
from storage.dates import parse_date
from storage.segment import segment


def test_every_seed_loads_and_is_consistent() -> None:
    problems: list[str] = []
    seeds = load_seeds()  # raises SeedError listing every problem in the manifest at once
    if len(seeds) < 2:
        problems.append(f"expected the two seed articles, found {len(seeds)}")
    for seed in seeds:
        if seed.published is not None and parse_date(seed.published) != seed.published:
            problems.append(f"{seed.key}: published {seed.published!r} is not an ISO date")
        if not segment(seed.body):
            problems.append(f"{seed.key}: no sentences")
        if seed.body[:1].isspace():
            problems.append(f"{seed.key}: body starts with whitespace (a header line left behind?)")
    assert not problems, "\n".join(problems)


def test_seed_text_is_kept_exactly_as_written() -> None:
    by_key = {s.key: s for s in load_seeds()}
    csto = by_key["csto-sets-up-peacekeeping-force"]
    assert (csto.author, csto.publisher, csto.published) == ("Alex Gorka", "strategic-culture.org", "2021-06")
    assert "It has a\u00a0\u00a017,000 strong" in csto.body  # the non-breaking space survives
    assert "CSTO’s Deputy Secretary General" in csto.body  # so does the curly apostrophe
    assert "Written by" not in csto.body and "JUNE 2021" not in csto.body
    moscow = by_key["moscow-tries-to-use-the-un-mandate"]
    # That file states no author, publisher or date: none is invented.
    assert (moscow.author, moscow.publisher, moscow.published) == (None, None, None)
    assert moscow.body.startswith("Russia plans to give the UN peacekeeper status")
