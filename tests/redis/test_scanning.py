
import re

import pytest

from keyspace.exceptions import BadRequest
from keyspace.redis.keynames import decode_key, encode_key
from keyspace.redis.scan_tokens import MAX_TOKEN_CHARS
from keyspace.redis.scanning import parse_cursor, scan_keys, scanned_fraction
from keyspace.services.browse import keys_metadata
from tests.seeding import fill_strings, numbered


def unplaced(token: str) -> str:
    """A page token without the server the scan began on (its "@" part)."""
    return token.partition("@")[0]

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py


def test_pages_cover_every_key_once_in_order_of_the_cursor(r):
    fill_strings(r, numbered("k:", 1000))
    seen, cursor, pages = [], "0", 0
    while True:
        page = scan_keys(r, cursor=cursor, page_size=100)
        seen += page.keys
        pages += 1
        if page.complete:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(numbered("k:", 1000))
    assert 5 <= pages <= 15
    assert page.scanned_keys == page.total_keys == 1000


def test_a_page_reports_progress_through_the_keyspace(r):
    fill_strings(r, numbered("k:", 20_000))
    page = scan_keys(r, cursor="0", page_size=100)
    assert not page.complete
    assert page.total_keys == 20_000
    assert 0 < page.scanned_keys < 2_000


def test_sparse_filter_stops_at_the_budget_and_returns_a_cursor(r):
    fill_strings(r, numbered("noise:", 100_000))
    fill_strings(r, [b"needle:1", b"needle:2"])
    page = scan_keys(r, cursor="0", page_size=100, match=b"needle:*", budget_ms=1)
    assert page.budget_exhausted
    assert not page.complete
    assert 0 < page.scanned_keys < 100_000


def test_following_a_sparse_filter_finds_every_match(r):
    fill_strings(r, numbered("noise:", 50_000))
    fill_strings(r, [b"needle:1", b"needle:2", b"needle:3", b"needle:4"])
    found, cursor, requests = [], "0", 0
    while True:
        page = scan_keys(r, cursor=cursor, page_size=100, match=b"needle:*", budget_ms=2)
        found += page.keys
        requests += 1
        if page.complete:
            break
        cursor = page.next_cursor
    assert sorted(found) == [b"needle:1", b"needle:2", b"needle:3", b"needle:4"]
    assert requests > 1


def test_type_filter_finds_the_only_hash(r):
    fill_strings(r, numbered("s:", 50))
    r.hset("h:1", "f", "v")
    page = scan_keys(r, cursor="0", page_size=100, type_name="hash", budget_ms=1000)
    assert page.keys == [b"h:1"]
    assert page.complete


@pytest.mark.parametrize("raw", ["abc", "-1", "1" * 30, "1.5", " 1", "9" * 5000])
def test_garbage_cursors_are_refused(raw):
    with pytest.raises(BadRequest):
        parse_cursor(raw)


def test_cursor_fraction_reads_the_reversed_bits():
    assert scanned_fraction(0) == 0.0
    assert scanned_fraction(1) == 0.5  # lowest bit set: half way through any table
    assert scanned_fraction(3) == 0.75


# --- pages keep their size ----------------------------------------------------------------------


def settle(r) -> None:
    """Make Redis finish growing its hash table before paging (see finish_rehash): a step
    run again after a rehash may end elsewhere, and then keys may repeat (see the scanning
    module); these tests are about a keyspace that stands still."""
    finish_rehash(r, r.dbsize())


def mixed_keyspace(r) -> dict[str, set[bytes]]:
    """Thousands of keys of three types, so a filtered SCAN step matches far more than a page."""
    kinds = {"string": numbered("s:", 3000), "hash": numbered("h:", 1500),
             "list": numbered("l:", 500)}
    with r.pipeline(transaction=False) as pipe:
        for name in kinds["string"]:
            pipe.set(name, b"v")
        for name in kinds["hash"]:
            pipe.hset(name, b"f", b"v")
        for name in kinds["list"]:
            pipe.rpush(name, b"x")
        pipe.execute()
    settle(r)
    return {kind: set(names) for kind, names in kinds.items()}


