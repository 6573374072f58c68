"""The cluster's key list: every primary scanned with its own cursor, carried in one token;
pages keep their size, every key shows exactly once (replicas never scanned), filters and
tight budgets lose nothing, and a token is a bookmark."""

import re

import pytest

from keyspace.exceptions import BadRequest
from keyspace.redis import key_counts
from keyspace.redis.cluster_nodes import primaries
from keyspace.redis.cluster_scan import scan_cluster
from keyspace.redis.connection import get_client
from keyspace.redis.keynames import encode_key
from keyspace.redis.pacing import MAX_COUNT
from keyspace.redis.scanning import scan_keys
from tests.seeding import HOSTILE_NAMES, numbered
from tests.support.htmx import HTMX
from tests.support.server_config import config_restored

pytestmark = pytest.mark.cluster


def fill(r, names, command="set"):
    with r.pipeline(transaction=False) as pipe:
        for name in names:
            if command == "set":
                pipe.set(name, b"v")
            elif command == "hset":
                pipe.hset(name, b"f", b"v")
            else:
                pipe.rpush(name, b"x")
        pipe.execute()


def all_pages(client, *, page_size, budget_ms=1000.0, **filters):
    pages, cursor = [], "0"
    while True:
        page = scan_keys(client, cursor=cursor, page_size=page_size, budget_ms=budget_ms,
                         **filters)
        pages.append(page)
        if page.complete:
            return pages
        assert page.next_cursor != cursor, "no progress"
        assert len(pages) < 10_000
        cursor = page.next_cursor


def assert_exact(pages, page_size, expected, *, full=True):
    sizes = [len(page.keys) for page in pages]
    assert max(sizes) <= page_size, sizes
    if full:
        assert all(size == page_size for size in sizes[:-1]), sizes
    shown = [key for page in pages for key in page.keys]
    assert len(shown) == len(set(shown)), "a key appeared twice"
    assert set(shown) == expected


@pytest.mark.parametrize("page_size", [1, 7, 100, 1000])
def test_unfiltered_pages_cover_every_key_of_every_primary_once(cluster_dashboard, r,
                                                                page_size):
    names = numbered("k:", 300 if page_size == 1 else 2000)
    fill(r, names)
    client = get_client(0)
    pages = all_pages(client, page_size=page_size)
    assert_exact(pages, page_size, set(names))
    # The total is every primary's DBSIZE, not the replicas' copies as well.
    assert {page.total_keys for page in pages} == {len(names)}
    assert len(primaries(client)) == 3


def test_filters_find_every_match_across_primaries(cluster_dashboard, r):
    strings, hashes = numbered("s:", 1500), numbered("h:", 700)
    fill(r, strings)
    fill(r, hashes, "hset")
    client = get_client(0)
    assert_exact(all_pages(client, page_size=50, type_name="hash"), 50, set(hashes))
    assert_exact(all_pages(client, page_size=33, match=b"s:*"), 33, set(strings))
    # A budget spent at once shortens pages but loses and repeats nothing.
    pages = all_pages(client, page_size=40, budget_ms=0, type_name="hash")
    assert_exact(pages, 40, set(hashes), full=False)


def test_a_page_crossing_into_the_next_primary_names_it_in_the_token(cluster_dashboard, r):
    fill(r, numbered("k:", 30))
    client = get_client(0)
    nodes = primaries(client)
    first = nodes[0].client.dbsize()
    page = scan_cluster(client, cursor="0", page_size=first + 1)
    assert len(page.keys) == first + 1
    assert page.next_cursor.startswith(f"{nodes[1].first_slot}:")
    assert 0 < page.scanned_fraction < 1
    counts = [node.client.dbsize() for node in nodes]
    assert counts[0] != counts[1]  # so that each count below is told apart
    assert [node.keys for node in page.nodes] == counts


