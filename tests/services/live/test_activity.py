"""The activity view's numbers: from a real Redis's keyevent notifications to top keys,
namespaces, command mix and expirations per second."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from keyspace.services.live.activity import Activity, Summary, watch_activity
from keyspace.services.live.chart import activity_chart

pytestmark = pytest.mark.django_db


def test_activity_counts_keys_namespaces_and_commands():
    wall = [1_000_000.0]
    activity = Activity(50, clock=lambda: wall[0], wall=lambda: wall[0])
    for _ in range(3):
        activity.record("hset", b"user:1")
    activity.record("expired", b"session:9")
    wall[0] += 1
    activity.record("evicted", b"cache:x")
    summary = activity.summary()
    assert [(c.name, c.count) for c in summary.keys][0] == (b"user:1", 3)
    assert {c.name for c in summary.namespaces} == {b"user:", b"session:", b"cache:"}
    assert {c.name: c.count for c in summary.commands}[b"hset"] == 3
    assert len(summary.series) == 60
    assert (summary.series[-2].expired, summary.series[-1].evicted) == (1, 1)
    assert summary.total == 5


def test_chart_is_numbers_scaled_to_a_round_top():
    activity = Activity(10, wall=lambda: 5000.0)
    for _ in range(7):
        activity.record("expired", b"k")
    chart = activity_chart(activity.summary().series)
    assert chart.top == 10
    points = chart.expired.split()
    assert len(points) == 60
    last_y = float(points[-1].split(",")[1])
    assert last_y < chart.baseline  # the last second rises above the axis
    assert all(float(p.split(",")[1]) == chart.baseline for p in points[:-1])


def test_watch_activity_from_real_notifications(r, notifications_on):
    summaries: list[Summary] = []
    stop = threading.Event()

    async def run():
        watch = watch_activity(0)
        try:
            while not stop.is_set():
                try:
                    item = await asyncio.wait_for(anext(watch), 0.2)
                except TimeoutError:
                    continue
                if isinstance(item, Summary):
                    summaries.append(item)
        finally:
            await watch.aclose()

    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    time.sleep(0.5)  # subscribed
    for i in range(20):
        r.hset(b"orders:%d" % (i % 2), b"f", i)
    r.set(b"tmp:1", b"x", px=50)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if summaries and summaries[-1].total >= 22 and sum(
                s.expired for s in summaries[-1].series):
            break
        time.sleep(0.1)
    stop.set()
    thread.join(5)
    last = summaries[-1]
    assert {c.name: c.count for c in last.keys}[b"orders:0"] == 10
    assert {c.name for c in last.namespaces} >= {b"orders:", b"tmp:"}
    assert sum(s.expired for s in last.series) == 1
