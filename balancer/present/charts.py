"""Inline SVG charts for the HTML report: the composition of one criteria column.

The charts are written as SVG text here rather than drawn by a plotting library, so the HTML
report stays one self-contained file that needs nothing at run time and prints sharply.

This module is the one place where report data enters markup that the template does not
escape: the template inserts the returned :class:`markupsafe.Markup` as is. So every data
string (column names, values, numbers shown as text) is passed through
:func:`markupsafe.escape` before it is joined into the SVG, and the result is wrapped in
``Markup`` only at the end. Element ids come from the caller's counter, never from data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from balancer.explain import CompositionRow
from balancer.spec.labels import NONE, Labels

WIDTH = 880
"""The viewBox width, the page's text width: the SVG is drawn at 1:1 on screen."""
LABEL_WIDTH = 210
"""At most this room on the left for the value names (longer names are shortened)."""
CHAR_WIDTH = 6.6
"""A generous average width of a 12px sans-serif character, to size the label column."""
VALUE_ROOM = 118
"""Room on the right of the longest bar for its text label."""
BAR = 11
BAR_GAP = 3
GROUP_GAP = 14
LEGEND_HEIGHT = 30
AXIS_HEIGHT = 22
MAX_LABEL = 30


@dataclass(frozen=True)
class _Series:
    """One kind of bar: its legend text and how it is painted (distinct in greyscale too)."""

    key: str
    legend: str
    fill: str
    stroke: str


BOARD = _Series("board", "Board", "#0b6bb3", "#0b6bb3")
TARGET = _Series("target", "Target", "#ffffff", "#1d2b3a")
POOL = _Series("pool", "Pool", "#c4ccd4", "#c4ccd4")


@dataclass(frozen=True)
class _Bar:
    series: _Series
    share: float
    text: str


def _e(text: object) -> str:
    """Escaped text, safe both as element content and inside a double-quoted attribute."""
    return str(escape(str(text)))


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def _seats(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def _short(label: str) -> str:
    """A value name that fits the label column; the full name stays in the bar's title."""
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "\u2026"


def _scale_top(largest: float) -> float:
    """The axis end: the largest share rounded up to a tenth, so short bars stay readable."""
    return max(1, min(10, math.ceil(round(largest * 10, 9)))) / 10


def _bars(row: CompositionRow, *, board_size: int, pool_total: int, has_board: bool) -> list[_Bar]:
    bars = []
    if has_board:
        share = row.board / board_size if board_size else 0.0
        bars.append(_Bar(BOARD, share, f"{_percent(share)} ({row.board} of {board_size})"))
    if row.target_share is not None:
        seats = "" if row.target_seats is None else f" ({_seats(row.target_seats)} seats)"
        bars.append(_Bar(TARGET, row.target_share, f"{_percent(row.target_share)}{seats}"))
    share = row.pool / pool_total if pool_total else 0.0
    bars.append(_Bar(POOL, share, f"{_percent(share)} ({row.pool} of {pool_total})"))
    return bars


def composition_chart(
    column: str,
    rows: Sequence[CompositionRow],
    *,
    board_size: int,
    has_board: bool,
    chart_id: str,
    labels: Labels = NONE,
) -> Markup:
    """A grouped horizontal bar chart: per value, its share of the board, target and pool.

    Column and values are said with ``labels`` (the scenario's ``labels:``), as in the text.

    Shares rather than seats, so a board of 11 and a pool of 600 sit on one axis. The bars
    carry their numbers as text, and the ``<title>``/``<desc>`` say the same in words for a
    screen reader; ``chart_id`` (from the template's counter) keeps the ids unique per page.
    """
    cid = _e(chart_id)
    pool_total = sum(row.pool for row in rows)
    groups = [
        (row, _bars(row, board_size=board_size, pool_total=pool_total, has_board=has_board))
        for row in rows
    ]
    series = [s for s in (BOARD, TARGET, POOL) if any(b.series == s for _, g in groups for b in g)]
    top = _scale_top(max((b.share for _, g in groups for b in g), default=0.0))
    said = {row.value: labels.value(column, row.value) for row in rows}
    longest = max((len(_short(said[row.value])) for row in rows), default=0)
    label_width = max(48.0, min(float(LABEL_WIDTH), longest * CHAR_WIDTH))
    x0 = label_width + 12
    span = WIDTH - x0 - VALUE_ROOM
    per_group = len(series) * (BAR + BAR_GAP) - BAR_GAP + GROUP_GAP
    plot_top = LEGEND_HEIGHT
    plot_height = len(groups) * per_group
    height = plot_top + plot_height + AXIS_HEIGHT

    def x_of(share: float) -> float:
        return x0 + span * min(share, top) / top if top else x0

    title = (
        f"Composition by {labels.column(column)}: "
        "share of the board, the target and the pool per value"
    )
    desc = "; ".join(
        f"{said[row.value]}: " + ", ".join(f"{b.series.legend.lower()} {b.text}" for b in bars)
        for row, bars in groups
    )
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" '
        f'preserveAspectRatio="xMinYMin meet">',
        f'<title id="{cid}-title">{_e(title)}</title>',
        f'<desc id="{cid}-desc">{_e(desc)}.</desc>',
    ]
    # Legend, top left of the plot area.
    lx = float(x0)
    for s in series:
        parts.append(
            f'<rect x="{lx:.1f}" y="8" width="14" height="{BAR}" fill="{s.fill}" '
            f'stroke="{s.stroke}" stroke-width="1"/>'
            f'<text x="{lx + 20:.1f}" y="17.5" class="legend">{_e(s.legend)}</text>'
        )
        lx += 20 + 8 * len(s.legend) + 26
    # Grid lines and the share axis.
    step = 0.1 if top <= 0.5 else 0.2
    ticks = [i * step for i in range(round(top / step) + 1)]
    for tick in ticks:
        x = x_of(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{plot_top - 4}" x2="{x:.1f}" '
            f'y2="{plot_top + plot_height - GROUP_GAP + 4}" class="grid"/>'
            f'<text x="{x:.1f}" y="{plot_top + plot_height - GROUP_GAP + 18}" '
            f'class="tick" text-anchor="middle">{_percent(tick)}</text>'
        )
    # One group of bars per value.
    for index, (row, bars) in enumerate(groups):
        y = plot_top + index * per_group
        middle = y + (len(series) * (BAR + BAR_GAP) - BAR_GAP) / 2
        parts.append(
            f"<g><title>{_e(said[row.value])}</title>"
            f'<text x="{label_width:.1f}" y="{middle + 4:.1f}" class="label" '
            f'text-anchor="end">{_e(_short(said[row.value]))}</text>'
        )
        for slot, s in enumerate(series):
            bar = next((b for b in bars if b.series == s), None)
            if bar is None:
                continue
            by = y + slot * (BAR + BAR_GAP)
            width = max(x_of(bar.share) - x0, 0.0)
            parts.append(
                f'<rect x="{x0:.1f}" y="{by}" width="{width:.1f}" height="{BAR}" '
                f'fill="{s.fill}" stroke="{s.stroke}" stroke-width="1" class="bar-{s.key}"/>'
                f'<text x="{x0 + width + 5:.1f}" y="{by + BAR - 2}" class="value">'
                f"{_e(bar.text)}</text>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))
