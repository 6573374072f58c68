"""Redis cuts the dashboard off for reading too slowly: the page says so, with a count."""

from __future__ import annotations

import os
import re
import signal

from tests.services.pubsub.support import text_of


def test_the_page_says_how_many_messages_redis_dropped_with_a_slow_dashboard(
    start_dashboard, redis_server, r, tight_pubsub_buffer
):
    """The dashboard process is stopped (SIGSTOP) while 4 MB are published: Redis passes its
    output buffer limit and disconnects it. Once it runs again, the page hears that the
    connection was lost, then that it is back with the number of messages that never came;
    with the messages the page did get, that accounts for every one published."""
    dashboard = start_dashboard(redis_server.url)
    stream = dashboard.subscribed(channel="cut")
    published = 4000
    os.kill(dashboard.process.pid, signal.SIGSTOP)
    try:
        with r.pipeline(transaction=False) as pipe:
            for n in range(published):
                pipe.publish("cut", b"%d:" % n + b"x" * 1024)
            pipe.execute()
    finally:
        os.kill(dashboard.process.pid, signal.SIGCONT)
    lost = stream.next_event(10, name="status")
    assert "lost the connection to redis" in text_of(lost)
    back = stream.next_event(10, name="status")
    text = text_of(back)
    found = re.search(r"were not received: up to ([\d,]+) \(PUBLISH calls", text)
    assert found, text
    assert 'class="status-error"' in back.data
    stream.pump(0.5)
    stats = [e for e in stream.events if e.name == "stats"][-1]
    received = int(re.match(r"([\d,]+) received", text_of(stats))[1].replace(",", ""))
    assert 0 < received < published
    assert received + int(found[1].replace(",", "")) == published
