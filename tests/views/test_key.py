"""The key page: metadata, names as bytes through URLs, escaping, and every way it can fail."""

from __future__ import annotations

import html
import re

import pytest
import redis
from django.urls import reverse

from keyspace.display import bytes_to_text, human_bytes, is_printable_text
from keyspace.exceptions import KeyNotFound
from keyspace.redis.keynames import decode_key
from keyspace.services.browse import MAX_TYPE_CHANGES, key_detail
from keyspace.units import PageRequest
from tests.support.urls import key_url
from tests.units.helpers import (
    HX_MORE,
    HX_VALUE,
    XSS,
    XSS_ESCAPED,
    fetch,
    more_params,
    rows,
)

# A few of these run on every server of the matrix (tests/support/servers.py): `servers`.


def meta(body: str) -> dict[str, str]:
    """The <dl id="key-meta"> as {label: text}, plus "TTL title" for the exact TTL."""
    start = body.index('<dl id="key-meta"')
    block = body[start : body.index("</dl>", start)]
    found = {}
    for label, attrs, value in re.findall(r"<dt>(\w+)</dt><dd([^>]*)>(.*?)</dd>", block):
        found[label] = html.unescape(re.sub(r"<[^>]+>", "", value)).strip()
        if title := re.search(r'title="([^"]*)"', attrs):
            found[f"{label} title"] = html.unescape(title.group(1))
    return found


def heading(body: str) -> tuple[str, bool]:
    match = re.search(r'<h1 class="key-title( binary)?">(.*?)</h1>', body, re.S)
    return html.unescape(match.group(2)), bool(match.group(1))


def error_message(body: str) -> str:
    return html.unescape(re.search(r'<span class="error-message">(.*?)</span>', body).group(1))


# --- metadata ---------------------------------------------------------------------------------


@pytest.mark.servers
def test_metadata_of_a_hash_with_a_ttl(client, r):
    r.hset("session:1", mapping={"user": "ada", "csrf": "x" * 40, "n": "1"})
    r.pexpire("session:1", 90_061_000)  # 1 d 1 h 1 m 1 s
    found = meta(fetch(client, "session:1"))
    assert found["Type"] == "hash"
    # What the server says; Redis 6.2 calls small hashes ziplist, later servers listpack.
    assert found["Encoding"] == r.object("encoding", "session:1").decode()
    assert found["Encoding"] in ("listpack", "ziplist")
    assert found["TTL"] == "1 d 1 h"
    exact = re.fullmatch(
        r"([\d,]+) ms \(expires \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)", found["TTL title"]
    )
    assert exact and 90_000_000 < int(exact.group(1).replace(",", "")) <= 90_061_000
    assert found["Memory"] == human_bytes(r.memory_usage("session:1"))
    assert found["Length"] == "3 fields"


def test_metadata_without_a_ttl(client, r):
    r.set("plain", "v")
    found = meta(fetch(client, "plain"))
    assert found["TTL"] == found["TTL title"] == "no TTL"


def test_sub_second_ttl_in_milliseconds(client, r):
    r.set("soon", "v", px=900)
    ttl = meta(fetch(client, "soon"))["TTL"]
    assert re.fullmatch(r"\d{1,3} ms", ttl) and 0 < int(ttl.split()[0]) <= 900


@pytest.mark.servers
@pytest.mark.parametrize(
    ("arrange", "type_name", "encoding", "length"),
    [
        (lambda r: r.set("k", "12345"), "string", "int", "5 bytes"),
        (lambda r: r.set("k", "short"), "string", "embstr", "5 bytes"),
        (lambda r: r.set("k", "x" * 100), "string", "raw", "100 bytes"),
        (lambda r: r.rpush("k", *range(3)), "list", "quicklist", "3 elements"),
        (lambda r: r.sadd("k", *range(4)), "set", "intset", "4 members"),
        (lambda r: r.sadd("k", "a", "b"), "set", "hashtable", "2 members"),
        (lambda r: r.zadd("k", {"a": 1}), "zset", "listpack", "1 members"),
        (lambda r: r.zadd("k", {str(i): i for i in range(200)}), "zset", "skiplist",
         "200 members"),
        (lambda r: r.hset("k", mapping={str(i): i for i in range(1000)}), "hash", "hashtable",
         "1,000 fields"),
        (lambda r: r.xadd("k", {"a": 1}), "stream", "stream", "1 entries"),
    ],
)
def test_type_encoding_and_length_of_each_type(
    client, r, arrange, type_name, encoding, length, redis_server
):
    arrange(r)
    body = fetch(client, "k")
    found = meta(body)
    assert (found["Type"], found["Length"]) == (type_name, length)
    # The encoding is the server's (the table has Redis 7.0's; 6.2 and Valkey 9 name some
    # differently): shown as OBJECT ENCODING answers.
    assert found["Encoding"] == r.object("encoding", "k").decode()
    if redis_server.kind.name == "redis-7.0":
        assert found["Encoding"] == encoding
    assert f'<span class="type type-{type_name}">' in body


