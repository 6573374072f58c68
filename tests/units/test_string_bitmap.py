"""Bitmaps, a view of a string: chosen as "View as: Bits", drawn as a grid of one page of bits,
with BITCOUNT and BITPOS over a bounded start of the value and a tool that reads one bit
(GETBIT) or counts a byte range."""

from __future__ import annotations

import html
import re

import pytest

from keyspace.redis.keynames import encode_key
from keyspace.units.string.views.bitmap import GRID_BYTES, SCAN_BYTES
from tests.units.helpers import RedisWork, fetch

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py

GRID = re.compile(r'<pre class="bit-grid">(.*?)</pre>', re.S)
SET_BITS = [0, 7, 100, 2047, 2048, 5000]


def grid_bits(body: str) -> dict[int, str]:
    """Bit number -> "0"/"1" for every bit in the page's grid, read back from its lines."""
    match = GRID.search(body)
    assert match, body[-2000:]
    bits = {}
    for line in html.unescape(match.group(1)).splitlines():
        start, _, digits = line.strip().partition("  ")
        for index, digit in enumerate(digits.replace(" ", "")):
            bits[int(start) + index] = digit
    return bits


def summary(body: str) -> str:
    match = re.search(r'<div class="bitmap">\s*<p class="summary">(.*?)</p>', body, re.S)
    assert match, body[-2000:]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).split())


@pytest.fixture
def online(r):
    """A real bitmap written with SETBIT: 5,001 bits, 6 of them set."""
    for bit in SET_BITS:
        r.setbit("online", bit, 1)
    return b"online"


def test_the_grid_shows_each_bit_as_setbit_numbers_them(client, r, online):
    body = fetch(client, online, order="bitmap")
    bits = grid_bits(body)
    assert len(bits) == GRID_BYTES * 8
    assert [n for n, digit in bits.items() if digit == "1"] == [0, 7, 100, 2047]
    assert all(r.getbit(online, n) == int(digit) for n, digit in list(bits.items())[::37])
    assert "Bits 0–2,047: 4 set." in body


def test_counts_cover_the_value_not_just_the_page(client, r, online):
    text = summary(fetch(client, online, order="bitmap"))
    assert text == "6 bits set (BITCOUNT); first set bit 0, first clear bit 1."


def next_part(body: str) -> dict[str, str] | None:
    link = re.search(r'<a href="([^"]*)"[^>]*>Next part</a>', body)
    if link is None:
        return None
    return dict(part.split("=") for part in html.unescape(link.group(1)).split("?")[1].split("&"))


def test_next_part_continues_the_grid_to_the_end(client, r, online):
    body = fetch(client, online, order="bitmap")
    assert "the view shows 256 bytes a page" in body
    pages, query = [], next_part(body)
    assert query == {"order": "bitmap", "cursor": str(GRID_BYTES)}
    while query is not None:
        body = fetch(client, online, **query)
        pages.append(grid_bits(body))
        query = next_part(body)
    assert [(min(bits), max(bits)) for bits in pages] == [(2048, 4095), (4096, 5007)]
    assert [[n for n, d in bits.items() if d == "1"] for bits in pages] == [[2048], [5000]]


def test_auto_does_not_take_binary_for_a_bitmap(client, r, online):
    body = fetch(client, online)
    assert "bit-grid" not in body and '<pre class="value-body view-hex"' in body


def test_an_empty_value(client, r):
    r.set("empty", b"")
    body = fetch(client, "empty", order="bitmap")
    assert "The value is empty: no bits." in body
    assert summary(body).startswith("0 bits set")


def test_a_large_bitmap_is_read_in_bounded_parts(client, r):
    """A 4 MB bitmap: the grid reads 256 bytes, and BITCOUNT/BITPOS scan only the first
    SCAN_BYTES (so a bit set beyond that is not counted, and the page says so)."""
    r.setbit("big", 8 * 4 * 1024 * 1024 - 1, 1)  # the last bit of 4 MiB
    r.setbit("big", 12, 1)
    with RedisWork(r) as work:
        body = fetch(client, "big", order="bitmap")
    assert work.count("getrange") == 1 and work.count("get") == 0
    assert work.count("bitcount") == 1 and work.count("bitpos") == 2
    assert work.output_bytes < 64 * 1024
    text = summary(body)
    assert text.startswith(f"1 bit set in the first {SCAN_BYTES // 1024 // 1024}.0 MiB")
    assert "first set bit 12" in text and "(in that part)" in text


def test_look_up_a_bit_and_count_a_range(client, r, online):
    url = f"/c/default/db/0/key/{encode_key(online)}/tool/string-bits/"
    one = client.get(url, {"run": "1", "bit": "100"}).content.decode()
    assert re.search(r'<dd class="bit-value">1</dd>', one)
    zero = client.get(url, {"run": "1", "bit": "101", "start": "0", "end": "255"})
    body = zero.content.decode()
    assert re.search(r'<dd class="bit-value">0</dd>', body)
    assert re.search(r'<dd class="bit-count">4</dd>', body)  # bits 0, 7, 100, 2047
    assert re.search(r'<dd class="bit-first">0</dd>', body)


@pytest.mark.parametrize("query, message", [
    ({"bit": "-1"}, "greater than or equal to 0"),
    ({"bit": str(2**32)}, "less than or equal to"),
    ({"bit": "1", "start": "5"}, "give both ends"),
    ({"bit": "1", "start": "9", "end": "2"}, "ends before it starts"),
    ({"bit": "1", "start": "0", "end": str(SCAN_BYTES)}, "at most"),
])
def test_the_tool_refuses_unbounded_or_bad_input(client, r, online, query, message):
    with RedisWork(r) as work:
        body = client.get(f"/c/default/db/0/key/{encode_key(online)}/tool/string-bits/",
                          {"run": "1", **query}).content.decode()
    assert message in html.unescape(body)
    assert work.count("getbit") == 0 and work.count("bitcount") == 0


def test_the_toolbar_offers_the_tool_while_reading_bits(client, r, online):
    actions = re.compile(r'id="key-actions".*?</div>', re.S)
    assert "Look up bits" in actions.search(fetch(client, online, order="bitmap")).group(0)
    assert "Look up bits" not in actions.search(fetch(client, online)).group(0)
