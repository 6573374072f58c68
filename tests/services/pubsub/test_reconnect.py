"""A stream that loses its connection holds no subscription while it waits to reconnect, and
never more than one pub/sub connection at any moment."""

from __future__ import annotations

import threading
import time

from keyspace.services.pubsub.live import Status, Subscription, stream_messages
from tests.services.pubsub.support import dashboard_clients, messages, numsub, run_async, text_of


def pubsub_connections(client) -> list[dict]:
    """The dashboard's named connections that are in pub/sub mode."""
    return [c for c in dashboard_clients(client)
            if "P" in c.get("flags", "") or int(c.get("sub", 0)) or int(c.get("psub", 0))]


async def _next_status(stream) -> Status:
    while True:
        item = await anext(stream)
        if isinstance(item, Status):
            return item


def test_a_dropped_connection_is_closed_before_the_stream_waits(r):
    """Paused right after it reports the loss (where it would sleep), the stream holds no
    connection: redis-py must not have reconnected and resubscribed it behind our back."""

    async def run():
        stream = stream_messages(Subscription(channels=(b"gone",)), 0, interval=0.05,
                                 max_batch=10)
        try:
            assert (await _next_status(stream)).text == "subscribed"
            assert numsub(r, "gone") == 1
            assert r.client_kill_filter(_type="pubsub") == 1
            lost = await _next_status(stream)
            assert "lost the connection" in lost.text
            time.sleep(0.3)  # the event loop is held: nothing on our side can change now
            return numsub(r, "gone"), pubsub_connections(r)
        finally:
            await stream.aclose()

    subscribers, connections = run_async(run())
    assert subscribers == 0
    assert connections == []
    assert r.publish("gone", "nobody buffers this") == 0


class Sampler(threading.Thread):
    """CLIENT LIST every few milliseconds: the dashboard's pub/sub connections over time."""

    def __init__(self, client):
        super().__init__(daemon=True)
        self.client = client
        self.samples: list[list[int]] = []
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            self.samples.append([int(c["id"]) for c in pubsub_connections(self.client)])
            time.sleep(0.005)

    def stop(self) -> list[list[int]]:
        self.done.set()
        self.join(5)
        return self.samples


def test_one_pubsub_connection_per_stream_during_and_after_a_reconnect(dashboard, r):
    stream = dashboard.subscribed(channel="once", pattern="once.*")
    [old] = [int(c["id"]) for c in pubsub_connections(r)]
    sampler = Sampler(r)
    sampler.start()
    try:
        with r.pipeline(transaction=False) as pipe:  # a flood in flight while it drops
            for n in range(4000):
                pipe.publish("once", str(n))
                if n == 1000:
                    pipe.client_kill_filter(_id=old)
            assert pipe.execute()[1001] == 1
        lost = stream.next_event(3, name="status")
        assert "lost the connection" in text_of(lost)
        back = stream.next_event(5, name="status")
        assert text_of(back).startswith("reconnected to redis after ")
        time.sleep(0.3)
    finally:
        samples = sampler.stop()
    [new] = [int(c["id"]) for c in pubsub_connections(r)]
    assert max(len(ids) for ids in samples) <= 1, samples
    seen = {i for ids in samples for i in ids}
    assert seen <= {old, new}, f"an extra connection {seen - {old, new}} was opened"
    assert any(ids == [] for ids in samples), "no moment without a subscription while away"
    assert numsub(r, "once") == 1 and r.pubsub_numpat() == 1
    assert r.publish("once", "after") == 1
    batch = stream.wait_for(lambda e: any(m.body == "after" for m in messages(e)), 2,
                            name="batch")
    assert batch