@pytest.fixture
def user_without_memory(settings, redis_server, r):
    """A real ACL user that may not run MEMORY: its column is left empty, the page works."""
    r.acl_setuser("nomem", enabled=True, passwords=["+pw"], keys=["*"],
                  commands=["+@all", "-memory"])
    settings.REDIS_URL = f"redis://nomem:pw@127.0.0.1:{redis_server.port}/0"
    yield
    r.acl_deluser("nomem")


def test_memory_refused_leaves_the_column_empty(client, r, user_without_memory):
    r.rpush("l", "a")
    found = meta(fetch(client, "l"))
    assert found["Memory"] == "—" and found["Length"] == "1 elements"


# --- key names are bytes ----------------------------------------------------------------------

NAMES = [
    b"\xff\xfe\x00raw bytes",
    b"path/to/key",
    b"query?a=1&b=2",
    b"frag#ment",
    b"100% %zz %2F",
    b"with space ",
    b"line\nbreak\r\n",
    b"",
    "ключ:日本語".encode(),
    b"\xe2\x80\xaebidi override",
    b"+/=_-",
    b"x" * 3000,
]


@pytest.mark.parametrize("name", NAMES, ids=lambda n: repr(n[:20]))
def test_any_name_opens_by_url(client, r, name):
    r.set(name, b"value of " + name)
    url = key_url(name)
    assert url == reverse("keyspace:key-detail", args=[0, name])
    assert re.fullmatch(r"/c/default/db/0/key/[A-Za-z0-9_-]*/", url)
    body = fetch(client, name)
    shown, binary = heading(body)
    assert shown == bytes_to_text(name)
    assert binary == (not is_printable_text(name))
    # The page links back to itself (filter form, next part) with the same token.
    assert f'action="{url}"' in body


def test_names_round_trip_from_the_listing(client, r):
    for number, name in enumerate(NAMES):
        r.set(name, f"value {number}")
    listing = client.get("/c/default/db/0/", {"count": 100}).content.decode()
    tokens = re.findall(r'href="/c/default/db/0/key/([A-Za-z0-9_-]*)/"', listing)
    assert sorted(decode_key(token) for token in tokens) == sorted(NAMES)
    for token in tokens:
        body = client.get(f"/c/default/db/0/key/{token}/").content.decode()
        name = decode_key(token)
        assert heading(body)[0] == bytes_to_text(name)
        assert f"value {NAMES.index(name)}" in body


def test_key_names_with_html_are_escaped_everywhere(client, r):
    r.hset(XSS, XSS, XSS)
    body = fetch(client, XSS)
    assert XSS not in body
    assert "<img" not in body
    assert heading(body)[0] == XSS
    assert f"<title>{XSS_ESCAPED} · db0" in body
    assert rows(body)[0].elements == [XSS, XSS]
    for headers in (HX_VALUE, HX_MORE):
        fragment = fetch(client, XSS, headers=headers)
        assert XSS not in fragment and XSS_ESCAPED in fragment


def test_quotes_in_names_do_not_break_out(client, r):
    name = "\"'><script>alert(1)</script>"
    r.set(name, name)
    body = fetch(client, name)
    assert "<script>alert(1)</script>" not in body
    assert heading(body)[0] == name


def test_db_is_part_of_the_address(client, r, r1):
    r.set("same", "in db0")
    r1.set("same", "in db1")
    body = client.get(key_url("same", db=1)).content.decode()
    assert "in db1" in body and "in db0" not in body
    assert "in db0" in fetch(client, "same")


def test_malformed_token_is_a_404(client):
    # one base64 character is no bytes
    assert client.get("/c/default/db/0/key/a/").status_code == 404
    assert client.get("/c/default/db/0/key/a+b/").status_code == 404


def test_db_out_of_range_is_a_404(client):
    response = client.get(key_url("k", db=999))
    assert response.status_code == 404
    assert "no database with that number" in response.content.decode()


# --- the key moves under us -------------------------------------------------------------------


def test_deleted_key_is_a_404(client, r):
    r.set("gone", "v")
    r.delete("gone")
    body = fetch(client, "gone", status=404)
    assert "Key not found" in body and error_message(body) == "this key no longer exists"
    assert body.lstrip().lower().startswith("<!doctype html>")


def test_deleted_key_from_htmx_goes_to_the_error_banner(client):
    response = client.get(key_url("gone", cursor="5"), headers=HX_MORE)
    assert response.status_code == 404
    assert response["HX-Retarget"] == "#error-banner"
    assert response["HX-Reswap"] == "innerHTML"
    assert b"this key no longer exists" in response.content
    assert b"<html" not in response.content


