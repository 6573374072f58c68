"""One stream entry's values through the decoders: every field, or the one asked for, in the
chosen format; from the entry's row and the stream's toolbar."""

from __future__ import annotations

import html
import json
import zlib

import pytest

from keyspace.redis.keynames import encode_key
from tests.support.urls import key_url
from tests.units.helpers import XSS, XSS_ESCAPED

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py


def tool(client, key: str, status: int = 200, **params) -> str:
    url = f"/c/default/db/0/key/{encode_key(key.encode())}/tool/stream-view-entry/"
    response = client.get(url, {"run": "1", **params})
    body = response.content.decode()
    assert response.status_code == status, body[-2000:]
    return body


def test_every_field_of_an_entry(client, r):
    r.xadd("events", {"payload": json.dumps({"user": "ada", "n": [1, 2]}),
                      "zipped": zlib.compress(b'{"ok": true}'), "kind": "login"}, id="7-1")
    page = client.get(key_url("events")).content.decode()
    assert "/tool/stream-view-entry/?run=1&amp;entry=7-1" in page  # the row's "View as…"
    body = html.unescape(tool(client, "events", entry="7-1"))
    assert 'Entry <span class="mono">7-1</span>: 3 fields' in body
    assert "shown as JSON" in body and '"user": "ada"' in body
    assert "shown as zlib" in body and '"ok": true' in body


def test_one_field_in_a_chosen_format(client, r):
    r.xadd("events", {"payload": "hello", b"\xff": b"x"}, id="7-1")
    body = html.unescape(tool(client, "events", entry="7-1", field="payload", order="hex"))
    assert "1 field" in body and "shown as Hex" in body and "68 65 6c 6c 6f" in body
    body = html.unescape(tool(client, "events", entry="7-1", field=r"\xff"))
    assert "1 field" in body and "shown as Text" in body


def test_missing_entry_field_and_bad_id(client, r):
    r.xadd("events", {"a": "1"}, id="7-1")
    assert "this stream has no entry 7-2" in tool(client, "events", entry="7-2")
    assert "this entry has no such field" in tool(client, "events", entry="7-1", field="b")
    assert "an entry ID is two numbers" in tool(client, "events", entry="seven")


def test_values_are_escaped(client, r):
    r.xadd("events", {XSS: XSS}, id="7-1")
    body = tool(client, "events", entry="7-1")
    assert XSS not in body and XSS_ESCAPED in body
