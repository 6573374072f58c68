"""Chart geometry: bars in proportion, the largest at full width, changes either side."""

from keyspace.services.analysis.charts import (
    LABEL_WIDTH,
    MAX_BARS,
    VALUE_WIDTH,
    WIDTH,
    bar_chart,
    diverging_chart,
)

SPAN = WIDTH - LABEL_WIDTH - VALUE_WIDTH


def test_bars_are_in_proportion_to_the_largest():
    chart = bar_chart("t", [(b"a:", 400, "400 B"), (b"b:", 100, "100 B"), (b"c:", 0, "0 B")])
    widths = [bar.width for bar in chart.bars]
    assert widths == [SPAN, SPAN / 4, 0.0]
    assert [bar.y for bar in chart.bars] == sorted(bar.y for bar in chart.bars)
    assert chart.height > chart.bars[-1].y


def test_a_tiny_value_still_shows_and_long_lists_are_cut():
    chart = bar_chart("t", [("big", 10**9, ""), *((f"n{i}", 1, "") for i in range(30))])
    assert len(chart.bars) == MAX_BARS
    assert chart.bars[1].width == 1.0


def test_changes_grow_right_and_shrink_left_of_the_middle():
    chart = diverging_chart("t", [("grew", 50, "+50"), ("shrank", -100, "-100")])
    shrank, grew = chart.bars  # the largest change first
    assert shrank.negative and not grew.negative
    assert shrank.x + shrank.width == chart.axis_x == grew.x
    assert shrank.width == 2 * grew.width


def test_an_empty_chart_has_no_bars():
    assert bar_chart("t", []).bars == ()
