"""Copy refuses keys too large to duplicate in one COPY without holding Redis up."""

from __future__ import annotations

import html

import pytest

from tests.services.editing.forms import open_form, submit
from tests.support.htmx import HTMX
from tests.support.urls import edit_url

FILL = """
local kind, n = ARGV[1], tonumber(ARGV[2])
for i = 1, n, 1000 do
  local last = math.min(i + 999, n)
  local args = {}
  for j = i, last do
    if kind == 'list' or kind == 'set' then args[#args + 1] = j
    else args[#args + 1] = j; args[#args + 1] = j end
  end
  if kind == 'list' then redis.call('RPUSH', KEYS[1], unpack(args))
  elseif kind == 'set' then redis.call('SADD', KEYS[1], unpack(args))
  elseif kind == 'hash' then redis.call('HSET', KEYS[1], unpack(args))
  else redis.call('ZADD', KEYS[1], unpack(args)) end
end
"""


def fill(r, key: bytes, kind: str, count: int) -> None:
    """A real key of `count` elements, built inside Redis in chunks (fast)."""
    if kind == "stream":
        with r.pipeline(transaction=False) as pipe:
            for i in range(count):
                pipe.xadd(key, {"n": i})
            pipe.execute()
        return
    r.eval(FILL, 1, key, kind, count)


def body(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("kind", ["hash", "list", "set", "zset", "stream"])
def test_a_collection_over_the_limit_is_not_copied(client, r, settings, kind):
    settings.DASHBOARD_COPY_MAX_ELEMENTS = 300
    fill(r, b"big", kind, 301)
    response = submit(client, b"big", "copy", new_name="copy")
    assert response.status_code == 422
    assert "holds 301" in body(response) and "more than the 300" in body(response)
    assert "DASHBOARD_COPY_MAX_ELEMENTS" in body(response)
    assert not r.exists("copy")


@pytest.mark.parametrize("kind", ["hash", "list", "set", "zset", "stream"])
def test_a_collection_at_the_limit_is_copied(client, r, settings, kind):
    settings.DASHBOARD_COPY_MAX_ELEMENTS = 300
    fill(r, b"big", kind, 300)
    assert submit(client, b"big", "copy", new_name="copy").status_code == 204
    assert r.type("copy") == r.type("big") and r.exists("copy")


def test_a_million_element_key_is_refused_with_the_default_limit(client, r):
    fill(r, b"huge", "list", 1_000_000)
    response = submit(client, b"huge", "copy", new_name="copy")
    assert response.status_code == 422
    assert "1,000,000" in body(response) and "hold up every other client" in body(response)
    assert not r.exists("copy")


def test_a_string_over_the_byte_limit_is_not_copied(client, r, settings):
    settings.DASHBOARD_COPY_MAX_BYTES = 1000
    r.set("s", b"x" * 1001)
    response = submit(client, b"s", "copy", new_name="copy")
    assert response.status_code == 422 and "DASHBOARD_COPY_MAX_BYTES" in body(response)
    assert not r.exists("copy")
    r.set("s", b"x" * 1000)
    assert submit(client, b"s", "copy", new_name="copy").status_code == 204
    assert r.get("copy") == b"x" * 1000


def test_the_size_is_checked_when_copying_not_when_the_form_was_drawn(client, r, settings):
    settings.DASHBOARD_COPY_MAX_ELEMENTS = 300
    fill(r, b"grows", "set", 10)
    fields = open_form(client, b"grows", "copy")
    fill(r, b"grows", "set", 301)  # another client, meanwhile
    fields.pop("csrfmiddlewaretoken", None)
    response = client.post(edit_url(b"grows", "copy"), fields | {"new_name": "copy"}, headers=HTMX)
    assert response.status_code == 422 and "holds 301" in body(response)
    assert not r.exists("copy")


def test_rename_is_not_limited(client, r, settings):
    settings.DASHBOARD_COPY_MAX_ELEMENTS = 300
    fill(r, b"big", "hash", 301)
    assert submit(client, b"big", "rename", new_name="moved").status_code == 204
    assert r.hlen("moved") == 301