def all_pages(r, *, page_size: int, budget_ms: float = 1000.0, between=None, **filters):
    pages, cursor = [], "0"
    while True:
        page = scan_keys(r, cursor=cursor, page_size=page_size, budget_ms=budget_ms, **filters)
        pages.append(page)
        if page.complete:
            return pages
        assert page.next_cursor != cursor, "the same token again: no progress"
        assert len(pages) < 10_000, "too many pages"
        cursor = page.next_cursor
        if between:
            between(page)


def assert_exact_pages(pages, page_size: int, expected: set[bytes], *, full: bool = True):
    sizes = [len(p.keys) for p in pages]
    assert max(sizes) <= page_size, sizes
    if full:  # with a generous budget every page but the last is full
        assert all(size == page_size for size in sizes[:-1]), sizes
    shown = [key for page in pages for key in page.keys]
    assert len(shown) == len(set(shown)), "a key appeared on two pages"
    assert set(shown) == expected


@pytest.mark.parametrize("page_size", [100, 7, 1000])
def test_a_type_filter_keeps_the_page_size_and_shows_every_match_once(r, page_size):
    kinds = mixed_keyspace(r)
    for type_name in ("hash", "list"):
        pages = all_pages(r, page_size=page_size, type_name=type_name)
        assert_exact_pages(pages, page_size, kinds[type_name])


@pytest.mark.parametrize("page_size", [100, 13])
def test_a_pattern_filter_keeps_the_page_size_and_shows_every_match_once(r, page_size):
    kinds = mixed_keyspace(r)
    pages = all_pages(r, page_size=page_size, match=b"s:*")
    assert_exact_pages(pages, page_size, kinds["string"])
    pages = all_pages(r, page_size=page_size, match=b"*1*", type_name="hash")
    assert_exact_pages(pages, page_size, {k for k in kinds["hash"] if b"1" in k})


@pytest.mark.parametrize("page_size", [1, 3, 100])
def test_unfiltered_pages_keep_their_size_and_cover_every_key_once(r, page_size):
    fill_strings(r, numbered("k:", 2000 if page_size > 1 else 300))
    settle(r)
    pages = all_pages(r, page_size=page_size)
    assert_exact_pages(pages, page_size, {k for k in r.scan_iter(count=1000)})


def test_a_tight_budget_may_shorten_pages_but_never_loses_or_repeats_a_key(r):
    kinds = mixed_keyspace(r)
    pages = all_pages(r, page_size=50, budget_ms=0, type_name="hash")
    assert_exact_pages(pages, 50, kinds["hash"], full=False)


def test_keys_present_throughout_are_all_shown_while_the_keyspace_changes(r):
    kinds = mixed_keyspace(r)
    added = iter(numbered("h:new:", 5000))
    deleted: set[bytes] = set()

    def churn(page):
        # Between pages: every shown hash goes (so a step run again reaches further), an
        # unshown one goes, and new ones come.
        r.delete(*page.keys)
        deleted.update(page.keys)
        victim = next(iter(kinds["hash"] - deleted - set(page.keys)), None)
        if victim:
            r.delete(victim)
            deleted.add(victim)
        with r.pipeline(transaction=False) as pipe:
            for _ in range(20):
                pipe.hset(next(added), b"f", b"v")
            pipe.execute()

    pages = all_pages(r, page_size=100, type_name="hash", between=churn)
    shown = {key for page in pages for key in page.keys}
    assert max(len(p.keys) for p in pages) <= 100
    assert kinds["hash"] - deleted <= shown


@pytest.mark.parametrize("raw", [
    "0.1000.5", "0.1000.5.zz", "0.0.5." + "a" * 16, "0.9999999.5." + "a" * 16,
    "0.1000.5." + "A" * 16, "0.1000.-5." + "a" * 16, "0.١٠.5." + "a" * 16, "...",
    # The server part: 8 lower-case hex digits, after a position that goes on.
    "5@1cc5116", "5@1CC51163", "5@1cc51163x", "@1cc51163", "5@", "5@@1cc51163",
    "0@1cc51163", "0.800@1cc51163",
])
def test_garbage_continuation_tokens_are_refused(r, raw):
    with pytest.raises(BadRequest):
        scan_keys(r, cursor=raw, page_size=10)


