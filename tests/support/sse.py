"""A small Server-Sent Events client, for the pub/sub tests and the pub/sub benchmark.

`SSEParser` follows the HTML standard to the letter (CR, LF and CRLF all end a line), so a
stream that a browser would split or inject into is split or injected into here too.
`EventStreamResponse` reads an HTTP/1.1 response (chunked or not) from bytes as they arrive
and does no I/O itself: `SSEStream` feeds it from a blocking socket (whose read timeouts
never spoil the connection), the benchmark from an asyncio one."""

from __future__ import annotations

import codecs
import contextlib
import re
import socket
import time
from dataclasses import dataclass, field

_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass
class Event:
    name: str
    data: str
    at: float = field(default_factory=time.monotonic)


class SSEParser:
    """Incremental parser: feed it text, it returns the events dispatched so far. With
    `record`, every line and comment seen is kept (for exact framing checks)."""

    def __init__(self, record: bool = True) -> None:
        self.record = record
        self.line = ""
        self.after_cr = False
        self.name = ""
        self.data: list[str] = []
        self.retry: int | None = None
        self.comments: list[str] = []
        self.lines: list[str] = []

    def feed(self, text: str) -> list[Event]:
        if not text:
            return []
        if self.after_cr and text[0] == "\n":
            text = text[1:]  # the LF of a CRLF pair split across feeds: that line has ended
        self.after_cr = text.endswith("\r")
        *lines, self.line = _LINE_END.split(self.line + text)
        return [event for line in lines if (event := self._line(line)) is not None]

    def _line(self, line: str) -> Event | None:
        if self.record:
            self.lines.append(line)
        if line == "":
            if not self.data:
                self.name = ""
                return None
            event = Event(self.name or "message", "\n".join(self.data))
            self.name, self.data = "", []
            return event
        if line.startswith(":"):
            if self.record:
                self.comments.append(line[1:])
            return None
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            self.name = value
        elif name == "data":
            self.data.append(value)
        elif name == "retry" and value.isdigit():
            self.retry = int(value)
        return None


def parse_all(raw: bytes) -> tuple[list[Event], SSEParser]:
    parser = SSEParser()
    events = parser.feed(raw.decode("utf-8"))
    return events, parser


def request(host: str, port: int, path: str, cookie: str = "") -> bytes:
    """The GET an EventSource sends (with the browser's cookies, `cookie`)."""
    cookie_line = f"Cookie: {cookie}\r\n" if cookie else ""
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
        f"Cache-Control: no-cache\r\n{cookie_line}\r\n"
    ).encode()


class EventStreamResponse:
    """The response to `request()`, read from the bytes received: status and headers first,
    then the body (de-chunked) and the events it completes."""

    def __init__(self, record: bool = True) -> None:
        self.status_line = ""
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.chunked = False
        self.eof = False  # the last chunk arrived, or the transport saw the peer close
        self.parser = SSEParser(record)
        self._wire = b""
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    def feed(self, data: bytes) -> tuple[bytes, list[Event]]:
        """Take bytes as received; return the body bytes and the events they complete."""
        self._wire += data
        if self.status is None:
            if b"\r\n\r\n" not in self._wire:
                return b"", []
            head, self._wire = self._wire.split(b"\r\n\r\n", 1)
            self._read_head(head.decode("latin-1"))
        body = self._body()
        return body, self.parser.feed(self._decoder.decode(body)) if body else []

    def _read_head(self, head: str) -> None:
        self.status_line, *header_lines = head.split("\r\n")
        self.status = int(self.status_line.split()[1])
        for line in header_lines:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"

    def _body(self) -> bytes:
        if not self.chunked:
            body, self._wire = self._wire, b""
            return body
        body = b""
        while (size_end := self._wire.find(b"\r\n")) >= 0:
            size = int(self._wire[:size_end].split(b";")[0], 16)
            if size == 0:
                self.eof = True
                self._wire = b""
                break
            if len(self._wire) < size_end + 2 + size + 2:
                break
            body += self._wire[size_end + 2 : size_end + 2 + size]
            self._wire = self._wire[size_end + 2 + size + 2 :]
        return body


class SSEStream:
    """One open GET of an event stream, over a blocking socket."""

    def __init__(self, host: str, port: int, path: str, *, timeout: float = 5.0,
                 cookie: str = ""):
        self.path = path
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.sendall(request(host, port, path, cookie))
        self.response = EventStreamResponse()
        self.raw = b""  # the body as received, de-chunked
        self.events: list[Event] = []
        self._consumed = 0  # events handed out by next_event()
        deadline = time.monotonic() + timeout
        while self.response.status is None:
            if not self._recv(deadline):
                raise AssertionError(f"no response headers for {path}: {self.response._wire!r}")

    @property
    def status(self) -> int | None:
        return self.response.status

    @property
    def headers(self) -> dict[str, str]:
        return self.response.headers

    @property
    def parser(self) -> SSEParser:
        return self.response.parser

    @property
    def eof(self) -> bool:
        return self.response.eof

    def _recv(self, deadline: float) -> bool:
        """Read and parse what arrives before `deadline`; False on timeout or end of stream."""
        left = deadline - time.monotonic()
        if self.eof or left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return False
        except ConnectionResetError:
            data = b""
        if not data:
            self.response.eof = True
            return False
        body, events = self.response.feed(data)
        self.raw += body
        self.events += events
        return True

    def pump(self, seconds: float) -> None:
        """Read for `seconds` (or until the stream ends)."""
        deadline = time.monotonic() + seconds
        while self._recv(deadline):
            pass

    def next_event(self, timeout: float = 5.0, name: str | None = None) -> Event:
        """The next event not yet handed out (of type `name`, skipping others)."""
        deadline = time.monotonic() + timeout
        while True:
            while self._consumed < len(self.events):
                event = self.events[self._consumed]
                self._consumed += 1
                if name is None or event.name == name:
                    return event
            if not self._recv(deadline):
                raise AssertionError(
                    f"no {name or ''} event within {timeout} s (eof={self.eof}); "
                    f"so far: {[(e.name, e.data[:200]) for e in self.events]}"
                )

    def wait_for(self, predicate, timeout: float = 5.0, name: str | None = None) -> Event:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            event = self.next_event(max(left, 0.001), name)
            if predicate(event):
                return event

    def wait_until_closed(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.eof and time.monotonic() < deadline:
            self._recv(deadline)
        assert self.eof, f"{self.path} still open after {timeout} s"

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()

    def __enter__(self) -> SSEStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
