"""The table panels against the real Redis: binary-safe slow log, CLIENT LIST parsing, and
refusals turned into what a panel says."""

from __future__ import annotations

import pytest
import redis
from django.http import QueryDict

from keyspace.redis.connection import get_client
from keyspace.services.server.access import attempt
from keyspace.services.server.clients import clients_panel, parse_client_line
from keyspace.services.server.slowlog import ARGUMENT_BYTES, slowlog_panel

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py


def test_slowlog_keeps_argument_boundaries_and_bytes(r):
    r.config_set("slowlog-log-slower-than", 0)
    try:
        r.set(b"a b\xff", b"v" * (ARGUMENT_BYTES + 5))
    finally:
        r.config_set("slowlog-log-slower-than", 10000)
    panel = slowlog_panel(get_client(), QueryDict("sort=-id"))
    entry = next(e for e in panel.table.rows if e.command == "set")
    assert [a.text for a in entry.arguments] == ["SET", "a b\\xff", "v" * ARGUMENT_BYTES]
    assert [a.cut for a in entry.arguments] == [False, False, True]
    assert entry.own is False  # the test's own client has no name


def test_client_lines_split_on_the_first_equals_sign():
    fields = parse_client_line(b"id=7 addr=1.2.3.4:5 name=x=y cmd=client|list tot-mem=10")
    assert fields[b"name"] == b"x=y"
    assert fields[b"cmd"] == b"client|list"


def test_clients_panel_marks_own_and_counts(redis_server):
    get_client().ping()
    panel = clients_panel(get_client(), QueryDict(""))
    own = [row for row in panel.table.rows if row.own]
    assert own and all(row.name == "redis-dashboard" for row in own)
    assert panel.connected == panel.table.total


def test_attempt_turns_acl_refusals_into_a_refusal_and_lets_other_errors_through(r):
    _, refusal = attempt("NOSUCH", lambda: r.execute_command("NOSUCHCOMMAND"))
    assert refusal.kind == "missing"
    with pytest.raises(redis.ResponseError):
        attempt("GET", lambda: r.execute_command("GET"))  # wrong arity: a bug, not a refusal
