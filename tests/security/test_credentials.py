"""The Redis password never leaks: not in any page, fragment, error page, header, cookie, audit
entry, log record, event stream or the run command's output."""

from __future__ import annotations

import logging
import secrets
import urllib.error
import urllib.request

import pytest
import redis

from dashboard.local_redis import LocalRedis, free_port
from keyspace.models import AuditEntry
from keyspace.redis.connection import reset_pools
from keyspace.redis.keynames import encode_key
from tests.security.support import crawl, seed, start_pages
from tests.services.editing.forms import open_form
from tests.support.htmx import HTMX
from tests.support.serve import start_serve, stop, wait_for
from tests.support.urls import edit_url

CANARY = f"Canary{secrets.token_hex(12)}Pw"


class ProtectedRedis(LocalRedis):
    """LocalRedis with --requirepass."""

    def __init__(self, data_dir, password: str = CANARY):
        super().__init__(data_dir, extra_args=("--requirepass", password))
        self.password = password


def leaks(*texts) -> list[str]:
    """Every text that shows the canary, plainly or in a common encoding."""
    needles = [CANARY, CANARY.lower(), CANARY.encode().hex(), CANARY[4:20]]
    found = []
    for text in texts:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if any(needle in str(text) for needle in needles):
            found.append(str(text)[:300])
    return found


def url_with_password(port: int, form: str = "bare") -> str:
    userinfo = {"bare": f":{CANARY}", "user": f"default:{CANARY}"}[form]
    return f"redis://{userinfo}@127.0.0.1:{port}/0"


@pytest.fixture(scope="module")
def protected(tmp_path_factory):
    server = ProtectedRedis(tmp_path_factory.mktemp("protected")).start()
    yield server
    server.stop()


@pytest.fixture
def pointed(protected, settings):
    """The dashboard pointed at the password-protected Redis, seeded."""
    redis.Redis(port=protected.port, password=CANARY).flushall()
    seed(protected.port, password=CANARY)
    settings.REDIS_URL = url_with_password(protected.port)
    reset_pools()
    yield protected
    reset_pools()


def test_local_redis_starts_with_a_password(tmp_path):
    """dashboard.local_redis.LocalRedis takes extra_args: with --requirepass its start() is
    ready all the same (it waits for the server's own log, not a PING)."""
    server = LocalRedis(tmp_path / "plain", extra_args=("--requirepass", CANARY))
    try:
        server.start(timeout=2)
        assert redis.Redis(port=server.port, password=CANARY).ping()
    finally:
        server.stop()


def everything(page) -> list:
    return [page.body, *page.headers.items(), page.cookies, page.url]


def test_no_page_shows_the_password(client, pointed, caplog):
    caplog.set_level(logging.DEBUG)
    result = crawl(client, start_pages(), limit=300)
    assert len(result.pages) > 100
    assert [p.url for p in result.pages if p.status >= 500] == []
    assert leaks(*(text for page in result.pages for text in everything(page))) == []
    # The address it does show is the host and port only.
    page = client.get("/c/default/db/0/").content.decode()
    assert f"127.0.0.1:{pointed.port}" in page
    assert leaks(*(record.getMessage() for record in caplog.records)) == []


def test_audit_entries_name_the_redis_without_its_password(client, pointed, settings):
    for form in ("bare", "user"):
        settings.REDIS_URL = url_with_password(pointed.port, form)
        reset_pools()
        fields = open_form(client, b"str", "string-append")
        assert client.post(edit_url(b"str", "string-append"), fields | {"value": "!"}
                           ).status_code == 302
    connections = set(AuditEntry.objects.values_list("connection", flat=True))
    assert connections == {f"127.0.0.1:{pointed.port}"}
    page = client.get("/audit/")
    assert leaks(page.content, *page.items()) == []


# Pages that talk to Redis (the namespace shell and the audit log do not, the new-key form
# only reads the type list; "/" redirects to the URL's own db).
ERROR_PAGES = [
    "/c/default/db/0/", "/c/default/db/0/?key=str", "/c/default/db/0/server/",
    "/c/default/db/0/namespaces/count/", "/c/default/db/0/pubsub/",
    "/c/default/db/0/pubsub/channels/", f"/c/default/db/0/key/{encode_key(b'str')}/",
    f"/c/default/db/0/key/{encode_key(b'hash')}/row/?row=ZjE",
    f"/c/default/db/0/key/{encode_key(b'zset')}/leaderboard/",
    f"/c/default/db/0/key/{encode_key(b'set')}/tool/set-random/?run=1",
    f"/c/default/db/0/key/{encode_key(b'str')}/edit/delete/",
]
OTHER_PAGES = ["/", "/c/default/db/0/namespaces/", "/c/default/db/0/new/", "/audit/"]


