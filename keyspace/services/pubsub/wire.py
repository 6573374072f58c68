"""One subscribed Redis connection, read at the floor.

redis-py opens the connection (address, TLS, AUTH, CLIENT SETNAME, SELECT: whatever the
target needs); from then on this module owns its transport: it writes the subscribe commands
itself and receives the bytes in a protocol of its own (`asyncio.BufferedProtocol`), so the
socket is read straight into one reused buffer, with no stream buffer in between, no copy
per read and no task woken per read. Each read is parsed at once, in the event loop's
callback, by a `hiredis.Reader` fed in slices of at most FEED_SLICE bytes: hiredis moves its
unread bytes down after every reply, so feeding a whole 256 KB read would make parsing
quadratic (about 5 us per 1 KB message instead of under 1). Per message that leaves one C
call returning the reply list hiredis makes: no dict, no handler lookup, no coroutine per
message as in `PubSub.listen()`.

It never reconnects by itself. redis-py's PubSub reconnects and resubscribes silently, and
the messages lost meanwhile go unnoticed; here a dropped connection ends the Wire (`ended`
says why), and the caller opens a new one (with a new client id) and says so.

The handshake sends CLIENT ID, INFO (all sections: a few KB once per connection; one
section list is not understood before Redis 7) and the subscribe commands in
one write. Redis runs one client's buffered commands back to back, so the PUBLISH call count
in that INFO is exactly the count at the moment the subscription starts: comparing two such
counts tells how many messages could have been published while a stream was cut off.
"""

from __future__ import annotations

import array
import asyncio
import fcntl
import re
import socket
import termios
from collections.abc import Callable
from dataclasses import dataclass

import hiredis
import redis

from keyspace.redis.connection import get_async_client

READ_SIZE = 1 << 18  # the receive buffer: bytes per socket read at most
FEED_SLICE = 1 << 15  # bytes handed to hiredis at a time (see the module docstring)
_PUBLISH_CALLS = re.compile(rb"^cmdstat_publish:calls=(\d+)", re.M)
_SPUBLISH_CALLS = re.compile(rb"^cmdstat_spublish:calls=(\d+)", re.M)
_CLUSTER_NODE = re.compile(rb"^cluster_enabled:1", re.M)
_OBL_DISCONNECTIONS = re.compile(rb"^client_output_buffer_limit_disconnections:(\d+)", re.M)
_RUN_ID = re.compile(rb"^run_id:(\w+)", re.M)
_HANDSHAKE_REPLIES = 2  # CLIENT ID, INFO

# Called with the parser's `gets` after each slice is fed: takes every complete reply, returns
# how many were messages. Then, once per socket read: (messages in the read, bytes read).
Take = Callable[[Callable], int]
AfterRead = Callable[[int, int], None]


@dataclass(frozen=True)
class Handshake:
    client_id: int | None  # None when CLIENT ID is not allowed
    publish_calls: int | None  # PUBLISH calls on the server so far; None without INFO
    buffer_disconnections: int | None  # Redis 7.2+: clients cut off at the output buffer limit
    run_id: bytes | None = None  # changes when Redis restarts (and its counters with it)


