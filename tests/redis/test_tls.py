"""TLS as a first-class setting, against a real Redis that speaks only TLS: a verified
connection works and every page says it is encrypted; a certificate that is not trusted, a
host name that does not match, a plain port behind rediss:// and a missing client
certificate each give the clear "cannot reach Redis" page with a plain reason, never a 500."""

from __future__ import annotations

import re

from keyspace.redis.connection import get_client, reset_pools
from tests.support.tls import TlsRedis


def _point(settings, url: str, **tls) -> None:
    settings.REDIS_URL = url
    for name, value in tls.items():
        setattr(settings, f"DASHBOARD_TLS_{name.upper()}", value)
    reset_pools()


def _header_transport(page: str) -> str:
    found = re.search(r'<span class="transport[^"]*" data-transport title="([^"]*)">([^<]*)<',
                      page)
    assert found, "the header says nothing about encryption"
    return found.group(2)


def test_a_verified_connection_works_and_the_header_says_it_is_encrypted(
        client, settings, tls_redis, certificates):
    tls_redis.admin().set("over-tls", "yes")
    _point(settings, tls_redis.url(), ca_file=certificates.ca)
    page = client.get("/c/default/db/0/")
    assert page.status_code == 200
    assert "over-tls" in page.content.decode()
    assert _header_transport(page.content.decode()) == "encrypted, TLSv1.3"
    server = client.get("/c/default/db/0/server/").content.decode()
    assert "Connection:</strong> encrypted (TLSv1.3)" in server
    assert f"verified against {certificates.ca}" in server
    tls_redis.admin().delete("over-tls")


def test_a_plain_connection_says_it_is_not_encrypted(client):
    page = client.get("/c/default/db/0/").content.decode()
    assert _header_transport(page) == "not encrypted"


def test_tls_without_verification_is_said_to_be_unverified(client, settings, tls_redis):
    _point(settings, tls_redis.url(host="127.0.0.1"), verify="none")
    page = client.get("/c/default/db/0/")
    assert page.status_code == 200
    assert _header_transport(page.content.decode()) == "encrypted, TLSv1.3 (not verified)"


def _unreachable(client) -> str:
    page = client.get("/c/default/db/0/")
    assert page.status_code == 503, page.content[:500]
    text = page.content.decode()
    assert "Traceback" not in text
    assert "no such socket" not in text
    return text


def test_a_certificate_from_another_ca_is_a_clear_page(client, settings, tls_redis,
                                                       certificates):
    _point(settings, tls_redis.url(), ca_file=certificates.other_ca)
    text = _unreachable(client)
    assert "the server&#x27;s certificate is not trusted (check DASHBOARD_TLS_CA_FILE)" in text


def test_a_host_name_the_certificate_is_not_for_is_a_clear_page(client, settings, tls_redis,
                                                                certificates):
    _point(settings, tls_redis.url(host="127.0.0.1"), ca_file=certificates.ca)
    text = _unreachable(client)
    assert "certificate is not for this address" in text


def test_a_server_that_does_not_speak_tls_is_a_clear_page(client, settings, redis_server,
                                                          certificates):
    # The handshake waits for an answer a plain server never sends: the connect timeout,
    # once per attempt, is the test's whole length, and its message is the same at any.
    settings.DASHBOARD_REDIS_CONNECT_TIMEOUT = 0.5
    _point(settings, f"rediss://localhost:{redis_server.port}/0", ca_file=certificates.ca)
    text = _unreachable(client)
    assert "connecting over TLS (a server that does not speak TLS, a plain redis:// port, " \
        "looks like this too)" in text


def test_plain_redis_to_a_tls_port_says_it_may_expect_tls(client, settings, tls_redis):
    _point(settings, f"redis://127.0.0.1:{tls_redis.port}/0")
    text = _unreachable(client)
    assert "does it expect TLS? use rediss://" in text


def test_a_server_that_requires_a_client_certificate_says_so(client, settings, mtls_redis,
                                                             certificates):
    _point(settings, mtls_redis.url(), ca_file=certificates.ca)
    text = _unreachable(client)
    # Said for sure when the server's TLS alert arrives first, as "may" when it just hangs up.
    assert "require" in text
    assert "client certificate (set DASHBOARD_TLS_CERT_FILE and DASHBOARD_TLS_KEY_FILE)" in text


def test_mutual_tls_with_a_client_certificate_works(client, settings, mtls_redis, certificates):
    mtls_redis.admin().set("mutual", "1")
    _point(settings, mtls_redis.url(), ca_file=certificates.ca,
           cert_file=certificates.path("client.crt"), key_file=certificates.path("client.key"))
    page = client.get("/c/default/db/0/")
    assert page.status_code == 200
    assert "mutual" in page.content.decode()
    mtls_redis.admin().delete("mutual")


def test_renamed_commands_work_over_tls(settings, certificates, tmp_path):
    """The connection class that renames commands is the TLS one for rediss:// URLs."""
    server = TlsRedis(certificates, tmp_path / "renamed", require_client_cert=False,
                      extra_args=("--rename-command", "DBSIZE", "size-7f")).start()
    try:
        _point(settings, server.url(), ca_file=certificates.ca)
        settings.DASHBOARD_RENAMED_COMMANDS = "DBSIZE=size-7f"
        server.admin().set("a", "1")
        assert get_client().dbsize() == 1
    finally:
        reset_pools()
        server.stop()
