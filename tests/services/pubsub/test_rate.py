"""Messages per second: counted by arrival time, sent on a timer while quiet."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from keyspace.services.pubsub.live import Subscription
from keyspace.services.pubsub.rates import ArrivalRate
from keyspace.views import pubsub as views
from tests.services.pubsub.support import run_async, text_of
from tests.support.sse import parse_all


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def rate_of(event) -> int:
    return int(re.search(r"([0-9,]+) msg/s", text_of(event)).group(1).replace(",", ""))


def test_the_rate_follows_arrivals_and_falls_to_zero_after_the_window():
    clock = Clock()
    rate = ArrivalRate(window=2.0, clock=clock)
    clock.now += 10
    for _ in range(40):  # 100 per second for 4 s
        rate.count(10)
        clock.now += 0.1
    assert rate.per_second() == pytest.approx(100, rel=0.1)
    clock.now += 1.0
    # half the window was quiet (the window starts at a slot boundary: within a slot's worth)
    assert rate.per_second() == pytest.approx(50, rel=0.25)
    clock.now += 1.01
    assert rate.per_second() == 0
    assert len(rate.slots) == 0


def test_a_young_stream_divides_by_its_age_and_memory_stays_a_few_slots():
    clock = Clock()
    rate = ArrivalRate(window=2.0, clock=clock)
    clock.now += 0.5
    rate.count(50)
    assert rate.per_second() == pytest.approx(100)
    for _ in range(10_000):
        rate.count()
        clock.now += 0.001
    assert len(rate.slots) <= 9


def test_a_stalled_reader_catching_up_does_not_make_the_rate_jump(r, settings):
    """Messages that arrived while the page was not reading count at their arrival time: when
    it catches up seconds later, the rate is the current one (0), not the backlog's size."""
    settings.DASHBOARD_PUBSUB_INTERVAL = 0.05

    async def run():
        gen = views._stream(Subscription(channels=(b"stall",)), 0)
        try:
            assert b"subscribed" in await gen.__anext__()
            r.publish("stall", "first")  # read and sent: the stream is under way
            while b"event: stats" not in await asyncio.wait_for(gen.__anext__(), 2):
                pass
            with r.pipeline(transaction=False) as pipe:
                for n in range(300):
                    pipe.publish("stall", str(n))
                pipe.execute()
            await asyncio.sleep(2.6)  # the page stalls; the server keeps reading
            chunks = []
            while not any(b"event: stats" in c for c in chunks):
                chunks.append(await asyncio.wait_for(gen.__anext__(), 2))
            return chunks
        finally:
            await gen.aclose()

    events, _ = parse_all(b"".join(run_async(run())))
    stats = [e for e in events if e.name == "stats"][-1]
    assert text_of(stats).startswith("301 received")
    assert rate_of(stats) == 0


def test_the_page_shows_zero_shortly_after_traffic_stops(dashboard, r):
    stream = dashboard.subscribed(channel="steady")
    published, started = 0, time.monotonic()
    while time.monotonic() - started < 1.5:  # about 400 messages a second
        with r.pipeline(transaction=False) as pipe:
            for n in range(20):
                pipe.publish("steady", str(n))
            pipe.execute()
        published += 20
        time.sleep(0.05)
    stopped = time.monotonic()
    zero = stream.wait_for(lambda e: rate_of(e) == 0, 4.5, name="stats")
    assert zero.at - stopped < 3.5  # the window (2 s) and one tick of the timer (1 s)
    assert text_of(zero).startswith(f"{published:,} received")
    during = [rate_of(e) for e in stream.events if e.name == "stats"]
    assert max(during) > 100, during
