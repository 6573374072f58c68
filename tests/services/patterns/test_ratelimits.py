"""Rate limiters: a sliding-window sorted set (count in the window, timeline) and a token bucket."""

from __future__ import annotations

import time

from tests.services.patterns.helpers import facts, recognised
from tests.units.helpers import RedisWork, seed


def _requests(r, key, ages_s, *, ms=True):
    now = time.time()
    r.zadd(key, {f"req-{i}": (now - age) * (1000 if ms else 1) for i, age in enumerate(ages_s)})


def test_sliding_window_counts_the_current_window(r):
    _requests(r, "rl:user:7", [1, 5, 20, 50, 75, 200, 400])
    r.expire("rl:user:7", 60)
    found = recognised("rl:user:7")["sliding-window"]
    assert found.extra["window"] == 60
    assert found.extra["count"] == 4
    assert len(found.extra["ticks"]) == 4
    assert all(0 <= x <= 600 for x in found.extra["ticks"])
    assert facts(found)["In the current window"] == "4 of 7 entries"
    assert "3 entries are older" in found.warnings[0]
    assert "score-dates" not in recognised("rl:user:7")  # the specific reading wins


def test_window_from_the_span_without_ttl_in_seconds(r):
    _requests(r, "api:ratelimit:ip", [2, 100, 250], ms=False)
    found = recognised("api:ratelimit:ip")["sliding-window"]
    assert found.extra["unit"][0] == "seconds"
    assert found.extra["window"] == 300
    assert found.extra["count"] == 3


def test_timestamps_in_the_future_are_a_schedule_not_a_limiter(r):
    _requests(r, "rl:later", [-3600, -7200])
    r.expire("rl:later", 60)
    found = recognised("rl:later")
    assert "sliding-window" not in found
    assert "in the future" in found["score-dates"].summary


def test_a_leaderboard_is_not_a_limiter(r):
    r.zadd("rl:scores", {"ada": 120, "bob": 80})
    r.expire("rl:scores", 60)
    assert recognised("rl:scores") == {}


def test_the_window_count_is_one_bounded_command_on_a_big_set(r):
    now_ms = int(time.time() * 1000)
    seed(r, "ZADD", "throttle:big", [x for i in range(50_000) for x in (now_ms - i * 10, i)])
    r.expire("throttle:big", 60)
    with RedisWork(r) as work:
        found = recognised("throttle:big")["sliding-window"]
    assert work.count("zcount") == 1
    assert work.count("zrange") + work.count("zrevrange") == 2
    assert work.output_bytes < 16 * 1024
    assert 5_000 < found.extra["count"] <= 6_001  # 60 s of entries 10 ms apart


def test_token_bucket_hash(r):
    r.hset("bucket:api:ada", mapping={"tokens": "7.5", "last_refill": int(time.time()) - 90,
                                      "capacity": "10"})
    found = recognised("bucket:api:ada")["token-bucket"]
    shown = facts(found)
    assert shown["Tokens"] == "7.5"
    assert shown["Since then"] in ("1 m 30 s", "1 m 31 s")
    assert shown["capacity"] == "10"
    assert "(seconds)" in shown["Last refill"]


def test_token_bucket_needs_a_time_and_a_number(r):
    r.hset("b1", mapping={"tokens": "many", "ts": int(time.time())})
    r.hset("b2", mapping={"tokens": "3", "ts": "yesterday"})
    r.hset("b3", mapping={"tokens": "3"})
    assert recognised("b1") == recognised("b2") == recognised("b3") == {}


def test_a_big_hash_is_not_sampled(r):
    r.hset("bucket:huge", mapping={"tokens": 3, "ts": int(time.time()),
                                   **{f"f{i}": i for i in range(100)}})
    with RedisWork(r) as work:
        assert recognised("bucket:huge") == {}
    assert work.count("hscan") == 0
