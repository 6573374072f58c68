"""SCAN steps sized by time: the COUNT grows while steps are quick, shrinks when one is slow, and
travels with the scan between requests. Checked on the COUNT values Redis itself receives (its
SLOWLOG, with a threshold of 0, logs every command with its arguments), over keys whose names
are so long that a step of a few of them really takes milliseconds. No assertion is about time.
"""

from __future__ import annotations

import re

import pytest

from keyspace.redis import key_counts
from keyspace.redis.keynames import encode_key
from keyspace.redis.pacing import MAX_COUNT, Pacer, count_for_names, next_count
from keyspace.redis.scanning import FILTERED_FIRST_COUNT, scan_keys
from keyspace.services.namespaces import count_step, load_count
from tests.redis.test_scanning import finish_rehash, unplaced
from tests.seeding import fill_strings, numbered
from tests.support.server_config import config_restored

BIG_NAME = 512 * 1024  # a step of 16 such names moves 8 MB: far over 2 ms on any machine


@pytest.fixture
def scan_counts(r):
    """A function returning the COUNT of every SCAN Redis ran since the last call, in order
    (a probe without MATCH included)."""
    def counts() -> list[int]:
        entries = r.slowlog_get(100_000)
        r.slowlog_reset()
        return [int(re.search(rb" COUNT (\d+)", entry["command"]).group(1))
                for entry in reversed(entries) if entry["command"].startswith(b"SCAN ")]

    with config_restored(r, "slowlog-log-slower-than", "slowlog-max-len"):
        r.config_set("slowlog-log-slower-than", 0)
        r.config_set("slowlog-max-len", 100_000)
        r.slowlog_reset()
        yield counts


def big_names(r, count: int) -> list[bytes]:
    names = [f"{n:04d}:".encode() + b"n" * BIG_NAME for n in range(count)]
    fill_strings(r, names)
    return names


def test_the_rule_doubles_quick_steps_and_cuts_slow_ones(settings):
    settings.DASHBOARD_SCAN_STEP_MS = 2
    assert next_count(100, 100, 0.5) == 200  # quick: double, at most
    assert next_count(100, 100, 1.0) == 160  # toward a step of 80% of the target (1.6 ms)
    assert next_count(100, 100, 1.5) == 106  # ...
    assert next_count(100, 100, 1.7) == 100  # near the target: keep
    assert next_count(100, 40, 0.5) == 100  # asked for less than allowed: nothing learned
    assert next_count(100, 100, 4.0) == 25  # over: aim at half the target
    assert next_count(100, 100, 2.5) == 40 and next_count(100, 100, 2.1) == 47
    assert next_count(100, 100, 2.01) == 49  # just over: still at least halved
    assert next_count(100, 100, 60.0) == 12  # a single slow step cuts by 8 at most
    assert next_count(1, 1, 50.0) == 1
    assert next_count(MAX_COUNT, MAX_COUNT, 0.1) == MAX_COUNT
    assert next_count(50, 50, 0.1, ceiling=60) == 60


def test_a_first_count_follows_the_length_of_the_names():
    assert count_for_names([b"user:1", b"session:abc"], 1000) == 1000
    assert count_for_names([b"x" * 4096] * 3, 1000) == 63
    assert count_for_names([b"x" * 1_000_000], 1000) == 1
    assert count_for_names([], 1000) == 1000


def test_steps_over_long_names_shrink_and_steps_over_short_names_grow(r, settings):
    settings.DASHBOARD_SCAN_STEP_MS = 2
    big_names(r, 48)
    pacer, asked, cursor = Pacer(32), [], 0
    while True:
        cursor, _ = pacer.call(lambda count, at=cursor: r.scan(at, count=count))
        asked.append(pacer.last_asked)
        if not cursor:
            break
    assert asked[0] == 32 and asked[1] <= 16, asked  # 16 MB at once: cut at least in half
    assert max(asked[1:]) <= 16, asked

    r.flushdb()
    fill_strings(r, numbered("k:", 20_000))
    pacer, asked = Pacer(4), []
    for _ in range(60):
        pacer.call(lambda count: r.scan(0, count=count))
        asked.append(pacer.last_asked)
    # Short names take microseconds: doubled step after step (a hiccup of the machine may cut
    # one; the doubling goes on after it).
    assert max(asked) >= 512, asked


