"""The pub/sub stream of a named connection, under uvicorn: the response is iterated after
the view has returned, and it must still subscribe on, and read, the connection its URL
names; two connections' viewers of one channel never share a subscription."""

from __future__ import annotations

import json

from tests.services.pubsub.support import messages, numsub, wait_until
from tests.support.second_redis import PASSWORD
from tests.support.sse import SSEStream


def test_a_declared_connections_stream_subscribes_and_reads_there(start_dashboard, redis_server,
                                                                  r, second, second_server):
    declared = {"second": {"url": f"redis://127.0.0.1:{second_server.port}/0",
                           "password": PASSWORD, "environment": "staging"}}
    dashboard = start_dashboard(redis_server.url, DASHBOARD_CONNECTIONS=json.dumps(declared))
    streams = []
    try:
        there = SSEStream("127.0.0.1", dashboard.port,
                          "/c/second/db/0/pubsub/stream/?channel=orders", timeout=5)
        streams.append(there)
        assert there.status == 200, there.raw
        assert "subscribed" in there.next_event(5, name="status").data, dashboard.log()
        wait_until(lambda: numsub(second, "orders") == 1, 5, message="subscribed on second")
        assert numsub(r, "orders") == 0
        # A viewer of the same channel on the default connection has its own subscription.
        here = SSEStream("127.0.0.1", dashboard.port,
                         "/c/default/db/0/pubsub/stream/?channel=orders", timeout=5)
        streams.append(here)
        assert "subscribed" in here.next_event(5, name="status").data
        wait_until(lambda: numsub(r, "orders") == 1, 5, message="subscribed on default")

        second.publish("orders", b"from-second")
        r.publish("orders", b"from-default")
        got_there = messages(there.next_event(5, name="batch"))
        got_here = messages(here.next_event(5, name="batch"))
        assert [m.body for m in got_there] == ["from-second"]
        assert [m.body for m in got_here] == ["from-default"]
    finally:
        for stream in streams:
            stream.close()