def test_progress_and_per_node_counts(cluster_dashboard, r):
    fill(r, numbered("k:", 600))
    client = get_client(0)
    page = scan_keys(client, cursor="0", page_size=10)
    assert page.total_keys == 600
    assert sum(node.keys for node in page.nodes) == 600
    assert {node.name for node in page.nodes} == {p.name for p in primaries(client)}
    assert 0 < page.scanned_fraction < 1


def dbsize_calls(nodes) -> list[int]:
    return [node.client.info("commandstats").get("cmdstat_dbsize", {}).get("calls", 0)
            for node in nodes]


def test_a_first_page_asks_each_primary_for_its_key_count_once(cluster_dashboard, r):
    # The primary scanned counts its keys in its SCAN step's pipeline, the others in one
    # round trip sent before the scan: on a page within one primary, none is asked twice.
    fill(r, numbered("k:", 600))
    client = get_client(0)
    nodes = primaries(client)
    for _ in range(2):  # a first page never reuses counts, however recent
        before = dbsize_calls(nodes)
        page = scan_keys(client, cursor="0", page_size=10)
        asked = [after - then for after, then in zip(dbsize_calls(nodes), before, strict=True)]
        assert asked == [1, 1, 1]
        assert {node.name: node.keys for node in page.nodes} == {
            node.name: node.client.dbsize() for node in nodes}


def test_a_following_page_reuses_the_primaries_recent_counts(cluster_dashboard, r,
                                                                     monkeypatch):
    fill(r, numbered("k:", 600))
    client = get_client(0)
    nodes = primaries(client)
    cursor = scan_keys(client, cursor="0", page_size=10).next_cursor
    before = dbsize_calls(nodes)
    page = scan_keys(client, cursor=cursor, page_size=10)
    asked = [after - then for after, then in zip(dbsize_calls(nodes), before, strict=True)]
    assert asked == [0, 0, 0]  # the counts the first page read, a moment ago
    assert {node.name: node.keys for node in page.nodes} == {
        node.name: node.client.dbsize() for node in nodes}
    # Counts older than the window are asked again.
    monkeypatch.setattr(key_counts, "REUSE_SECONDS", 0.0)
    before = dbsize_calls(nodes)
    scan_keys(client, cursor=page.next_cursor, page_size=10)
    assert [after - then for after, then in zip(dbsize_calls(nodes), before, strict=True)] == [
        1, 1, 1]


def test_the_page_that_ends_the_scan_asks_every_primary_again(cluster_dashboard, r):
    fill(r, numbered("k:", 600))
    client = get_client(0)
    page = scan_keys(client, cursor="0", page_size=100)
    fill(r, numbered("new:", 30))
    while not page.complete:
        page = scan_keys(client, cursor=page.next_cursor, page_size=100)
    assert page.total_keys == 630
    assert sum(node.keys for node in page.nodes) == 630


def scan_calls(nodes) -> list[int]:
    return [node.client.info("commandstats").get("cmdstat_scan", {}).get("calls", 0)
            for node in nodes]


def test_the_next_primary_starts_at_the_pace_the_one_before_reached(cluster_dashboard, r,
                                                                      settings):
    # Steps far under the target: the pace doubles with every full step.
    settings.DASHBOARD_SCAN_STEP_MS = 10_000
    fill(r, numbered("k:", 3000))
    client = get_client(0)
    nodes = primaries(client)
    cursor, pages = "0", []
    while True:
        before = scan_calls(nodes)
        page = scan_keys(client, cursor=cursor, page_size=500)
        pages.append(([after - then for after, then in zip(scan_calls(nodes), before,
                                                           strict=True)], page))
        if page.complete:
            break
        cursor = page.next_cursor
    for node in (1, 2):
        # The first page to scan this primary asks it once for the page's room (the pace
        # reached on the primary before is over it), not 100, 200, 400... from a fresh start.
        touched = next(calls for calls, _ in pages if calls[node])
        assert touched[node] == 1


