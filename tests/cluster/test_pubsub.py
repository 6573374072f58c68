"""Pub/sub in a cluster: classic channels read on one node hear a PUBLISH made on any other;
sharded channels (SSUBSCRIBE) are read on the primary serving their slot, one subscription
per primary when a stream's shard channels are spread; SPUBLISH from the page; the channel
list asks every node (classic) and every primary (sharded)."""

import asyncio

import pytest
import redis

from keyspace.redis.cluster_nodes import primaries
from keyspace.redis.connection import get_client
from keyspace.services.pubsub import shards
from keyspace.services.pubsub.live import Batch, Status, Subscription, stream_messages
from keyspace.services.pubsub.wire import _handshake
from tests.services.pubsub.support import run_async
from tests.support.htmx import HTMX

pytestmark = [pytest.mark.cluster, pytest.mark.django_db]


def on_different_primaries(r, count=2, stem="ch"):
    """Channel names whose slots are served by `count` different primaries."""
    found, nodes = [], set()
    for n in range(1000):
        name = f"{stem}:{n}".encode()
        node = r.get_node_from_key(name).name
        if node not in nodes:
            nodes.add(node)
            found.append(name)
        if len(found) == count:
            return found
    raise AssertionError("no such channels")


async def received(gen, wanted: int, timeout: float = 5.0) -> list:
    got = []

    async def collect():
        async for item in gen:
            if isinstance(item, Batch):
                got.extend(item.messages)
                if len(got) >= wanted:
                    return

    await asyncio.wait_for(collect(), timeout)
    return got


async def subscribed(gen, times: int = 1, timeout: float = 5.0) -> None:
    seen = 0
    while seen < times:
        item = await asyncio.wait_for(gen.__anext__(), timeout)
        if isinstance(item, Status):
            assert item.level != "error", item.text
            seen += item == Status("subscribed")


def other_node_client(cluster):
    """A plain client to a node other than the one the dashboard's URL names."""
    return cluster.nodes[-1].client()


def test_a_classic_subscription_hears_a_publish_made_on_another_node(cluster_dashboard):
    async def run():
        gen = stream_messages(Subscription(channels=(b"news",), patterns=(b"n*",)), 0,
                              interval=0.05, max_batch=100)
        try:
            await subscribed(gen)
            with other_node_client(cluster_dashboard) as other:
                await asyncio.to_thread(other.publish, b"news", b"hello \xff")
            got = await received(gen, 2)
        finally:
            await gen.aclose()
        assert sorted((m.channel, m.pattern or b"", m.data) for m in got) == [
            (b"news", b"", b"hello \xff"), (b"news", b"n*", b"hello \xff")]

    run_async(run())


def test_shard_channels_on_several_primaries_are_read_where_they_live(cluster_dashboard, r):
    first, second = on_different_primaries(r)

    async def run():
        gen = stream_messages(Subscription(shards=(first, second)), 0, interval=0.05,
                              max_batch=100)
        try:
            await subscribed(gen, times=2)  # one subscription per primary
            client = get_client(0)
            for channel in (first, second):
                delivered = await asyncio.to_thread(shards.publish, client, channel,
                                                    b"to " + channel)
                assert delivered == 1
            got = await received(gen, 2)
        finally:
            await gen.aclose()
        assert sorted((m.channel, m.data) for m in got) == [
            (first, b"to " + first), (second, b"to " + second)]

    run_async(run())


def test_shard_and_classic_channels_together(cluster_dashboard, r):
    (shard,) = on_different_primaries(r, 1, stem="s")

    async def run():
        gen = stream_messages(Subscription(channels=(b"plain",), shards=(shard,)), 0,
                              interval=0.05, max_batch=100)
        try:
            await subscribed(gen, times=2)
            await asyncio.to_thread(r.publish, b"plain", b"p")
            await asyncio.to_thread(shards.publish, get_client(0), shard, b"s")
            got = await received(gen, 2)
        finally:
            await gen.aclose()
        assert sorted(m.data for m in got) == [b"p", b"s"]

    run_async(run())


