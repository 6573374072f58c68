"""The pub/sub page, the channel list, publishing, and what the stream URL refuses. Plain
requests, so Django's test client does (a stream that is refused never starts streaming)."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from keyspace.redis.keynames import parse_escaped
from keyspace.views.pubsub import MAX_SUBSCRIPTIONS
from tests.support.htmx import HTMX

PAGE = "/c/default/db/0/pubsub/"
CHANNELS = "/c/default/db/0/pubsub/channels/"
PUBLISH = "/c/default/db/0/pubsub/publish/"
STREAM = "/c/default/db/0/pubsub/stream/"


def get(client, url, status=200, **kwargs) -> str:
    response = client.get(url, **kwargs)
    body = response.content.decode()
    assert response.status_code == status, body[-2000:]
    return body


def chips(body: str) -> list[tuple[str, str, dict]]:
    """(kind, name as shown, query of its remove link) for each subscription chip."""
    found = []
    for kind, name, href in re.findall(
        r'<li class="chip chip-(\w+)"><span class="muted">\w+</span> <code>(.*?)</code>\s*'
        r'<a href="([^"]*)"', body, re.S,
    ):
        query = urlsplit(html.unescape(href)).query
        found.append((kind, html.unescape(name), parse_qs(query, keep_blank_values=True)))
    return found


def sse_connect(body: str) -> dict | None:
    match = re.search(r'sse-connect="([^"]*)"', body)
    if match is None:
        return None
    url = urlsplit(html.unescape(match.group(1)))
    assert url.path == STREAM
    return parse_qs(url.query)


def error_message(body: str) -> str:
    return html.unescape(re.search(r'<span class="error-message">(.*?)</span>', body).group(1))


@pytest.fixture
def subscriber(r):
    """A real redis-py subscriber: subscriber("a", pattern="p*") waits until Redis confirms."""
    opened = []

    def subscribe(*channels, patterns=()):
        pubsub = r.pubsub()
        opened.append(pubsub)
        if channels:
            pubsub.subscribe(*channels)
        if patterns:
            pubsub.psubscribe(*patterns)
        for _ in range(len(channels) + len(patterns)):
            assert pubsub.get_message(timeout=2)["type"] in ("subscribe", "psubscribe")
        return pubsub

    yield subscribe
    for pubsub in opened:
        pubsub.close()


def received(pubsub, timeout: float = 0.5) -> list[bytes]:
    got = []
    while (message := pubsub.get_message(timeout=timeout)) is not None:
        if message["type"] in ("message", "pmessage"):
            got.append(message["data"])
        timeout = 0.05
    return got


@pytest.fixture
def notifications_off(r):
    r.config_set("notify-keyspace-events", "")
    yield
    r.config_set("notify-keyspace-events", "")


# --- the page -----------------------------------------------------------------------------------


def test_the_full_page_has_the_tab_the_form_and_the_notifications_help(client, notifications_off):
    body = get(client, PAGE)
    assert body.lstrip().startswith("<!doctype html>")
    assert '<a href="/c/default/db/0/pubsub/" aria-current="page">Pub/sub</a>' in body
    form = re.search(r'<form class="filters subscribe-form"(.*?)</form>', body, re.S).group(0)
    assert 'method="get" action="/c/default/db/0/pubsub/"' in form
    assert 'name="channel"' in form and 'name="pattern"' in form
    assert 'type="hidden"' not in form  # nothing to keep yet
    assert "Not subscribed to anything yet" in body
    assert sse_connect(body) is None  # no stream without a subscription
    assert '<form class="edit-form" method="post" action="/c/default/db/0/pubsub/publish/"' in body
    assert 'name="message"' in body and 'name="channel"' in body
    assert "Off on this server" in body
    assert "<code>CONFIG SET notify-keyspace-events KEA</code>" in body
    assert "<code>__keyspace@0__:*</code>" in body


def test_the_notifications_help_says_when_they_are_on(client, r, notifications_off):
    r.config_set("notify-keyspace-events", "KEA")
    flags = r.config_get("notify-keyspace-events")["notify-keyspace-events"]
    assert flags  # Redis spells the flags its own way ("AKE")
    body = get(client, "/c/default/db/3/pubsub/")
    assert f"On (<code>{flags}</code>)" in body
    assert "<code>__keyspace@3__:*</code>" in body and "<code>__keyevent@3__:*</code>" in body
    assert "CONFIG SET notify-keyspace-events" not in body


def test_the_notifications_help_when_the_redis_user_may_not_read_config(
    client, r, settings, redis_server
):
    r.acl_setuser("nocfg", enabled=True, passwords=["+pw"], keys=["*"], channels=["*"],
                  commands=["+@all", "-config"])
    try:
        settings.REDIS_URL = f"redis://nocfg:pw@127.0.0.1:{redis_server.port}/0"
        body = get(client, PAGE)
        # Refused by an ACL rule: said so (a server without CONFIG is told apart; see
        # tests/views/test_locked_down.py).
        assert "cannot be read here: CONFIG is not permitted for this Redis user" in body
        assert "Off on this server" not in body
    finally:
        r.acl_deluser("nocfg")


def test_a_bookmarkable_url_shows_both_subscriptions_and_streams_both(client):
    body = get(client, PAGE + "?channel=a&pattern=b")
    assert chips(body) == [("channel", "a", {"pattern": ["b"]}),
                           ("pattern", "b", {"channel": ["a"]})]
    assert sse_connect(body) == {"channel": ["a"], "pattern": ["b"]}
    assert 'data-max-shown="500"' in body
    # The subscribe form carries the current subscriptions, so adding one keeps them.
    form = re.search(r'<form class="filters subscribe-form"(.*?)</form>', body, re.S).group(0)
    assert '<input type="hidden" name="channel" value="a">' in form
    assert '<input type="hidden" name="pattern" value="b">' in form


def test_removing_one_chip_keeps_the_others_even_with_awkward_names(client):
    names = [("channel", "a&b=c#d"), ("channel", "plus+ space"), ("channel", r"\xff\x00bin"),
             ("pattern", "news.*?[x]")]
    body = get(client, f"{PAGE}?{urlencode(names)}")
    shown = chips(body)
    assert [(kind, name) for kind, name, _ in shown] == [
        ("channel", "a&b=c#d"), ("channel", "plus+ space"), ("channel", r"\xff\0bin"),
        ("pattern", "news.*?[x]"),
    ]
    assert sse_connect(body) == {"channel": [n for k, n in names if k == "channel"],
                                 "pattern": ["news.*?[x]"]}
    for (kind, name), (_, _, remaining) in zip(names, shown, strict=True):
        others = [(k, parse_escaped(n)) for k, n in names if (k, n) != (kind, name)]
        assert [(k, parse_escaped(v)) for k, vs in remaining.items() for v in vs] == others
    # Following a remove link gives the page without that one subscription.
    href = re.findall(r'<li class="chip[^"]*">.*?<a href="([^"]*)"', body, re.S)[2]
    after = get(client, html.unescape(href), headers=HTMX)
    assert [(k, n) for k, n, _ in chips(after)] == [
        ("channel", "a&b=c#d"), ("channel", "plus+ space"), ("pattern", "news.*?[x]")]
    assert 'id="live"' in after and "<!doctype" not in after.lower()  # the fragment only


def test_a_channel_with_surrounding_spaces_can_be_subscribed_from_the_channel_list(
    client, r, subscriber
):
    subscriber(" padded ")
    listing = get(client, CHANNELS, headers=HTMX)
    href = html.unescape(re.search(r'<td class="key-name"><a href="([^"]*)"', listing).group(1))
    body = get(client, href)
    assert [(kind, name) for kind, name, _ in chips(body)] == [("channel", " padded ")]


def test_the_channel_list_shows_active_channels_with_subscriber_counts(client, subscriber):
    subscriber("orders", "news", patterns=("news.*",))
    subscriber("orders")
    subscriber(patterns=("a*", "b*"))
    body = get(client, CHANNELS, headers=HTMX)
    rows = re.findall(r'<tr><td class="key-name"><a href="([^"]*)">(.*?)</a></td>'
                      r'<td class="num">(\d+)</td></tr>', body)
    assert [(name, int(count)) for _, name, count in rows] == [("news", 1), ("orders", 2)]
    assert html.unescape(rows[1][0]) == "/c/default/db/0/pubsub/?channel=orders"
    assert "2 channels · 3 pattern subscriptions" in body
    assert 'hx-trigger="every 5s"' in body

    filtered = get(client, CHANNELS + "?filter=ord*", headers=HTMX)
    assert re.findall(r'<td class="key-name"><a [^>]*>(.*?)</a>', filtered) == ["orders"]
    assert "filter=ord%2A" in filtered  # the refresh keeps the filter


def test_the_channel_list_says_when_nothing_is_subscribed_and_escapes_names(client, subscriber):
    body = get(client, CHANNELS, headers=HTMX)
    assert "No channel has subscribers." in body
    assert "0 channels · 0 pattern subscriptions" in body
    subscriber(b"<b>x</b>\xff")
    body = get(client, CHANNELS, headers=HTMX)
    assert "&lt;b&gt;x&lt;/b&gt;\\xff</a>" in body and "<b>x" not in body


def test_the_full_page_loads_the_channel_list_lazily(client):
    body = get(client, PAGE)
    assert re.search(r'<div id="channels" hx-get="/c/default/db/0/pubsub/channels/\?filter="\s+'
                     r'hx-trigger="load"', body)


# --- publishing ---------------------------------------------------------------------------------


def publish(client, status=200, **data) -> str:
    response = client.post(PUBLISH, {"message_encoding": "text", **data}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == status, body[-2000:]
    return body


def test_publishing_reaches_subscribers_and_says_how_many(client, subscriber):
    one = subscriber("news")
    body = publish(client, channel="news", message="hello <world>")
    assert received(one) == [b"hello <world>"]
    assert "1 subscriber received it." in body
    assert "Published to <code>news</code>" in body
    assert body.lstrip().startswith('<div id="publish">')  # the fragment only

    subscriber(patterns=("ne*",))
    body = publish(client, channel="news", message="again")
    assert "2 subscribers received it." in body
    body = publish(client, channel="nobody", message="x")
    assert "0 subscribers received it." in body


def test_publishing_bytes_with_hex_and_an_escaped_channel(client, subscriber):
    pubsub = subscriber(b"bin\xff")
    body = publish(client, channel=r"bin\xff", message="00 ff 0a 41", message_encoding="hex")
    assert received(pubsub) == [b"\x00\xff\nA"]
    assert "Published to <code>bin\\xff</code>: 1 subscriber received it." in body


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"channel": "", "message": "x"}, "This field is required."),
        ({"channel": "news", "message": "zz", "message_encoding": "hex"}, "not valid hex"),
        ({"channel": "x" * 1025, "message": "x"}, "a channel name is 1 to 1024 bytes"),
    ],
)
def test_bad_input_publishes_nothing(client, subscriber, data, error):
    pubsub = subscriber(patterns=("*",))
    body = publish(client, status=422, **data)
    assert error in html.unescape(body)
    assert "received it" not in body
    assert received(pubsub, timeout=0.2) == []


def test_read_only_mode_refuses_publishing_and_hides_the_form(client, settings, subscriber):
    settings.DASHBOARD_READONLY = True
    pubsub = subscriber(patterns=("*",))
    response = client.post(PUBLISH, {"channel": "news", "message": "x"}, headers=HTMX)
    assert response.status_code == 403
    assert received(pubsub, timeout=0.2) == []
    body = get(client, PAGE)
    assert "Publishing is turned off (read-only)." in body
    assert 'name="message"' not in body and "/pubsub/publish/" not in body
    # Subscribing is reading: still allowed.
    assert sse_connect(get(client, PAGE + "?channel=a")) == {"channel": ["a"]}


# --- what the stream refuses --------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?channel=", "?channel=%20%20&pattern=", "?filter=x"])
def test_a_stream_without_a_subscription_is_refused(client, query):
    body = get(client, STREAM + query, status=400)
    assert error_message(body) == "subscribe to at least one channel or pattern"


def test_more_than_fifty_subscriptions_are_refused(client):
    channels = "&".join(f"channel=c{n}" for n in range(30))
    patterns = "&".join(f"pattern=p{n}*" for n in range(MAX_SUBSCRIPTIONS - 30 + 1))
    assert MAX_SUBSCRIPTIONS == 50
    for url in (f"{STREAM}?{channels}&{patterns}", f"{PAGE}?{channels}&{patterns}"):
        body = get(client, url, status=400)
        assert error_message(body) == "at most 50 channels and patterns at once"
    # Exactly fifty is fine (repeats count once).
    fifty = f"{PAGE}?{channels}&{patterns.rsplit('&', 1)[0]}&channel=c0"
    assert len(chips(get(client, fifty))) == 50


def test_an_over_long_channel_name_is_refused(client):
    body = get(client, STREAM + "?channel=" + "x" * 1025, status=400)
    assert "over 1024 bytes" in error_message(body)
    get(client, PAGE + "?channel=" + "x" * 1024)
