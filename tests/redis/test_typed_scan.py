"""The type filter on a server whose SCAN has no TYPE option (Redis before 6.0, proxies that
refuse it): the probe finds out, and the key list filters each step's keys by TYPE itself,
with the same pages, tokens and budget as SCAN TYPE.

Such a server is played by tests/support/scan_type_relay.py: a relay in front of the real
server of the matrix that answers SCAN ... TYPE with Redis 5's own error and passes everything
else on. Every key, TYPE and SCAN step is the real server's."""

from __future__ import annotations

import pytest
import redis
from django.urls import reverse

from keyspace.redis.capabilities import capabilities, forget
from keyspace.redis.connection import get_client, reset_pools
from keyspace.redis.scanning import scan_keys
from keyspace.redis.typed_scan import (
    NOT_SUPPORTED,
    SCAN_TYPE,
    filters_here,
    keys_of_type,
    scan_type_refusal,
)
from tests.redis.test_scanning import all_pages, assert_exact_pages, finish_rehash
from tests.seeding import HOSTILE_NAMES, fill_strings, numbered
from tests.support.locked import locked_url
from tests.support.scan_type_relay import ScanTypeRefusingRelay, asks_scan_type

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py

TYPES = ("string", "hash", "list", "set", "zset", "stream")
# Names that must come back byte for byte: the seeding's hostile ones, and more that a glob,
# a token or a relay could get wrong.
ODD_NAMES = [*HOSTILE_NAMES, b"", b"\x00", b"\xff\xfe", b"*?[a-z]\\", b"~", b"a~b", b" ",
             "ключ:日本".encode(), b"TYPE", b"hash", b"x" * 400, b"\r\n$3\r\nSET\r\n"]


@pytest.fixture
def relay(redis_server):
    relay = ScanTypeRefusingRelay(redis_server.port).start()
    yield relay
    relay.stop()


def use_relay(settings, relay) -> redis.Redis:
    """Point the dashboard at the old-server stand-in; its client."""
    settings.REDIS_URL = relay.url
    reset_pools()
    forget()
    return get_client()


def add(pipe, kind: str, name: bytes) -> None:
    {"string": lambda: pipe.set(name, b"v"), "hash": lambda: pipe.hset(name, b"f", b"v"),
     "list": lambda: pipe.rpush(name, b"x"), "set": lambda: pipe.sadd(name, b"m"),
     "zset": lambda: pipe.zadd(name, {b"m": 1}),
     "stream": lambda: pipe.xadd(name, {b"f": b"v"})}[kind]()


def typed_keyspace(r) -> dict[str, set[bytes]]:
    """About 2,400 keys of every core type, the odd names spread over them, so a filtered
    step matches more than a page and pages end inside steps."""
    counts = {"string": 1200, "hash": 600, "list": 300, "set": 150, "zset": 100, "stream": 40}
    kinds = {kind: numbered(f"{kind}:", count) for kind, count in counts.items()}
    for index, name in enumerate(ODD_NAMES):
        kinds[TYPES[index % len(TYPES)]].append(name)
    with r.pipeline(transaction=False) as pipe:
        for kind, names in kinds.items():
            for name in names:
                add(pipe, kind, name)
        pipe.execute()
    finish_rehash(r, r.dbsize())  # a table standing still: see test_scanning.settle
    return {kind: set(names) for kind, names in kinds.items()}


# --- the probe ----------------------------------------------------------------------------------


def test_the_probe_finds_a_scan_without_type(settings, relay):
    assert not filters_here()  # the matrix's servers all have it
    use_relay(settings, relay)
    assert capabilities().lacks(SCAN_TYPE) is None and relay.refused == 0  # not asked yet
    assert filters_here()  # a type filter asks, once
    assert capabilities().lacks(SCAN_TYPE) == NOT_SUPPORTED
    assert capabilities().reason(SCAN_TYPE).startswith("SCAN TYPE is not supported")
    assert relay.refused == 1
    filters_here()
    assert relay.refused == 1  # asked once, then kept


def test_what_a_refused_scan_type_means():
    assert scan_type_refusal(redis.ResponseError("syntax error")) == NOT_SUPPORTED
    assert "unsupported option" in scan_type_refusal(
        redis.ResponseError("unsupported option TYPE"))
    # SCAN itself refused, or a server that could not answer just now: not the option.
    assert scan_type_refusal(redis.exceptions.NoPermissionError(
        "this user has no permissions to run the 'scan' command")) is None
    assert scan_type_refusal(redis.ResponseError("unknown command 'SCAN'")) is None
    assert scan_type_refusal(redis.ResponseError("BUSY Redis is busy running a script")) is None
    assert scan_type_refusal(redis.ConnectionError("gone")) is None