def test_a_page_ending_inside_a_step_reports_the_step_scanned(r):
    kinds = mixed_keyspace(r)
    page = scan_keys(r, cursor="0", page_size=10, type_name="hash", budget_ms=1000)
    assert len(page.keys) == 10 and unplaced(page.next_cursor).count(".") == 3  # in step 1
    assert 0 < page.scanned_keys < page.total_keys
    rest = scan_keys(r, cursor=page.next_cursor, page_size=10, type_name="hash", budget_ms=1000)
    assert rest.scanned_keys >= page.scanned_keys
    assert not set(page.keys) & set(rest.keys) and set(rest.keys) <= kinds["hash"]


# --- a table that finishes resizing between pages -----------------------------------------------


def finish_rehash(r, filled: int) -> None:
    """Make Redis finish growing its table now: each key lookup moves one bucket on (as
    serverCron does every 100 ms), and the old table has at most `filled` buckets."""
    with r.pipeline(transaction=False) as pipe:
        for _ in range(2 * filled + 100):
            pipe.exists(b"no such key")
        pipe.execute()


@pytest.mark.parametrize("filled", [300, 1030, 2100])
@pytest.mark.parametrize("page_size", [50, 100])
def test_unfiltered_paging_survives_a_rehash_between_pages(r, filled, page_size):
    # Just past a power of two, Redis has just started growing its table: the first page is
    # scanned while both tables are in use, the next ones meet the grown table. That made a
    # step run again cover other buckets, end elsewhere, and show keys twice. Each round has
    # other names, so other chains overflow a page.
    for round_ in range(8):
        r.flushdb()
        names = numbered(f"r{round_}:", filled)
        fill_strings(r, names)
        first = scan_keys(r, cursor="0", page_size=page_size, budget_ms=1000)
        finish_rehash(r, filled)
        pages = [first]
        if not first.complete:
            pages += all_pages_from(r, first.next_cursor, page_size=page_size)
        assert_exact_pages(pages, page_size, set(names))


def all_pages_from(r, cursor: str, *, page_size: int) -> list:
    pages = []
    while True:
        page = scan_keys(r, cursor=cursor, page_size=page_size, budget_ms=1000)
        pages.append(page)
        if page.complete:
            return pages
        assert len(pages) < 10_000, "too many pages"
        cursor = page.next_cursor


def carried_token(end: int, keys: list[bytes]) -> str:
    return "~".join([str(end), *(encode_key(key) for key in keys)])


def test_keys_a_token_carries_are_shown_first_and_the_scan_goes_on_from_the_step_end(
    r, settings
):
    # Steps as large as a page (never shrunk by a busy machine's slow replies), so that one
    # overflows by the rest of a bucket's chain.
    settings.DASHBOARD_SCAN_STEP_MS = 10_000
    # Steps overflow by the rest of a bucket's chain: the first such page carries that rest.
    # Where chains fall depends on the server's hash seed: other names are tried until one
    # step overflows, as almost every first try does.
    for attempt in range(10):
        r.flushdb()
        names = numbered(f"k{attempt}:", 1030)
        fill_strings(r, names)
        finish_rehash(r, 1030)  # the comparison with SCAN below needs a table standing still
        carrying = [p for p in all_pages(r, page_size=100) if "~" in p.next_cursor]
        if carrying:
            break
    assert carrying, "no step overflowed a page"
    before = carrying[0]
    end_text, *encoded = unplaced(before.next_cursor).split("~")
    end_text = end_text.split(".")[0]  # the end cursor, less the pace the token carries too
    carried = [decode_key(text) for text in encoded]
    assert not set(carried) & set(before.keys) and set(carried) <= set(names)
    page = scan_keys(r, cursor=before.next_cursor, page_size=100, budget_ms=1000)
    assert set(page.keys[: len(carried)]) == set(carried)
    assert page.scanned_keys >= before.scanned_keys
    # The rest of the page comes from the step end on: nothing before it is scanned again.
    cursor, from_end = int(end_text), []
    while cursor:
        cursor, keys = r.scan(cursor, count=1000)
        from_end += keys
    assert set(page.keys[len(carried):]) <= set(from_end)
    assert len(page.keys) == min(100, len(carried) + len(from_end))


