"""Strings: a GETRANGE preview shown as text, pretty JSON or hex, paged by byte offset; the
whole value only through the streaming download."""

from __future__ import annotations

import html
import json
import os
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from asgiref.sync import async_to_sync

from keyspace.redis.keynames import encode_key
from keyspace.units import registry
from keyspace.units.string import StringUnit
from keyspace.views.key import DOWNLOAD_CHUNK_BYTES
from tests.units.helpers import (
    HX_MORE,
    HX_VALUE,
    XSS,
    XSS_ESCAPED,
    RedisWork,
    assert_htmx_modes,
    fetch,
)

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py

PRE = re.compile(r'<pre class="value-body view-(\w+)"[^>]*>\n?(.*?)</pre>', re.S)


def preview(body: str) -> tuple[str, str]:
    """(view, text) of the preview's <pre>, as a browser reads it: the HTML parser drops one
    newline right after <pre>, which the template writes so a value's own survives."""
    match = PRE.search(body)
    assert match, body[-1500:]
    return match.group(1), html.unescape(match.group(2))


def next_part(body: str) -> dict[str, str] | None:
    match = re.search(r'<a href="([^"]*)"[^>]*>Next part</a>', body)
    if match is None:
        return None
    query = parse_qs(urlsplit(html.unescape(match.group(1))).query, keep_blank_values=True)
    return {name: values[-1] for name, values in query.items()}


def download_link(body: str) -> str | None:
    match = re.search(r'<a href="([^"]*)" hx-boost="false" download>Download the whole value', body)
    return match and match.group(1)


def test_registered_for_the_string_type_reply():
    assert isinstance(registry.unit_for(b"string"), StringUnit)


def test_short_text_in_every_htmx_mode(client, r):
    r.set("greeting", "hello world")
    page = assert_htmx_modes(client, "greeting")
    assert preview(page) == ("text", "hello world")
    assert "11 bytes" in page
    assert download_link(page) is None and next_part(page) is None  # nothing is cut


def test_text_keeps_newlines_and_unicode(client, r):
    r.set("s", "line one\nligne deux — ünïcödé\ttab\r\nend")
    assert preview(fetch(client, "s")) == ("text", "line one\nligne deux — ünïcödé\ttab\r\nend")


def test_json_object_is_pretty_printed(client, r):
    value = {"name": "Ada", "tags": ["x", "y"], "nested": {"n": 1, "html": XSS}}
    r.set("doc", json.dumps(value, separators=(",", ":")))
    body = fetch(client, "doc")
    view, text = preview(body)
    assert view == "json"
    assert json.loads(text) == value
    assert '\n  "name": "Ada",' in text  # indented, one member a line
    assert XSS not in body


@pytest.mark.parametrize("raw", [b"42", b'"a string"', b"{not json", b"[1, 2"])
def test_values_that_are_not_json_objects_show_as_text(client, r, raw):
    r.set("s", raw)
    assert preview(fetch(client, "s")) == ("text", raw.decode())


def test_asking_for_json_that_is_not_explains_why(client, r):
    r.set("s", "plain words")
    body = fetch(client, "s", order="json")
    assert "Not shown as JSON: the value is not a JSON object or array." in body
    assert preview(body)[1] == "plain words"


def test_binary_is_shown_as_hex(client, r):
    r.set("bin", bytes(range(0, 256, 15)) + b"\xff\xfeabc")
    view, text = preview(fetch(client, "bin"))
    assert view == "hex"
    assert text.splitlines()[0] == (
        "00000000  00 0f 1e 2d 3c 4b 5a 69 78 87 96 a5 b4 c3 d2 e1  ...-<KZix......."
    )
    assert text.splitlines()[1].startswith("00000010  f0 ff ff fe 61 62 63")


def test_views_can_be_chosen(client, r):
    r.set("bin", b"\x00\xffok")
    assert preview(fetch(client, "bin", order="text")) == ("text", r"\0\xffok")
    r.set("txt", "AB")
    assert preview(fetch(client, "txt", order="hex"))[1].startswith("00000000  41 42")
    body = fetch(client, "txt", order="hex")
    assert '<option value="hex" selected>' in body


def test_unknown_view_is_a_400(client, r):
    r.set("s", "x")
    assert "String values cannot be ordered by" in fetch(client, "s", status=400, order="xml")


def test_value_is_escaped(client, r):
    r.set("s", XSS)
    body = fetch(client, "s")
    assert XSS not in body and XSS_ESCAPED in body


def test_empty_string(client, r):
    r.set("s", "")
    body = fetch(client, "s")
    assert preview(body) == ("text", "") and "0 bytes" in body


def test_preview_is_cut_at_the_setting_with_size_download_and_next_part(client, r):
    value = os.urandom(200_000).hex().encode()  # 400,000 printable bytes
    r.set("big", value)
    limit = 256 * 1024
    body = fetch(client, "big")
    view, text = preview(body)
    assert view == "text" and text.encode() == value[:limit]
    assert "Showing bytes 0–262,144 of 400,000" in body
    assert "(previews stop at 256.0 KiB)" in body
    assert download_link(body) == f"/c/default/db/0/key/{encode_key(b'big')}/download/"
    assert "Download the whole value (390.6 KiB)" in body
    assert next_part(body) == {"cursor": str(limit)}


