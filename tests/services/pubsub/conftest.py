"""Pub/sub streams are only real under ASGI (runserver, live_server and the test client
buffer an async streaming response whole), so stream tests talk to a uvicorn subprocess
pointed at a Redis the test controls."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis

from dashboard.local_redis import free_port

from tests.services.pubsub.sseclient import SSEStream, stream_path

ROOT = Path(__file__).resolve().parents[3]
CLIENT_NAME = "redis-dashboard"


class Dashboard:
    """One uvicorn process serving the dashboard."""

    def __init__(self, redis_url: str, log_dir: Path, **settings: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"uvicorn-{self.port}.log"
        self.streams: list[SSEStream] = []
        env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
        env.update(
            REDIS_URL=redis_url,
            DJANGO_SETTINGS_MODULE="dashboard.settings",
            DASHBOARD_VAR_DIR=str(log_dir),
            PYTHONUNBUFFERED="1",
            # These tests are about pub/sub, not sign-in: a loopback dashboard without it
            # (unless a caller passes DASHBOARD_AUTH="on" among its settings).
            DASHBOARD_AUTH="off",
        )
        env.update({k: str(v) for k, v in settings.items()})
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "dashboard.asgi:application",
             "--host", "127.0.0.1", "--port", str(self.port),
             "--timeout-graceful-shutdown", "2", "--lifespan", "off", "--no-access-log"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        try:
            self._wait_until_up()
        except BaseException:
            self.stop()
            raise

    def _wait_until_up(self, timeout: float = 30.0) -> None:
        # A stream with no subscription is refused before Redis is touched: a cheap probe.
        url = f"{self.base}/db/0/pubsub/stream/"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"uvicorn exited:\n{self.log()}")
            try:
                urllib.request.urlopen(url, timeout=2).close()
                return
            except urllib.error.HTTPError as exc:
                assert exc.code == 400, f"probe answered {exc.code}:\n{self.log()}"
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"uvicorn did not answer within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-5000:]

    def open(self, db: int = 0, *, timeout: float = 5.0, **params) -> SSEStream:
        """Open a stream (closed at teardown if the test does not)."""
        stream = SSEStream("127.0.0.1", self.port, stream_path(db, **params), timeout=timeout)
        self.streams.append(stream)
        return stream

    def subscribed(self, db: int = 0, **params) -> SSEStream:
        """Open a stream and wait until it says it is subscribed."""
        stream = self.open(db, **params)
        assert stream.status == 200, stream.raw
        event = stream.next_event(5, name="status")
        assert "subscribed" in event.data, (event.data, self.log())
        return stream

    def close_streams(self) -> None:
        for stream in self.streams:
            stream.close()
        self.streams.clear()

    def stop(self) -> None:
        self.close_streams()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def dashboard_clients(client: redis.Redis) -> list[dict]:
    """CLIENT LIST entries of the dashboard's own connections."""
    return [c for c in client.client_list() if c.get("name") == CLIENT_NAME]


def wait_until(check, timeout: float, interval: float = 0.02, message: str = ""):
    """Poll `check` until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message or 'condition'} not met within {timeout} s")
        time.sleep(interval)


def numsub(client: redis.Redis, channel: str | bytes) -> int:
    return dict(client.pubsub_numsub(channel)).get(
        channel.encode() if isinstance(channel, str) else channel, 0
    )


# Small batches and previews, so flood and cut-off tests are cheap; everything else is default.
SHARED_SETTINGS = {"DASHBOARD_PUBSUB_MAX_BATCH": "50", "DASHBOARD_PUBSUB_PREVIEW_BYTES": "256"}


@pytest.fixture(scope="session")
def _shared_dashboard(redis_server, tmp_path_factory):
    dashboard = Dashboard(redis_server.url, tmp_path_factory.mktemp("uvicorn"), **SHARED_SETTINGS)
    yield dashboard
    dashboard.stop()


@pytest.fixture
def dashboard(_shared_dashboard, r):
    """The shared uvicorn process; each test leaves no stream and no subscriber behind."""
    yield _shared_dashboard
    _shared_dashboard.close_streams()
    wait_until(
        lambda: not [c for c in dashboard_clients(r) if c.get("flags", "").find("P") >= 0
                     or int(c.get("sub", 0)) or int(c.get("psub", 0))],
        5, message="dashboard subscribers gone after the test",
    )


@pytest.fixture
def start_dashboard(tmp_path):
    """Start a dedicated uvicorn with its own settings: start_dashboard(redis_url, **env)."""
    started: list[Dashboard] = []

    def start(redis_url: str, **settings: str) -> Dashboard:
        dashboard = Dashboard(redis_url, tmp_path, **settings)
        started.append(dashboard)
        return dashboard

    yield start
    for dashboard in started:
        dashboard.stop()


def status_texts(stream: SSEStream) -> list[str]:
    return [re.sub(r"<[^>]+>", "", e.data).strip() for e in stream.events if e.name == "status"]


def run_async(coroutine):
    """asyncio.run in a thread of its own: Playwright's sync API (the browser tests, same
    session) keeps an event loop running in the main thread."""
    outcome = {}

    def target():
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the coroutine did not finish within 30 s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
