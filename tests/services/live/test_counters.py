"""Space-saving top-K and its sliding window: right on the heavy hitters, bounded memory."""

from __future__ import annotations

import random

import pytest

from keyspace.services.live.counters import SpaceSaving, Window


def test_exact_while_there_is_room():
    counter = SpaceSaving(10)
    for name, times in ((b"a", 5), (b"b", 3), (b"c", 1)):
        for _ in range(times):
            counter.add(name)
    assert [(c.name, c.count, c.exact) for c in counter.top(2)] == [(b"a", 5, True),
                                                                      (b"b", 3, True)]


def test_memory_is_bounded_and_heavy_hitters_found_among_a_million_names():
    counter = SpaceSaving(50)
    rng = random.Random(7)
    heavy = [b"hot:%d" % i for i in range(5)]
    for i in range(200_000):
        counter.add(heavy[i % 5] if rng.random() < 0.3 else b"cold:%d" % rng.randrange(10**6))
    assert len(counter.counts) == 50
    top = counter.top(5)
    assert {c.name for c in top} == set(heavy)
    for c in top:  # each heavy key had about 12,000 events: estimates never undercount
        assert c.count >= 11_000 and c.count - c.error <= 13_000


def test_a_newcomer_inherits_the_smallest_count_as_its_error():
    counter = SpaceSaving(2)
    counter.add(b"a", 3)
    counter.add(b"b", 1)
    counter.add(b"c")
    assert {c.name: (c.count, c.error) for c in counter.top(2)} == {b"a": (3, 0), b"c": (2, 1)}


def test_capacity_must_be_positive():
    with pytest.raises(ValueError):
        SpaceSaving(0)


def test_window_forgets_what_is_older_than_a_minute():
    now = [1000.0]
    window = Window(10, clock=lambda: now[0])
    window.add(b"old", 5)
    now[0] += 30
    window.add(b"new", 2)
    assert [(c.name, c.count) for c in window.top(2)] == [(b"old", 5), (b"new", 2)]
    assert window.total == 7
    now[0] += 35  # "old" was counted 65 s ago
    assert [(c.name, c.count) for c in window.top(2)] == [(b"new", 2)]
    now[0] += 60
    assert window.top(2) == [] and window.total == 0


def test_window_slices_are_bounded():
    now = [0.0]
    window = Window(10, clock=lambda: now[0])
    for _ in range(100):
        window.add(b"k")
        now[0] += 10
    assert len(window.slices) == 6
