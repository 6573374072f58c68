"""A time series' samples as an SVG line, computed here and drawn by the template (numbers
only: no markup is built in Python). TS.RANGE is asked for at most MAX_POINTS samples,
averaged into buckets when the series holds more, so a chart costs the same for 10 samples
or 10 million."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

MAX_POINTS = 500
WIDTH, HEIGHT, MARGIN = 600, 200, 4


def range_arguments(key: bytes, first_ms: int, last_ms: int, total: int) -> list:
    """TS.RANGE for the whole series in at most MAX_POINTS samples: raw when it holds few
    enough, else the average of each of MAX_POINTS equal time buckets."""
    command = ["TS.RANGE", key, first_ms, last_ms]
    if total > MAX_POINTS:
        command += ["AGGREGATION", "avg", bucket_ms(first_ms, last_ms)]
    return [*command, "COUNT", MAX_POINTS]


def bucket_ms(first_ms: int, last_ms: int) -> int:
    return max(1, math.ceil((last_ms - first_ms + 1) / MAX_POINTS))


def parse_samples(reply) -> list[tuple[int, float]]:
    """TS.RANGE's [[timestamp, value], ...] (values as text in RESP2, numbers in RESP3);
    values that are not finite numbers are left out."""
    samples = []
    for timestamp, value in reply or []:
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            samples.append((int(timestamp), number))
    return samples


def time_text(ms: int) -> str:
    """A timestamp as a UTC date and time; as a number of ms where no calendar reaches
    (RedisTimeSeries takes any 64-bit timestamp, datetime stops at the year 9999)."""
    try:
        when = datetime.fromtimestamp(ms / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return f"{ms:,} ms"
    return when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


def number_text(value: float) -> str:
    return f"{value:.6g}"


@dataclass(frozen=True)
class Chart:
    points: str  # "x,y x,y ..." in a WIDTH x HEIGHT box
    count: int
    low: str
    high: str
    start: str
    end: str
    bucket_ms: int | None
    width: int = WIDTH
    height: int = HEIGHT


def chart_of(samples: list[tuple[int, float]], bucket: int | None = None) -> Chart | None:
    if not samples:
        return None
    times = [t for t, _ in samples]
    values = [v for _, v in samples]
    start, end, low, high = min(times), max(times), min(values), max(values)
    span_t, span_v = (end - start) or 1, (high - low) or 1
    inner_w, inner_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    points = " ".join(
        f"{MARGIN + (t - start) / span_t * inner_w:.1f},"
        f"{MARGIN + inner_h - (v - low) / span_v * inner_h:.1f}"
        for t, v in samples
    )
    return Chart(points, len(samples), number_text(low), number_text(high), time_text(start),
                 time_text(end), bucket)
