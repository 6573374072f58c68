"""Chart geometry for server-rendered SVG: numbers in, rectangles and labels out.

Templates draw what these return (keyspace/analysis/_bars.html, _diverging.html) and the
same rows as a table beside it, so every chart has its text equivalent. No script runs.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 640  # the SVG's viewBox width; it scales to the page
LABEL_WIDTH = 200
VALUE_WIDTH = 90
ROW_HEIGHT = 22
BAR_HEIGHT = 16
MAX_BARS = 12


@dataclass(frozen=True)
class Bar:
    label: object  # text or bytes (key names): the template escapes it
    value: int
    shown: str  # the value as people read it (bytes, count)
    x: float
    y: float
    width: float
    negative: bool = False

    @property
    def text_y(self) -> float:
        return self.y + BAR_HEIGHT - 4


@dataclass(frozen=True)
class Chart:
    title: str
    bars: tuple[Bar, ...]
    height: int
    width: int = WIDTH
    label_width: int = LABEL_WIDTH
    axis_x: float = LABEL_WIDTH

    @property
    def value_x(self) -> float:
        return self.width - VALUE_WIDTH + 6


def bar_chart(title: str, rows: list[tuple[object, int, str]]) -> Chart:
    """Horizontal bars for (label, value, shown) rows, the largest MAX_BARS."""
    rows = rows[:MAX_BARS]
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    largest = max((value for _, value, _ in rows), default=0) or 1
    bars = tuple(
        Bar(label, value, shown, LABEL_WIDTH, 4 + i * ROW_HEIGHT, max(1.0, span * value / largest)
            if value else 0.0)
        for i, (label, value, shown) in enumerate(rows)
    )
    return Chart(title, bars, 8 + len(bars) * ROW_HEIGHT)


def diverging_chart(title: str, rows: list[tuple[object, int, str]]) -> Chart:
    """Bars either side of a middle line for changes (label, change, shown): growth right,
    shrinkage left; the largest changes by size first."""
    rows = sorted(rows, key=lambda row: -abs(row[1]))[:MAX_BARS]
    half = (WIDTH - LABEL_WIDTH - VALUE_WIDTH) / 2
    middle = LABEL_WIDTH + half
    largest = max((abs(value) for _, value, _ in rows), default=0) or 1
    bars = []
    for i, (label, value, shown) in enumerate(rows):
        width = max(1.0, half * abs(value) / largest) if value else 0.0
        x = middle if value >= 0 else middle - width
        bars.append(Bar(label, value, shown, x, 4 + i * ROW_HEIGHT, width, value < 0))
    return Chart(title, tuple(bars), 8 + len(bars) * ROW_HEIGHT, axis_x=middle)
