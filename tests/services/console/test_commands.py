"""Classification from what a real Redis says of each command."""

import pytest
import redis

from keyspace.services.console import commands


@pytest.fixture
def conn(redis_server):
    connection = redis.Connection(port=redis_server.port)
    connection.connect()
    yield connection
    connection.disconnect()


def verdict(conn, line: str) -> str:
    args = [word.encode() for word in line.split()]
    info = commands.command_info(conn, "test", args)
    return commands.classify(info, line.split()[0]).kind


@pytest.mark.parametrize(("line", "kind"), [
    ("GET k", commands.READ),
    ("HGETALL k", commands.READ),
    ("OBJECT ENCODING k", commands.READ),
    ("SET k v", commands.WRITE),
    ("PUBLISH c m", commands.WRITE),
    ("PING", commands.WRITE),
    ("FLUSHALL", commands.DANGEROUS),
    ("FLUSHDB", commands.DANGEROUS),
    ("KEYS *", commands.DANGEROUS),
    ("SHUTDOWN", commands.DANGEROUS),
    ("DEBUG SLEEP 0", commands.DANGEROUS),
    ("CONFIG SET maxmemory 1", commands.DANGEROUS),
    ("CLIENT KILL ID 1", commands.DANGEROUS),
    ("SAVE", commands.DANGEROUS),
    ("MIGRATE h 1 k 0 1", commands.DANGEROUS),
    ("SCRIPT FLUSH", commands.DANGEROUS),
    ("FUNCTION FLUSH", commands.DANGEROUS),
    ("EVAL return 1 0", commands.DANGEROUS),
    ("EVALSHA abc 0", commands.DANGEROUS),
    ("FCALL f 0", commands.DANGEROUS),
    ("EVAL_RO return 1 0", commands.DANGEROUS),
    ("MULTI", commands.REFUSED),
    ("EXEC", commands.REFUSED),
    ("WATCH k", commands.REFUSED),
    ("SELECT 1", commands.REFUSED),
    ("SUBSCRIBE c", commands.REFUSED),
    ("MONITOR", commands.REFUSED),
    ("BLPOP k 0", commands.REFUSED),
    # Waits for replicas (forever with a timeout of 0) though Redis flags it not blocking.
    ("WAIT 1 0", commands.REFUSED),
    ("NOSUCHCOMMAND", commands.REFUSED),
])
def test_each_command_is_classified_from_command_info(conn, line, kind):
    assert verdict(conn, line) == kind


@pytest.mark.parametrize(("complexity", "grows"), [
    ("O(N) where N is the size of the hash.", True),
    ("O(S+N) where S is the distance", True),
    ("O(log(N)+M) with N being the number", False),
    ("O(1)", False),
    ("O(1) for every call. O(N) for a complete iteration", False),
    ("", True),
])
def test_complexity_decides_whether_key_size_matters(complexity, grows):
    info = commands.CommandInfo("x", frozenset(), frozenset(), complexity)
    assert info.scales_with_key_size is grows


@pytest.mark.parametrize(("flags", "grows"), [({"fast"}, False), ({"readonly"}, True)])
def test_without_documented_complexity_the_fast_flag_decides(flags, grows):
    """Redis 6.2 has no COMMAND DOCS: SCARD and UNLINK (flagged fast) run on big keys."""
    info = commands.CommandInfo("x", frozenset(flags), frozenset(), "")
    assert info.scales_with_key_size is grows