def test_key_that_changed_type_since_listing_opens_as_its_new_type(client, r):
    r.rpush("shifty", "a", "b")
    listing = client.get("/c/default/db/0/").content.decode()
    link = re.search(r'href="(/c/default/db/0/key/[^"]+/)"', listing).group(1)
    r.delete("shifty")
    r.hset("shifty", "field", "value")
    body = client.get(link).content.decode()
    assert meta(body)["Type"] == "hash"
    assert rows(body)[0].elements == ["field", "value"]


class TypeFlippingClient(redis.Redis):
    """A real client that, right after answering TYPE, replaces the key with another type:
    the race between reading the type and reading the value, made to happen every time."""

    def __init__(self, *args, flips: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.flips = flips

    def type(self, name):
        reply = super().type(name)
        if self.flips:
            flip = self.flips.pop(0)
            self.delete(name)
            flip(self, name)
        return reply


def test_type_change_between_type_and_value_is_read_again(redis_server, r):
    r.rpush("k", "a")
    flips = [lambda c, k: c.zadd(k, {"m": 2.5})]
    client = TypeFlippingClient(port=redis_server.port, flips=flips)
    detail = key_detail(client, b"k", PageRequest(order="", count=10))
    assert detail.type_name == "zset"
    assert detail.request.order == "desc"
    assert [(row.member.raw, row.score) for row in detail.page.rows] == [(b"m", 2.5)]
    assert detail.length == 1
    client.close()


def test_type_change_through_the_view(client, r, redis_server, monkeypatch):
    r.set("k", "string value")
    flips = [lambda c, k: c.sadd(k, "member")]
    flipping = TypeFlippingClient(port=redis_server.port, flips=flips)
    monkeypatch.setattr("keyspace.views.key.get_client", lambda db: flipping)
    body = fetch(client, "k")
    assert meta(body)["Type"] == "set"
    assert [row.elements for row in rows(body)] == [["member"]]
    flipping.close()


def test_key_deleted_between_type_and_value_is_a_404(redis_server, r):
    r.set("k", "v")
    client = TypeFlippingClient(port=redis_server.port, flips=[lambda c, k: None])
    with pytest.raises(KeyNotFound, match="this key no longer exists"):
        key_detail(client, b"k", PageRequest())
    client.close()


def test_key_that_keeps_changing_type_gives_up(redis_server, r):
    r.set("k", "v")
    flips = [lambda c, k: c.rpush(k, "a"), lambda c, k: c.set(k, "b")] * MAX_TYPE_CHANGES
    client = TypeFlippingClient(port=redis_server.port, flips=flips)
    with pytest.raises(KeyNotFound, match="keeps changing type"):
        key_detail(client, b"k", PageRequest())
    client.close()


# --- bad parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"cursor": "abc"}, "not a position: 'abc'"),
        ({"cursor": "-1"}, "not a position: '-1'"),
        ({"cursor": "1" * 30}, "not a position"),
        ({"cursor": "1" * 70}, "bad query parameters (cursor: Ensure this value has at most"),
        ({"count": "many"}, "bad query parameters (count: Enter a whole number.)"),
        ({"order": "sideways"}, "List values cannot be ordered by 'sideways'"),
        ({"match": "a*"}, "List values cannot be filtered"),
    ],
)
def test_bad_parameters_are_a_400_with_a_message(client, r, params, message):
    r.rpush("l", "a")
    body = fetch(client, "l", status=400, **params)
    assert "Bad request" in body
    assert message in error_message(body)


@pytest.mark.parametrize(
    ("arrange", "params", "message"),
    [
        (lambda r: r.hset("k", "f", "v"), {"cursor": "-1"}, "not a scan cursor"),
        (lambda r: r.sadd("k", "m"), {"cursor": "9" * 30}, "not a scan cursor"),
        (lambda r: r.zadd("k", {"m": 1}), {"order": "up"}, "cannot be ordered by 'up'"),
        (lambda r: r.xadd("k", {"f": "v"}), {"cursor": "12"}, "not a stream entry ID: '12'"),
        (lambda r: r.set("k", "v"), {"match": "*x*"}, "String values cannot be filtered"),
    ],
)
def test_bad_parameters_for_other_types(client, r, arrange, params, message):
    arrange(r)
    assert message in error_message(fetch(client, "k", status=400, **params))


@pytest.mark.parametrize(("count", "expected"), [(10**12, 1000), ("9" * 30, 1000), (0, 1),
                                                 (-5, 1), (7, 7)])
def test_count_is_clamped_to_the_page_size_bounds(client, r, settings, count, expected):
    assert settings.DASHBOARD_MAX_PAGE_SIZE == 1000
    r.rpush("l", *range(1500))
    body = fetch(client, "l", count=count)
    assert len(rows(body)) == expected
    assert more_params(body)["cursor"] == str(expected)


def test_default_page_size(client, r, settings):
    r.rpush("l", *range(500))
    assert len(rows(fetch(client, "l"))) == settings.DASHBOARD_PAGE_SIZE == 100
