import json

from dashboard.demo import BIG_SIZE, BIG_STRING_BYTES, seed_demo


def test_demo_data_has_the_usual_patterns_and_the_awkward_cases(r):
    seed_demo(r, big_size=1000)
    session = next(r.scan_iter(match="session:*", count=1000))
    assert 86_000 < r.ttl(session) <= 86_400
    assert json.loads(r.get(session))["user_id"]
    cache = next(r.scan_iter(match="cache:product:*", count=1000))
    assert r.ttl(cache) > 0 and json.loads(r.get(cache))["price"]
    assert r.type("user:1") == b"hash" and r.hget("user:1", "email").endswith(b"@example.com")
    assert r.type("queue:emails") == b"list" and r.llen("queue:emails") > 10
    assert r.type("tags:post:1") == b"set"
    assert r.zcard("leaderboard:global") == 1000
    assert r.type("ratelimit:api:user:1") == b"zset" and r.ttl("ratelimit:api:user:1") > 0
    assert r.hget("bucket:api:user:1", "capacity") == b"100"
    lock = r.get("lock:report:daily")
    assert len(lock) == 32 and 0 < r.pttl("lock:report:daily") <= 600_000
    assert int(r.get("counter:signups")) > 0
    assert r.type("stream:orders") == b"stream"
    assert r.exists(b"bin:\xff\xfe\x00\x01 not utf-8")
    assert r.exists(b"<img src=x onerror=alert(1)>")
    for key in (b"big:hash", b"big:list", b"big:set", b"big:zset"):
        assert (
            r.execute_command(
                {b"hash": "HLEN", b"list": "LLEN", b"set": "SCARD", b"zset": "ZCARD"}[r.type(key)],
                key,
            )
            == 1000
        )
    assert r.strlen("big:string") == BIG_STRING_BYTES


def test_defaults_are_big_enough_for_paging():
    assert BIG_SIZE >= 100_000
    assert BIG_STRING_BYTES >= 2 * 1024 * 1024


def test_reseeding_replaces_rather_than_duplicates(r):
    r.set("not-demo", "mine")
    first = seed_demo(r, big_size=500)
    size = r.dbsize()
    assert seed_demo(r, big_size=500) == first
    assert r.dbsize() == size
    assert r.llen("queue:emails") == 120
    assert r.get("not-demo") == b"mine"