def test_a_page_smaller_than_the_carried_keys_shows_what_fits_and_carries_the_rest(r):
    carried = numbered("c:", 5)
    fill_strings(r, carried)
    pages = all_pages(r, page_size=2)  # the whole keyspace fits one step, which overflows
    assert_exact_pages(pages, 2, set(carried))
    page = scan_keys(r, cursor=carried_token(0, carried), page_size=2)
    assert len(page.keys) == 2 and set(page.keys) <= set(carried)
    rest = [decode_key(text) for text in unplaced(page.next_cursor).split("~")[1:]]
    # The scan's end, with the pace (a cluster's next primary starts at it), and the rest.
    assert page.next_cursor.startswith(f"0.{page.pace}~")
    assert set(rest) == set(carried) - set(page.keys)
    last = scan_keys(r, cursor=carried_token(0, carried), page_size=5)
    assert set(last.keys) == set(carried) and last.complete


def test_carried_keys_that_vanished_or_no_longer_match_the_type_are_dropped(r):
    r.set("gone-soon", "v")
    r.set("now-a-string", "v")
    r.hset("still-a-hash", "f", "v")
    token = carried_token(0, [b"gone-soon", b"now-a-string", b"still-a-hash", b"never"])
    page = scan_keys(r, cursor=token, page_size=10, type_name="hash")
    assert page.keys == [b"still-a-hash"] and page.complete
    # Unfiltered they stay on the page; the key list leaves out any key gone since its scan.
    r.delete("gone-soon")
    page = scan_keys(r, cursor=carried_token(0, [b"gone-soon", b"still-a-hash"]), page_size=10)
    assert [row.name for row in keys_metadata(r, page.keys)] == [b"still-a-hash"]


def test_an_overflow_too_large_to_carry_names_the_step_to_run_again(r):
    # A type-filtered step of COUNT 1000 finds hundreds of hashes: far more than a token holds.
    mixed_keyspace(r)
    page = scan_keys(r, cursor="0", page_size=10, type_name="hash", budget_ms=1000)
    assert "~" not in page.next_cursor and unplaced(page.next_cursor).count(".") == 3
    # Long names pass the bound with a few keys left over: one step holds all 40 of them.
    r.flushdb()
    long_names = [b"x" * 300 + str(i).encode() for i in range(40)]
    fill_strings(r, long_names)
    settle(r)
    pages = all_pages(r, page_size=7, match=b"x*")
    assert unplaced(pages[0].next_cursor).count(".") == 3
    assert all(len(p.next_cursor) <= MAX_TOKEN_CHARS for p in pages)
    assert_exact_pages(pages, 7, set(long_names))


@pytest.mark.parametrize("raw", [
    "~" + encode_key(b"a"), "x~" + encode_key(b"a"), "5~YQ=", "5~YQ==", "5~Y",
    "5~Y!Q", "5~YR", "5~YQ~YQ",
    carried_token(5, [bytes([n]) for n in range(256)]),  # short, but too many keys
    "5~" + encode_key(b"a" * 1000), "99999999999999999999999~YQ", "5~YQ.1.2." + "a" * 16,
    "5.0~YQ", "5.9999999~YQ", "5.~YQ", "5.x~YQ", "5.10.3~YQ", ".10~YQ",
])
def test_forged_carried_key_tokens_are_refused(r, raw):
    with pytest.raises(BadRequest):
        scan_keys(r, cursor=raw, page_size=10)


def test_a_step_naming_keys_the_page_has_or_a_key_twice_shows_each_once():
    from keyspace.redis.scanning import _new_names

    keys = [b"a", b"b", b"c"]
    fresh, names = _new_names(keys, set())
    assert fresh is keys and names == {b"a", b"b", b"c"}  # the usual step, as it came
    assert _new_names([b"a", b"b", b"a", b"c", b"b"], set())[0] == [b"a", b"b", b"c"]
    assert _new_names([b"a", b"b", b"c"], {b"b", b"x"})[0] == [b"a", b"c"]
    assert _new_names([b"a", b"b", b"a"], {b"a"})[0] == [b"b"]
    assert _new_names([b"a", b"b"], {b"x"})[0] == [b"a", b"b"]


def test_a_followed_step_goes_simply_after_the_carried_keys_only_when_nothing_is_twice():
    from keyspace.redis.scanning import _goes_simply_after

    assert _goes_simply_after([b"a", b"b"], (b"x",), end=5, room=2)
    assert _goes_simply_after([b"a"], (), end=0, room=2)  # the scan's end: a short page
    assert not _goes_simply_after([b"a", b"b", b"a"], (), end=5, room=2)  # named twice
    assert not _goes_simply_after([b"a", b"b"], (b"b",), end=5, room=2)  # carried already
    assert not _goes_simply_after([b"a"], (), end=5, room=2)  # short of the end: more steps


