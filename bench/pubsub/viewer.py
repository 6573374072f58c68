"""One person watching the stream: an SSE connection read here, its batches counted.

Payloads carry {"seq": n, "t": publish time}; the page shows them HTML-escaped, so the two
numbers are found in the escaped text (no unescaping per message: ten viewers at 200,000
msg/s must not make this process the bottleneck)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from dataclasses import dataclass, field

from tests.support.sse import EventStreamResponse, request

_SEQ_T = re.compile(r"&quot;seq&quot;: (\d+),\s*&quot;t&quot;: ([0-9.]+)")
_ITEM = re.compile(r'<li class="msg ')
# The first row of a batch is its newest message: when the dashboard received it, and its seq.
_NEWEST = re.compile(r'<span class="msg-time">(\d\d):(\d\d):(\d\d)\.(\d{3})</span>.*?'
                     r"&quot;seq&quot;: (\d+)", re.S)
_SKIPPED = re.compile(r"([\d,]+) messages? skipped")
_RECEIVED = re.compile(r"([\d,]+) received</span>")


def _int(text: str) -> int:
    return int(text.replace(",", ""))


@dataclass
class ViewerLog:
    delivered: list[tuple[int, float]] = field(default_factory=list)  # (seq, lag in s)
    skipped: int = 0
    received: list[tuple[float, int]] = field(default_factory=list)  # stats: (at, total)
    statuses: list[str] = field(default_factory=list)
    unparsed: int = 0
    last_batch_at: float = 0.0
    newest: tuple[int, float] = (-1, 0.0)  # (seq, when the dashboard received it)
    closed: str | None = None

    def mark(self) -> tuple[int, int, int]:
        return len(self.delivered), self.skipped, self.received_total()

    def received_total(self) -> int:
        return self.received[-1][1] if self.received else 0


def _wall_time(found: re.Match, near: float) -> float:
    """The page's HH:MM:SS.mmm (the dashboard's local time) as a wall-clock time, on the day
    that puts it nearest to `near`."""
    day = time.localtime(near)
    stamp = time.mktime((day.tm_year, day.tm_mon, day.tm_mday, int(found[1]), int(found[2]),
                         int(found[3]), 0, 0, -1)) + int(found[4]) / 1000
    return min((stamp - 86400, stamp, stamp + 86400), key=lambda t: abs(t - near))


class Viewer:
    def __init__(self, port: int, path: str) -> None:
        self.port, self.path = port, path
        self.log = ViewerLog()
        self.response = EventStreamResponse(record=False)
        self.writer: asyncio.StreamWriter | None = None
        self.task: asyncio.Task | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(request("127.0.0.1", self.port, self.path))
        await self.writer.drain()
        async with asyncio.timeout(10):
            while self.response.status is None:
                if not (data := await self.reader.read(65536)):
                    raise RuntimeError("the stream closed before its headers")
                self._feed(data)
        if self.response.status != 200:
            raise RuntimeError(f"stream answered {self.response.status_line!r}")
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        try:
            while not self.response.eof and (data := await self.reader.read(1 << 18)):
                self._feed(data)
            self.log.closed = "the dashboard closed the stream"
        except ConnectionError as exc:
            self.log.closed = f"stream broke: {exc!r}"

    def _feed(self, data: bytes) -> None:
        arrived = time.time()
        _, events = self.response.feed(data)
        for event in events:
            if event.name == "batch":
                self._batch(event.data, arrived)
            elif event.name == "stats" and (found := _RECEIVED.search(event.data)):
                self.log.received.append((arrived, _int(found[1])))
            elif event.name == "status":
                self.log.statuses.append(" ".join(re.sub(r"<[^>]+>", " ", event.data).split()))

    def _batch(self, body: str, arrived: float) -> None:
        log = self.log
        log.last_batch_at = arrived
        found = _SEQ_T.findall(body)
        log.delivered += [(int(seq), arrived - float(t)) for seq, t in found]
        if (newest := _NEWEST.search(body)) and int(newest[5]) > log.newest[0]:
            log.newest = (int(newest[5]), _wall_time(newest, arrived))
        if skipped := _SKIPPED.search(body):
            log.skipped += _int(skipped[1])
        log.unparsed += len(_ITEM.findall(body)) - len(found) - (1 if skipped else 0)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError, TimeoutError):
                await asyncio.wait_for(self.writer.wait_closed(), 2)
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