def test_the_page_offers_sharded_channels_and_spublish(cluster_dashboard, r, client):
    body = client.get("/c/default/db/0/pubsub/").content.decode()
    assert 'name="shard"' in body and 'name="sharded"' in body
    (channel,) = on_different_primaries(r, 1, stem="pub")
    owner = next(p for p in primaries(get_client(0))
                 if p.name == r.get_node_from_key(channel).name)
    listener = owner.client.pubsub()
    listener.ssubscribe(channel)
    try:
        assert listener.get_message(timeout=2)["type"] == "ssubscribe"
        response = client.post("/c/default/db/0/pubsub/publish/", {
            "channel": channel.decode(), "message": "hi", "message_encoding": "text",
            "sharded": "on"}, headers=HTMX)
        assert response.status_code == 200, response.content.decode()[-800:]
        assert "1 subscriber received it" in response.content.decode()
        message = listener.get_message(timeout=2)
        assert (message["type"], message["data"]) == ("smessage", b"hi")
    finally:
        listener.close()


def test_the_channel_list_asks_every_node_and_every_primary(cluster_dashboard, r, client):
    first, second = on_different_primaries(r, 2, stem="list")
    listeners = []
    try:
        classic = cluster_dashboard.nodes[-1].client().pubsub()
        classic.subscribe(b"<classic>")
        listeners.append(classic)
        for channel in (first, second):
            owner = redis.Redis(*_host_port(r.get_node_from_key(channel).name))
            listener = owner.pubsub()
            listener.ssubscribe(channel)
            listeners.append(listener)
        for listener in listeners:
            assert listener.get_message(timeout=2) is not None
        body = client.get("/c/default/db/0/pubsub/channels/", headers=HTMX).content.decode()
        assert "&lt;classic&gt;" in body and "<classic>" not in body
        shard_table = body.split('class="keys shard-channels"', 1)[1]
        assert first.decode() in shard_table and second.decode() in shard_table
        assert "shard=" + first.decode().replace(":", "%3A") in shard_table
    finally:
        for listener in listeners:
            listener.close()


def _host_port(name: str):
    host, port = name.rsplit(":", 1)
    return host, int(port)


def test_lost_messages_are_unknown_for_classic_channels_in_a_cluster():
    """A cluster node does not count a PUBLISH that reached it over the bus: a reconnect says
    the loss is unknown rather than 0; SPUBLISH runs on the subscriber's node: counted."""
    info = b"# Stats\r\ncmdstat_publish:calls=5\r\ncmdstat_spublish:calls=7\r\n" \
           b"# Cluster\r\ncluster_enabled:1\r\n"
    assert _handshake(1, info).publish_calls is None
    assert _handshake(1, info, sharded=True).publish_calls == 7
    assert _handshake(1, info.replace(b"cluster_enabled:1", b"cluster_enabled:0")
                      ).publish_calls == 5


@pytest.fixture
def doomed(cluster_dashboard, cluster_holder):
    yield cluster_dashboard
    cluster_holder.discard()


def test_a_shard_subscription_follows_its_slot_to_the_promoted_replica(doomed, r):
    """Its primary killed: the stream says the connection is lost, then resubscribes on the
    replica that took the slot over, and hears SPUBLISH there."""
    url_node = doomed.nodes[0].address
    channel = next(f"fo:{n}".encode() for n in range(1000)
                   if r.get_node_from_key(f"fo:{n}").name != url_node)
    victim = next(node for node in doomed.nodes
                  if node.address == r.get_node_from_key(channel).name)

    async def run():
        gen = stream_messages(Subscription(shards=(channel,)), 0, interval=0.05,
                              max_batch=100)
        statuses = []
        try:
            await subscribed(gen)
            await asyncio.to_thread(victim.kill)

            async def until_back():
                async for item in gen:
                    if isinstance(item, Status):
                        statuses.append(item)
                        if item.text.startswith("reconnected"):
                            return

            await asyncio.wait_for(until_back(), 45)
            delivered = await asyncio.to_thread(shards.publish, get_client(0), channel, b"back")
            assert delivered == 1
            got = await received(gen, 1)
        finally:
            await gen.aclose()
        assert statuses[0].level == "error" and "lost the connection" in statuses[0].text
        assert [m.data for m in got] == [b"back"]

    run_async(run())
