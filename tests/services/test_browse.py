import pytest
import redis

from keyspace.services.browse import KEY_OVERHEAD_BYTES, keys_metadata, lookup_key
from tests.roundtrips import count_round_trips

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py


def test_metadata_for_every_type(r):
    r.set("s", "hello", ex=3600)
    r.hset("h", mapping={"a": "1", "b": "2"})
    r.rpush("l", "x", "y", "z")
    r.sadd("set", "m")
    r.zadd("z", {"a": 1, "b": 2})
    r.xadd("st", {"f": "v"})
    rows = {row.name: row for row in keys_metadata(r, [b"s", b"h", b"l", b"set", b"z", b"st"])}
    assert rows[b"s"].type_name == "string" and rows[b"s"].length == 5
    assert 3_590_000 < rows[b"s"].ttl_ms <= 3_600_000
    assert rows[b"h"].length == 2 and rows[b"h"].ttl_ms == -1
    assert rows[b"l"].length == 3
    assert rows[b"set"].length == 1
    assert rows[b"z"].length == 2
    assert rows[b"st"].length == 1
    assert all(row.memory and row.memory > 0 for row in rows.values())


def test_metadata_uses_two_pipelines_not_one_trip_per_key(r, monkeypatch):
    names = [f"k:{i}".encode() for i in range(100)]
    with r.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.set(name, "v")
        pipe.execute()
    r.ping()
    with count_round_trips(monkeypatch) as sent:
        rows = keys_metadata(r, names)
    assert len(rows) == 100
    assert len(sent) == 2


def test_known_type_needs_one_pipeline(r, monkeypatch):
    r.hset("h:1", "f", "v")
    r.ping()
    with count_round_trips(monkeypatch) as sent:
        rows = keys_metadata(r, [b"h:1"], type_name="hash")
    assert rows[0].length == 1
    assert len(sent) == 1


def test_vanished_keys_are_left_out(r):
    r.set("here", "1")
    assert [row.name for row in keys_metadata(r, [b"here", b"gone"])] == [b"here"]


def test_refused_memory_usage_is_estimated_from_the_length(r, redis_server):
    r.acl_setuser(
        "nomemory", enabled=True, passwords=["+pw"], keys=["*"], commands=["+@all", "-memory"]
    )
    r.set("k", "v")
    limited = redis.Redis(port=redis_server.port, username="nomemory", password="pw")
    try:
        [row] = keys_metadata(limited, [b"k"])
    finally:
        limited.close()
        r.acl_deluser("nomemory")
    # Without MEMORY USAGE the size is estimated from the length, and marked so.
    assert row.memory_estimated and row.length == 1
    assert row.memory == KEY_OVERHEAD_BYTES + len(b"k") + 1


def test_lookup_takes_the_name_literally_then_with_escapes(r):
    r.set(b"bin:\xff", "1")
    r.set(b"plain\\x41", "2")
    assert lookup_key(r, "bin:\\xff") == b"bin:\xff"
    assert lookup_key(r, "plain\\x41") == b"plain\\x41"
    assert lookup_key(r, "missing") is None
