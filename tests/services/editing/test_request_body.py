"""Form posts as a browser sends them without JavaScript: url-encoded, textarea line breaks as
CR LF, with the CSRF token checked. A value the edit form offers can be saved unchanged; a
body too large gets a message by its field, never a bare 400."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

import pytest

from keyspace.redis.keynames import encode_key
from tests.services.editing.forms import form_fields
from tests.support.urls import edit_url

KEY = b"doc"
URLENCODED = "application/x-www-form-urlencoded"


def as_browser(fields: dict[str, str], textareas: tuple[str, ...] = ("value",)) -> str:
    """The body a browser posts: a textarea's line breaks become CR LF, all url-encoded."""
    sent = dict(fields)
    for name in textareas:
        if name in sent:
            sent[name] = sent[name].replace("\r\n", "\n").replace("\n", "\r\n")
    return urlencode(sent)


def open_and_post(client, key: bytes, action: str, changes=None, row: bytes | None = None):
    query = {"row": encode_key(row)} if row is not None else {}
    page = client.get(edit_url(key, action), query)
    assert page.status_code == 200, page.content[:300]
    fields = form_fields(page.content.decode()) | (changes or {})
    body = as_browser(fields)
    return client.post(edit_url(key, action), body, content_type=URLENCODED), len(body)


def field_error(response, name: str) -> str:
    found = re.search(rf'<ul class="errorlist" id="id_{name}_error">(.*?)</ul>',
                      response.content.decode(), re.S)
    return html.unescape(found.group(1)) if found else ""


@pytest.mark.parametrize(
    "value",
    [
        b"a\n" * (512 * 1024),  # 1 MiB, the default limit: 3.5 MiB as the browser sends it
        b"\n" * (1024 * 1024),  # the worst case: every byte a line break, 6 MiB sent
        b"a\r\n" * (349_525),  # Windows line breaks are kept as they are
    ],
    ids=["lf", "only-line-breaks", "crlf"],
)
def test_a_string_value_the_form_offers_saves_unchanged(csrf_client, r, value):
    r.set(KEY, value)
    response, sent = open_and_post(csrf_client, KEY, "string-edit")
    assert sent > 3 * 1024 * 1024 or value.count(b"\n") < len(value) // 2
    assert response.status_code == 302, field_error(response, "value") or response.content[:300]
    assert r.get(KEY) == value


def test_a_hash_value_the_form_offers_saves_unchanged(csrf_client, r):
    value = b"\n" * (1024 * 1024)
    r.hset(KEY, mapping={"f": value, "g": "x"})
    response, _ = open_and_post(csrf_client, KEY, "hash-set", row=b"f")
    assert response.status_code == 302, field_error(response, "value")
    assert r.hget(KEY, "f") == value


@pytest.mark.parametrize(("size", "saved"), [(1000, True), (1001, False)])
def test_near_the_limit_the_stored_size_counts_not_the_crlf_sent(
    csrf_client, r, settings, size, saved
):
    settings.DASHBOARD_MAX_VALUE_BYTES = 1000
    r.set(KEY, "old")
    typed = ("ab\n" * 400)[:size]  # 1,000 bytes stored; about 1,333 characters sent
    response, _ = open_and_post(csrf_client, KEY, "string-edit", {"value": typed})
    if saved:
        assert response.status_code == 302, field_error(response, "value")
        assert r.get(KEY) == typed.encode()
    else:
        assert response.status_code == 422
        assert "over the 1,000-byte limit" in field_error(response, "value")
        assert r.get(KEY) == b"old"


def test_a_body_over_the_cap_gets_a_message_by_its_field(csrf_client, r):
    """With the default settings (1 MiB values, a 6 MiB + 64 KiB body), as Django would
    otherwise answer "Bad Request (400)"."""
    r.set(KEY, "old")
    response, sent = open_and_post(csrf_client, KEY, "string-edit", {"value": "x" * 7_000_000})
    assert sent > 7_000_000
    assert response.status_code == 422
    error = field_error(response, "value")
    assert "the browser sent" in error and "7,000,000 bytes" in error
    assert "Nothing was changed" in error
    assert r.get(KEY) == b"old"


def test_an_oversized_body_still_needs_the_csrf_token(csrf_client, r, settings):
    settings.DASHBOARD_MAX_VALUE_BYTES = 10
    r.set(KEY, "old")
    page = csrf_client.get(edit_url(KEY, "string-edit"))
    fields = form_fields(page.content.decode()) | {"value": "x" * 100_000}
    fields["csrfmiddlewaretoken"] = "wrong" * 10
    response = csrf_client.post(edit_url(KEY, "string-edit"), urlencode(fields),
                                content_type=URLENCODED)
    assert response.status_code == 403
    assert r.get(KEY) == b"old"


def test_an_oversized_field_on_a_new_key_is_reported_by_that_field(csrf_client, r, settings):
    settings.DASHBOARD_MAX_VALUE_BYTES = 10
    page = csrf_client.get("/c/default/db/0/new/")
    assert page.status_code == 200
    fields = form_fields(page.content.decode()) | {"name": "k", "type": "string",
                                                   "value": "x" * 100_000}
    response = csrf_client.post("/c/default/db/0/new/", as_browser(fields), content_type=URLENCODED)
    assert response.status_code == 422
    assert "the browser sent" in field_error(response, "value")
    assert not r.exists("k")


def test_a_malformed_content_length_is_not_a_server_error(anonymous_client):
    response = anonymous_client.post("/sign-in/", {"username": "x", "password": "y"},
                                     CONTENT_LENGTH="abc")
    assert response.status_code < 500
