"""The activity chart as numbers for a template to draw as SVG: no HTML or SVG is built here,
only coordinates (numbers cannot inject anything)."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 600, 120
PAD_LEFT, PAD_BOTTOM, PAD_TOP = 40, 18, 8


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    top: int  # the largest value the y axis shows
    expired: str  # polyline points
    evicted: str
    events: str
    ticks: list[tuple[float, str]]  # (x, label) along the time axis
    baseline: float
    left: int


def _nice(value: int) -> int:
    """The y axis top: 1, 2 or 5 times a power of ten, at least `value`."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def _points(values: list[int], top: int) -> str:
    span = WIDTH - PAD_LEFT
    step = span / max(len(values) - 1, 1)
    usable = HEIGHT - PAD_BOTTOM - PAD_TOP
    return " ".join(f"{PAD_LEFT + i * step:.1f},{HEIGHT - PAD_BOTTOM - v / top * usable:.1f}"
                    for i, v in enumerate(values))


def activity_chart(series) -> Chart:
    """Events, expirations and evictions per second over `series` (oldest first)."""
    events = [s.events for s in series]
    expired = [s.expired for s in series]
    evicted = [s.evicted for s in series]
    top = _nice(max([1, *events]))
    span = WIDTH - PAD_LEFT
    count = max(len(series) - 1, 1)
    ticks = [(PAD_LEFT + i * span / count, f"-{count - i} s" if i < count else "now")
             for i in range(0, count + 1, 15)]
    return Chart(width=WIDTH, height=HEIGHT, top=top, expired=_points(expired, top),
                 evicted=_points(evicted, top), events=_points(events, top), ticks=ticks,
                 baseline=HEIGHT - PAD_BOTTOM, left=PAD_LEFT)
