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
try:
    from redis._parsers.hiredis import NOT_ENOUGH_DATA
except ImportError:  # another redis-py layout: replies are read one by one (read_response)
    NOT_ENOUGH_DATA = None


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
        # Declared renames (rename-command) are applied by the connection's own packer.
        if pack_command is not None and not getattr(connection, "_renames", None):
            connection.send_packed_command([b"".join(map(pack_command, commands))],
                                           check_health=False)
        else:
            connection.send_packed_command(connection.pack_commands(commands),
                                           check_health=False)
        fast = _hiredis_reader(connection)
        return _read_fast(len(commands), *fast) if fast else _read(len(commands), connection)

    def scan(self, cursor: int, count: int) -> tuple[int, list[bytes]]:
        (reply,) = self.run([(b"SCAN", cursor, b"COUNT", count)])
        if isinstance(reply, Exception):
            raise reply
        return int(reply[0]), reply[1]


def _hiredis_reader(connection):
    """(gets, fill) of redis-py's hiredis parser on this connection, or None.

    Reading replies straight from its hiredis reader skips redis-py's per-reply wrapper (a
    fifth of the pass's time); error replies come back as exception objects, as the parser
    builds them. Anything unexpected (another parser, another redis-py) takes the public
    read_response path instead."""
    parser = getattr(connection, "_parser", None)
    reader = getattr(parser, "_reader", None)
    fill = getattr(parser, "read_from_socket", None)
    if NOT_ENOUGH_DATA is None or reader is None or fill is None:
        return None
    return reader.gets, fill


def _read_fast(count: int, gets, fill) -> list:
    replies = []
    while len(replies) < count:
        reply = gets()
        if reply is NOT_ENOUGH_DATA or reply is False:
            fill()
        else:
            replies.append(reply)
    return replies


def _read(count: int, connection) -> list:
    replies = []
    for _ in range(count):
        try:
            replies.append(connection.read_response())
        except ResponseError as error:
            replies.append(error)
    return replies
