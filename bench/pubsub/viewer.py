"""One person watching the stream: an SSE connection read here, its batches counted.

Lean on purpose: ten viewers at 200,000 msg/s receive about 25 MB/s of events between them,
and this process shares the machine's cores with the dashboard it measures. A full SSE parse
(tests/support/sse.py: line by line, in Python) of that costs about 6 ms a batch, most of a
core for ten viewers, and the dashboard was measured starved by its own benchmark. So the
response is read as bytes by an asyncio protocol: de-chunked, cut into events at the blank
line that ends each (the dashboard's framing, keyspace/services/pubsub/sse.py: data never
holds a blank line), and searched with regular expressions on the raw event, `data: ` line
prefixes included. Nothing is decoded or unescaped per message; the accounting stays exact
(every `seq` shown is counted, every skipped line summed, rows that do not parse counted
as `unparsed`).

Payloads carry {"seq": n, "t": publish time}; the page shows them HTML-escaped and
pretty-printed, one key a line, so the two numbers are found in the escaped text."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from dataclasses import dataclass, field

from tests.support.sse import request

# The pretty-printed payload puts "t" on the next line: a line break and its `data: ` prefix.
_SEQ_T = re.compile(rb"&quot;seq&quot;: (\d+),\s*(?:data: )?\s*&quot;t&quot;: ([0-9.]+)")
_ITEM = re.compile(rb'<li class="msg ')
# The first row of a batch is its newest message: when the dashboard received it, and its seq.
_NEWEST = re.compile(rb'<span class="msg-time">(\d\d):(\d\d):(\d\d)\.(\d{3})</span>.*?'
                     rb"&quot;seq&quot;: (\d+)", re.S)
_SKIPPED_ROW = b'<li class="msg skipped">'  # the batch's last row, when it skipped any
_SKIPPED = re.compile(rb"([\d,]+) messages? skipped")  # matched right after _SKIPPED_ROW
_RECEIVED = re.compile(rb"([\d,]+) received</span>")
_DATA_PREFIX = re.compile(rb"^data: ?", re.M)
_TAG = re.compile(r"<[^>]+>")


def _int(text: bytes) -> int:
    return int(text.replace(b",", b""))


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


class EventBytes:
    """An HTTP/1.1 response as received, in: status, headers, then complete SSE events (raw
    bytes, without the blank line that ends them) out. No I/O."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.status_line = ""
        self.chunked = False
        self.eof = False  # the last chunk arrived
        self._wire = bytearray()
        self._body = bytearray()
        self._scanned = 0  # body bytes already searched for an event's end
        self._chunk_left = -1  # -1: a chunk-size line is next; 0: the CRLF after a chunk

    def feed(self, data: bytes) -> list[bytes]:
        wire = self._wire
        wire += data
        if self.status is None:
            end = wire.find(b"\r\n\r\n")
            if end < 0:
                return []
            self._head(bytes(wire[:end]).decode("latin-1"))
            del wire[:end + 4]
        if self.chunked:
            self._dechunk()
        else:
            self._body += wire
            wire.clear()
        return self._events()

    def _head(self, head: str) -> None:
        self.status_line, *lines = head.split("\r\n")
        self.status = int(self.status_line.split()[1])
        for line in lines:
            name, _, value = line.partition(":")
            if name.strip().lower() == "transfer-encoding":
                self.chunked = value.strip().lower() == "chunked"

    def _dechunk(self) -> None:
        wire, pos = self._wire, 0
        while not self.eof:
            if self._chunk_left > 0:
                take = min(self._chunk_left, len(wire) - pos)
                if take == 0:
                    break
                self._body += wire[pos:pos + take]
                pos += take
                self._chunk_left -= take
            elif self._chunk_left == 0:
                if len(wire) - pos < 2:
                    break
                pos, self._chunk_left = pos + 2, -1
            else:
                end = wire.find(b"\r\n", pos)
                if end < 0:
                    break
                size = int(bytes(wire[pos:end]).split(b";")[0], 16)
                pos = end + 2
                if size == 0:
                    self.eof = True
                else:
                    self._chunk_left = size
        del wire[:pos]

    def _events(self) -> list[bytes]:
        body, events, start = self._body, [], 0
        scan = max(0, self._scanned - 1)
        while (end := body.find(b"\n\n", scan)) >= 0:
            events.append(bytes(body[start:end]))
            start = scan = end + 2
        del body[:start]
        self._scanned = len(body)
        return events


class _Protocol(asyncio.Protocol):
    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer

    def data_received(self, data: bytes) -> None:
        self.viewer._feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.viewer._lost(exc)


class Viewer:
    def __init__(self, port: int, path: str) -> None:
        self.port, self.path = port, path
        self.log = ViewerLog()
        self.response = EventBytes()
        self.transport: asyncio.Transport | None = None
        self._headers: asyncio.Future | None = None

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        self._headers = loop.create_future()
        self.transport, _ = await loop.create_connection(lambda: _Protocol(self),
                                                         "127.0.0.1", self.port)
        self.transport.write(request("127.0.0.1", self.port, self.path))
        async with asyncio.timeout(10):
            await self._headers
        if self.response.status != 200:
            raise RuntimeError(f"stream answered {self.response.status_line!r}")

    def _feed(self, data: bytes) -> None:
        arrived = time.time()
        events = self.response.feed(data)
        if self.response.status is not None and not self._headers.done():
            self._headers.set_result(None)
        for event in events:
            if event.startswith(b"event: batch\n"):
                self._batch(event, arrived)
            elif event.startswith(b"event: stats\n"):
                if found := _RECEIVED.search(event):
                    self.log.received.append((arrived, _int(found[1])))
            elif event.startswith(b"event: status\n"):
                data = _DATA_PREFIX.sub(b"", event.partition(b"\n")[2]).decode("utf-8", "replace")
                self.log.statuses.append(" ".join(_TAG.sub(" ", data).split()))
        if self.response.eof:
            self.log.closed = "the dashboard closed the stream"
            self.transport.close()

    def _lost(self, exc: Exception | None) -> None:
        if self.log.closed is None:
            self.log.closed = f"stream broke: {exc!r}" if exc else "the dashboard closed the stream"
        if self._headers is not None and not self._headers.done():
            self._headers.set_exception(RuntimeError("the stream closed before its headers"))

    def _batch(self, body: bytes, arrived: float) -> None:
        log = self.log
        log.last_batch_at = arrived
        found = _SEQ_T.findall(body)
        log.delivered += [(int(seq), arrived - float(t)) for seq, t in found]
        if (newest := _NEWEST.search(body)) and int(newest[5]) > log.newest[0]:
            log.newest = (int(newest[5]), _wall_time(newest, arrived))
        at = body.rfind(_SKIPPED_ROW)
        skipped = _SKIPPED.match(body, at + len(_SKIPPED_ROW)) if at >= 0 else None
        if skipped:
            log.skipped += _int(skipped[1])
        log.unparsed += len(_ITEM.findall(body)) - len(found) - (1 if skipped else 0)

    async def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(0)
