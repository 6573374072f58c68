"""Export, then import into an empty database: byte-exact for every type, name and TTL."""

import pytest

from keyspace.services.bulk.selection import Selection
from keyspace.services.transfer import formats
from keyspace.services.transfer.export import CHUNK, STRING_CHUNK, export_lines
from keyspace.services.transfer.load import ImportProblem, load, parse

ALL = Selection("pattern", b"*")
BINARY = bytes(range(256))


def seed(r):
    r.set(b"str:\xff\x00name", BINARY, px=3_600_000)
    r.set(b"str:empty", b"")
    r.set(b"str:long", BINARY * (2 * STRING_CHUNK // 256 + 3))
    r.hset(b"hash:\x00", mapping={b"f\xff": BINARY, b"": b"empty field"})
    r.hset(b"hash:big", mapping={f"f{i}".encode(): f"{i}".encode() for i in range(CHUNK * 3)})
    r.rpush(b"list", b"a", b"a", BINARY, b"")
    r.rpush(b"list:big", *[str(i).encode() for i in range(CHUNK * 2 + 5)])
    r.sadd(b"set", BINARY, b"x", b"")
    r.zadd(b"zset", {b"tiny": 1e-300, b"tenth": 0.1, b"inf": float("inf"),
                     b"-inf": float("-inf"), BINARY: -0.0, b"big": 2**53 + 1})
    r.execute_command("XADD", b"stream", "1-1", b"f", b"1", b"f", b"2")
    r.execute_command("XADD", b"stream", "1700000000000-5", b"\xff", BINARY)
    r.pexpire(b"stream", 86_400_000)


def snapshot(r) -> dict:
    """Each key's type, exact content and absolute expiry (to the second)."""
    out = {}
    for key in r.scan_iter(count=1000):
        kind = r.type(key)
        if kind == b"string":
            content = r.get(key)
        elif kind == b"hash":
            content = r.hgetall(key)
        elif kind == b"list":
            content = r.lrange(key, 0, -1)
        elif kind == b"set":
            content = r.smembers(key)
        elif kind == b"zset":
            content = r.execute_command("ZRANGE", key, 0, -1, "WITHSCORES")
        else:
            content = r.execute_command("XRANGE", key, "-", "+")
        expiry = r.execute_command("PEXPIRETIME", key)
        out[key] = (kind, content, round(expiry / 1000) if expiry > 0 else expiry)
    return out


def exported(r, encoding=formats.VALUES, selection=ALL) -> bytes:
    header = formats.header(encoding, server="test", db=0, created="now")
    return header + b"".join(export_lines(r, selection, encoding))


@pytest.mark.parametrize("encoding", formats.ENCODINGS)
def test_a_round_trip_is_exact(r, encoding):
    seed(r)
    before = snapshot(r)
    payload = exported(r, encoding)
    r.flushdb()
    outcome = load(r, parse(payload), "skip")
    assert outcome.written == len(before) and outcome.skipped == 0
    assert snapshot(r) == before


def test_big_keys_take_several_bounded_lines(r):
    seed(r)
    lines = exported(r).splitlines()
    assert max(len(line) for line in lines) < STRING_CHUNK * 2
    assert sum(b'"k":"aGFzaDpiaWc="' in line for line in lines) >= 3


def test_the_policies(r):
    r.set("a", "exported")
    payload = exported(r)
    r.set("a", "there already")
    assert load(r, parse(payload), "skip").skipped == 1
    assert r.get("a") == b"there already"
    renamed = load(r, parse(payload), "rename")
    assert renamed.renamed == 1 and r.get("a:imported") == b"exported"
    assert load(r, parse(payload), "rename").renamed == 1 and r.get("a:imported:2")
    load(r, parse(payload), "replace")
    assert r.get("a") == b"exported"


def test_replace_does_not_merge_into_the_old_value(r):
    r.hset("h", mapping={"new": "1"})
    payload = exported(r)
    r.hset("h", mapping={"old": "1"})
    load(r, parse(payload), "replace")
    assert r.hgetall("h") == {b"new": b"1"}


def test_keys_already_expired_are_not_brought_back(r):
    r.set("soon", "x", px=1)
    r.set("later", "x", ex=3600)
    payload = exported(r)
    r.flushdb()
    outcome = load(r, parse(payload), "skip")
    assert not r.exists("soon") and r.exists("later")
    assert outcome.written + outcome.expired == outcome.keys


def test_export_matches_exactly(r):
    r.mset({"foo:": 1, "foo:1": 1, "foo[1]:a": 1, "foo1:a": 1})
    lines = exported(r, selection=Selection("prefix", b"foo[1]:")).splitlines()[1:]
    assert [parse_key(line) for line in lines] == [b"foo[1]:a"]
    lines = exported(r, selection=Selection("exact", b"foo:")).splitlines()[1:]
    assert [parse_key(line) for line in lines] == [b"foo:"]


def parse_key(line: bytes) -> bytes:
    import json

    return formats.unb64(json.loads(line)["k"])


def test_dump_leaves_out_keys_over_the_copy_limit(r, settings):
    settings.DASHBOARD_COPY_MAX_ELEMENTS = 10
    r.sadd("big", *range(11))
    r.set("small", 1)
    payload = exported(r, formats.DUMP)
    assert b'"skipped":"too large to DUMP (11 elements)"' in payload
    r.flushdb()
    load(r, parse(payload), "skip")
    assert r.exists("small") and not r.exists("big")


@pytest.mark.parametrize(("payload", "said"), [
    (b'{"format":"other"}\n', "line 1: this is not a file exported"),
    (b'{"format":"redis-dashboard-export","version":1}\nnot json\n', "line 2 is not JSON"),
    (b'{"format":"redis-dashboard-export","version":1}\n{"k":"!!","t":"string","v":""}\n',
     "line 2"),
    (b'{"format":"redis-dashboard-export","version":1}\n{"k":"YQ==","t":"weird","v":1}\n',
     "type 'weird'"),
    (b'{"format":"redis-dashboard-export","version":9}\n', "version 9"),
])
def test_a_bad_file_is_refused_whole_with_its_line(payload, said):
    with pytest.raises(ImportProblem, match=said.replace("(", r"\(")):
        parse(payload)


def test_a_type_filter_on_a_server_whose_scan_has_no_type_option(r, settings, redis_server):
    """Redis before 6.0, played by a relay that answers SCAN ... TYPE as Redis 5 does."""
    from keyspace.redis.capabilities import forget
    from keyspace.redis.connection import get_client, reset_pools
    from tests.support.scan_type_relay import ScanTypeRefusingRelay

    seed(r)
    relay = ScanTypeRefusingRelay(redis_server.port).start()
    try:
        settings.REDIS_URL = relay.url
        reset_pools()
        forget()
        lines = exported(get_client(), selection=Selection("pattern", b"*", "hash"))
        assert sorted(parse_key(line) for line in lines.splitlines()[1:]) == [
            b"hash:\x00", b"hash:big", b"hash:big", b"hash:big"]  # three chunks of the big one
        assert relay.refused == 1  # the probe's only
    finally:
        relay.stop()