def test_carried_keys_the_next_step_names_again_are_shown_once(r):
    # A token carrying keys from before the step it resumes at (here the start: as a hand-made
    # token, or a table that rehashed, would): the step names them again.
    names = numbered("k:", 300)
    fill_strings(r, names)
    finish_rehash(r, 300)
    cursor, _ = r.scan(0, count=20)
    after, at = [], cursor
    while at:
        at, keys = r.scan(at, count=100)
        after += keys
    again = after[:5]
    pages = all_pages_from(r, carried_token(cursor, again), page_size=1000)
    shown = [key for page in pages for key in page.keys]
    assert sorted(shown) == sorted(after)  # each once, the carried ones first
    assert set(shown[:5]) == set(again)


@pytest.fixture
def restartable(tmp_path, settings):
    """A server of the test's own, saving to disk, that the dashboard points at."""
    yield from own_server(settings, tmp_path / "restartable", persist=True)


def own_server(settings, directory, **options):
    """A server of the test's own (LocalRedis `options`) the dashboard points at, for the
    test's length."""
    from dashboard.local_redis import LocalRedis
    from keyspace.redis import capabilities
    from keyspace.redis.connection import reset_pools

    server = LocalRedis(directory, **options).start()
    settings.REDIS_URL = server.url
    reset_pools()
    capabilities.forget()
    yield server
    server.stop()
    reset_pools()
    capabilities.forget()


@pytest.mark.one_server
def test_a_scan_that_ends_on_a_restarted_server_says_names_may_be_missing(restartable, client):
    """A cursor is a place in one process's hash table, laid out by a seed each process draws:
    after a restart (or a failover) it means another place. The scan's end says so."""
    import redis as redis_py

    from keyspace.redis.connection import get_client

    with redis_py.Redis(port=restartable.port) as admin:
        fill_strings(admin, numbered("k:", 3000))
    first = scan_keys(get_client(0), cursor="0", page_size=500)
    assert "@" in first.next_cursor
    calm = all_pages_from(get_client(0), first.next_cursor, page_size=500)
    assert not any(page.restarted for page in calm)
    restartable.stop()
    restartable.start()
    pages = all_pages_from(get_client(0), first.next_cursor, page_size=500)
    assert pages[-1].restarted and not any(page.restarted for page in pages[:-1])
    html = client.get("/c/default/db/0/", {"cursor": first.next_cursor, "count": 1000,
                                           "match": "k:*"}).content.decode()
    while "data-scan-restarted" not in html and 'id="scan-done"' not in html:
        more = re.search(r'href="([^"]*cursor=[^"]*)"[^>]*data-scan-continue', html).group(1)
        html = client.get(more.replace("&amp;", "&")).content.decode()
    assert "data-scan-restarted" in html and "names may be missing or shown twice" in html
    assert "match=k%3A%2A" in html  # "start again" keeps the filter


@pytest.mark.one_server
@pytest.mark.parametrize("length", range(88, 100))
def test_every_token_fits_the_form_with_the_server_and_a_cluster_prefix(r, length):
    """Carried names that fill a token to the brim leave room for the server part ("@" and 8
    characters) and a cluster's "<slot>:" before it: the key list's form takes every token a
    page hands out, even from the last primary's slot."""
    from keyspace.views.query import KeyspaceQueryForm

    names = [bytes([97 + n]) * length for n in range(9)]
    fill_strings(r, names)
    settle(r)
    pages = all_pages(r, page_size=1, match=b"[a-z]*")
    assert_exact_pages(pages, 1, set(names))
    for page in pages[:-1]:
        assert "@" in page.next_cursor
        form = KeyspaceQueryForm({"cursor": f"16383:{page.next_cursor}"})
        assert form.is_valid(), (len(page.next_cursor), form.errors)


def general_and_followed(r, token: str, page_size: int):
    """The page `token` starts, made the general way and the way most pages of a followed
    unfiltered scan are made (None: not such a page)."""
    from keyspace.redis.scan_tokens import parse_position
    from keyspace.redis.scanning import _followed_page, _scan_page

    start = parse_position(token, 2000)
    general = _scan_page(r, start, page_size, None, None, float("inf"), False, here=False,
                         continuing=True)
    return general, _followed_page(r, start, page_size)