def test_a_filtered_scan_over_long_names_asks_for_few_keys_per_step(r, scan_counts):
    big_names(r, 160)
    fill_strings(r, [b"needle"])
    found, cursor, requests = [], "0", 0
    while True:
        page = scan_keys(r, cursor=cursor, page_size=100, match=b"needle", budget_ms=1000)
        found += page.keys
        requests += 1
        if page.complete:
            break
        cursor = page.next_cursor
    counts = scan_counts()
    assert found == [b"needle"]
    # The probe (8 names), then steps judged from 512 KB names: one at first, never many
    # (nothing matches, so only copying the names costs: 32 of them, 16 MB, take over 2 ms).
    assert counts[0] == 8 and counts[1] == 1, counts
    assert max(counts[1:]) <= 64, counts

    r.flushdb()
    fill_strings(r, numbered("short:", 20_000))
    scan_keys(r, cursor="0", page_size=100, match=b"needle", budget_ms=1000)
    counts = scan_counts()
    assert counts[:2] == [8, FILTERED_FIRST_COUNT] and max(counts) > 16, counts


def test_the_pace_travels_in_the_token_to_the_next_request(r, scan_counts):
    fill_strings(r, numbered("k:", 50_000))
    first = scan_keys(r, cursor="0", page_size=100, match=b"needle", budget_ms=0)
    cursor, pace = unplaced(first.next_cursor).split(".")
    assert scan_counts() == [8, FILTERED_FIRST_COUNT]
    scan_keys(r, cursor=first.next_cursor, page_size=100, match=b"needle", budget_ms=0)
    assert scan_counts() == [int(pace)]  # no probe: the token said how much to ask for
    scan_keys(r, cursor=f"{cursor}.37", page_size=100, match=b"needle", budget_ms=0)
    assert scan_counts() == [37]


def test_an_unfiltered_page_asks_no_more_than_the_pace_allows(r, scan_counts):
    fill_strings(r, numbered("k:", 5000))
    page = scan_keys(r, cursor="0", page_size=100)
    assert scan_counts() == [100] and len(page.keys) == 100
    cursor = unplaced(page.next_cursor).split(".")[0].split("~")[0]
    page = scan_keys(r, cursor=f"{cursor}.30", page_size=100, budget_ms=1000)
    counts = scan_counts()
    # A page of 100 in steps from 30 (the last may stretch to a quarter over the pace).
    assert counts[0] == 30 and len(counts) >= 2, counts


def calls(r, command: str) -> int:
    return r.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0)


def test_a_page_going_on_with_a_scan_is_one_scan_call_with_the_key_count_of_moments_ago(
        r, monkeypatch, settings):
    settings.DASHBOARD_SCAN_STEP_MS = 60_000  # a busy machine's slow step cuts no pace here
    fill_strings(r, numbered("k:", 500))
    first = scan_keys(r, cursor="0", page_size=100)
    dbsize, scans = calls(r, "dbsize"), calls(r, "scan")
    page = scan_keys(r, cursor=first.next_cursor, page_size=100)
    assert (calls(r, "dbsize"), calls(r, "scan")) == (dbsize, scans + 1)
    assert page.total_keys == 500 and len(page.keys) == 100
    # A count older than the window is asked again, in the step's round trip.
    monkeypatch.setattr(key_counts, "REUSE_SECONDS", 0.0)
    scan_keys(r, cursor=page.next_cursor, page_size=100)
    assert calls(r, "dbsize") == dbsize + 1
    monkeypatch.undo()
    # A first page always asks: keys written since show in its count at once.
    fill_strings(r, numbered("new:", 5))
    assert scan_keys(r, cursor="0", page_size=100).total_keys == 505
    assert calls(r, "dbsize") == dbsize + 2


def test_the_page_that_ends_a_scan_asks_the_key_count_again(r):
    # "All N keys scanned" is never said with an N from before: 10 keys written since the
    # first page show in the last page's count, within the reuse window.
    fill_strings(r, numbered("k:", 150))
    first = scan_keys(r, cursor="0", page_size=100)
    fill_strings(r, numbered("new:", 10))
    cursor, pages = first.next_cursor, []
    while True:
        page = scan_keys(r, cursor=cursor, page_size=100, budget_ms=1000)
        pages.append(page)
        if page.complete:
            break
        cursor = page.next_cursor
    assert pages[-1].total_keys == 160


