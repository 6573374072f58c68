"""Every write a permitted editor can post, in cluster mode (the security suite's cases):
none answers a server error. Rename, copy and set stores name keys in other slots here,
so they are refused with the hash-tag remedy (422); features not made for a cluster yet
answer 501, saying so."""

import pytest

from tests.security.routes import CASES, CLASSIFICATION, EDIT, post_body, url_of

pytestmark = pytest.mark.cluster

WRITE_CASES = [pytest.param(case, id=case.id)
               for name, action in CLASSIFICATION.items() if action == EDIT
               for case in CASES[name] if not name.startswith("connection")]


def seed(r):
    r.set(b"str", b"seed-string-value")
    r.set(b"num", b"41")
    r.set(b"ttl:key", b"expiring", ex=3600)
    r.hset(b"hash", mapping={b"f1": b"seed-hash-value", b"f2": b"other-hash-value"})
    r.rpush(b"list", b"seed-list-element", b"b", b"c", b"d")
    r.sadd(b"set", b"seed-set-member", b"m2", b"m3")
    r.sadd(b"set2", b"m2", b"m9")
    r.zadd(b"zset", {b"seed-zset-member": 1, b"p2": 2, b"p3": 3})
    r.xadd(b"stream", {b"field": b"seed-stream-value"})
    r.set(b"app:cache:x", b"cx")
    r.xgroup_create(b"stream", b"g", "0")
    r.xreadgroup(b"g", b"worker", {b"stream": ">"}, count=1)


@pytest.mark.parametrize("case", WRITE_CASES)
def test_no_write_is_a_server_error_in_a_cluster(cluster_dashboard, r, client, case, settings):
    seed(r)
    for name, value in case.overrides.items():
        setattr(settings, name, value)
    url = url_of(case, "")
    body = post_body(case, client, url)
    response = client.post(url, body)
    text = response.content.decode(errors="replace")
    assert response.status_code < 500 or response.status_code == 501, (
        response.status_code, text[-1500:])
    if response.status_code == 501:
        assert "not yet available in a Redis Cluster" in text
    if case.label in ("rename", "copy", "set-store"):
        assert response.status_code == 422 and "hash tag" in text
