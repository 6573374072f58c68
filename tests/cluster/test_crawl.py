"""Every page a viewer can open, in cluster mode: none answers a server error (nor a "not
available in a cluster": every feature works there)."""

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.urls import reverse

from tests.security.routes import CASES

pytestmark = pytest.mark.cluster

# Routes that need a token made by an earlier request, or that stream forever.
SKIPPED = {"undo-edit", "bulk-job", "bulk-start", "bulk-cancel", "analysis-run",
           "analysis-progress", "analysis-cancel", "sign-in-once",
           "pubsub-stream", "stream-follow", "key-live-stream", "leaderboard-live-stream",
           "live-activity-stream", "keylist-live-stream", "sign-out"}

GET_CASES = [pytest.param(case, id=case.id) for name, cases in CASES.items()
             if name not in SKIPPED for case in cases
             if case.data is None and case.changes is None]


def seed(r):
    r.set(b"str", b"value")
    r.set(b"num", b"5")
    r.set(b"ttl:key", b"v", ex=600)
    r.hset(b"hash", mapping={b"f1": b"v1", b"f2": b"v2"})
    r.rpush(b"list", b"a", b"b")
    r.sadd(b"set", b"seed-set-member", b"m2")
    r.sadd(b"set2", b"m2")
    r.zadd(b"zset", {b"seed-zset-member": 1, b"b": 2})
    r.xadd(b"stream", {b"f": b"v"})
    for n in range(50):
        r.set(f"app:{n}".encode(), b"x")


def read_body(client, url: str, query: dict):
    """(status, body); a streamed response is read in the loop that made it, as a browser's
    request would be (through the async client)."""

    async def fetch():
        browser = AsyncClient()
        browser.cookies = client.cookies
        response = await browser.get(url, query)
        if response.streaming:
            return response.status_code, b"".join(
                [chunk async for chunk in response.streaming_content])
        return response.status_code, response.content

    return async_to_sync(fetch)()


@pytest.mark.parametrize("case", GET_CASES)
def test_no_page_is_a_server_error_in_a_cluster(cluster_dashboard, r, client, case):
    seed(r)
    url = reverse(f"keyspace:{case.route}", kwargs=case.kwargs)
    status, raw = read_body(client, url, case.query)
    body = raw.decode(errors="replace")
    assert status < 500, (status, body[-1500:])
    if case.route == "key-download":  # streamed through the asyncio cluster client
        assert raw == b"value"
    assert "not yet available in a Redis Cluster" not in body


def test_no_page_is_a_server_error_for_a_read_only_user_without_command(
        cluster_dashboard, r, reader_with_slots, client):
    """The pages of a user limited to reads and the cluster's map (no COMMAND, INFO, CONFIG,
    CLIENT, MEMORY nor any write): each answers, or says what is refused, never a 500."""
    seed(r)
    errors = []
    for param in GET_CASES:
        case = param.values[0]
        url = reverse(f"keyspace:{case.route}", kwargs=case.kwargs)
        status, raw = read_body(client, url, case.query)
        if status >= 500:
            errors.append((case.id, status, raw.decode(errors="replace")[-600:]))
    assert not errors, errors
