"""Stream IDs as people type them and as the reads send them."""

from __future__ import annotations

import pytest

from keyspace.units.stream import ids

TOP = 2**64 - 1


@pytest.mark.parametrize(
    ("text", "upper", "expected"),
    [
        ("", False, (0, 0)),
        ("", True, (TOP, TOP)),
        ("-", True, (0, 0)),
        ("+", False, (TOP, TOP)),
        ("5-3", True, (5, 3)),
        ("1700000000000", False, (1_700_000_000_000, 0)),
        ("1700000000000", True, (1_700_000_000_000, TOP)),
        ("2023-11-14 22:13:20", False, (1_700_000_000_000, 0)),
        ("2023-11-14T22:13:20.5Z", True, (1_700_000_000_500, TOP)),
        ("2023-11-14T23:13:20+01:00", False, (1_700_000_000_000, 0)),
        (" 7-0 ", False, (7, 0)),
    ],
)
def test_bounds(text, upper, expected):
    assert ids.parse_bound(text, upper=upper) == expected


@pytest.mark.parametrize("text", ["abc", "1-2-3", "1-", "\u0661-\u0661", "1969-12-31",
                                  "18446744073709551616", "1-18446744073709551616"])
def test_bad_bounds(text):
    with pytest.raises(ValueError):
        ids.parse_bound(text, upper=False)


def test_neighbours_at_the_edges():
    assert ids.after((5, TOP)) == (6, 0) and ids.before((6, 0)) == (5, TOP)
    assert ids.after((TOP, TOP)) is None and ids.before((0, 0)) is None
    assert ids.after((0, 0)) == (0, 1) and ids.before((TOP, TOP)) == (TOP, TOP - 1)


def test_times_only_for_clock_ids():
    assert ids.id_time(1_700_000_000_123) == "2023-11-14 22:13:20.123"
    assert ids.id_time(5) is None and ids.id_time(TOP) is None
