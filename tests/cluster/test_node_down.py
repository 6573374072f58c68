"""A primary killed (SIGKILL, as a crash): every page stays a clear page, never a 500; the
Cluster tab shows the node down and the rest of the cluster; once its replica has taken over,
the key list shows every key again. The cluster is discarded afterwards (the next test gets
a fresh one)."""

import time

import pytest
import redis

from keyspace.redis import cluster_nodes
from keyspace.redis.connection import get_client
from keyspace.redis.scanning import scan_keys
from tests.support.urls import key_url

pytestmark = pytest.mark.cluster


@pytest.fixture
def doomed(cluster_dashboard, cluster_holder):
    yield cluster_dashboard
    cluster_holder.discard()


def keys_on(node, names):
    """The names the node serves (a primary answers MOVED for the others)."""
    found = []
    with node.client() as plain:
        for name in names:
            try:
                plain.exists(name)
            except redis.ResponseError:
                continue
            found.append(name)
    return found


def token_inside(node) -> str:
    """A key-list token in the middle of `node`'s own scan (pages of 10 from the start)."""
    client = get_client(0)
    slot = next(p.first_slot for p in cluster_nodes.primaries(client)
                if p.name.endswith(f":{node.port}"))
    cursor = "0"
    while True:
        cursor = scan_keys(client, cursor=cursor, page_size=10).next_cursor
        first, _, inner = cursor.partition(":")
        if first == str(slot) and not inner.startswith("0"):
            return cursor
        assert cursor != "0", "the scan never reached the node"


def follow(cursor: str) -> list:
    pages = []
    while True:
        page = scan_keys(get_client(0), cursor=cursor, page_size=10)
        pages.append(page)
        if page.complete:
            return pages
        cursor = page.next_cursor


def test_a_killed_primary_gives_clear_pages_and_the_cluster_recovers(doomed, r, client):
    names = [f"k:{n}".encode() for n in range(300)]
    for name in names:
        r.set(name, b"v")
    assert client.get("/c/default/db/0/").status_code == 200  # the dashboard knows the cluster now
    victim = next(node for node in doomed.primaries() if node.port != doomed.nodes[0].port)
    lost = keys_on(victim, names)
    assert lost
    inside = token_inside(victim)
    victim.kill()

    body = client.get("/c/default/db/0/cluster/").content.decode()
    assert f'data-node="{victim.address}"' in body
    row = body.split(f'data-node="{victim.address}"', 1)[1].split("</tr>", 1)[0]
    assert "does not answer" in row or "suspected down" in row or "failed" in row
    pages = ("/c/default/db/0/", key_url(lost[0]), "/c/default/db/0/server/",
             "/c/default/db/0/namespaces/")
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 503), (url, response.status_code)
        if response.status_code == 503:
            text = response.content.decode()
            assert "Cluster unavailable" in text or "Cannot reach Redis" in text, text[-500:]

    # The replica takes over (node timeout 2 s, then an election); the pages follow.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        response = client.get("/c/default/db/0/", {"count": 1000})
        if response.status_code == 200 and all(
                name.decode() in response.content.decode() for name in lost[:5]):
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the key list never recovered after the failover: {response.status_code} "
                    f"{response.content.decode()[-1500:]}")
    assert get_client(0).get(lost[0]) == b"v"
    # A scan begun on the killed primary ends on its promoted replica, another process whose
    # hash table is laid out by another seed: the page where that primary's scan ends says so.
    pages = follow(inside)
    assert [page.restarted for page in pages].count(True) == 1, [p.next_cursor for p in pages]
    # The promoted replica serves the slots; the dead node is still listed, as failed.
    body = client.get("/c/default/db/0/cluster/").content.decode()
    assert "State <strong>ok</strong>" in body
    row = body.split(f'data-node="{victim.address}"', 1)[1].split("</tr>", 1)[0]
    assert "does not answer" in row or "failed" in row
    assert body.count('class="cluster-node primary"') == 3  # serving, not marked down
