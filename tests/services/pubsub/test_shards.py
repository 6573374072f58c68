"""Sharded pub/sub on each server of the matrix, standalone: listed and published where the
server has it (Redis 7, Valkey 9), told apart as missing where it has not (Redis 6.2), so a
cluster of such servers lists no sharded channels instead of failing."""

import pytest
import redis

from keyspace.services.pubsub import shards

pytestmark = pytest.mark.servers


def test_shard_channels_where_the_server_has_them(r):
    version = tuple(int(part) for part in r.info("server")["redis_version"].split(".")[:2])
    if version < (7, 0):
        with pytest.raises(redis.ResponseError) as refused:
            shards.shard_channels(r, None)
        assert shards.refused(refused.value)
        return
    listener = r.pubsub()
    listener.ssubscribe(b"orders{\xff}")
    try:
        assert listener.get_message(timeout=2)["type"] == "ssubscribe"
        names, counts = shards.shard_channels(r, b"orders*")
        assert names == [b"orders{\xff}"] and counts == {b"orders{\xff}": 1}
        assert shards.publish(r, b"orders{\xff}", b"m") == 1
        assert listener.get_message(timeout=2)["data"] == b"m"
    finally:
        listener.close()
    assert shards.by_slot((b"a{x}", b"b{x}", b"c")) == ((b"a{x}", b"b{x}"), (b"c",))
