"""Progress for long work on the command line: a bar on stderr when stderr is a terminal and
there is more than one item, nothing at all when it is piped or redirected.

Lines printed while the bar shows go through `echo`, which clears the bar, prints the line and
draws the bar again, so neither is torn. tqdm is imported only when a bar is shown.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO, TypeVar

T = TypeVar("T")
_bars: list[Any] = []  # the bar showing now, if any


def progress(items: Sequence[T], *, unit: str = "item", stream: TextIO | None = None) -> Iterator[T]:
    """`items`, one by one, with a bar on `stream` (stderr) when it is a terminal."""
    out = sys.stderr if stream is None else stream
    if len(items) < 2 or not _is_terminal(out):
        yield from items
        return
    from tqdm import tqdm

    with tqdm(items, file=out, unit=unit, leave=False, dynamic_ncols=True) as bar:
        _bars.append(bar)
        try:
            yield from bar
        finally:
            _bars.remove(bar)


@contextmanager
def counting(total: int, *, unit: str = "item", stream: TextIO | None = None) -> Iterator[Callable[[int], object]]:
    """A function to call with each step's count, drawing a bar of `total` on `stream` (stderr)
    when it is a terminal (and there is more than one item), doing nothing otherwise."""
    out = sys.stderr if stream is None else stream
    if total < 2 or not _is_terminal(out):
        yield lambda _n: None
        return
    from tqdm import tqdm

    with tqdm(total=total, file=out, unit=unit, leave=False, dynamic_ncols=True) as bar:
        _bars.append(bar)
        try:
            yield bar.update
        finally:
            _bars.remove(bar)


def echo(text: str, *, file: TextIO | None = None) -> None:
    """print(), but without tearing a bar that is showing."""
    out = sys.stdout if file is None else file
    if _bars:
        from tqdm import tqdm

        tqdm.write(text, file=out)
    else:
        print(text, file=out)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream: no bar
        return False
