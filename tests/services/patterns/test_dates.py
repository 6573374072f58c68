"""Sorted-set scores that are dates."""

from __future__ import annotations

from tests.services.patterns.helpers import facts, recognised


def test_scores_in_milliseconds_are_shown_as_dates(r):
    r.zadd("events", {"signup": 1_700_000_000_000, "login": 1_700_000_060_500})
    found = recognised("events")["score-dates"]
    assert facts(found)["Scores are"] == "milliseconds since 1970-01-01 UTC"
    assert facts(found)["Latest"] == "2023-11-14 22:14:20 UTC"
    assert facts(found)["Earliest"] == "2023-11-14 22:13:20 UTC"
    assert found.extra["rows"] == [("login", "2023-11-14 22:14:20 UTC"),
                                   ("signup", "2023-11-14 22:13:20 UTC")]


def test_mixed_units_or_small_numbers_are_not_dates(r):
    r.zadd("mixed", {"a": 1_700_000_000, "b": 1_700_000_000_000})
    r.zadd("ranks", {"a": 1, "b": 2})
    assert recognised("mixed") == recognised("ranks") == {}