class Wire:
    def __init__(self, db: int, node: tuple[str, int] | None = None) -> None:
        """`node`: the cluster node to subscribe on (sharded channels: their slot's primary);
        None for the node the connection's URL names."""
        self.db, self.node = db, node
        self.client: redis.asyncio.Redis | None = None
        self.conn = None
        self.transport: asyncio.Transport | None = None
        self.parser = hiredis.Reader()
        self.buffer = bytearray(READ_SIZE)
        self._early: list = []  # the handshake's replies
        self._take: Take | None = None
        self._after_read: AfterRead | None = None
        loop = asyncio.get_running_loop()
        self._opened = loop.create_future()
        self._ended = loop.create_future()  # result: the exception that ended the connection

    async def open(self, channels: tuple[bytes, ...], patterns: tuple[bytes, ...],
                   shards: tuple[tuple[bytes, ...], ...] = ()) -> Handshake:
        """Connect and subscribe; the confirmations (and messages) go to `attach`'s callbacks.
        `shards`: sharded channels, one tuple per slot (an SSUBSCRIBE holds one slot's)."""
        self.client = get_async_client(self.db, subscriber=True, node=self.node)
        self.conn = await self.client.connection_pool.get_connection()
        self.transport = self.conn._writer.transport
        self.transport.set_protocol(_Protocol(self, self.transport.get_protocol()))
        commands = [("CLIENT", "ID"), ("INFO", "all")]
        if channels:
            commands.append(("SUBSCRIBE", *channels))
        if patterns:
            commands.append(("PSUBSCRIBE", *patterns))
        commands += [("SSUBSCRIBE", *group) for group in shards]
        self.transport.write(b"".join(self.conn.pack_commands(commands)))
        await asyncio.wait((self._opened, self._ended), return_when=asyncio.FIRST_COMPLETED)
        if not self._opened.done():
            raise self._ended.result()
        client_id, info = self._opened.result()
        return _handshake(client_id, info, sharded=bool(shards))

    def attach(self, take: Take, after_read: AfterRead) -> None:
        """From now on (starting with what is already parsed) replies go to `take`."""
        self._take, self._after_read = take, after_read
        self._guarded(self._parse_buffered)

    async def ended(self) -> BaseException:
        """Waits until the connection is over; the error that ended it."""
        return await asyncio.shield(self._ended)

    def backlog(self) -> tuple[int, int]:
        """(bytes the kernel holds for us unread, the size of its receive buffer): (0, 0) when
        unknown. The buffer starts small (128 KB here) and grows as fast reading earns it."""
        sock = self.transport.get_extra_info("socket") if self.transport else None
        if sock is None or self._ended.done():
            return 0, 0
        count = array.array("i", [0])
        try:
            fcntl.ioctl(sock.fileno(), termios.FIONREAD, count)
            return count[0], sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        except (OSError, ValueError):
            return 0, 0

    # --- the protocol's side ---

    def _received(self, nbytes: int) -> None:
        feed, gets, buffer = self.parser.feed, self.parser.gets, self.buffer
        take = self._take
        if take is None:  # still in the handshake
            feed(buffer, 0, nbytes)
            self._guarded(self._parse_buffered)
            return
        messages = 0
        try:
            for start in range(0, nbytes, FEED_SLICE):
                feed(buffer, start, min(FEED_SLICE, nbytes - start))
                messages += take(gets)
            self._after_read(messages, nbytes)
        except Exception as exc:  # noqa: BLE001 (ends the connection, reaches the caller)
            self._fail(exc)

    def _parse_buffered(self) -> None:
        gets = self.parser.gets
        while not self._opened.done():
            reply = gets()
            if reply is False:
                return
            self._early.append(reply)
            if len(self._early) == _HANDSHAKE_REPLIES:
                self._opened.set_result(self._early)
        if self._take is not None:
            self._after_read(self._take(gets), 0)

    def _guarded(self, step: Callable[[], None]) -> None:
        try:
            step()
        except Exception as exc:  # noqa: BLE001
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        if isinstance(exc, hiredis.ProtocolError):
            exc = redis.ConnectionError(f"unreadable reply from redis: {exc}")
        if not self._ended.done():
            self._ended.set_result(exc)
        self.transport.abort()

    def _lost(self, exc: BaseException | None) -> None:
        if not self._ended.done():
            self._ended.set_result(redis.ConnectionError(
                f"Redis closed the connection{f' ({exc})' if exc else ''}"))

    # --- closing ---

    async def close(self) -> None:
        # Finishes even when the task is being cancelled (the browser went away): the close
        # completes, then the cancellation carries on up. A subscription left open would make
        # Redis buffer a flood for nobody.
        closing = asyncio.ensure_future(self._close())
        try:
            await asyncio.shield(closing)
        except asyncio.CancelledError:
            await closing
            raise

    async def _close(self) -> None:
        try:
            if self.conn is not None:
                await self.conn.disconnect()
        finally:
            if self.client is not None:
                await self.client.aclose()


class _Protocol(asyncio.BufferedProtocol):
    """Reads into the Wire's buffer; closing and write flow control stay with the stream
    protocol redis-py connected with (its writer waits on them)."""

    def __init__(self, wire: Wire, previous: asyncio.BaseProtocol) -> None:
        self.wire, self.previous = wire, previous
        self.view = memoryview(wire.buffer)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.view

    def buffer_updated(self, nbytes: int) -> None:
        self.wire._received(nbytes)

    def eof_received(self) -> bool:
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.wire._lost(exc)
        self.previous.connection_lost(exc)

    def pause_writing(self) -> None:
        self.previous.pause_writing()

    def resume_writing(self) -> None:
        self.previous.resume_writing()


def _handshake(client_id, info, *, sharded: bool = False) -> Handshake:
    """What the handshake's replies say. The publish count is the node's own: SPUBLISH runs
    on the primary serving the channel's slot (the node a sharded subscriber is on), while a
    cluster's classic PUBLISH runs on any node and reaches this one over the cluster bus,
    uncounted here: there the count is unknown."""
    text = info if isinstance(info, bytes) else b""
    calls = (_SPUBLISH_CALLS if sharded else _PUBLISH_CALLS).search(text)
    cut = _OBL_DISCONNECTIONS.search(text)
    counted = bool(text) and (sharded or not _CLUSTER_NODE.search(text))
    return Handshake(
        client_id=client_id if isinstance(client_id, int) else None,
        # No line at all means no PUBLISH since the counters were reset: zero, not unknown.
        publish_calls=(int(calls[1]) if calls else 0) if counted else None,
        buffer_disconnections=int(cut[1]) if cut else None,
        run_id=run_id[1] if (run_id := _RUN_ID.search(text)) else None,
    )
