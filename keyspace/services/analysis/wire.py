"""Commands packed into one write and their replies read straight back, on one connection.

redis-py's Pipeline costs a few microseconds of Python per command, which over a million
keys and five commands each is most of an analysis pass; packing with hiredis and reading
the replies off the connection keeps the pass close to what Redis and the network allow
(bench/analysis.py measures it). The connection comes from the dashboard's own pool
(keyspace.redis.connection), so its timeouts, name and db are the usual ones.
"""

from __future__ import annotations

import redis
from redis.exceptions import ResponseError

try:
    from hiredis import pack_command
except ImportError:  # redis-py without hiredis: its own packer, a little slower
    pack_command = None


class Wire:
    """`with Wire(client) as wire: wire.run([(b"TYPE", key), ...])`."""

    def __init__(self, client: redis.Redis):
        self.pool = client.connection_pool
        self.connection = None

    def __enter__(self) -> Wire:
        self.connection = self.pool.get_connection()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            # Replies may still be on their way: this connection cannot be reused.
            self.connection.disconnect()
        self.pool.release(self.connection)

    def run(self, commands: list[tuple]) -> list:
        """Each command's reply, in order; a command Redis refused gives its ResponseError."""
        if not commands:
            return []
        connection = self.connection
        if pack_command is not None:
            connection.send_packed_command([b"".join(map(pack_command, commands))],
                                           check_health=False)
        else:
            connection.send_packed_command(connection.pack_commands(commands),
                                           check_health=False)
        replies = []
        read = connection.read_response
        for _ in commands:
            try:
                replies.append(read())
            except ResponseError as error:
                replies.append(error)
        return replies

    def scan(self, cursor: int, count: int) -> tuple[int, list[bytes]]:
        (reply,) = self.run([(b"SCAN", cursor, b"COUNT", count)])
        if isinstance(reply, Exception):
            raise reply
        return int(reply[0]), reply[1]
