import re
from urllib.parse import unquote

import pytest

from keyspace.redis.keynames import encode_key
from tests.redis.test_scanning import finish_rehash
from tests.roundtrips import count_round_trips
from tests.seeding import HOSTILE_NAMES, fill_strings, numbered
from tests.support.htmx import HTMX

# A few of these run on every server of the matrix (tests/support/servers.py): `servers`.


def key_links(content: bytes) -> list[str]:
    return re.findall(r'href="/c/default/db/0/key/([A-Za-z0-9_-]*)/"', content.decode())


@pytest.mark.servers
def test_full_page_lists_keys_with_metadata(client, r):
    r.set("session:1", "{}", ex=86400)
    r.hset("user:1", mapping={"name": "ada"})
    response = client.get("/c/default/db/0/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and 'id="results"' in html
    assert "session:1" in html and "user:1" in html
    assert "23 h 59 m" in html
    assert "no TTL" in html
    assert "db0 holds 2 keys" in html
    assert "Scan complete" in html


@pytest.mark.servers
def test_header_names_the_redis_without_its_password(client, redis_server, is_valkey):
    html = client.get("/c/default/db/0/").content.decode()
    assert f"127.0.0.1:{redis_server.port}" in html
    assert 'hx-get="/c/default/db/0/server/info/" hx-trigger="load"' in html
    details = client.get("/c/default/db/0/server/info/", headers=HTMX).content.decode()
    if is_valkey:  # Valkey's own version, not the Redis 7.2.4 it reports for compatibility
        assert "Valkey 9." in details and "Redis" not in details
    else:
        assert "Redis 7." in details or "Redis 6." in details
    assert "standalone" in details
    assert "db0" in details


def test_htmx_filter_gets_the_results_fragment(client, r):
    fill_strings(r, [b"user:1", b"user:2", b"cache:1"])
    response = client.get("/c/default/db/0/", {"match": "user:*"},
                          headers={**HTMX, "HX-Target": "results"})
    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="results">')
    assert "user:1" in html and "user:2" in html and "cache:1" not in html
    assert "HX-Request" in [part.strip() for part in response["Vary"].split(",")]


@pytest.mark.parametrize("header", ["HX-Boosted", "HX-History-Restore-Request"])
def test_boosted_and_history_restore_requests_get_the_full_page(client, r, header):
    r.set("k", "v")
    response = client.get("/c/default/db/0/", headers={**HTMX, header: "true"})
    assert b"<html" in response.content


@pytest.mark.servers
def test_load_more_returns_rows_and_the_next_cursor(client, r):
    fill_strings(r, numbered("k:", 350))
    first = client.get("/c/default/db/0/", {"count": 100})
    seen = set(key_links(first.content))
    assert 100 <= len(seen) < 350
    more = re.search(r'href="/c/default/db/0/\?([^"]*cursor=[0-9]+[^"]*)"', first.content.decode())
    rounds = 0
    while more:
        query = more.group(1).replace("&amp;", "&")
        page = client.get(f"/c/default/db/0/?{query}", headers={**HTMX, "HX-Target": "load-more"})
        html = page.content.decode()
        assert "<table" not in html and html.lstrip().startswith("<tr")
        links = key_links(page.content)
        assert not seen & set(links)
        seen |= set(links)
        # any token but "0" (the end); a token may name a step shown in part ("c.count.end.digest")
        more = re.search(r'href="/c/default/db/0/\?([^"]*cursor=(?!0(?:&|"))[^"]*)"', html)
        rounds += 1
    assert len(seen) == 350
    assert rounds >= 2
    assert "Scan complete" in html


@pytest.mark.servers
def test_a_type_filtered_list_keeps_its_page_size_across_load_more(client, r):
    """One filtered SCAN step matches hundreds of keys here: a page still shows 100, and the
    next pages carry on from inside that step without losing or repeating a key."""
    fill_strings(r, numbered("s:", 1000))
    with r.pipeline(transaction=False) as pipe:
        for n in range(1000):
            pipe.hset(f"h:{n}", "f", "v")
        pipe.execute()
    finish_rehash(r, r.dbsize())  # the keyspace stands still
    query = {"type": "hash", "count": 100}
    results = {**HTMX, "HX-Target": "results"}
    page = client.get("/c/default/db/0/", query, headers=results).content.decode()
    seen, sizes = [], []
    while True:
        links = key_links(page.encode())
        sizes.append(len(links))
        seen += links
        more = re.search(r'id="load-more".*?href="/c/default/db/0/\?([^"]*)"', page, re.S)
        if "Scan complete" in page or not more:
            break
        page = client.get(f"/c/default/db/0/?{more.group(1).replace('&amp;', '&')}",
                          headers={**HTMX, "HX-Target": "load-more"}).content.decode()
    assert sizes[:-1] == [100] * (len(sizes) - 1) and sizes[-1] <= 100, sizes
    assert sorted(seen) == sorted(encode_key(n) for n in numbered("h:", 1000))


def test_a_bookmarked_cursor_shows_the_page_from_there(client, r):
    fill_strings(r, numbered("k:", 300))
    first = client.get("/c/default/db/0/", {"count": 50})
    # The whole token, as the link has it (URL-encoded: the server part's "@" is %40).
    cursor = unquote(re.search(r"cursor=([^&\"]+)", first.content.decode()).group(1))
    assert "@" in cursor
    again = client.get("/c/default/db/0/", {"count": 50, "cursor": cursor})
    assert again.status_code == 200
    assert not set(key_links(first.content)) & set(key_links(again.content))
    assert "continuing a scan" in again.content.decode()


def test_sparse_filter_returns_progress_and_follows_itself(client, r, settings):
    settings.DASHBOARD_SCAN_BUDGET_MS = 0.5
    fill_strings(r, numbered("noise:", 60_000))
    r.set("needle:1", "x")
    response = client.get("/c/default/db/0/", {"match": "needle:*"})
    html = response.content.decode()
    assert "data-auto-follow" in html
    assert re.search(r"scanned ~[0-9,]+ of 60,001 keys", html)
    assert "Stop" in html


@pytest.mark.servers
def test_type_filter_and_exact_lookup(client, r):
    r.set("s", "1")
    r.hset("h", "f", "v")
    html = client.get("/c/default/db/0/", {"type": "hash"}).content.decode()
    assert key_links(html.encode()) == [encode_key(b"h")]
    found = client.get("/c/default/db/0/", {"key": "s"}).content.decode()
    assert key_links(found.encode()) == [encode_key(b"s")]
    missing = client.get("/c/default/db/0/", {"key": "nope"}).content.decode()
    assert "No key named" in missing and key_links(missing.encode()) == []


def test_binary_name_is_found_by_its_escaped_form(client, r):
    r.set(b"bin:\xff\x00", "1")
    html = client.get("/c/default/db/0/", {"key": "bin:\\xff\\0"}).content.decode()
    assert key_links(html.encode()) == [encode_key(b"bin:\xff\x00")]


def test_hostile_names_are_escaped_and_link_to_their_key(client, r):
    fill_strings(r, HOSTILE_NAMES)
    html = client.get("/c/default/db/0/").content.decode()
    assert "<img src=x" not in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "bin:\\xff\\xfe\\0\\x01 end" in html
    assert sorted(key_links(html.encode())) == sorted(encode_key(n) for n in HOSTILE_NAMES)


def test_db_selector_shows_key_counts(client, r, r1):
    r1.set("a", "1")
    r1.set("b", "2")
    details = client.get("/c/default/db/1/server/info/", headers=HTMX).content.decode()
    assert re.search(r'href="/c/default/db/1/"[^>]*>db1 <span class="muted">2 keys', details)
    assert "db1 holds 2 keys" in client.get("/c/default/db/1/").content.decode()


def test_first_page_costs_at_most_three_round_trips(client, r, monkeypatch):
    fill_strings(r, numbered("k:", 5000))
    client.get("/c/default/db/0/", headers={**HTMX, "HX-Target": "results"})  # warm the pool
    with count_round_trips(monkeypatch) as sent:
        response = client.get("/c/default/db/0/", headers={**HTMX, "HX-Target": "results"})
    assert response.status_code == 200
    assert len(key_links(response.content)) >= 100
    assert len(sent) <= 3


@pytest.mark.servers
def test_load_more_shows_every_key_once_when_redis_finishes_resizing_between_pages(client, r):
    """Just past a power of two (300 keys, 1,030) Redis starts growing its table; the first
    page is scanned while both tables are in use, and the next ones meet the grown table
    (serverCron finishes it within 100 ms; here key lookups do, each moving a bucket on). A
    step overflowing the first page must not be scanned again then: it would cover other
    buckets and show keys twice."""
    for round_ in range(8):  # other names, other chains overflowing a page
        r.flushdb()
        names = numbered(f"r{round_}:", 300 if round_ % 2 else 1030)
        fill_strings(r, names)
        page = client.get("/c/default/db/0/", {"count": 50},
                          headers={**HTMX, "HX-Target": "results"})
        with r.pipeline(transaction=False) as pipe:
            for _ in range(3000):
                pipe.exists(b"no such key")
            pipe.execute()
        seen = follow_load_more(client, page.content.decode())
        assert len(seen) == len(set(seen)), "a key appeared on two pages"
        assert sorted(seen) == sorted(encode_key(name) for name in names)


def follow_load_more(client, page: str) -> list[str]:
    seen = []
    while True:
        seen += key_links(page.encode())
        more = re.search(r'id="load-more".*?href="/c/default/db/0/\?([^"]*)"', page, re.S)
        if "Scan complete" in page or not more:
            return seen
        response = client.get(f"/c/default/db/0/?{more.group(1).replace('&amp;', '&')}",
                              headers={**HTMX, "HX-Target": "load-more"})
        assert response.status_code == 200
        page = response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"cursor": "abc"},
        {"cursor": "-5"},
        {"cursor": "9" * 30},
        {"type": "nonsense"},
        {"count": "many"},
        {"cursor": "5~YQ=="},  # carried keys: padded base64
        {"cursor": "5~Y!Q"},  # not base64
        {"cursor": "5~YQ~YQ"},  # the same key twice
        {"cursor": "5~" + "~".join(["YWJj"] * 250)},  # past the token's size
    ],
)
def test_bad_parameters_are_a_400_with_a_message(client, query):
    response = client.get("/c/default/db/0/", query)
    assert response.status_code == 400
    assert b"bad query parameters" in response.content or b"not a scan cursor" in response.content


@pytest.mark.parametrize("count", ["-10", "0", "1000000"])
def test_page_sizes_are_clamped(client, r, count):
    fill_strings(r, numbered("k:", 20))
    response = client.get("/c/default/db/0/", {"count": count})
    assert response.status_code == 200
    assert key_links(response.content)


def test_a_database_that_does_not_exist_is_a_404(client):
    response = client.get("/c/default/db/9999/")
    assert response.status_code == 404
    assert b"no database with that number" in response.content
