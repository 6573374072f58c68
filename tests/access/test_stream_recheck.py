"""A live stream is held to the check its request passed for as long as it runs: under uvicorn
with sign-in on, a pub/sub stream and a live key list end, saying why, once their user signs
out or is kept out of the connection (checked at each renewal of the stream's slot, a third of
DASHBOARD_STREAM_LEASE_SECONDS), quiet as they are (no message, no key change)."""

from __future__ import annotations

import html
import re
import shutil
from urllib.parse import urlsplit

import pytest

from keyspace.services.pubsub.slots import REVOKED_TEXT
from tests.support.cookie_jar import CookieJar
from tests.support.sse import SSEStream
from tests.support.uvicorn_dashboard import UvicornDashboard, migrated_sqlite

pytestmark = pytest.mark.django_db
PUBSUB = "/c/default/db/0/pubsub/stream/?channel=recheck"
LIVE = "/c/default/db/0/live/keys/?seen="  # a key list: quiet while no key changes
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(scope="module")
def server(redis_server, tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("stream-recheck")
    database = var_dir / "dashboard.sqlite3"
    shutil.copyfile(migrated_sqlite(), database)
    dashboard = UvicornDashboard(redis_server.url, var_dir, ready_statuses=(200, 302),
                                 DASHBOARD_AUTH="on", DASHBOARD_DB_PATH=str(database),
                                 DASHBOARD_STREAM_LEASE_SECONDS="3")
    dashboard.manage("adduser", "watcher", "--role", "viewer", "--base-url", "http://x")
    yield dashboard.start()
    dashboard.stop()


class Browser(CookieJar):
    """Cookies and forms, as a browser keeps and posts them."""

    def __init__(self, server: UvicornDashboard) -> None:
        super().__init__(server.port)
        self.server = server

    def post_form(self, page: str, action: str, **fields) -> int:
        """POST to `action` with the CSRF token of a form on `page`."""
        status, text = self.request("GET", page)
        assert status == 200, text[-300:]
        token = CSRF.search(text)
        assert token, text[-300:]
        return self.request("POST", action, {"csrfmiddlewaretoken": token.group(1), **fields})[0]

    def sign_in(self) -> None:
        out = self.server.manage("signin_link", "watcher", "--base-url", "http://x")
        link = urlsplit(re.search(r"(http://\S+/sign-in/once/\S+/)", out).group(1)).path
        assert self.post_form(link, link) == 302
        assert "sessionid" in self.cookies

    def stream(self, path: str) -> SSEStream:
        stream = SSEStream("127.0.0.1", self.server.port, path, timeout=10, cookie=self.header)
        assert stream.status == 200, stream.raw
        return stream


def ended_saying_why(stream: SSEStream) -> None:
    """The stream's last status says it ended and why, and no retry comes soon after."""
    expected = html.escape(REVOKED_TEXT, quote=False)
    stream.wait_for(lambda event: expected in html.unescape(event.data) or
                    REVOKED_TEXT in html.unescape(event.data), timeout=8, name="status")
    assert stream.parser.retry == 3_600_000
    stream.pump(1)
    assert stream.eof


@pytest.mark.parametrize("path", [PUBSUB, LIVE])
def test_a_stream_ends_once_its_user_signs_out(server, notifications, path):
    browser = Browser(server)
    browser.sign_in()
    stream = browser.stream(path)
    try:
        stream.next_event(timeout=10)  # it runs
        assert browser.post_form("/c/default/db/0/pubsub/", "/sign-out/") == 302
        ended_saying_why(stream)
    finally:
        stream.close()


def test_a_stream_ends_once_its_user_is_kept_out_of_the_connection(server):
    browser = Browser(server)
    browser.sign_in()
    stream = browser.stream(PUBSUB)
    try:
        stream.wait_for(lambda event: "subscribed" in event.data, name="status")
        server.manage("connection_role", "watcher", "default", "none")
        ended_saying_why(stream)
    finally:
        stream.close()
        server.manage("connection_role", "watcher", "default", "default")


def test_a_stream_of_a_user_still_signed_in_goes_on(server):
    browser = Browser(server)
    browser.sign_in()
    stream = browser.stream(PUBSUB)
    try:
        stream.wait_for(lambda event: "subscribed" in event.data, name="status")
        stream.pump(3)  # three renewals
        assert not stream.eof
        assert not any(REVOKED_TEXT in html.unescape(e.data) for e in stream.events)
    finally:
        stream.close()


def test_one_user_gets_at_most_their_share_of_the_streams(server):
    """DASHBOARD_MAX_STREAMS_PER_USER (5 by default) of DASHBOARD_MAX_STREAMS (20): a sixth
    stream of the same user is refused, saying why, while they hold five."""
    browser = Browser(server)
    browser.sign_in()
    opened = []
    try:
        for _ in range(5):
            opened.append(browser.stream(PUBSUB))
            opened[-1].wait_for(lambda event: "subscribed" in event.data, name="status")
        refused = browser.stream(PUBSUB)
        opened.append(refused)
        status = refused.next_event(name="status")
        assert "too many open streams" in status.data and "5 for each user" in status.data
    finally:
        for stream in opened:
            stream.close()


@pytest.fixture(scope="module")
def two_connections(redis_server, tmp_path_factory):
    """A dashboard with a second connection declared in its settings (the same Redis)."""
    import json

    var_dir = tmp_path_factory.mktemp("stream-recheck-two")
    database = var_dir / "dashboard.sqlite3"
    shutil.copyfile(migrated_sqlite(), database)
    dashboard = UvicornDashboard(
        redis_server.url, var_dir, ready_statuses=(200, 302), DASHBOARD_AUTH="on",
        DASHBOARD_DB_PATH=str(database), DASHBOARD_STREAM_LEASE_SECONDS="3",
        DASHBOARD_CONNECTIONS=json.dumps({"second": {"url": redis_server.url}}))
    dashboard.manage("adduser", "watcher", "--role", "viewer", "--base-url", "http://x")
    yield dashboard.start()
    dashboard.stop()


@pytest.mark.parametrize("path", ["/c/second/db/0/pubsub/stream/?channel=recheck",
                                  "/c/second/db/0/live/keys/?seen="])
def test_a_stream_of_another_connection_is_checked_on_that_connection(two_connections,
                                                                      notifications, path):
    """Kept out of the default connection, may view the second: a stream of the second goes
    on; once kept out of the second, it ends."""
    two_connections.manage("connection_role", "watcher", "default", "none")
    browser = Browser(two_connections)
    browser.sign_in()
    stream = browser.stream(path)
    try:
        stream.next_event(timeout=10)
        stream.pump(3)  # three renewals
        assert not stream.eof
        assert not any(REVOKED_TEXT in html.unescape(e.data) for e in stream.events)
        two_connections.manage("connection_role", "watcher", "second", "none")
        ended_saying_why(stream)
    finally:
        stream.close()
        two_connections.manage("connection_role", "watcher", "second", "default")
        two_connections.manage("connection_role", "watcher", "default", "default")
