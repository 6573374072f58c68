"""Loading millions of commands quickly: packed with hiredis, sent in large batches over one
socket, replies counted (and errors raised) with a hiredis reader.

redis-py's Pipeline spends most of its time in Python per command; packing directly keeps
a 1,000,000-key seed to a few seconds of client CPU.
"""

from __future__ import annotations

import socket

import hiredis

BATCH_COMMANDS = 5000
RECV_BYTES = 1 << 20


class BulkLoader:
    """Collects packed commands and sends them `BATCH_COMMANDS` at a time."""

    def __init__(self, port: int, db: int = 0):
        self._sock = socket.create_connection(("127.0.0.1", port))
        self._reader = hiredis.Reader()
        self._buffer: list[bytes] = []
        self.sent = 0
        if db:
            self.add("SELECT", db)
            self.flush()

    def add(self, *args: bytes | str | int) -> None:
        self._buffer.append(hiredis.pack_command(args))
        if len(self._buffer) >= BATCH_COMMANDS:
            self.flush()

    def flush(self) -> None:
        if not self._buffer:
            return
        pending = len(self._buffer)
        self._sock.sendall(b"".join(self._buffer))
        self._buffer.clear()
        self.sent += pending
        while pending:
            self._reader.feed(self._sock.recv(RECV_BYTES))
            pending -= self._drain_replies()

    def _drain_replies(self) -> int:
        count = 0
        while (reply := self._reader.gets()) is not False:
            if isinstance(reply, hiredis.ReplyError):
                raise reply
            count += 1
        return count

    def close(self) -> None:
        self.flush()
        self._sock.close()

    def __enter__(self) -> BulkLoader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
