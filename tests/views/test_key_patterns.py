"""The key page shows recognised patterns: escaped, only on whole pages, never on the key list."""

from __future__ import annotations

import json
import time
import uuid

from tests.support.urls import key_url
from tests.units.helpers import HX_MORE, HX_VALUE, XSS, XSS_ESCAPED, RedisWork, fetch


def test_a_session_is_shown_decoded_and_escaped(client, r):
    r.set("sess:1", json.dumps({"cookie": {"originalMaxAge": 1000, "expires": None},
                                "user": XSS}), ex=600)
    body = fetch(client, "sess:1")
    assert 'id="pattern-session"' in body
    assert "Looks like: Session" in body
    assert XSS_ESCAPED in body and XSS not in body


def test_a_sliding_window_draws_its_timeline(client, r):
    now = time.time() * 1000
    r.zadd("rl:7", {f"r{i}": now - i * 1000 for i in range(5)})
    r.expire("rl:7", 60)
    body = fetch(client, "rl:7")
    assert body.count('class="tick"') == 5
    assert "5 requests in the last 1 m" in body


def test_fragments_skip_recognition(client, r):
    r.set("lock:x", uuid.uuid4().hex, px=10_000)
    assert 'id="pattern-lock"' in fetch(client, "lock:x")
    with RedisWork(r) as work:
        body = fetch(client, "lock:x", headers=HX_VALUE)
    assert "pattern-lock" not in body
    assert work.count("getrange") == 1  # the value's own page, no sample read
    r.zadd("events", {f"m{i}": 1_700_000_000 + i for i in range(150)})
    assert "pattern-score-dates" not in fetch(client, "events", headers=HX_MORE, cursor="100")


def test_the_key_list_reads_nothing_for_patterns(client, r):
    r.set("lock:x", uuid.uuid4().hex, px=10_000)
    with RedisWork(r) as work:
        body = client.get("/c/default/db/0/").content.decode()
    assert "lock:x" in body and "pattern" not in body
    assert work.count("getrange") == work.count("hscan") == work.count("zrange") == 0


def test_a_refused_sample_read_leaves_the_page_working(client, r, settings, redis_server):
    r.acl_setuser("limited", enabled=True, passwords=["+pw"], keys=["*"],
                  commands=["+@all", "-zcount"])
    try:
        settings.REDIS_URL = f"redis://limited:pw@127.0.0.1:{redis_server.port}/0"
        r.zadd("rl:7", {"r": time.time() * 1000})
        r.expire("rl:7", 60)
        response = client.get(key_url("rl:7"))
        assert response.status_code == 200
        assert "pattern-sliding-window" not in response.content.decode()
    finally:
        r.acl_deluser("limited")


def test_the_page_reuses_what_it_read(client, r):
    """A sorted set's first page (highest first) and a small hash's whole first HSCAN are the
    sample: recognition adds only the lowest score."""
    now = time.time() * 1000
    r.zadd("rl:9", {f"r{i}": now - i * 1000 for i in range(5)})
    r.expire("rl:9", 60)
    r.hset("bucket:9", mapping={"tokens": 3, "ts": int(time.time())})
    with RedisWork(r) as work:
        assert 'id="pattern-sliding-window"' in fetch(client, "rl:9")
    assert work.count("zrevrange") == 1 and work.count("zrange") == 1  # the page; the lowest
    with RedisWork(r) as work:
        assert 'id="pattern-token-bucket"' in fetch(client, "bucket:9")
    assert work.count("hscan") == 1
