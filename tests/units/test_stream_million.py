"""A 1,000,000-entry stream opens like a 10-entry one: the same commands, each with the same
COUNT, whatever the length. Checked by what Redis itself logged (SLOWLOG with a threshold of
0 records every command with its arguments), and by the pages being full and their links
working at both ends and in the middle. Never by timing.

The stream is built once for the module, by a Lua script in chunks, on a Redis of the
module's own: the session's server is emptied before every test."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import redis

from dashboard.local_redis import LocalRedis
from keyspace.redis.capabilities import capabilities
from keyspace.redis.connection import reset_pools
from tests.support.urls import key_url
from tests.units.helpers import HX_MORE, fetch, more_params, rows

ENTRIES = 1_000_000
CHUNK = 100_000
ADD = "for i = 1, tonumber(ARGV[1]) do redis.call('XADD', KEYS[1], '*', 'n', i) end"
CLIENT_NAME = "redis-dashboard"


@pytest.fixture(scope="module")
def big_redis(tmp_path_factory):
    with LocalRedis(tmp_path_factory.mktemp("million")) as server:
        client = redis.Redis(port=server.port)
        for _ in range(ENTRIES // CHUNK):
            client.eval(ADD, 1, "big", CHUNK)
        for i in range(10):
            client.xadd("small", {"n": i})
        assert client.xlen("big") == ENTRIES
        client.close()
        yield server


@pytest.fixture(autouse=True)
def dashboard_redis(big_redis, settings):
    """Replaces the session's: this module's Redis, kept between tests."""
    settings.REDIS_URL = big_redis.url
    reset_pools()
    # The first use of a connection asks once what its user may run (a minute's worth, per
    # process): like a connection introducing itself, not a page's cost.
    capabilities()
    yield big_redis
    reset_pools()


@pytest.fixture
def r(big_redis):
    client = redis.Redis(port=big_redis.port)
    yield client
    client.close()


class CommandLog:
    """Every command the dashboard's connections send, as Redis logged it."""

    def __init__(self, client: redis.Redis):
        self.client = client
        client.config_set("slowlog-max-len", 10_000)
        client.config_set("slowlog-log-slower-than", 0)
        client.slowlog_reset()

    def commands(self) -> list[list[str]]:
        logged = self.client.slowlog_get(10_000)
        self.client.slowlog_reset()
        return [entry["command"].decode().split(" ") for entry in reversed(logged)
                if entry.get("client_name") == CLIENT_NAME.encode()]


@pytest.fixture
def log(r):
    yield CommandLog(r)
    r.config_set("slowlog-log-slower-than", 10_000)


def shape(commands: list[list[str]]) -> list[str]:
    """Each command with its arguments, key names and IDs left out: what it costs."""
    shaped = []
    for words in commands:
        name = words[0].upper()
        if name in ("CLIENT", "HELLO", "SELECT"):
            continue  # a new connection introducing itself
        if name in ("XRANGE", "XREVRANGE"):
            assert "COUNT" in words, words  # never a range without a bound
            shaped.append(f"{name} COUNT {words[words.index('COUNT') + 1]}")
        elif name == "XINFO":
            assert "FULL" not in (w.upper() for w in words), words
            shaped.append(f"XINFO {words[1].upper()}")
        elif name == "MEMORY":
            assert "SAMPLES" not in (w.upper() for w in words), words
            shaped.append("MEMORY USAGE")
        else:
            shaped.append(name)
    return shaped


def test_the_key_page_costs_the_same_as_for_ten_entries(client, log):
    body = fetch(client, "big")
    assert len(rows(body)) == 100 and "1,000,000 entries" in body
    big = shape(log.commands())
    fetch(client, "small")
    assert shape(log.commands()) == big
    assert "XREVRANGE COUNT 100" in big and "XLEN" in big and "XINFO STREAM" in big
    more = fetch(client, "big", headers=HX_MORE, **more_params(body))
    assert len(rows(more)) == 100
    assert shape(log.commands()) == [
        "TYPE", "TYPE", "PTTL", "OBJECT", "MEMORY USAGE", "XLEN", "XREVRANGE COUNT 100"]


def entries(client, **params) -> str:
    response = client.get(key_url("big") + "stream/entries/?" + urlencode(params))
    assert response.status_code == 200
    return response.content.decode()


def link(body: str, rel: str) -> dict:
    found = re.search(rf'rel="{rel}" href="([^"]*)"', body)
    assert found, f"no {rel} link"
    query = parse_qs(urlsplit(html.unescape(found.group(1))).query)
    return {name: values[-1] for name, values in query.items()}


def ids(body: str) -> list[str]:
    return [row.cells[0] for row in rows(body)]


def test_entries_at_both_ends_and_in_the_middle(client, r, log):
    [(first_id, _)] = r.xrange("big", count=1)
    [(last_id, _)] = r.xrevrange("big", count=1)
    [(middle_id, _)] = r.xrange("big", min=_middle(first_id, last_id), count=1)

    newest = entries(client, count=50)
    assert len(ids(newest)) == 50 and ids(newest)[0] == last_id.decode()
    older = entries(client, **link(newest, "next"))
    assert len(ids(older)) == 50 and ids(older)[0] < ids(newest)[-1]
    assert ids(entries(client, **link(older, "prev"))) == ids(newest)

    oldest = entries(client, count=50, order="oldest")
    assert ids(oldest)[0] == first_id.decode() and len(ids(oldest)) == 50
    assert ids(entries(client, **link(oldest, "next")))[0] > ids(oldest)[-1]

    middle = entries(client, count=50, order="oldest", at=middle_id.decode())
    assert ids(middle)[0] == middle_id.decode() and len(ids(middle)) == 50
    before = entries(client, **link(middle, "prev"))
    assert len(ids(before)) == 50 and ids(before)[-1] < middle_id.decode()
    after = entries(client, **link(middle, "next"))
    assert len(ids(after)) == 50 and ids(after)[0] > ids(middle)[-1]

    shapes = set(shape(log.commands()))
    assert shapes <= {"TYPE", "XLEN", "XRANGE COUNT 51", "XREVRANGE COUNT 51",
                      "XRANGE COUNT 1", "XREVRANGE COUNT 1"}, shapes


def _middle(first: bytes, last: bytes) -> str:
    low, high = (int(x.split(b"-")[0]) for x in (first, last))
    return str((low + high) // 2)
