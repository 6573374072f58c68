"""The activity view's numbers: from a real Redis's keyevent notifications to top keys,
namespaces, command mix and expirations per second."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from keyspace.services.live.activity import Activity, Summary, watch_activity
from keyspace.services.live.chart import activity_chart
from tests.support.redis_users import connected_as

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


def watched(write, done) -> Summary:
    """The last summary watch_activity(0) gave while `write()` ran, once `done(summary)` (or
    after 5 s)."""
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
    write()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not (summaries and done(summaries[-1])):
        time.sleep(0.1)
    stop.set()
    thread.join(5)
    return summaries[-1]


def test_watch_activity_from_real_notifications(r, notifications_on):
    def write():
        for i in range(20):
            r.hset(b"orders:%d" % (i % 2), b"f", i)
        r.set(b"tmp:1", b"x", px=50)

    last = watched(write, lambda s: s.total >= 22 and sum(x.expired for x in s.series))
    assert {c.name: c.count for c in last.keys}[b"orders:0"] == 10
    assert {c.name for c in last.namespaces} >= {b"orders:", b"tmp:"}
    assert sum(s.expired for s in last.series) == 1


@pytest.fixture
def app_user(r, redis_server, settings):
    """The dashboard connected as a user limited to the keys `app:*`."""
    with connected_as(r, redis_server, settings, "appu", "~app:*", "&*", "+@all"):
        yield


def test_a_user_limited_to_some_keys_sees_activity_of_those_only(r, notifications_on, app_user):
    def write():
        for i in range(5):
            r.set(b"secretname:%d" % i, b"v")
            r.set(b"app:x:%d" % i, b"v")
        time.sleep(1.2)  # a summary once every event has arrived

    last = watched(write, lambda s: s.total >= 5)
    assert {c.name for c in last.keys} == {b"app:x:%d" % i for i in range(5)}
    assert {c.name for c in last.namespaces} == {b"app:"}
    assert last.total == 5


def test_a_key_name_longer_than_a_message_is_kept_is_not_counted_under_a_cut_name(
        r, notifications_on):
    """The pub/sub reader keeps 64 KB of a message: a longer key name arrives cut, and is
    counted as not seen rather than under a name no key has."""
    from keyspace.services.pubsub.messages import KEEP_BYTES

    long_name = b"long:" + b"n" * KEEP_BYTES

    def write():
        r.set(long_name, b"v")
        for i in range(3):
            r.set(b"short:%d" % i, b"v")
        time.sleep(1.2)  # a summary once every event has arrived

    last = watched(write, lambda s: s.total >= 3)
    assert {c.name for c in last.keys} == {b"short:%d" % i for i in range(3)}
    assert not any(c.name.startswith(b"long:") for c in last.keys)
