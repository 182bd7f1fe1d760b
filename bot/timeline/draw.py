"""The timeline picture (a PNG), drawn from a `Timeline` of dated statements.

The picture is made to be read at about 400 px wide (Discord on a phone) on dark and light themes:
800 px wide, drawn on a light card of its own, time running down one axis with a lane and a colour
per source, each event numbered and labelled with the date as written and a short verbatim
fragment; events that cannot be placed sit below, hollow. matplotlib (Agg, no pyplot, so it is
safe in a worker thread) is imported only when a picture is drawn.
"""

from __future__ import annotations

import io
from typing import Any

from bot.answer.timeline import Event, Timeline
from bot.timeline.text import date_label, heading

WIDTH_PX = 800
DPI = 100
PALETTE = ("#1f6fb5", "#d9590b", "#15803d", "#7e22ce", "#8b5a2b", "#c81e1e")
SQUARES = ("🟦", "🟧", "🟩", "🟪", "🟫", "🟥")  # the same colours, for text that cannot be coloured
CARD, BORDER, INK, MUTED, GRID = "#f4f4f6", "#c9c9d1", "#1c1c1e", "#45454f", "#dcdce2"
FILENAME = "timeline.png"

# Layout, in pixels of the 800-px-wide picture.
PAD = 24
TITLE_H = 78
HEADER_H = 40
ROW_H = 66
SECTION_H = 46
LEGEND_ROW_H = 30
LANE_W = 30
AXIS_W = 58
GAP = 40  # between the lanes and the labels
BADGE_R = 13
# Font sizes in points (at 100 dpi a point is 1.39 px, so 15 pt shows as about 10 px at 400 px wide).
TITLE_PT, DATE_PT, QUOTE_PT, SMALL_PT = 20, 16, 15, 14


def colour(lane: int) -> str:
    return PALETTE[lane % len(PALETTE)]


def square(lane: int) -> str:
    return SQUARES[lane % len(SQUARES)]


def picture_size(timeline: Timeline) -> tuple[int, int]:
    """The PNG's width and height in pixels."""
    unplaced = len(timeline.unplaced)
    height = (
        PAD
        + TITLE_H
        + HEADER_H
        + len(timeline.placed) * ROW_H
        + (SECTION_H + unplaced * ROW_H if unplaced else 0)
        + 20
        + (len(timeline.sources) + (1 if timeline.left_out else 0)) * LEGEND_ROW_H
        + PAD
    )
    return WIDTH_PX, height


def draw_png(timeline: Timeline) -> bytes:
    """The picture as PNG bytes. CPU-bound: call it with asyncio.to_thread from async code."""
    if not timeline.drawable:
        raise ValueError("a timeline with nothing placed has no picture")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    width, height = picture_size(timeline)
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor=CARD)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    _Drawing(ax, canvas, timeline, width, height).draw()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, facecolor=CARD)
    return out.getvalue()


