"""The library's cached figures (storage.backends.caches): bounded, and all forgotten at once."""

from __future__ import annotations

from storage.backends.caches import Bounded, Figures


def test_a_cache_past_its_limit_is_emptied_before_it_keeps_more() -> None:
    cache: Bounded[str, int] = Bounded(2)
    cache.remember({"a": 1, "b": 2, "c": 3})  # over the limit only after this
    assert len(cache) == 3
    cache.remember({"d": 4})
    assert cache == {"d": 4}


def test_renewing_forgets_every_figure() -> None:
    figures = Figures()
    figures.term_counts.remember({"zebra": 1})
    figures.scoped_counts.remember({("zebra", 7): 1})
    figures.source_counts[None] = 3
    figures.scoped_stats[7] = (1, 2.0)
    figures.similar.remember({("zebar", 7, 1): {"zebra": 1}})
    figures.renew(2, (10, 5.0))
    assert (figures.version, figures.sentence_stats) == (2, (10, 5.0))
    assert not any((figures.term_counts, figures.scoped_counts, figures.source_counts, figures.scoped_stats))
    assert not figures.similar