@pytest.mark.parametrize("page_size", [7, 100])
def test_a_followed_page_is_the_page_the_general_way_makes(r, settings, page_size):
    # Steps grow at the same pace every time (no machine is that slow), so that the same
    # token makes the same SCAN call either way, on a table standing still.
    settings.DASHBOARD_SCAN_STEP_MS = 60_000
    fill_strings(r, numbered("k:", 3000))
    finish_rehash(r, 3000)
    followed, carrying = 0, 0
    pages = all_pages(r, page_size=page_size)[:-1]
    for page in pages:
        general, fast = general_and_followed(r, page.next_cursor, page_size)
        if fast is None:
            continue
        followed += 1
        carrying += "~" in page.next_cursor
        assert fast == general
    # Most pages (not those a step's carried keys fill, or a step to run again).
    assert followed > 0.8 * len(pages)
    assert carrying  # some of them went on from keys a step could not fit


def test_a_followed_step_naming_a_carried_key_again_goes_on_the_general_way(r, settings):
    # A token carrying a key the next step names again (a hand-made one, as a table that
    # rehashed could): the followed way hands its step to the general loop, shown once.
    settings.DASHBOARD_SCAN_STEP_MS = 60_000
    fill_strings(r, numbered("k:", 300))
    finish_rehash(r, 300)
    cursor, _ = r.scan(0, count=20)
    _, ahead = r.scan(cursor, count=50)
    token = "~".join([f"{cursor}.50", encode_key(ahead[3])])
    scan_keys(r, cursor="0", page_size=10)  # a key count read moments ago
    general, fast = general_and_followed(r, token, 40)
    assert fast == general
    assert fast.keys[0] == ahead[3] and fast.keys.count(ahead[3]) == 1
    assert len(fast.keys) == 40


def test_the_page_ending_a_followed_scan_asks_the_count_and_the_server_again(r):
    fill_strings(r, numbered("k:", 50))
    first = scan_keys(r, cursor="0", page_size=10)
    assert "@" in first.next_cursor  # the server the scan began on
    r.set(b"late", b"1")
    pages = all_pages_from(r, first.next_cursor, page_size=1000)
    assert pages[-1].complete and pages[-1].total_keys == 51
    assert not pages[-1].restarted


# --- the followed page's one SCAN (scanning.scan_call) -----------------------------------------

@pytest.fixture
def scan_renamed(tmp_path, settings):
    """A server of the test's own whose SCAN is renamed (as a hardened server may have it),
    declared to the dashboard."""
    settings.DASHBOARD_RENAMED_COMMANDS = "SCAN=scan-5e"
    yield from own_server(settings, tmp_path / "renamed-scan",
                          extra_args=("--rename-command", "SCAN", "scan-5e"))


@pytest.mark.one_server
def test_a_followed_scan_sends_scan_under_its_declared_name(scan_renamed):
    import redis as redis_py

    from keyspace.redis.connection import get_client

    names = numbered("k:", 2000)
    with redis_py.Redis(port=scan_renamed.port) as admin:
        fill_strings(admin, names)
        before = admin.info("commandstats").get("cmdstat_scan", {}).get("calls", 0)
    client = get_client(0)
    first = scan_keys(client, cursor="0", page_size=300)
    pages = [first, *all_pages_from(client, first.next_cursor, page_size=300)]
    shown = [key for page in pages for key in page.keys]
    assert sorted(shown) == sorted(names)
    with redis_py.Redis(port=scan_renamed.port) as admin:
        # Counted under the command's own name whatever it is called on the wire.
        assert admin.info("commandstats")["cmdstat_scan"]["calls"] - before >= len(pages) - 1
    pool = client.connection_pool
    assert not pool._in_use_connections  # every connection went back to the pool


@pytest.mark.one_server
def test_a_refused_scan_leaves_the_connection_usable(r):
    """An error reply (here a cursor Redis cannot read) comes back as redis-py's error, and the
    connection goes back to the pool with nothing left unread on it."""
    import redis as redis_py

    from keyspace.redis.scanning import scan_call

    fill_strings(r, numbered("k:", 50))
    with pytest.raises(redis_py.ResponseError):
        scan_call(r, "not-a-cursor", 10)
    assert not r.connection_pool._in_use_connections
    end, keys = scan_call(r, 0, 1000)
    assert end == 0 and len(keys) == 50
    assert r.ping()
