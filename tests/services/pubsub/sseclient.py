"""A small Server-Sent Events client for the pub/sub tests: a raw socket (so a read timeout
never spoils the connection), HTTP/1.1 chunked decoding, and an event parser that follows
the HTML standard to the letter (CR, LF and CRLF all end a line), so a stream that could
be split or injected into by a browser is split or injected into here too."""

from __future__ import annotations

import codecs
import contextlib
import html
import re
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode


@dataclass
class Event:
    name: str
    data: str
    at: float = field(default_factory=time.monotonic)


class SSEParser:
    """Incremental parser: feed it text, it returns the events dispatched so far."""

    def __init__(self) -> None:
        self.line = ""
        self.after_cr = False
        self.name = ""
        self.data: list[str] = []
        self.retry: int | None = None
        self.comments: list[str] = []
        self.lines: list[str] = []  # every line seen, for exact framing checks

    def feed(self, text: str) -> list[Event]:
        events = []
        for ch in text:
            if self.after_cr:
                self.after_cr = False
                if ch == "\n":  # the LF of a CRLF pair: that line has ended already
                    continue
            if ch in "\r\n":
                self.after_cr = ch == "\r"
                event = self._line(self.line)
                self.line = ""
                if event is not None:
                    events.append(event)
            else:
                self.line += ch
        return events

    def _line(self, line: str) -> Event | None:
        self.lines.append(line)
        if line == "":
            if not self.data:
                self.name = ""
                return None
            event = Event(self.name or "message", "\n".join(self.data))
            self.name, self.data = "", []
            return event
        if line.startswith(":"):
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


class SSEStream:
    """One open GET of an event stream."""

    def __init__(self, host: str, port: int, path: str, *, timeout: float = 5.0):
        self.path = path
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n"
            "Cache-Control: no-cache\r\n\r\n".encode()
        )
        self.raw = b""  # the body as received, de-chunked
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.events: list[Event] = []
        self.eof = False
        self.parser = SSEParser()
        self._wire = b""
        self._chunked = False
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._consumed = 0  # events handed out by next_event()
        self._read_headers(time.monotonic() + timeout)

    # --- reading --------------------------------------------------------------------------

    def _recv(self, deadline: float) -> bool:
        """Read what arrives before `deadline`; False on timeout or end of stream."""
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return False
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            return False
        self._wire += data
        return True

    def _read_headers(self, deadline: float) -> None:
        while b"\r\n\r\n" not in self._wire:
            if not self._recv(deadline):
                raise AssertionError(f"no response headers for {self.path}: {self._wire!r}")
        head, self._wire = self._wire.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        for line in header_lines:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self._chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"
        self._drain()

    def _drain(self) -> None:
        """Move complete body bytes from the wire buffer to the parser."""
        body = b""
        if not self._chunked:
            body, self._wire = self._wire, b""
        else:
            while True:
                size_end = self._wire.find(b"\r\n")
                if size_end < 0:
                    break
                size = int(self._wire[:size_end].split(b";")[0], 16)
                if size == 0:
                    self.eof = True
                    self._wire = b""
                    break
                if len(self._wire) < size_end + 2 + size + 2:
                    break
                body += self._wire[size_end + 2 : size_end + 2 + size]
                self._wire = self._wire[size_end + 2 + size + 2 :]
        if body:
            self.raw += body
            self.events += self.parser.feed(self._decoder.decode(body))

    def pump(self, seconds: float) -> None:
        """Read for `seconds` (or until the stream ends)."""
        deadline = time.monotonic() + seconds
        while self._recv(deadline):
            self._drain()

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
                if self.eof:
                    self._drain()
                    if self._consumed < len(self.events):
                        continue
                raise AssertionError(
                    f"no {name or ''} event within {timeout} s (eof={self.eof}); "
                    f"so far: {[(e.name, e.data[:200]) for e in self.events]}"
                )
            self._drain()

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
            if self._recv(deadline):
                self._drain()
        assert self.eof, f"{self.path} still open after {timeout} s"

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()

    def __enter__(self) -> SSEStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def stream_path(db: int = 0, **params) -> str:
    """The stream URL; list values give repeated parameters."""
    pairs = []
    for name, value in params.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            pairs.append((name, item))
    return f"/db/{db}/pubsub/stream/?{urlencode(pairs)}"


# --- reading the HTML of events ----------------------------------------------------------------

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
