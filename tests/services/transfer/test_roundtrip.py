"""Export, then import into an empty database: byte-exact for every type, name and TTL."""

import pytest
import redis

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


@pytest.mark.parametrize("policy", ["skip", "replace", "rename"])
@pytest.mark.parametrize("meanwhile", ["replaced", "added to"])
def test_a_key_another_client_changes_between_its_lines_is_left_as_they_made_it(
        r, policy, meanwhile):
    """A key of several lines: another client replaces it (or adds to it) after the first is
    written. The rest of its lines go nowhere: nothing is merged into the other's key."""
    r.sadd("s", *range(CHUNK * 2))
    r.expire("s", 3600)
    payload = exported(r)
    r.flushdb()
    second = redis.Redis(port=r.connection_pool.connection_kwargs["port"])  # another client

    left = []

    def meddle(outcome):
        if outcome.lines == 1:
            if meanwhile == "replaced":
                second.delete("s")
            second.sadd("s", "theirs")
            left.append(second.smembers("s"))
        return False

    outcome = load(r, parse(payload), policy, meddle)
    assert outcome.changed == 1 and outcome.written == 0
    assert r.smembers("s") == left[0] and b"theirs" in left[0]
    assert len(left[0]) == 1 if meanwhile == "replaced" else len(left[0]) < CHUNK * 2
    assert r.ttl("s") == -1  # the file's TTL not put on it either
    second.close()


def test_keys_already_expired_are_not_brought_back(r):
    r.set("soon", "x", px=1)
    r.set("later", "x", ex=3600)
    payload = exported(r)
    r.flushdb()
    outcome = load(r, parse(payload), "skip")
    assert not r.exists("soon") and r.exists("later")
    assert outcome.written + outcome.expired == outcome.keys


@pytest.mark.parametrize("score", ["inf", "-Infinity", "1e-310", "0e999", "0.000", "1e308",
                                   "00001", ".5", "1."])
def test_every_score_redis_reads_is_taken(r, score):
    line = b'{"k":"eg==","t":"zset","new":true,"v":[["bQ==","%s"]]}' % score.encode()
    load(r, parse(HEAD + line + b"\n"), "skip")
    assert r.zscore("z", "m") == float(score)


def test_a_dump_line_expired_at_1970_is_not_brought_back(r):
    r.set("d", "x")
    dump = formats.b64(r.dump("d"))
    r.set("kept", "there")
    line = b'{"k":"ZA==","t":"string","new":true,"x":0,"dump":"%s"}' % dump.encode()
    line_kept = b'{"k":"a2VwdA==","t":"string","new":true,"x":null,"dump":"%s"}' % dump.encode()
    r.delete("d")
    outcome = load(r, parse(HEAD + line + b"\n" + line_kept + b"\n"), "replace")
    assert not r.exists("d") and outcome.expired == 1
    assert r.get("kept") == b"x" and r.ttl("kept") == -1


@pytest.mark.parametrize("policy", ["skip", "replace", "rename"])
def test_a_line_already_expired_leaves_a_key_of_its_name_alone(r, policy):
    """The file says the key no longer exists: under "replace" too, the live key of that name
    is not deleted for it."""
    r.set("k", "precious")
    dump = formats.b64(r.dump("k"))
    lines = [b'{"k":"aw==","t":"string","new":true,"x":1000,"v":"eA=="}',
             b'{"k":"aw==","t":"string","new":true,"x":1000,"dump":"%s"}' % dump.encode()]
    for line in lines:
        outcome = load(r, parse(HEAD + line + b"\n"), policy)
        assert (outcome.expired, outcome.written, outcome.keys) == (1, 0, 1)
        assert r.get("k") == b"precious" and r.ttl("k") == -1
    assert r.dbsize() == 1


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
    # Line 1 is the header: a blank line does not stand in for it.
    (b'\n{"k":"YQ==","t":"string","new":true,"v":"eA=="}\n', "line 1 is not JSON"),
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


HEAD = b'{"format":"redis-dashboard-export","version":1}\n'
GOOD = b'{"k":"Z29vZA==","t":"string","new":true,"x":null,"v":"eA=="}\n'  # "good" = "x"


