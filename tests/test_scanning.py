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
