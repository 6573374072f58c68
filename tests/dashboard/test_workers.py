"""The dashboard as several processes: two uvicorn processes on one database, behind one port
(a round-robin proxy, as nginx would do it). What one process decides holds in the other: a
confirmation spent on one is refused on the other, and DASHBOARD_MAX_STREAMS counts the
streams of both, also after a process holding a stream is killed. On SQLite (one file) and on
PostgreSQL."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys

import pytest

from tests.services.editing.forms import form_fields
from tests.support.cookie_jar import CookieJar
from tests.support.proxy import RoundRobinProxy
from tests.support.sse import SSEStream
from tests.support.urls import edit_url
from tests.support.uvicorn_dashboard import ROOT, UvicornDashboard, migrated_sqlite
from tests.support.worker import wait_until

LEASE_SECONDS = 3  # the shortest the setting allows: a killed worker's slot frees soon
STREAM = "/c/default/db/0/pubsub/stream/?channel=workers"
_made = iter(range(1_000_000))  # PostgreSQL database names


class Workers:
    def __init__(self, dashboards: list[UvicornDashboard], proxy: RoundRobinProxy) -> None:
        self.dashboards = dashboards
        self.proxy = proxy
        self.jar = CookieJar(proxy.port)

    def by_port(self, port: int) -> UvicornDashboard:
        return next(d for d in self.dashboards if d.port == port)

    def turn_to(self, dashboard: UvicornDashboard) -> None:
        """Have the proxy's next connection go to `dashboard` (a cheap request if not)."""
        if self.proxy.upcoming != dashboard.port:
            # 400 at once, before any Redis work
            self.request("GET", "/c/default/db/0/pubsub/stream/")
        assert self.proxy.upcoming == dashboard.port

    def request(self, method: str, path: str, fields: dict | None = None):
        """One request on a connection of its own through the proxy: (status, body, the
        dashboard process that answered)."""
        served_before = len(self.proxy.served)
        status, text = self.jar.request(method, path, fields)
        return status, text, self.by_port(self.proxy.served[served_before])

    def stream(self) -> tuple[SSEStream, UvicornDashboard]:
        served_before = len(self.proxy.served)
        opened = SSEStream("127.0.0.1", self.proxy.port, STREAM, timeout=10)
        return opened, self.by_port(self.proxy.served[served_before])


def _migrate(env: dict) -> None:
    for command in (["migrate", "--noinput", "-v", "0"], ["createcachetable"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=300)


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def workers(request, redis_server, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp(f"workers-{request.param}")
    if request.param == "sqlite":
        shared = tmp_path / "shared.sqlite3"
        shutil.copyfile(migrated_sqlite(), shared)
        database = {"DASHBOARD_DB_PATH": str(shared)}
    else:
        server = request.getfixturevalue("postgres_server")
        url = server.create_database(f"workers_{next(_made)}")
        database = {"DASHBOARD_DATABASE_URL": url}
        env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
        _migrate({**env, "DJANGO_SETTINGS_MODULE": "dashboard.settings", **database})
    dashboards = [
        UvicornDashboard(redis_server.url, tmp_path / name, name=name, ready_statuses=(200,),
                         DASHBOARD_MAX_STREAMS="1", DASHBOARD_NAMESPACE_STEP_MS="0",
                         DASHBOARD_STREAM_LEASE_SECONDS=str(LEASE_SECONDS), **database)
        for name in ("worker-a", "worker-b")
    ]
    proxy = None
    try:
        for dashboard in dashboards:
            dashboard.start()
        proxy = RoundRobinProxy([d.port for d in dashboards]).start()
        yield Workers(dashboards, proxy)
    finally:
        try:
            if proxy is not None:
                proxy.stop()
        finally:
            for dashboard in dashboards:
                dashboard.stop()


def test_a_confirmation_spent_on_one_worker_is_refused_on_the_other(workers, r):
    r.set("str", "doomed")
    status, page, drew_form = workers.request("GET", edit_url(b"str", "delete"))
    assert status == 200, page[-500:]
    fields = form_fields(page)
    assert fields.get("confirm") and fields.get("csrfmiddlewaretoken")

    status, _, deleted_by = workers.request("POST", edit_url(b"str", "delete"), fields)
    assert status == 302 and not r.exists("str")

    r.set("str", "made again by the application")
    other = next(d for d in workers.dashboards if d is not deleted_by)
    workers.turn_to(other)
    status, page, replayed_on = workers.request("POST", edit_url(b"str", "delete"), fields)
    assert replayed_on is other and other.process.pid != deleted_by.process.pid
    assert status == 428 and "already used" in page
    assert r.get("str") == b"made again by the application"
    # Both processes answered requests of this test (the proxy says which took each one).
    assert {drew_form, deleted_by, replayed_on} == set(workers.dashboards)


def _status(stream: SSEStream) -> str:
    return re.sub(r"<[^>]+>", "", stream.next_event(10, name="status").data).strip()


def test_the_stream_limit_holds_across_workers_and_survives_a_killed_one(workers):
    first, holder = workers.stream()
    try:
        assert _status(first) == "subscribed"
        other = next(d for d in workers.dashboards if d is not holder)
        # The other process has no stream of its own, yet the one slot is taken.
        workers.turn_to(other)
        refused, refused_by = workers.stream()
        assert refused_by is other
        assert "too many open streams (the limit is 1)" in _status(refused)
        refused.wait_until_closed(5)
    finally:
        first.close()

    # Given back when the stream ends: the other process can now have it.
    def opened_on_other():
        workers.turn_to(other)
        stream, served_by = workers.stream()
        assert served_by is other
        if _status(stream) == "subscribed":
            return stream
        stream.close()
        return None

    second = wait_until(opened_on_other, 10, interval=0.2)
    # The process holding the slot dies without giving it back: the slot is still taken
    # until its lease runs out, then the surviving process hands it out again.
    other.process.send_signal(signal.SIGKILL)
    other.process.wait(10)
    second.close()
    survivor = holder
    refused, served_by = workers.stream()  # the proxy skips the dead process
    assert served_by is survivor
    assert "too many open streams" in _status(refused)
    refused.close()

    def opened_on_survivor():
        stream, _ = workers.stream()
        if _status(stream) == "subscribed":
            return stream
        stream.close()
        return None

    third = wait_until(opened_on_survivor, LEASE_SECONDS * 4, interval=0.3)
    third.close()
    other.start()  # back for the tests after this one


def test_a_namespace_count_goes_on_in_the_other_worker(workers, r):
    """Each step of a count may land on another process: its running totals are in the shared
    cache, so the other process goes on with them instead of starting again."""
    with r.pipeline(transaction=False) as pipe:
        for n in range(3000):
            pipe.set(f"ns{n % 3}:{n}", b"v")
        pipe.execute()
    path = "/c/default/db/0/namespaces/count/"
    status, page, served_by = workers.request("GET", path)
    assert status == 200, page[-500:]
    token = re.search(r"scan=([^\"&]+)", page).group(1)  # one SCAN call per step: not done
    processes = {served_by}
    for _ in range(200):
        if "scan=" not in page:
            break
        workers.turn_to(next(d for d in workers.dashboards if d is not served_by))
        status, page, served_by = workers.request("GET", f"{path}?scan={token}")
        processes.add(served_by)
        assert status == 200
        if "scan=" in page:  # the same count goes on, whichever process took the step
            assert re.search(r"scan=([^\"&]+)", page).group(1) == token
    assert "Counted all 3,000 keys" in page, page[-1500:]
    assert processes == set(workers.dashboards)
