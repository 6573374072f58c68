"""Reading never writes: crawl every GET page of a seeded keyspace as an editor (pages and
htmx fragments, edit forms included) and count write commands in INFO commandstats."""

from __future__ import annotations

from keyspace.models import AuditEntry, SignInLink
from tests.security.support import Snapshot, crawl, start_pages, write_commands
from tests.services.editing.forms import open_form
from tests.support.urls import edit_url


def test_the_write_command_set_comes_from_redis(r):
    names = write_commands(r)
    for expected in ("set", "del", "unlink", "hset", "lpush", "zadd", "expire", "persist",
                     "rename", "copy", "publish", "flushall", "flushdb", "config|set", "ltrim",
                     "srem", "zrem", "hdel", "sunionstore", "pexpire", "restore", "swapdb"):
        assert expected in names, expected
    for reading in ("get", "scan", "type", "hgetall", "config|get", "info", "zrange"):
        assert reading not in names, reading


def test_crawling_every_page_as_an_editor_writes_nothing(client, seeded, port, writes, r):
    r.set(b"app:users:3", b"made before the count starts")
    before = Snapshot.take(port)
    links_before = SignInLink.objects.count()
    writes.start()
    result = crawl(client, start_pages(), limit=600)

    assert writes.since() == {}, "a GET page made Redis write"
    assert Snapshot.take(port).differences(before) == []
    assert AuditEntry.objects.count() == 0
    assert SignInLink.objects.count() == links_before
    # The crawl did reach every kind of page, and they answered.
    paths = {url.split("?")[0] for url in result.urls()}
    for fragment in ("/namespaces/count/", "/server/", "/pubsub/channels/", "/leaderboard/",
                     "/tool/set-contains/", "/tool/zset-lookup/", "/tool/set-compare/",
                     "/edit/delete/", "/edit/hash-delete/", "/edit/list-trim/", "/new/",
                     "/audit/", "/download/", "/row/"):
        assert any(fragment in path for path in paths), fragment
    failures = [(p.url, p.htmx, p.status) for p in result.pages
                if p.status >= 500 or (p.status >= 400 and "/pubsub/stream/" not in p.url)]
    assert failures == []
    assert len(result.pages) > 100


def test_the_count_does_see_a_write_made_through_the_dashboard(client, seeded, writes):
    """The measurement above is real: one edit shows up in it."""
    writes.start()
    fields = open_form(client, b"str", "string-append")
    response = client.post(edit_url(b"str", "string-append"), fields | {"value": "!"})
    assert response.status_code == 302
    assert writes.since() == {"append": 1}
