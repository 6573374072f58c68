"""Pub/sub over TLS: the stream's own reader sits on the TLS connection redis-py opens, so
messages from a TLS-only Redis arrive decrypted, like any other."""

from __future__ import annotations

from tests.services.pubsub.support import messages, text_of


def test_messages_from_a_tls_only_redis_arrive(start_dashboard, tls_redis, certificates):
    dashboard = start_dashboard(tls_redis.url(), DASHBOARD_TLS_CA_FILE=certificates.ca)
    stream = dashboard.open(channel="secure")
    assert stream.status == 200, stream.raw
    first = stream.next_event(5)
    assert (first.name, text_of(first)) == ("status", "subscribed")
    publisher = tls_redis.admin()
    assert publisher.publish("secure", "over tls") == 1
    [message] = messages(stream.next_event(3, name="batch"))
    assert (message.channel, message.body) == ("secure", "over tls")
    publisher.close()
