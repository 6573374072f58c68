"""Shared by the pub/sub tests: the dashboard under uvicorn with the streams a test opens, its
stream URL, the messages in the HTML of its events, and waiting on Redis."""

from __future__ import annotations

import asyncio
import html
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import redis

from tests.support.sse import Event, SSEStream
from tests.support.uvicorn_dashboard import UvicornDashboard

CLIENT_NAME = "redis-dashboard"
# A stream with no subscription is refused (400) before Redis is touched: a cheap probe.
READY_PATH = "/c/default/db/0/pubsub/stream/"


class Dashboard(UvicornDashboard):
    """The dashboard under uvicorn, started; the streams a test opens are closed with it."""

    def __init__(self, redis_url: str, var_dir: Path, **settings: str):
        super().__init__(redis_url, var_dir, ready_path=READY_PATH, ready_statuses=(200, 400),
                         **settings)
        self.streams: list[SSEStream] = []

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
        super().stop()


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


def stream_path(db: int = 0, **params) -> str:
    """The stream URL; list values give repeated parameters."""
    pairs = []
    for name, value in params.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            pairs.append((name, item))
    return f"/c/default/db/{db}/pubsub/stream/?{urlencode(pairs)}"


_MSG = re.compile(r'<li class="msg msg-(\w+)">(.*?)</li>', re.S)
_SKIPPED = re.compile(r'<li class="msg skipped">([\d,]+) messages? skipped')


@dataclass
class Shown:
    kind: str
    channel: str
    pattern: str | None
    body: str
    cut: str | None
    html: str


def messages(event: Event) -> list[Shown]:
    """The messages of a batch event, newest first, with their text unescaped."""
    found = []
    for kind, inner in _MSG.findall(event.data):
        channel = re.search(r'<code class="msg-channel">(.*?)</code>', inner, re.S).group(1)
        pattern = re.search(r'class="msg-pattern"[^>]*>via <code>(.*?)</code>', inner, re.S)
        body = re.search(r'<pre class="msg-body">(.*?)</pre>', inner, re.S).group(1)
        cut = re.search(r'<span class="cut">(.*?)</span>', inner, re.S)
        found.append(Shown(
            kind=kind,
            channel=html.unescape(channel),
            pattern=html.unescape(pattern.group(1)) if pattern else None,
            body=html.unescape(body),
            cut=html.unescape(cut.group(1)) if cut else None,
            html=inner,
        ))
    return found


def skipped(event: Event) -> int:
    match = _SKIPPED.search(event.data)
    return int(match.group(1).replace(",", "")) if match else 0


def text_of(event: Event) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", event.data)).strip()
