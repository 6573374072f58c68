"""A cluster is recognised from any of its nodes, keys are routed by slot, and the db picker
offers db 0 alone with the keys of every primary (replicas not counted)."""

import pytest
import redis

from keyspace.redis import cluster, cluster_nodes
from keyspace.redis.connection import get_client, server_overview
from tests.support.urls import key_url

pytestmark = pytest.mark.cluster


def test_standalone_is_not_a_cluster(redis_server):
    assert not isinstance(get_client(0), redis.RedisCluster)


@pytest.mark.parametrize("which", ["primary", "replica"])
def test_any_node_is_recognised(cluster_dashboard, settings, which):
    primaries = {node.port for node in cluster_dashboard.primaries()}
    node = next(node for node in cluster_dashboard.nodes
                if (node.port in primaries) == (which == "primary"))
    settings.REDIS_URL = node.url
    client = get_client(0)
    assert isinstance(client, redis.RedisCluster)
    # Written and read back through the slot's primary, whichever node the URL names.
    for n in range(30):
        client.set(f"routed:{n}", n)
    assert [client.get(f"routed:{n}") for n in range(30)] == [str(n).encode()
                                                              for n in range(30)]


def test_other_databases_do_not_exist(cluster_dashboard, client):
    with pytest.raises(cluster.OnlyDatabaseZero):
        get_client(1)
    response = client.get("/c/default/db/1/")
    assert response.status_code == 404
    assert b"database 0 only" in response.content


def test_db_picker_shows_db0_with_every_primarys_keys(cluster_dashboard, r, client):
    for n in range(200):
        r.set(f"k:{n}", n)
    overview = server_overview()
    assert overview.mode == "cluster"
    assert [(db.number, db.keys) for db in overview.databases] == [(0, 200)]
    counts = cluster_nodes.node_key_counts(get_client(0))
    assert len(counts) == 3 and sum(counts.values()) == 200
    assert all(count > 0 for count in counts.values())
    body = client.get("/c/default/db/0/server/info/").content.decode()
    assert "db1" not in body and "db0" in body


def test_a_read_only_user_without_command_browses_the_cluster(r, reader_with_slots, client):
    for n in range(60):
        r.set(f"k:{n}", n)
    r.hset(b"h", mapping={b"field": b"<b>v</b>"})
    r.zadd(b"board", {b"alice": 3, b"bob": 1})
    listing = client.get("/c/default/db/0/?page_size=500")
    html = listing.content.decode()
    assert listing.status_code == 200, html[-2000:]
    assert all(f"k:{n}<" in html for n in range(60))
    page = client.get(key_url(b"h"))
    html = page.content.decode()
    assert page.status_code == 200, html[-2000:]
    assert "&lt;b&gt;v&lt;/b&gt;" in html and "may not write" in html
    board = client.get(key_url(b"board"))
    assert board.status_code == 200 and "alice" in board.content.decode()


def test_a_user_that_may_not_ask_for_the_cluster_map_is_told_so(reader_on_cluster, client):
    response = client.get("/c/default/db/0/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "CLUSTER SLOTS" in html and "node may be down" not in html


def test_the_asyncio_cluster_client_works_for_a_user_without_command(r, reader_with_slots):
    """Live pages and downloads read through redis.asyncio's cluster client, which reads
    COMMAND on its own first command: it takes the shipped table too."""
    from asgiref.sync import async_to_sync

    from keyspace.redis.connection import get_async_client

    r.set(b"k:1", b"v")

    async def read():
        client = get_async_client(0)
        try:
            return await client.get(b"k:1")
        finally:
            await client.aclose()

    assert async_to_sync(read)() == b"v"
