"""A reply read with a bound on its size: the console may not hold more of a reply than it can
show, whatever the command asked for (a GET of a 500 MB string is O(1) for Redis, and would
not be for the dashboard). Past the bound the connection, which is the console's alone, is
closed and the reply said to be cut."""

from __future__ import annotations

import hiredis
import redis

CHUNK = 64 * 1024


class ReplyTooLong(Exception):
    def __init__(self, limit: int):
        super().__init__(f"the reply is longer than {limit:,} bytes")
        self.limit = limit


def read_reply(conn, limit: int):
    """The next reply on `conn` (a connected redis-py Connection with nothing else pending),
    error replies as `redis.ResponseError` values (nested ones too), never more than `limit`
    bytes read."""
    reader = hiredis.Reader(replyError=redis.ResponseError)
    sock = conn._sock  # the connected socket (TLS or not); the console's connection alone
    received = 0
    while (reply := reader.gets()) is False:
        chunk = sock.recv(CHUNK)
        if not chunk:
            raise redis.ConnectionError("Redis closed the connection")
        received += len(chunk)
        if received > limit:
            raise ReplyTooLong(limit)
        reader.feed(chunk)
    return reply
