"""The live views served by Django's test client: toggles on the pages, the key page's live
panel (notifications on, off, unreadable), the timed check's pieces, the notification settings
page and turning them on (admins only, confirmed), and the activity page. The event streams
themselves are tested under uvicorn (tests/views/test_live_streams.py)."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from keyspace.services.live.snapshot import page_digest
from tests.support.htmx import HTMX
from tests.support.users import client_for, make_user

pytestmark = pytest.mark.django_db

KEY = b"live:page"


def url(name: str, **kwargs) -> str:
    return reverse(f"keyspace:{name}", kwargs={"db": 0, **kwargs})


OPENING = re.compile(r'<template data-live-kind="([\w-]+)">')


def live_pieces(text: str) -> list[tuple[str, str]]:
    """Each piece's kind and markup; a piece may hold templates of its own (a table's row
    menu), so it runs to the last </template> before the next piece."""
    starts = list(OPENING.finditer(text))
    found = []
    for here, following in zip(starts, [*starts[1:], None], strict=True):
        body = text[here.end():following.start() if following else len(text)]
        found.append((here.group(1), body[:body.rindex("</template>")]))
    return found


def pieces(response) -> list[tuple[str, str]]:
    return [(kind, html.unescape(body)) for kind, body in live_pieces(response.content.decode())]


def test_key_page_offers_live_and_loads_the_panel_when_on(client, r):
    r.hset(KEY, b"a", b"1")
    page = client.get(url("key-detail", key=KEY)).content.decode()
    assert "Go live" in page and "live=1" in page
    live = client.get(url("key-detail", key=KEY) + "?live=1").content.decode()
    panel = re.search(r'hx-get="([^"]*/live/\?[^"]*)"', live).group(1)
    assert "digest=" in html.unescape(panel)


def test_panel_streams_with_notifications_on(client, r, flags):
    r.hset(KEY, b"a", b"1")
    flags("KEA")
    panel = client.get(url("key-live", key=KEY), headers=HTMX).content.decode()
    assert 'data-live-stream="' in panel and "data-live-check" not in panel


def test_panel_offers_the_timed_check_with_notifications_off(client, r, flags):
    r.hset(KEY, b"a", b"1")
    flags("")
    panel = client.get(url("key-live", key=KEY), headers=HTMX).content.decode()
    assert "data-live-check=" in panel and "data-live-stream" not in panel
    assert "Keyspace notifications are off" in panel
    assert "never the rest of the value" in panel


def test_timed_check_sends_metadata_and_only_then_the_value(client, r):
    r.hset(KEY, mapping={b"a": b"1", b"<b>": b"<script>x</script>"})
    page = client.get(url("key-detail", key=KEY)).context["page"]
    check = url("key-live-check", key=KEY) + f"?digest={page_digest(page)}"
    kinds = [k for k, _ in pieces(client.get(check))]
    assert kinds == ["meta", "digest"]
    r.hset(KEY, b"a", b"2")
    got = dict(pieces(client.get(check)))
    assert set(got) == {"meta", "value", "digest"}
    # Drawn by the page's own partials: Redis data escaped inside the piece.
    raw = client.get(check).content.decode()
    assert "<script>x" not in raw and "&lt;script&gt;x&lt;/script&gt;" in raw


def test_timed_check_of_a_deleted_key(client, r):
    r.set(KEY, b"x")
    r.delete(KEY)
    assert pieces(client.get(url("key-live-check", key=KEY)))[0][0] == "gone"


def test_notification_page_explains_and_never_enables_by_itself(client, r, flags):
    flags("")
    page = client.get(url("live-notifications")).content.decode()
    assert "CONFIG SET notify-keyspace-events KEA" in page
    assert "What it costs" in page
    assert r.config_get("notify-keyspace-events")["notify-keyspace-events"] == ""
    assert "Set notify-keyspace-events" not in page  # an editor is no admin


def test_an_editor_may_not_enable(client, r, flags):
    flags("")
    response = client.post(url("live-notifications-enable"), {"confirm": "x"})
    assert response.status_code == 403
    assert r.config_get("notify-keyspace-events")["notify-keyspace-events"] == ""


def test_an_admin_enables_with_a_confirmation(r, flags):
    flags("")
    admin = make_user("admin", "editor")
    admin.is_superuser = True
    admin.save()
    client = client_for(admin)
    page = client.get(url("live-notifications")).content.decode()
    token = re.search(r'name="confirm" value="([^"]+)"', page).group(1)
    refused = client.post(url("live-notifications-enable"), {"confirm": "forged"})
    assert refused.status_code == 428
    assert r.config_get("notify-keyspace-events")["notify-keyspace-events"] == ""
    done = client.post(url("live-notifications-enable"), {"confirm": token})
    assert done.status_code == 302  # back to the settings page, with the message
    flags_now = r.config_get("notify-keyspace-events")["notify-keyspace-events"]
    assert set("KE") <= set(flags_now) and "A" in flags_now
    again = client.post(url("live-notifications-enable"), {"confirm": token})
    assert again.status_code == 428  # a confirmation is good once


def test_notification_page_when_config_is_refused(client, r, flags):
    r.execute_command("ACL", "SETUSER", "noconfig", "on", "nopass", "~*", "&*", "+@all",
                      "-config")
    try:
        from django.test import override_settings

        port = r.connection_pool.connection_kwargs["port"]
        from keyspace.redis.connection import reset_pools

        with override_settings(REDIS_URL=f"redis://noconfig@127.0.0.1:{port}/0"):
            reset_pools()
            page = client.get(url("live-notifications")).content.decode()
            r.hset(KEY, b"a", b"1")
            panel = client.get(url("key-live", key=KEY), headers=HTMX).content.decode()
        reset_pools()
    finally:
        r.execute_command("ACL", "DELUSER", "noconfig")
    assert "Redis refused <code>CONFIG GET" in page
    assert "data-live-check=" in panel and "refused <code>CONFIG GET</code>" in panel


def test_activity_page(client, flags):
    flags("KEA")
    page = client.get(url("live-activity")).content.decode()
    assert 'data-live="activity"' in page and "<svg" in page and "Busiest keys" in page
    flags("")
    page = client.get(url("live-activity")).content.decode()
    assert 'data-live="activity"' not in page and "activity-off" in page


def test_key_list_and_leaderboard_offer_live(client, r):
    r.zadd(b"board", {b"a": 1})
    listing = client.get(url("keyspace-browse") + "?live=1").content.decode()
    assert 'data-live="keys"' in listing and 'id="key-' in listing
    board = client.get(url("key-leaderboard", key=b"board") + "?live=1").content.decode()
    assert 'data-live="board"' in board


@pytest.mark.parametrize("type_name", ["string", "hash", "list", "set", "zset", "stream"])
def test_every_type_redraws_its_value_through_the_page_partials(client, r, type_name):
    make = {"string": lambda: r.set(KEY, b"v<1>"), "hash": lambda: r.hset(KEY, b"f", b"v<1>"),
            "list": lambda: r.rpush(KEY, b"v<1>"), "set": lambda: r.sadd(KEY, b"v<1>"),
            "zset": lambda: r.zadd(KEY, {b"v<1>": 1}),
            "stream": lambda: r.xadd(KEY, {b"f": b"v<1>"})}
    make[type_name]()
    page = client.get(url("key-detail", key=KEY)).content.decode()
    raw = client.get(url("key-live-check", key=KEY) + "?digest=stale").content.decode()
    got = dict(live_pieces(raw))
    assert set(got) == {"meta", "value", "digest"}
    value = got["value"].strip()
    assert value.startswith('<section id="value"') and "v&lt;1&gt;" in value
    assert "v<1>" not in value
    # The same markup as the page's own value section.
    drawn = page[page.index('<section id="value"'):].split()
    assert drawn[: len(value.split())] == value.split()