def test_next_part_pages_by_offset_to_the_end(client, r, settings):
    settings.DASHBOARD_PREVIEW_BYTES = 1000
    value = bytes(ord("a") + i % 26 for i in range(2500))
    r.set("s", value)
    parts, query, seen = [], {}, []
    while query is not None:
        body = fetch(client, "s", headers=HX_VALUE if query else None, **query)
        seen.append(re.search(r"Showing bytes ([\d,]+)–([\d,]+) of ([\d,]+)", body).groups())
        parts.append(preview(body)[1].encode())
        query = next_part(body)
    assert b"".join(parts) == value
    assert seen == [("0", "1,000", "2,500"), ("1,000", "2,000", "2,500"),
                    ("2,000", "2,500", "2,500")]


def test_cut_json_is_text_and_json_view_says_it_is_cut(client, r, settings):
    settings.DASHBOARD_PREVIEW_BYTES = 100
    r.set("doc", json.dumps({"items": list(range(100))}))
    assert preview(fetch(client, "doc"))[0] == "text"
    assert "Not shown as JSON: the value is cut." in fetch(client, "doc", order="json")


def test_cut_inside_a_utf8_character_is_still_text(client, r, settings):
    settings.DASHBOARD_PREVIEW_BYTES = 1000
    value = ("ab" + "€" * 1000).encode()  # "€" is three bytes: byte 1000 falls inside one
    r.set("s", value)
    parts, query = [], {}
    while query is not None:
        body = fetch(client, "s", **query)
        view, text = preview(body)
        assert view == "text", text[:200]
        parts.append(text.encode())
        query = next_part(body)
    assert b"".join(parts) == value


def test_cut_between_cr_and_lf_is_still_text(client, r, settings):
    settings.DASHBOARD_PREVIEW_BYTES = 1000
    value = b"x" * 999 + b"\r\n" + b"more text\r\n" * 10
    r.set("s", value)
    body = fetch(client, "s")
    assert preview(body) == ("text", "x" * 999 + "\r")
    rest = fetch(client, "s", **next_part(body))
    assert preview(rest) == ("text", (b"\n" + b"more text\r\n" * 10).decode())


def test_rows_fragment_is_the_preview(client, r):
    r.set("s", "abc")
    body = fetch(client, "s", headers=HX_MORE)
    assert body.strip().startswith('<div class="string-value" id="string-preview">')
    assert "<form" not in body and "<section" not in body


@pytest.mark.parametrize("cursor", ["abc", "-1", "9" * 30])
def test_garbage_offset_is_a_400(client, r, cursor):
    r.set("s", "abc")
    assert "not a position" in fetch(client, "s", status=400, cursor=cursor)


def test_large_string_is_read_with_getrange_never_get(client, r, settings):
    settings.DASHBOARD_PREVIEW_BYTES = 4096
    r.set("blob", b"x" * 8_000_000)
    with RedisWork(r) as work:
        body = fetch(client, "blob", headers=HX_VALUE)
    assert work.count("get") == 0 and work.count("getex") == 0 and work.count("dump") == 0
    assert work.count("getrange") == 1
    assert work.output_bytes < 64 * 1024
    assert len(preview(body)[1]) == 4096
    assert "of 8,000,000" in body


# --- download ---------------------------------------------------------------------------------


async def _download(async_client, url):
    response = await async_client.get(url)
    content = None
    if response.streaming:
        content = b"".join([chunk async for chunk in response.streaming_content])
    return response, content


def download(async_client, name: bytes):
    return async_to_sync(_download)(async_client,
                                    f"/c/default/db/0/key/{encode_key(name)}/download/")


@pytest.mark.parametrize("size", [0, 1, DOWNLOAD_CHUNK_BYTES, 3 * DOWNLOAD_CHUNK_BYTES + 12345])
def test_download_streams_the_whole_value(async_client, r, size):
    name = b"dl/\xff key?#"
    value = os.urandom(size)
    r.set(name, value)
    response, content = download(async_client, name)
    assert response.status_code == 200
    assert response.streaming
    assert content == value
    assert response["Content-Length"] == str(size)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="{encode_key(name)}.bin"'


def test_download_reads_in_chunks(async_client, r):
    r.set("big", os.urandom(2 * DOWNLOAD_CHUNK_BYTES + 1))
    with RedisWork(r) as work:
        response, content = download(async_client, b"big")
    assert len(content) == 2 * DOWNLOAD_CHUNK_BYTES + 1
    assert work.count("get") == 0 and work.count("getrange") == 3


def test_download_of_a_non_string_is_a_400(async_client, r):
    r.rpush("l", "a")
    response, _ = download(async_client, b"l")
    assert response.status_code == 400
    assert b"only string values can be downloaded" in response.content


def test_download_of_a_missing_key_is_a_404(async_client, r):
    response, _ = download(async_client, b"nope")
    assert response.status_code == 404
    assert b"this key no longer exists" in response.content
