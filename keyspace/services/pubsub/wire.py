"""One subscribed Redis connection, read at the floor.

redis-py opens the connection (address, TLS, AUTH, CLIENT SETNAME, SELECT: whatever the
target needs); from then on this module writes the subscribe commands itself and parses what
comes back with its own `hiredis.Reader`, straight off the connection's stream. Per message
that is one C call, which returns the reply list hiredis makes: no dict, no handler lookup,
no coroutine per message as in `PubSub.listen()`.

It never reconnects by itself. redis-py's PubSub reconnects and resubscribes silently, and
the messages lost meanwhile go unnoticed; here a dropped connection is an exception, and the
caller opens a new Wire (with a new client id) and says so.

The handshake sends CLIENT ID, INFO (all sections: a few KB once per connection; one
section list is not understood before Redis 7) and the subscribe commands in
one write. Redis runs one client's buffered commands back to back, so the PUBLISH call count
in that INFO is exactly the count at the moment the subscription starts: comparing two such
counts tells how many messages could have been published while a stream was cut off.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import hiredis
import redis

from keyspace.redis.connection import get_async_client

READ_SIZE = 1 << 18  # bytes per socket read: many messages per parse call under a flood
_PUBLISH_CALLS = re.compile(rb"^cmdstat_publish:calls=(\d+)", re.M)
_OBL_DISCONNECTIONS = re.compile(rb"^client_output_buffer_limit_disconnections:(\d+)", re.M)
_RUN_ID = re.compile(rb"^run_id:(\w+)", re.M)


@dataclass(frozen=True)
class Handshake:
    client_id: int | None  # None when CLIENT ID is not allowed
    publish_calls: int | None  # PUBLISH calls on the server so far; None without INFO
    buffer_disconnections: int | None  # Redis 7.2+: clients cut off at the output buffer limit
    run_id: bytes | None = None  # changes when Redis restarts (and its counters with it)


class Wire:
    def __init__(self, db: int) -> None:
        self.db = db
        self.client: redis.asyncio.Redis | None = None
        self.conn = None
        self.parser = hiredis.Reader()

    async def open(self, channels: tuple[bytes, ...], patterns: tuple[bytes, ...]) -> Handshake:
        """Connect and subscribe; confirmations (and messages) then come from `read`."""
        self.client = get_async_client(self.db, subscriber=True)
        self.conn = await self.client.connection_pool.get_connection()
        commands = [("CLIENT", "ID"), ("INFO", "all")]
        if channels:
            commands.append(("SUBSCRIBE", *channels))
        if patterns:
            commands.append(("PSUBSCRIBE", *patterns))
        await self.conn.send_packed_command(self.conn.pack_commands(commands))
        client_id, info = await self._replies(2)
        return _handshake(client_id, info)

    async def _replies(self, count: int) -> list:
        replies: list = []
        while len(replies) < count:
            reply = self.parser.gets()
            if reply is False:
                self.parser.feed(await self.read_chunk())
            else:
                replies.append(reply)
        return replies

    async def read_chunk(self) -> bytes:
        """Whatever the socket has (waiting for at least a byte); an error once it is closed."""
        data = await self.conn._reader.read(READ_SIZE)
        if not data:
            raise redis.ConnectionError("Redis closed the connection")
        return data

    async def ping(self) -> None:
        """A marker in the reply stream: its pong comes after every message sent before it."""
        await self.conn.send_packed_command(self.conn.pack_command("PING"))

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


def _handshake(client_id, info) -> Handshake:
    text = info if isinstance(info, bytes) else b""
    calls = _PUBLISH_CALLS.search(text)
    cut = _OBL_DISCONNECTIONS.search(text)
    return Handshake(
        client_id=client_id if isinstance(client_id, int) else None,
        # No line at all means no PUBLISH since the counters were reset: zero, not unknown.
        publish_calls=(int(calls[1]) if calls else 0) if text else None,
        buffer_disconnections=int(cut[1]) if cut else None,
        run_id=run_id[1] if (run_id := _RUN_ID.search(text)) else None,
    )
