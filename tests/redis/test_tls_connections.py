"""Two TLS connections in one process: each page's header says the TLS version of its own
connection (read off that connection's sockets), not of whichever connection opened last."""

from __future__ import annotations

import pytest

from keyspace.redis.connection import reset_pools
from tests.redis.test_tls import _header_transport, _point
from tests.support.tls import TlsRedis


@pytest.fixture
def tls12_redis(certificates, tmp_path):
    server = TlsRedis(certificates, tmp_path, require_client_cert=False,
                      extra_args=("--tls-protocols", "TLSv1.2")).start()
    yield server
    server.stop()


def test_each_connection_says_its_own_tls_version(client, settings, tls_redis, tls12_redis,
                                                  certificates):
    _point(settings, tls_redis.url(), ca_file=certificates.ca)
    settings.DASHBOARD_CONNECTIONS = {"older": {"url": tls12_redis.url(),
                                                "tls_ca_file": certificates.ca}}
    reset_pools()
    first = client.get("/c/default/db/0/")
    assert _header_transport(first.content.decode()) == "encrypted, TLSv1.3"
    older = client.get("/c/older/db/0/")
    assert older.status_code == 200, older.content[-500:]
    assert _header_transport(older.content.decode()) == "encrypted, TLSv1.2"
    again = client.get("/c/default/db/0/")
    assert _header_transport(again.content.decode()) == "encrypted, TLSv1.3"