def test_a_page_a_quarter_over_the_pace_is_one_step_not_a_second_one_for_a_few_keys(
        r, scan_counts):
    # The pace aims at 80% of the target: a step a quarter longer still takes about the target.
    fill_strings(r, numbered("k:", 5000))
    page = scan_keys(r, cursor="0", page_size=100)
    cursor = unplaced(page.next_cursor).split(".")[0].split("~")[0]
    scan_counts()
    page = scan_keys(r, cursor=f"{cursor}.80", page_size=100, budget_ms=1000)
    assert scan_counts() == [100] and len(page.keys) == 100
    page = scan_keys(r, cursor=f"{cursor}.79", page_size=100, budget_ms=1000)
    assert scan_counts()[0] == 79 and len(page.keys) == 100


def test_the_allowance_stretches_to_a_quarter_over_the_pace_within_the_ceiling():
    pacer = Pacer(800)
    assert pacer.allowance() == 800
    assert pacer.allowance(10) == 10
    assert pacer.allowance(1000) == 1000
    assert pacer.allowance(1001) == 800
    assert Pacer(1900).allowance(2100) == 1900  # never over the ceiling (MAX_COUNT)
    assert Pacer(1900).allowance(MAX_COUNT) == MAX_COUNT


def test_keys_carried_to_the_next_page_keep_the_pace(r, scan_counts):
    fill_strings(r, numbered("k:", 5000))
    token = unplaced(scan_keys(r, cursor="0", page_size=100).next_cursor)
    cursor = token.split(".")[0].split("~")[0]
    scan_counts()
    carried = numbered("k:", 3)
    page = scan_keys(r, cursor=f"{cursor}.37~" + "~".join(map(encode_key, carried)),
                     page_size=100, budget_ms=1000)
    assert page.keys[:3] == carried and scan_counts()[0] == 37
    # A page of room for fewer than the pace asks for the room alone.
    page = scan_keys(r, cursor=f"{cursor}.1000~" + "~".join(map(encode_key, carried)),
                     page_size=100, budget_ms=1000)
    assert scan_counts()[0] == 97


def test_a_followed_unfiltered_scan_takes_one_scan_call_a_page(r, scan_counts, settings):
    # Steps never too slow (a busy machine would cut the pace, and a page would take more
    # steps, as it should): once the pace allows a page, every page is one SCAN call, also
    # the pages after one that carried a step's keys over.
    settings.DASHBOARD_SCAN_STEP_MS = 60_000
    fill_strings(r, numbered("k:", 30_000))
    finish_rehash(r, 30_000)
    cursor, per_page, carrying = "0", [], 0
    while True:
        page = scan_keys(r, cursor=cursor, page_size=1000, budget_ms=1000)
        per_page.append(scan_counts())
        carrying += "~" in page.next_cursor
        if page.complete:
            break
        assert len(page.keys) == 1000
        cursor = page.next_cursor
    assert per_page[0][:3] == [100, 200, 400] and len(per_page[0]) == 4, per_page[0]  # growing
    # The second page starts at 800 (the 400 step doubled it; the last, asking for less than
    # allowed, says nothing): its room of 1,000 is a quarter over that, one step. From there
    # on the pace is 1,600.
    assert all(len(counts) == 1 for counts in per_page[1:]), per_page
    assert carrying >= 3, "too few pages carried keys over to test the pace they carry"


@pytest.mark.parametrize(("target_ms", "next_step"), [(0, 125), (60_000, 2000)])
def test_a_namespace_count_keeps_its_pace_between_steps(r, db, scan_counts, settings, target_ms,
                                                        next_step):
    # A target of 0 makes every step too slow (cut by 8), one of a minute every step quick.
    settings.DASHBOARD_SCAN_STEP_MS = target_ms
    fill_strings(r, numbered("a:", 30_000))
    state = count_step(r, load_count("", b"", b":", owner="pace"), budget_ms=0)
    assert scan_counts() == [8, 1000]  # a few names, then a first step judged from them
    state = count_step(r, load_count(state.token, b"", b":", owner="pace"), budget_ms=0)
    assert scan_counts() == [next_step]


def test_a_namespace_count_over_long_names_asks_for_few_keys_per_step(r, db, scan_counts):
    big_names(r, 80)
    state = load_count("", b"", b":", owner="pace")
    while not state.complete:
        state = count_step(r, state, budget_ms=1000)
    assert sum(state.folders.values()) == 80
    counts = scan_counts()
    assert counts[:2] == [8, 1] and max(counts[1:]) <= 32, counts