def test_keys_carried_past_a_primarys_last_step_keep_its_pace_for_the_next(cluster_dashboard,
                                                                            r, settings):
    """A page ending inside a primary's last SCAN step carries that step's other keys to the
    next page with the pace reached, and that page starts the next primary at it, not afresh
    (the test above meets this case only where the servers' hash seeds make the first
    primary's last step overflow a page; a filtered step asking for more keys than the
    primary holds always does)."""
    settings.DASHBOARD_SCAN_STEP_MS = 10_000  # steps far under the target: the pace doubles
    names = numbered("x:", 90)
    fill(r, names)
    client = get_client(0)
    first, second = primaries(client)[:2]
    page_size = sum(r.get_node_from_key(name).name == first.name for name in names) - 3
    with config_restored(first.client, *SLOWLOG), config_restored(second.client, *SLOWLOG):
        for node in (first, second):
            node.client.config_set("slowlog-log-slower-than", 0)
            node.client.config_set("slowlog-max-len", 1000)
            node.client.slowlog_reset()
        page = scan_keys(client, cursor="0", page_size=page_size, match=b"x:*",
                         budget_ms=60_000)
        # The first primary's keys came in one step (its end), 3 of them left for the next
        # page, with the pace: a quick step doubles it.
        reached = min(MAX_COUNT, 2 * scan_counts(first.client)[-1])
        assert page.next_cursor.startswith(f"{first.first_slot}:0.{reached}~"), (
            page.next_cursor)
        assert page.next_cursor.count("~") == 3 and scan_counts(second.client) == []
        page = scan_keys(client, cursor=page.next_cursor, page_size=page_size, match=b"x:*",
                         budget_ms=60_000)
        assert len(page.keys) == page_size
        assert scan_counts(second.client)[0] == reached


SLOWLOG = ("slowlog-log-slower-than", "slowlog-max-len")


def scan_counts(node_client) -> list[int]:
    """The COUNT of every SCAN the node ran since its SLOWLOG was reset (at a threshold of 0
    it logs every command), in order."""
    entries = node_client.slowlog_get(1000)
    return [int(re.search(rb" COUNT (\d+)", entry["command"]).group(1))
            for entry in reversed(entries) if entry["command"].startswith(b"SCAN ")]


def test_a_followed_page_is_the_page_the_general_way_makes(cluster_dashboard, r, settings):
    """Most pages of a followed scan are made with little bookkeeping (cluster_scan._followed):
    each is the page the general way makes from the same token, and so is a page handed over
    to the general walk where its primary's scan ends."""
    from keyspace.redis.cluster_scan import ClusterScanPage, _followed, _general, _scan, _start

    # Steps grow at the same pace every time, so that the same token makes the same SCAN
    # call either way, on tables standing still.
    settings.DASHBOARD_SCAN_STEP_MS = 60_000
    fill(r, numbered("k:", 3000))
    client = get_client(0)
    nodes = primaries(client)
    for node in nodes:  # each primary finishes growing its table: a lookup moves it on
        absent = next(name for n in range(1000) if r.get_node_from_key(
            name := b"absent:%d" % n).name == node.name)
        with node.client.pipeline(transaction=False) as pipe:
            for _ in range(2 * node.client.dbsize() + 100):
                pipe.exists(absent)
            pipe.execute()
    pages = all_pages(client, page_size=100)
    assert sum(len(page.keys) for page in pages) == 3000
    followed = handed_over = 0
    for page in pages[:-1]:
        index, inner = _start(page.next_cursor, nodes)
        general = _general(client, nodes, index, inner, cursor=page.next_cursor,
                           page_size=100, match=None, type_name=None, budget_ms=60_000.0,
                           readable_only=False)
        made = _scan(client, cursor=page.next_cursor, page_size=100, match=None,
                     type_name=None, budget_ms=60_000.0, readable_only=False)
        assert made == general
        fast = _followed(nodes, index, inner, 100)
        if isinstance(fast, ClusterScanPage):
            followed += 1
            assert fast == general
        elif fast is not None:  # the primary's last page: the general walk went on from it
            handed_over += 1
            assert fast.complete and general.next_cursor.split(":")[0] != str(
                nodes[index].first_slot)
    assert followed > 0.8 * len(pages) and handed_over >= 2  # two primaries end mid-scan


