"""Sparkline geometry: placed in time, scaled to the values, broken where nobody watched."""

from __future__ import annotations

from keyspace.services.server.charts import HEIGHT, MARGIN, WIDTH, sparkline


def line(points, gap=10.0):
    return sparkline("Load", points, start=0.0, end=100.0, gap=gap, shown=lambda v: f"{v:g}")


def test_points_span_time_and_values():
    chart = line([(0.0, 1.0), (50.0, 3.0), (100.0, 2.0)], gap=60.0)
    assert chart.segments == (f"0.0,{HEIGHT - MARGIN:.1f} {WIDTH / 2:.1f},{MARGIN:.1f} "
                              f"{WIDTH:.1f},{HEIGHT / 2:.1f}",)
    assert (chart.low, chart.high, chart.latest, chart.count) == ("1", "3", "2", 3)


def test_a_flat_line_sits_in_the_middle():
    chart = line([(90.0, 7.0), (95.0, 7.0)])
    assert chart.segments == (f"108.0,{HEIGHT / 2:.1f} 114.0,{HEIGHT / 2:.1f}",)


def test_gaps_break_the_line_and_lone_readings_are_dots():
    chart = line([(0.0, 1.0), (5.0, 2.0), (40.0, 3.0), (80.0, 1.0), (85.0, 1.0)])
    assert len(chart.segments) == 2
    assert chart.dots == ((48.0, MARGIN),)


def test_the_text_equivalent_says_what_the_picture_shows():
    chart = line([(0.0, 1.0), (5.0, 4.0)])
    assert chart.summary == ("Load over the last 100 s: now 4, lowest 1, highest 4 "
                             "(2 readings)")
    hour = sparkline("Load", [(0.0, 1.0)], start=0.0, end=1800.0, gap=15.0, shown=str)
    assert hour.summary.startswith("Load over the last 30 min: ")
    assert line([]).summary == "Load: no readings yet"
    assert line([]).segments == ()


def test_an_empty_chart_says_why():
    assert line([]).empty.startswith("Collecting")
    quiet = sparkline("Hits", [], start=0.0, end=1.0, gap=1.0, shown=str, empty="No reads.")
    assert quiet.empty == "No reads."
