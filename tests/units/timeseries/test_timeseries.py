"""The time-series view on replies recorded as data, for what a live server (test_live.py)
would not hold for long: a series of ten million samples, values that are not numbers,
timestamps past any calendar. The replies below are what TS.INFO and TS.RANGE answer over
RESP2 (the protocol the dashboard speaks), written out literally; they go through the unit's
own parsing and the template, as a live page would."""

from __future__ import annotations

import re

from django.template.loader import render_to_string

from keyspace.units import PageRequest, registry
from keyspace.units.timeseries.chart import MAX_POINTS
from keyspace.units.timeseries.unit import TimeSeriesUnit, chart_command, with_chart
from tests.units.helpers import XSS, XSS_ESCAPED

INFO_SMALL = [
    b"totalSamples", 3, b"memoryUsage", 4239, b"firstTimestamp", 1700000000000,
    b"lastTimestamp", 1700000002000, b"retentionTime", 86400000, b"chunkCount", 1,
    b"chunkSize", 4096, b"chunkType", b"compressed", b"duplicatePolicy", None,
    b"labels", [[b"sensor", b"kitchen"], [b"note", XSS.encode()]],
    b"sourceKey", None, b"rules", [[b"temp:avg", 60000, b"AVG"]],
]
RANGE_SMALL = [[1700000000000, b"20.5"], [1700000001000, b"21"], [1700000002000, b"19.25"]]

INFO_HUGE = [
    b"totalSamples", 10_000_000, b"memoryUsage", 80_000_000, b"firstTimestamp", 0,
    b"lastTimestamp", 9_999_999_999, b"retentionTime", 0, b"chunkCount", 20_000,
    b"chunkSize", 4096, b"chunkType", b"compressed", b"duplicatePolicy", b"block",
    b"labels", [], b"sourceKey", None, b"rules", [],
]
INFO_EMPTY = [b"totalSamples", 0, b"memoryUsage", 4184, b"firstTimestamp", 0,
              b"lastTimestamp", 0, b"retentionTime", 0, b"chunkCount", 1, b"labels", [],
              b"rules", []]


def page_of(info, range_reply=None):
    unit = registry.unit_for("TSDB-TYPE")
    page = unit.parse_page(info, PageRequest(), unit.parse_length(info))
    command = chart_command(b"temp", page.extra["info"])
    if command is not None:
        page = with_chart(page, range_reply)
    return unit, page, command


def render(unit, page) -> str:
    return render_to_string(unit.template, {"page": page, "unit": unit})


def test_the_registry_finds_the_timeseries_unit():
    assert isinstance(registry.unit_for(b"TSDB-TYPE"), TimeSeriesUnit)


def test_a_small_series_is_read_raw_and_charted():
    unit, page, command = page_of(INFO_SMALL, RANGE_SMALL)
    assert command == ["TS.RANGE", b"temp", 1700000000000, 1700000002000, "COUNT", MAX_POINTS]
    assert unit.parse_length(INFO_SMALL) == 3
    html = render(unit, page)
    points = re.search(r'<polyline[^>]* points="([^"]*)"', html).group(1).split()
    assert len(points) == 3
    ys = [float(p.split(",")[1]) for p in points]
    assert ys[2] == max(ys) and ys[1] == min(ys)  # 19.25 lowest (drawn lowest), 21 highest
    assert "3 points from 2023-11-14 22:13:20.000 UTC" in html and "values 19.25 to 21" in html
    assert "<th scope=\"row\">label sensor</th><td>kitchen</td>" in html
    assert "temp:avg, 60,000, AVG" in html
    assert XSS not in html and XSS_ESCAPED in html


def test_a_huge_series_is_averaged_into_bounded_buckets():
    bucket = 20_000_000
    recorded = [[i * bucket, str(i % 7).encode()] for i in range(MAX_POINTS)]
    unit, page, command = page_of(INFO_HUGE, recorded)
    assert command[-2:] == ["COUNT", MAX_POINTS]
    assert command[4:7] == ["AGGREGATION", "avg", bucket]
    html = render(unit, page)
    assert f"{MAX_POINTS} points" in html and "average of a 20,000,000 ms bucket" in html


def test_values_that_are_not_numbers_are_left_out():
    unit, page, _ = page_of(INFO_SMALL, [[1, b"nan"], [2, b"inf"], [3, b"1.5"], [4, b"2"]])
    assert "2 points" in render(unit, page)


def test_an_empty_series_asks_for_no_range():
    unit, page, command = page_of(INFO_EMPTY)
    assert command is None
    assert "holds no samples" in render(unit, page)


def test_timestamps_past_any_calendar_are_charted_not_a_500():
    """RedisTimeSeries takes any 64-bit timestamp; the chart's start and end were datetimes,
    and a sample in the year 10,000 or later (or at 2**63 - 1 ms) raised ValueError or
    OverflowError while drawing the page."""
    last = 2**63 - 1
    info = [b"totalSamples", 2, b"memoryUsage", 4239, b"firstTimestamp", 1700000000000,
            b"lastTimestamp", last, b"retentionTime", 0, b"chunkCount", 1, b"labels", [],
            b"rules", []]
    unit, page, _command = page_of(info, [[1700000000000, b"1"], [last, b"2"]])
    html = render(unit, page)
    assert "<polyline" in html and "2023-11-14 22:13:20.000 UTC" in html
    assert f"{last:,} ms" in html