@pytest.mark.parametrize(("bad", "said"), [
    (b'{"k":"aA==","t":"hash","new":true,"v":"x"}', "hash"),
    (b'{"k":"aA==","t":"hash","new":true,"v":[]}', "empty"),
    (b'{"k":"aA==","t":"hash","new":true,"v":[["!!","eA=="]]}', "base64"),
    (b'{"k":"aA==","t":"list","new":true,"v":[1]}', "base64"),
    (b'{"k":"aA==","t":"string","new":true,"v":["eA=="]}', "string"),
    (b'{"k":"aA==","t":"zset","new":true,"v":[["eA==","XX"]]}', "score"),
    (b'{"k":"aA==","t":"zset","new":true,"v":[["eA==","1","2"]]}', "zset"),
    # Redis refuses a score too large for a double, or so small it would be 0.
    (b'{"k":"aA==","t":"zset","new":true,"v":[["eA==","1e400"]]}', "score"),
    (b'{"k":"aA==","t":"zset","new":true,"v":[["eA==","-1.8e308"]]}', "score"),
    (b'{"k":"aA==","t":"zset","new":true,"v":[["eA==","1e-400"]]}', "score"),
    (b'{"k":"aA==","t":"zset","new":true,"v":[["eA==","1' + b'0' * 400 + b'"]]}', "score"),
    (b'{"k":"aA==","t":"stream","new":true,"v":[["MAXLEN",[["eA==","eA=="]]]]}', "entry ID"),
    (b'{"k":"aA==","t":"stream","new":true,"v":[["1-1",[]]]}', "stream"),
    (b'{"k":"aA==","t":"string","new":true,"x":true,"v":"eA=="}', "expiry"),
    (b'{"k":"aA==","t":"string","new":true,"x":null}', "missing"),
    # a line that adds to a key must follow that key's own lines, of its type
    (b'{"k":"aA==","t":"string","v":"eA=="}', "follow"),
    (b'{"k":"Z29vZA==","t":"hash","v":[["eA==","eA=="]]}', "follow"),
    (b'{"k":"Z29vZA==","t":"string","dump":"eA=="}', "follow"),
])
def test_a_bad_value_is_refused_before_anything_is_written(r, bad, said):
    """Values are checked with the file, not when the job reaches them: before, a malformed
    chunk failed the job midway (keys before it written), and a stray line adding to an
    earlier key replaced that key by the chunk alone under "replace"."""
    with pytest.raises(ImportProblem, match=f"line 3.*{said}"):
        parse(HEAD + GOOD + bad + b"\n")
    assert not r.exists("good")


def test_a_line_adding_to_a_key_after_another_key_is_refused(r):
    r.rpush("l", "a", "b")
    r.set("s", "x")
    payload = exported(r, selection=Selection("exact", b"l")) + b"".join(
        export_lines(r, Selection("exact", b"s"), formats.VALUES))
    assert len(parse(payload)) == 2
    extra = b'{"k":"bA==","t":"list","v":["Yw=="]}\n'  # "c" pushed to "l", after "s"
    with pytest.raises(ImportProblem, match="line 4: .*follow"):
        parse(payload + extra)


def test_progress_is_reported_within_a_key_of_many_lines(r):
    """A key of many lines takes as long as it takes: the job says it is alive between its
    lines (a job silent for STALE_SECONDS is marked as abandoned by the worker), and a
    cancel is honoured once the key is whole."""
    r.rpush("big", *[str(i) for i in range(CHUNK * 5)])
    r.set("after", "x")
    rows = parse(exported(r, selection=Selection("exact", b"big"))
                 + b"".join(export_lines(r, Selection("exact", b"after"), formats.VALUES)))
    r.flushdb()
    calls = []

    def report(outcome):
        calls.append(outcome.lines)
        return outcome.keys > 0  # cancel asked once the big key is under way

    outcome = load(r, rows, "skip", report)
    assert outcome.cancelled and calls == [0, 1, 2, 3, 4]
    assert r.llen("big") == CHUNK * 5 and not r.exists("after")


def test_a_dump_payload_the_server_refuses_stops_the_import_before_any_write(r):
    """A DUMP from a newer Redis (an RDB version this server does not read) is refused by
    RESTORE. Each RDB version in the file is tried first (RESTORE with an expiry already
    past writes nothing): before, the keys ahead of it were written and the job failed."""
    import base64
    import json

    r.set("a", "1")
    r.set("b", "2")
    lines = [exported(r, formats.DUMP, Selection("exact", b"a")).splitlines(keepends=True)[0]]
    for name in (b"a", b"b"):
        lines += export_lines(r, Selection("exact", name), formats.DUMP)
    row = json.loads(lines[2])
    dump = bytearray(base64.b64decode(row["dump"]))
    dump[-10:-8] = (99).to_bytes(2, "little")  # RDB version 99
    row["dump"] = base64.b64encode(bytes(dump)).decode()
    lines[2] = formats.line(row)
    r.flushdb()
    with pytest.raises(ImportProblem, match="RDB version 99"):
        load(r, parse(b"".join(lines)), "replace")
    assert r.dbsize() == 0


@pytest.mark.parametrize("kind", ["hash", "list", "set", "zset", "stream"])
def test_lines_of_large_elements_stay_bounded(r, kind):
    """A line held up to 1,000 elements whatever their size: 40 elements of 100 KB made one
    line of 5 MB (and a read of that much). Reads now ask for fewer of large elements."""
    big = [bytes([i]) * 100_000 for i in range(40)]
    if kind == "hash":
        r.hset("k", mapping={b"f%d" % i: value for i, value in enumerate(big)})
    elif kind == "list":
        r.rpush("k", *big)
    elif kind == "set":
        r.sadd("k", *big)
    elif kind == "zset":
        r.zadd("k", {value: i for i, value in enumerate(big)})
    else:
        for value in big:
            r.xadd("k", {b"v": value})
    before = snapshot(r)
    payload = exported(r)
    assert max(len(line) for line in payload.splitlines()) < 4 * STRING_CHUNK
    r.flushdb()
    load(r, parse(payload), "skip")
    assert snapshot(r) == before