@pytest.mark.parametrize("raw", ["abc", "1:", "x:5", "99999:5", "0:abc", ":5", "5:0"])
def test_garbage_and_stale_tokens_are_refused(cluster_dashboard, raw):
    with pytest.raises(BadRequest):
        scan_keys(get_client(0), cursor=raw, page_size=10)


def key_links(body: str) -> list[str]:
    return re.findall(r'<td class="key-name"><a href="/c/default/db/0/key/([^/"]*)/"', body)


def test_the_page_pages_through_hostile_names_by_load_more_and_bookmarks(cluster_dashboard,
                                                                          r, client):
    names = [*HOSTILE_NAMES, *numbered("k:", 250)]
    fill(r, names)
    body = client.get("/c/default/db/0/", {"count": 100}).content.decode()
    assert "cluster-node" in body and "250" not in body.split("cluster-nodes")[0][-50:]
    seen = key_links(body)
    bookmarks = []
    while "Scan complete" not in body:
        more = re.search(r'id="load-more".*?href="/c/default/db/0/\?([^"]*)"', body, re.S).group(1)
        bookmarks.append(more.replace("&amp;", "&"))
        body = client.get(f"/c/default/db/0/?{bookmarks[-1]}",
                          headers={**HTMX, "HX-Target": "load-more"}).content.decode()
        seen += key_links(body)
    assert sorted(seen) == sorted(encode_key(name) for name in names)
    # A bookmarked token, opened later as a full page, shows the same page.
    again = client.get(f"/c/default/db/0/?{bookmarks[0]}").content.decode()
    assert key_links(again) == seen[100:200]


def test_an_exact_lookup_counts_every_primarys_keys(cluster_dashboard, r, client):
    for n in range(90):
        r.set(f"k:{n}", n)
    body = client.get("/c/default/db/0/", {"key": "k:7"}).content.decode()
    assert "Key found." in body and "all 90 keys of db0 scanned" in body


def test_keys_whose_slot_is_being_moved_are_listed_with_their_columns(
        cluster_dashboard, r, client, fresh_cluster_after):
    """Keys already moved to the importing primary are scanned there while their slot's owner
    answers ASK for them: the key list asks the importing primary, and shows every key."""
    from keyspace.services.browse import keys_metadata

    r.set(b"{m}s", b"value")
    r.hset(b"{m}h", mapping={b"f": b"v", b"g": b"w"})
    r.rpush(b"{m}l", b"a", b"b", b"c")
    r.pexpire(b"{m}l", 3_600_000)
    fill(r, numbered("k", 30))
    cluster_dashboard.begin_moving(b"{m}s")
    body = client.get("/c/default/db/0/", {"count": 100}).content.decode()
    for name in [b"{m}s", b"{m}h", b"{m}l", *numbered("k", 30)]:
        assert encode_key(name) in body, name
    hashes = client.get("/c/default/db/0/", {"count": 100, "type": "hash"}).content.decode()
    assert encode_key(b"{m}h") in hashes and encode_key(b"{m}s") not in hashes
    rows = {row.name: row for row in keys_metadata(get_client(), [b"{m}s", b"{m}h", b"{m}l",
                                                                  b"k1", b"gone"])}
    assert list(rows) == [b"{m}s", b"{m}h", b"{m}l", b"k1"]
    assert [(rows[name].type_name, rows[name].length) for name in rows] == [
        ("string", 5), ("hash", 2), ("list", 3), ("string", 1)]
    assert 3_500_000 < rows[b"{m}l"].ttl_ms <= 3_600_000