class _Drawing:
    def __init__(self, ax: Any, canvas: Any, timeline: Timeline, width: int, height: int) -> None:
        self.ax = ax
        self.renderer = canvas.get_renderer()
        self.t = timeline
        self.width = width
        self.height = height
        self.lanes_x = PAD + AXIS_W
        self.label_x = self.lanes_x + LANE_W * len(timeline.sources) + GAP
        self.right = width - PAD

    def draw(self) -> None:
        from matplotlib.patches import FancyBboxPatch, Rectangle

        ax = self.ax
        ax.add_patch(Rectangle((1, 1), self.width - 2, self.height - 2, fill=False, edgecolor=BORDER, lw=2))
        y = PAD
        self.text(PAD, y + 14, heading(self.t), TITLE_PT, weight="bold", limit=self.right - PAD)
        placed, unplaced = len(self.t.placed), len(self.t.unplaced)
        sub = f"{len(self.t.events)} dated statements in {len(self.t.sources)} sources · dates as written"
        self.text(PAD, y + 46, sub, SMALL_PT, colour=MUTED, limit=self.right - PAD)
        y += TITLE_H
        for lane, _source in enumerate(self.t.sources):
            self.badge(self.lane_x(lane), y + HEADER_H / 2 - 4, str(lane + 1), colour(lane), square_shape=True)
        y += HEADER_H
        top, bottom = y, y + placed * ROW_H
        for lane in range(len(self.t.sources)):
            ax.plot([self.lane_x(lane)] * 2, [top, bottom], color=colour(lane), lw=2, alpha=0.25, zorder=1)
        scale = self.scale(top, bottom)
        self.ticks(top, bottom, scale)
        for row, event in enumerate(self.t.placed):
            when = event.dated.when
            assert when is not None
            x = self.lane_x(event.lane)
            y0, y1 = scale(when.start), scale(when.end)
            mid = (y0 + y1) / 2
            if when.precision in {"day", "month"} or y1 - y0 < 10:
                ax.add_patch(_circle(x, mid, 7, colour(event.lane), colour(event.lane)))
            else:
                ax.add_patch(
                    FancyBboxPatch(
                        (x - 6, y0),
                        12,
                        y1 - y0,
                        boxstyle="round,pad=0,rounding_size=5",
                        facecolor=colour(event.lane),
                        edgecolor="none",
                        zorder=3,
                    )
                )
            slot = top + (row + 0.5) * ROW_H
            elbow = self.label_x - GAP + 8
            ax.plot([x + 8, elbow, self.label_x - BADGE_R - 4], [mid, mid, slot], color=MUTED, lw=1, alpha=0.55)
            self.label(event, slot, filled=True)
        y = bottom
        if unplaced:
            ax.plot([PAD, self.right], [y + 10, y + 10], color=BORDER, lw=1.5, ls=(0, (4, 3)))
            note = "Not placed: the text gives no year for these"
            self.text(PAD, y + 30, note, SMALL_PT, weight="bold", colour=MUTED, limit=self.right - PAD)
            y += SECTION_H
            for row, event in enumerate(self.t.unplaced):
                slot = y + (row + 0.5) * ROW_H
                x = self.lane_x(event.lane)
                ax.add_patch(_circle(x, slot, 7, CARD, colour(event.lane), lw=2))
                ax.plot([x + 9, self.label_x - BADGE_R - 4], [slot, slot], color=MUTED, lw=1, alpha=0.4, ls=":")
                self.label(event, slot, filled=False)
            y += unplaced * ROW_H
        y += 20
        for lane, source in enumerate(self.t.sources):
            cy = y + LEGEND_ROW_H / 2
            self.badge(PAD + 11, cy, str(lane + 1), colour(lane), square_shape=True, small=True)
            self.text(PAD + 30, cy, source.title, QUOTE_PT, limit=self.right - PAD - 30)
            y += LEGEND_ROW_H
        if self.t.left_out:
            more = f"and {self.t.left_out} more dated statements not shown (ask about a topic to narrow it)"
            self.text(PAD, y + LEGEND_ROW_H / 2, more, SMALL_PT, colour=MUTED, limit=self.right - PAD)

    # -- pieces ----------------------------------------------------------------------------------

    def lane_x(self, lane: int) -> float:
        return self.lanes_x + LANE_W * (lane + 0.5)

    def scale(self, top: float, bottom: float) -> Any:
        whens = [e.dated.when for e in self.t.placed if e.dated.when is not None]
        first, last = min(w.start for w in whens), max(w.end for w in whens)
        if last - first < 1:
            first, last = first - 0.5, last + 0.5
        lo, hi = top + ROW_H * 0.3, bottom - ROW_H * 0.3
        return lambda t: lo + (t - first) / (last - first) * (hi - lo)

    def ticks(self, top: float, bottom: float, scale: Any) -> None:
        from matplotlib.ticker import MaxNLocator

        whens = [e.dated.when for e in self.t.placed if e.dated.when is not None]
        first, last = min(w.start for w in whens), max(w.end for w in whens)
        rows = len(self.t.placed)
        for year in MaxNLocator(nbins=max(2, min(rows, 8)), integer=True).tick_values(first, last):
            y = scale(year)
            if not top <= y <= bottom:
                continue
            lanes_end = self.lanes_x + LANE_W * len(self.t.sources)
            self.ax.plot([self.lanes_x - 4, lanes_end], [y, y], color=GRID, lw=1, zorder=0)
            self.text(self.lanes_x - 8, y, str(int(year)), SMALL_PT, colour=MUTED, ha="right")

    def label(self, event: Event, y: float, *, filled: bool) -> None:
        lane_colour = colour(event.lane)
        self.badge(self.label_x, y, str(event.number), lane_colour, hollow=not filled)
        x = self.label_x + BADGE_R + 8
        room = self.right - x
        self.text(x, y - 13, date_label(event), DATE_PT, weight="bold", limit=room)
        limit = 40
        while True:
            quoted = f"“{event.fragment(limit)}”"
            item = self.text(x, y + 14, quoted, QUOTE_PT, colour=MUTED)
            if self.width_of(item) <= room or limit <= 12:
                break
            item.remove()
            limit -= 3

    def badge(
        self,
        x: float,
        y: float,
        label: str,
        fill: str,
        *,
        hollow: bool = False,
        square_shape: bool = False,
        small: bool = False,
    ) -> None:
        from matplotlib.patches import FancyBboxPatch

        r = BADGE_R - (3 if small else 0)
        if square_shape:
            patch = FancyBboxPatch(
                (x - r, y - r),
                2 * r,
                2 * r,
                boxstyle="round,pad=0,rounding_size=4",
                facecolor=fill,
                edgecolor=fill,
                zorder=4,
            )
        else:
            patch = _circle(x, y, r, CARD if hollow else fill, fill, lw=2)
        self.ax.add_patch(patch)
        size = SMALL_PT - (3 if small else 0) - (3 if len(label) > 1 else 0)
        self.text(x, y, label, size, weight="bold", colour=fill if hollow else "white", ha="center", zorder=5)

    def text(
        self,
        x: float,
        y: float,
        value: str,
        size: float,
        *,
        weight: str = "normal",
        colour: str = INK,
        ha: str = "left",
        limit: float | None = None,
        zorder: int = 4,
    ) -> Any:
        item = self.ax.text(x, y, value, fontsize=size, fontweight=weight, color=colour, ha=ha, va="center")
        item.set_zorder(zorder)
        if limit is not None:
            shown = value
            while self.width_of(item) > limit and len(shown) > 4:
                shown = shown[: max(4, int(len(shown) * limit / self.width_of(item)) - 1)].rstrip() + "…"
                item.set_text(shown)
        return item

    def width_of(self, item: Any) -> float:
        """Width in pixels (the axes' data units are pixels)."""
        return float(item.get_window_extent(renderer=self.renderer).width)


def _circle(x: float, y: float, r: float, face: str, edge: str, lw: float = 0) -> Any:
    from matplotlib.patches import Circle

    return Circle((x, y), r, facecolor=face, edgecolor=edge, lw=lw, zorder=3)
