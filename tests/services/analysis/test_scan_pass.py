"""The analysis pass against the session's real Redis: what it counts, sizes and ranks."""

from __future__ import annotations

import pytest

from keyspace.redis.connection import get_client
from keyspace.services.analysis.scan_pass import analyse
from keyspace.services.analysis.tally import TOP_KEYS, Tally


def _tally(delimiter=b":", max_namespaces=1000, max_children=100) -> Tally:
    return Tally(delimiter, max_namespaces, max_children)


def _seed(r):
    with r.pipeline(transaction=False) as pipe:
        for i in range(300):
            pipe.set(f"user:{i}:name".encode(), b"x" * 10)
        for i in range(50):
            pipe.hset(f"cart:{i}".encode(), mapping={f"f{j}": j for j in range(i + 1)})
        pipe.rpush(b"queue:jobs", *range(500))
        pipe.set(b"\xff\x00binary", b"v")
        pipe.set(b"soon", b"v", px=30_000)
        pipe.set(b"later", b"v", ex=7200)
        pipe.execute()


def test_counts_every_key_by_type_namespace_and_ttl(r):
    _seed(r)
    tally = _tally()
    outcome = analyse(get_client(0), tally, memory_samples=5)
    assert outcome.complete and not outcome.cancelled and outcome.memory_measured
    assert tally.keys == outcome.scanned == 354 == r.dbsize()
    assert {name: row[0] for name, row in tally.types.items()} == {
        "string": 303, "hash": 50, "list": 1}
    assert tally.types["list"][2] == 500  # lengths summed
    assert tally.nodes[b"user:"][0] == 300 and tally.nodes[b"cart:"][0] == 50
    assert tally.nodes[b""][8] == 3  # binary, soon, later: no delimiter
    assert [row[0] for row in tally.ttl] == [352, 1, 0, 1, 0, 0]
    assert tally.memory == sum(r.memory_usage(k, samples=5) for k in r.scan_iter(count=1000))
    assert "listpack" in tally.encodings or "ziplist" in tally.encodings


def test_ranks_the_largest_and_soonest_keys(r):
    _seed(r)
    tally = _tally()
    analyse(get_client(0), tally, memory_samples=5)
    report = tally.report()
    assert len(report["top_memory"]) == min(TOP_KEYS, tally.keys)
    memories = [row[2] for row in report["top_memory"]]
    assert memories == sorted(memories, reverse=True)
    assert report["top_length"][0][3] == 500  # queue:jobs
    assert report["expiring"][0][4] <= 30_000  # soon, before later


def test_namespaces_past_the_caps_are_summed_not_kept(r):
    _seed(r)
    tally = _tally(max_children=10)
    analyse(get_client(0), tally, memory_samples=5)
    user = tally.nodes[b"user:"]
    assert sum(1 for p in tally.nodes if p.startswith(b"user:") and p != b"user:") == 10
    assert user[10] == 290  # other keys under user:


def test_a_sample_stops_at_its_size(r):
    _seed(r)
    tally = _tally()
    outcome = analyse(get_client(0), tally, memory_samples=5, sample_size=100)
    assert outcome.scanned == tally.keys == 100
    assert outcome.population == 354


def test_progress_can_cancel(r, monkeypatch):
    _seed(r)
    monkeypatch.setattr("keyspace.services.analysis.scan_pass.PROGRESS_SECONDS", 0)
    monkeypatch.setattr("keyspace.services.analysis.scan_pass.FIRST_COUNT", 10)
    seen = []
    outcome = analyse(get_client(0), _tally(), memory_samples=5,
                      on_progress=lambda done, total: seen.append((done, total)) or True)
    assert outcome.cancelled and not outcome.complete
    assert len(seen) == 1 and seen[0][0] < 354 and seen[0][1] == 354


@pytest.fixture
def limited(redis_server, r, settings):
    """A user that may scan and read but not run MEMORY or OBJECT."""
    r.acl_setuser("nomemory", enabled=True, passwords=["+pw"], keys=["*"],
                  commands=["+@read", "+@connection", "-memory", "-object"])
    settings.REDIS_URL = f"redis://nomemory:pw@127.0.0.1:{redis_server.port}/0"
    yield
    r.acl_deluser("nomemory")


def test_without_memory_sizes_are_estimated(r, limited):
    _seed(r)
    tally = _tally()
    outcome = analyse(get_client(0), tally, memory_samples=5)
    assert not outcome.memory_measured and not outcome.encodings_known
    assert tally.keys == 354
    assert set(tally.encodings) == {"unknown"}
    assert tally.types["list"][1] > 500 * 8  # estimated from its length
