"""A live key stream on a declared connection, under uvicorn: the response is iterated after
the view returned, and it still watches that connection's server, not the default one."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from keyspace.redis.keynames import encode_key
from keyspace.units import registry
from tests.support.second_redis import PASSWORD
from tests.support.sse import SSEStream
from tests.support.uvicorn_dashboard import UvicornDashboard

pytestmark = pytest.mark.django_db
KEY = b"live:named"
def test_a_live_key_stream_watches_its_connections_server(redis_server, second_server, second,
                                                          r, notifications, tmp_path):
    declared = {"second": {"url": f"redis://127.0.0.1:{second_server.port}/0",
                           "password": PASSWORD}}
    dashboard = UvicornDashboard(redis_server.url, tmp_path,
                                 ready_path="/c/second/db/0/live/notifications/",
                                 DASHBOARD_LIVE_INTERVAL="0.05",
                                 DASHBOARD_CONNECTIONS=json.dumps(declared)).start()
    r.hset(KEY, mapping={b"f": b"default-1"})
    second.hset(KEY, mapping={b"f": b"second-1"})
    path = (f"/c/second/db/0/key/{encode_key(KEY)}/live/stream/?"
            + urlencode({"digest": "stale"}))
    stream = SSEStream("127.0.0.1", dashboard.port, path)
    try:
        assert stream.status == 200, (stream.raw, dashboard.log())
        stream.wait_for(lambda e: e.data == "subscribed", name="status")
        # The stale digest: the whole value is drawn again, from the second server.
        drawn = stream.wait_for(lambda e: "second-1" in e.data or "default-1" in e.data,
                                name="value")
        assert "second-1" in drawn.data and "default-1" not in drawn.data
        stream.next_event(name="digest")
        r.hset(KEY, b"f", b"changed-on-default")
        second.hset(KEY, b"f", b"changed-on-second")
        token = registry.unit_for("hash").row_token(b"f")
        row = stream.wait_for(lambda e: f'data-row="{token}"' in e.data, name="row")
        assert "changed-on-second" in row.data
        assert not any("changed-on-default" in e.data for e in stream.events)
    finally:
        stream.close()
        dashboard.stop()