def check_error_pages(client, expected_status: int) -> list[str]:
    shown = []
    for url in ERROR_PAGES + OTHER_PAGES:
        for headers in ({}, HTMX):
            response = client.get(url, headers=headers)
            if url in ERROR_PAGES:
                assert response.status_code == expected_status, (url, response.status_code)
            shown += [response.content, *response.items()]
    for url, body in (("/c/default/db/0/pubsub/publish/", {"channel": "c", "message": "m",
                                                  "message_encoding": "text"}),
                      ("/c/default/db/0/new/", {"name": "n", "type": "string", "value": "v",
                                      "value_encoding": "text", "field_encoding": "text",
                                      "name_format": "text", "ttl_unit": "s"})):
        response = client.post(url, body)
        assert response.status_code == expected_status, (url, response.status_code)
        shown += [response.content, *response.items()]
    return shown


def test_error_pages_when_redis_is_down_or_refuses_the_password(client, tmp_path, settings,
                                                               caplog):
    caplog.set_level(logging.DEBUG)
    settings.DASHBOARD_REDIS_CONNECT_TIMEOUT = 0.5
    # Stopped: 503 everywhere, naming the address only.
    server = ProtectedRedis(tmp_path / "stopped").start()
    seed(server.port, password=CANARY)
    settings.REDIS_URL = url_with_password(server.port)
    reset_pools()
    assert client.get("/c/default/db/0/").status_code == 200
    server.stop()
    shown = check_error_pages(client, 503)
    assert f"127.0.0.1:{server.port}".encode() in client.get("/c/default/db/0/").content
    # Another password than the server's.
    other = ProtectedRedis(tmp_path / "other", password="something-else").start()
    try:
        for form in ("bare", "user"):
            settings.REDIS_URL = url_with_password(other.port, form)
            reset_pools()
            shown += check_error_pages(client, 503)
            assert b"authentication failed" in client.get("/c/default/db/0/").content
    finally:
        other.stop()
    # A password for a Redis that has none.
    settings.REDIS_URL = url_with_password(free_port())
    reset_pools()
    shown += check_error_pages(client, 503)
    assert leaks(*shown) == []
    assert any("cannot reach redis at 127.0.0.1" in record.getMessage()
               for record in caplog.records), "the 503s were logged (and captured here)"
    assert leaks(*(record.getMessage() for record in caplog.records),
                 *(str(record.exc_info) for record in caplog.records)) == []


def test_bad_requests_and_missing_things_do_not_show_it_either(client, pointed, caplog):
    caplog.set_level(logging.DEBUG)
    shown = []
    for url, status in (("/c/default/db/0/?count=many", 400),
                        ("/c/default/db/0/?type=nonsense", 400),
                        ("/c/default/db/0/namespaces/?prefix=%%%", 400), ("/audit/?page=x", 400),
                        (f"/c/default/db/0/key/{encode_key(b'missing')}/", 404),
                        ("/c/default/db/0/key/not*base64/", 404), ("/c/default/db/99/", 404),
                        (f"/c/default/db/0/key/{encode_key(b'str')}/edit/no-such-op/", 404),
                        (f"/c/default/db/0/key/{encode_key(b'str')}/tool/no-such-tool/", 404),
                        (f"/c/default/db/0/key/{encode_key(b'hash')}/row/?row=*", 400),
                        ("/no/such/page/", 404)):
        for headers in ({}, HTMX):
            response = client.get(url, headers=headers)
            assert response.status_code == status, (url, response.status_code)
            shown += [response.content, *response.items()]
    assert leaks(*shown) == []
    assert leaks(*(record.getMessage() for record in caplog.records)) == []


# --- over ASGI: the event stream, and the run command --------------------------------------------


def test_the_event_stream_and_the_server_log_do_not_show_it(tmp_path, r):
    from tests.services.pubsub.support import Dashboard

    server = ProtectedRedis(tmp_path / "sse").start()
    dashboard = None
    try:
        dashboard = Dashboard(url_with_password(server.port), tmp_path,
                              DASHBOARD_LOG_LEVEL="DEBUG").start()
        stream = dashboard.open(channel="news")
        assert stream.status == 200
        assert "subscribed" in stream.next_event(5, name="status").data
        publisher = redis.Redis(port=server.port, password=CANARY)
        publisher.publish("news", "hello")
        stream.next_event(5, name="batch")
        stream.next_event(5, name="stats")
        publisher.close()
        server.stop()  # the stream reports the lost connection
        lost = stream.wait_for(lambda e: "lost" in e.data or "connect" in e.data, 10,
                               name="status")
        assert lost.data
        stream.pump(0.5)
        refused = _get(f"{dashboard.base}/c/default/db/0/")
        assert refused[0] == 503
        assert leaks(stream.raw, *stream.headers.items(), refused[1], dashboard.log()) == []
    finally:
        if dashboard is not None:
            dashboard.stop()
        server.stop()


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_the_run_command_prints_the_address_not_the_password(tmp_path, protected):
    process, base = start_serve(tmp_path, REDIS_URL=url_with_password(protected.port),
                                UVICORN_LOG_LEVEL="debug")
    try:
        # urllib follows the redirect to the sign-in page
        wait_for(f"{base}/c/default/db/0/", process)
        assert b"Sign in" in _get(f"{base}/sign-in/")[1]
    finally:
        printed = stop(process)
    assert f"Redis: 127.0.0.1:{protected.port}" in printed
    assert "/sign-in/once/" in printed
    assert leaks(printed) == []
