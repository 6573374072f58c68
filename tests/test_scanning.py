import time

import pytest

from keyspace.errors import BadRequest
from keyspace.scanning import parse_cursor, scan_keys, scanned_fraction
from tests.seeding import fill_strings, numbered


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


@pytest.mark.parametrize("raw", ["abc", "-1", "1" * 30, "1.5", " 1"])
def test_garbage_cursors_are_refused(raw):
    with pytest.raises(BadRequest):
        parse_cursor(raw)


def test_cursor_fraction_reads_the_reversed_bits():
    assert scanned_fraction(0) == 0.0
    assert scanned_fraction(1) == 0.5  # lowest bit set: half way through any table
    assert scanned_fraction(3) == 0.75


# --- pages keep their size ----------------------------------------------------------------------


def settle() -> None:
    """Let Redis finish growing its hash table (serverCron rehashes every 100 ms) before paging:
    a step run again after the rehash may end elsewhere, and then keys may repeat (see the
    scanning module); these tests are about a keyspace that stands still."""
    time.sleep(0.3)


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
    settle()
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
    settle()
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
])
def test_garbage_continuation_tokens_are_refused(r, raw):
    with pytest.raises(BadRequest):
        scan_keys(r, cursor=raw, page_size=10)


def test_a_page_ending_inside_a_step_reports_the_step_scanned(r):
    kinds = mixed_keyspace(r)
    page = scan_keys(r, cursor="0", page_size=10, type_name="hash", budget_ms=1000)
    assert len(page.keys) == 10 and page.next_cursor.count(".") == 3  # inside the first step
    assert 0 < page.scanned_keys < page.total_keys
    rest = scan_keys(r, cursor=page.next_cursor, page_size=10, type_name="hash", budget_ms=1000)
    assert rest.scanned_keys >= page.scanned_keys
    assert not set(page.keys) & set(rest.keys) and set(rest.keys) <= kinds["hash"]
