"""Sparkline geometry for server-rendered SVG: numbers only (the template draws them), with
the text a screen reader or a copy-paste gets instead of the picture."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

WIDTH, HEIGHT, MARGIN = 120, 32, 2


@dataclass(frozen=True)
class Sparkline:
    label: str
    segments: tuple[str, ...]  # SVG polyline `points`, one per unbroken run of readings
    dots: tuple[tuple[float, float], ...]  # lone readings (a run of one), drawn as dots
    count: int
    low: str
    high: str
    latest: str
    seconds: int  # the time the chart spans: the window, or less while history is short
    empty: str = "Collecting: a line appears after two readings."
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def period(self) -> str:
        return f"{self.seconds} s" if self.seconds < 120 else f"{round(self.seconds / 60)} min"

    @property
    def summary(self) -> str:
        if not self.count:
            return f"{self.label}: no readings yet"
        return (f"{self.label} over the last {self.period}: now {self.latest}, "
                f"lowest {self.low}, highest {self.high} ({self.count} readings)")


def sparkline(label: str, points: list[tuple[float, float]], *, start: float, end: float,
              gap: float, shown: Callable[[float], str], empty: str = "") -> Sparkline:
    """`points` (time, value), oldest first, placed between `start` and `end`; a line breaks
    where readings are more than `gap` seconds apart (nobody was watching)."""
    seconds = max(1, round(end - start))
    if not points:
        return Sparkline(label, (), (), 0, "", "", "", seconds,
                         *([empty] if empty else []))
    values = [value for _, value in points]
    low, high = min(values), max(values)
    span_t = max(end - start, 1e-9)
    span_v = high - low

    def place(t: float, v: float) -> tuple[float, float]:
        x = (t - start) / span_t * WIDTH
        y = HEIGHT / 2 if span_v == 0 else MARGIN + (high - v) / span_v * (HEIGHT - 2 * MARGIN)
        return round(min(max(x, 0.0), WIDTH), 1), round(y, 1)

    runs = _runs(points, gap)
    segments = tuple(" ".join(f"{x},{y}" for x, y in (place(*p) for p in run))
                     for run in runs if len(run) > 1)
    dots = tuple(place(*run[0]) for run in runs if len(run) == 1)
    return Sparkline(label, segments, dots, len(points), shown(low), shown(high),
                     shown(values[-1]), seconds)


def _runs(points: list[tuple[float, float]], gap: float) -> list[list[tuple[float, float]]]:
    runs = [[points[0]]]
    for previous, point in zip(points, points[1:], strict=False):
        if point[0] - previous[0] > gap:
            runs.append([])
        runs[-1].append(point)
    return runs