def test_the_stand_in_reads_options_as_redis_does():
    assert asks_scan_type([b"SCAN", b"0", b"TYPE", b"hash"])
    assert asks_scan_type([b"scan", b"0", b"MATCH", b"*", b"COUNT", b"5", b"type", b"set"])
    assert not asks_scan_type([b"SCAN", b"0", b"MATCH", b"TYPE"])
    assert not asks_scan_type([b"TYPE", b"k"])
    assert not asks_scan_type([b"HSCAN", b"h", b"0", b"TYPE", b"x"])


# --- the same pages -----------------------------------------------------------------------------


@pytest.mark.parametrize("page_size", [20, 100])
def test_the_filter_applied_here_finds_exactly_what_scan_type_finds(settings, r, relay,
                                                                    page_size):
    # Steps never shrunk, nor pages cut short, by a busy machine's slow replies: pages end
    # inside steps, both ways, and every page but the last is full.
    settings.DASHBOARD_SCAN_STEP_MS = 10_000
    kinds = typed_keyspace(r)
    with_option = {kind: all_pages(r, page_size=page_size, type_name=kind, budget_ms=10_000)
                   for kind in TYPES}
    client = use_relay(settings, relay)
    type_calls = r.info("commandstats").get("cmdstat_type", {}).get("calls", 0)
    tokens = []
    for kind in TYPES:
        truth = set(r.scan_iter(count=1000, _type=kind))  # SCAN TYPE on the real server
        assert truth == kinds[kind]
        assert_exact_pages(with_option[kind], page_size, truth)
        pages = all_pages(client, page_size=page_size, type_name=kind, budget_ms=10_000)
        assert_exact_pages(pages, page_size, truth)
        tokens += [page.next_cursor for page in pages]
    assert relay.refused == 1  # the probe's: no page sent SCAN ... TYPE
    assert r.info("commandstats")["cmdstat_type"]["calls"] > type_calls + r.dbsize() / 2
    # Both ways a page may end inside a step were met: keys carried, and a step named again.
    assert any("~" in token for token in tokens)
    assert any(token.count(".") == 3 for token in tokens)


def test_a_pattern_and_a_type_together(settings, r, relay):
    kinds = typed_keyspace(r)
    client = use_relay(settings, relay)
    pages = all_pages(client, page_size=50, match=b"*1*", type_name="hash", budget_ms=10_000)
    assert_exact_pages(pages, 50, {key for key in kinds["hash"] if b"1" in key})


def test_a_module_type_name_the_server_never_answers_finds_nothing(settings, r, relay):
    typed_keyspace(r)
    client = use_relay(settings, relay)
    pages = all_pages(client, page_size=100, type_name="ReJSON-RL")
    assert [key for page in pages for key in page.keys] == []


# --- the budget and the pace --------------------------------------------------------------------


def test_a_sparse_type_stops_at_the_budget_and_following_it_finds_every_match(settings, r,
                                                                             relay):
    fill_strings(r, numbered("noise:", 30_000))
    r.hset(b"the-hash", b"f", b"v")
    client = use_relay(settings, relay)
    first = scan_keys(client, cursor="0", page_size=100, type_name="hash", budget_ms=1)
    assert first.budget_exhausted and not first.complete
    assert 0 < first.scanned_keys < 30_000
    pages = all_pages(client, page_size=100, type_name="hash", budget_ms=5)
    assert [key for page in pages for key in page.keys] == [b"the-hash"]
    assert len(pages) > 1


def test_a_tight_budget_may_shorten_pages_but_never_loses_or_repeats_a_key(settings, r, relay):
    kinds = typed_keyspace(r)
    client = use_relay(settings, relay)
    pages = all_pages(client, page_size=50, budget_ms=0, type_name="list")
    assert_exact_pages(pages, 50, kinds["list"], full=False)


# --- keys that change, and a scan that finds out late -------------------------------------------


def test_keys_gone_or_of_another_type_are_left_out(r):
    r.hset(b"h", b"f", b"v")
    r.set(b"s", b"v")
    assert keys_of_type(r, [b"h", b"s", b"gone", b"\x00h"], "hash") == [b"h"]
    assert keys_of_type(r, [], "hash") == []


