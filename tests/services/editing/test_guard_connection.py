"""A guarded edit whose connection breaks while it watches its keys (a failover, a restart)
is reported, never run again: whether the first try's EXEC ran cannot be known."""

from __future__ import annotations

import pytest
import redis

from keyspace.redis.connection import get_client
from keyspace.services.editing.guard import guarded


def test_a_connection_lost_mid_edit_is_reported_not_retried(r):
    r.set(b"counter", b"1")
    client = get_client()
    tries = []

    def attempt(pipe):
        tries.append(pipe.get(b"counter"))
        if len(tries) == 1:
            r.client_kill_filter(_id=pipe.client_id())  # the edit's own connection dies

        def queue(pipe):
            pipe.incr(b"counter")
        return queue

    with pytest.raises(redis.ConnectionError):
        guarded(client, [b"counter"], attempt)
    assert tries == [b"1"]
    assert r.get(b"counter") == b"1"
    # The next edit, on a fresh connection, runs once as usual.
    guarded(client, [b"counter"], attempt)
    assert r.get(b"counter") == b"2" and tries == [b"1", b"1"]
