"""A Sentinel service declared as a named connection (DASHBOARD_CONNECTIONS, sentinel:// URL)
beside a plain REDIS_URL: browsing and edits go through its Sentinels, and a failover page
shown there polls that connection's failover status, not the default one's."""

from __future__ import annotations

import pytest

from dashboard.local_redis import free_port
from keyspace.redis.connection import reset_pools
from keyspace.redis.keynames import encode_key
from tests.support.htmx import HTMX
from tests.support.sentinel import SERVICE, start_replica_set

pytestmark = pytest.mark.sentinel


@pytest.fixture(scope="module")
def replica_set(tmp_path_factory):
    found = start_replica_set(tmp_path_factory.mktemp("sentinel-named"))
    yield found
    found.stop()


@pytest.fixture
def lost_service(replica_set):
    """A second service the same Sentinels monitor, whose primary is gone (nothing listens on
    its port): no primary that answers, as in the middle of a failover. (A service they do
    not monitor at all is a mistyped name, not a failover: see test_sentinel.py.)"""
    for port in replica_set.sentinel_ports:
        with replica_set.sentinel_client(port) as sentinel:
            sentinel.execute_command("SENTINEL", "MONITOR", "nobody-here", "127.0.0.1",
                                     free_port(), replica_set.quorum)
    yield "nobody-here"
    for port in replica_set.sentinel_ports:
        with replica_set.sentinel_client(port) as sentinel:
            sentinel.execute_command("SENTINEL", "REMOVE", "nobody-here")


@pytest.fixture
def ha(replica_set, settings, lost_service):
    settings.DASHBOARD_CONNECTIONS = {
        "ha": {"url": replica_set.url, "environment": "staging"},
        "lost": {"url": replica_set.url.replace(f"master_name={SERVICE}",
                                                 f"master_name={lost_service}")},
    }
    reset_pools()
    with replica_set.data_client(replica_set.primary_port()) as primary:
        primary.flushall()
        yield primary
    reset_pools()


def test_a_declared_sentinel_connection_browses_and_edits_its_primary(client, ha, r):
    ha.set(b"on-ha", b"1")
    r.set(b"on-default", b"1")
    page = client.get("/c/ha/db/0/")
    assert page.status_code == 200, page.content[-600:]
    assert b"on-ha" in page.content and b"on-default" not in page.content
    server = client.get("/c/ha/db/0/server/").content.decode()
    assert SERVICE in server
    path = f"/c/ha/db/0/key/{encode_key(b'on-ha')}/edit/delete/"
    from tests.views.test_several_connections import opened

    assert client.post(path, opened(client, path)).status_code == 302
    assert not ha.exists(b"on-ha") and r.exists(b"on-default")


def test_a_failover_page_on_a_named_connection_polls_that_connection(client, ha):
    response = client.get("/c/lost/db/0/")
    assert response.status_code == 503, response.content[-600:]
    body = response.content.decode()
    assert "Failing over" in body
    assert 'hx-get="/c/lost/db/0/failover/' in body and "/c/default/db/0/failover/" not in body
    polled = client.get("/c/lost/db/0/failover/", headers=HTMX)
    assert polled.status_code == 204
    assert client.get("/c/ha/db/0/failover/", headers=HTMX).status_code == 200