def test_carried_keys_keep_their_type_check(settings, r, relay):
    from tests.redis.test_scanning import carried_token

    r.set(b"now-a-string", b"v")
    r.hset(b"still-a-hash", b"f", b"v")
    client = use_relay(settings, relay)
    token = carried_token(0, [b"now-a-string", b"still-a-hash", b"never"])
    page = scan_keys(client, cursor=token, page_size=10, type_name="hash")
    assert page.keys == [b"still-a-hash"] and page.complete


def test_a_refusal_met_by_a_page_is_kept_and_the_page_still_answers(settings, r, relay):
    """Facts that still say SCAN takes TYPE (learned before a fail-over to an older server,
    say): the page meets the refusal, keeps it, and scans again with the filter here."""
    kinds = typed_keyspace(r)
    client = use_relay(settings, relay)
    capabilities().scan_type_checked = True  # checked, and TYPE taken: so the facts say
    pages = all_pages(client, page_size=100, type_name="set", budget_ms=10_000)
    assert_exact_pages(pages, 100, kinds["set"])
    assert capabilities().lacks(SCAN_TYPE) == NOT_SUPPORTED
    assert relay.refused == 1  # the first page's


# --- locked-down users behind an old server -----------------------------------------------------


@pytest.fixture
def locked_relay(locked):
    admin = redis.Redis(port=locked.port)
    admin.flushall()
    admin.mset({b"app:s": b"v", b"other:s": b"v"})
    admin.hset(b"app:h", b"f", b"v")
    admin.hset(b"other:h", b"f", b"v")
    admin.close()
    relay = ScanTypeRefusingRelay(locked.port).start()
    yield relay
    relay.stop()


def use_locked_relay(settings, relay, user: str) -> redis.Redis:
    settings.REDIS_URL = locked_url(relay, user)
    reset_pools()
    forget()
    return get_client()


@pytest.mark.one_server
def test_a_user_limited_to_some_keys_sees_only_those(settings, locked_relay):
    client = use_locked_relay(settings, locked_relay, "app")
    page = scan_keys(client, cursor="", page_size=100, type_name="hash", budget_ms=1000)
    assert page.keys == [b"app:h"]
    assert capabilities().lacks(SCAN_TYPE) == NOT_SUPPORTED


@pytest.mark.one_server
def test_a_user_without_type_filters_by_the_length_commands(settings, locked_relay):
    client = use_locked_relay(settings, locked_relay, "notype")
    page = scan_keys(client, cursor="", page_size=100, type_name="hash", budget_ms=1000)
    assert sorted(page.keys) == [b"app:h", b"other:h"]
    assert capabilities().lacks("TYPE") and capabilities().lacks(SCAN_TYPE)


@pytest.mark.one_server
@pytest.mark.parametrize("old_server", [False, True], ids=["scan-type", "no-scan-type"])
def test_a_user_without_type_pages_through_carried_keys(settings, locked, locked_relay,
                                                        old_server):
    """Pages of one: the keys a step found past the first travel in the token, and the next
    page checks their type again, by the length commands since TYPE is refused."""
    hashes = {f"h:{i}".encode() for i in range(5)}
    admin = redis.Redis(port=locked.port)
    for name in hashes:
        admin.hset(name, b"f", b"v")
    admin.close()
    if old_server:
        client = use_locked_relay(settings, locked_relay, "notype")
    else:
        settings.REDIS_URL = locked_url(locked, "notype")
        reset_pools()
        forget()
        client = get_client()
    pages = all_pages(client, page_size=1, type_name="hash")
    assert any("~" in page.next_cursor for page in pages)
    assert_exact_pages(pages, 1, hashes | {b"app:h", b"other:h"})
    assert capabilities().lacks("TYPE")
    assert bool(capabilities().lacks(SCAN_TYPE)) == old_server


# --- the page says so ---------------------------------------------------------------------------


@pytest.mark.one_server
@pytest.mark.django_db
def test_the_key_list_says_the_filter_is_applied_by_the_dashboard(settings, client, r, relay):
    r.hset(b"h:1", b"f", b"v")
    r.set(b"s:1", b"v")
    use_relay(settings, relay)
    url = reverse("keyspace:keyspace-browse", kwargs={"db": 0})
    filtered = client.get(url, {"type": "hash"}).content.decode()
    assert "h:1" in filtered and "s:1" not in filtered
    assert "SCAN TYPE is not supported by this server" in filtered
    assert "the type filter is applied by the dashboard" in filtered
    assert "SCAN TYPE" not in client.get(url).content.decode()  # no type filter: nothing to say
