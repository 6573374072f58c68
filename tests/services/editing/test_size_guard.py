"""Writes that look through every element (LREM, LINSERT, LPOS, SREM of many, ZREMRANGEBY*) are
refused on keys longer than DASHBOARD_MAX_LINEAR_WRITE_ELEMENTS, by the field they search
for, with a 422 and nothing written; the length is checked in the write's own transaction."""

from __future__ import annotations

import html
import re

import pytest

from dashboard import settings as project_settings
from keyspace.services.editing import guard
from keyspace.services.editing.guard import Refused, guarded
from keyspace.services.editing.size_guard import check_linear_write
from tests.services.editing.forms import HTMX, edit_url, open_form, submit
from tests.services.editing.test_copy_size import fill

LIMIT = 300
# Each list edit that searches the list, the field holding what it searches for, and input
# that would change the list if it ran (element 7 is there; the fill's elements are 1..n).
LIST_EDITS = [
    ("list-remove", "value", {"value": "7", "count": "0"}),
    ("list-insert", "pivot", {"where": "after", "pivot": "7", "element": "new"}),
]


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.DASHBOARD_MAX_LINEAR_WRITE_ELEMENTS = LIMIT


def field_error(response, name: str) -> str:
    found = re.search(rf'<ul class="errorlist" id="id_{name}_error">(.*?)</ul>',
                      response.content.decode(), re.S)
    return html.unescape(found.group(1)) if found else ""


def untouched(r, length: int) -> bool:
    return r.llen("l") == length and r.lrange("l", 0, -1) == [str(n).encode()
                                                              for n in range(1, length + 1)]


@pytest.mark.parametrize(("action", "field", "changes"), LIST_EDITS)
def test_a_list_longer_than_the_limit_is_refused_by_the_field(client, r, action, field, changes):
    fill(r, b"l", "list", LIMIT + 1)
    response = submit(client, b"l", action, **changes)
    assert response.status_code == 422
    message = field_error(response, field)
    assert f"this list holds {LIMIT + 1:,} elements, more than the {LIMIT:,}" in message
    assert "DASHBOARD_MAX_LINEAR_WRITE_ELEMENTS" in message and "nothing was written" in message
    assert untouched(r, LIMIT + 1)


@pytest.mark.parametrize(("action", "field", "changes"), LIST_EDITS)
def test_a_list_at_the_limit_is_edited(client, r, action, field, changes):
    fill(r, b"l", "list", LIMIT)
    response = submit(client, b"l", action, **changes)
    assert response.status_code == 200, field_error(response, field)
    assert not untouched(r, LIMIT)


@pytest.mark.parametrize(("action", "field", "changes"), LIST_EDITS)
def test_a_list_that_grew_after_the_form_was_drawn_is_refused(client, r, action, field, changes):
    fill(r, b"l", "list", 10)
    fields = open_form(client, b"l", action)
    r.rpush("l", *range(11, LIMIT + 2))  # another client, meanwhile
    fields.pop("csrfmiddlewaretoken", None)
    response = client.post(edit_url(b"l", action), fields | changes, **HTMX)
    assert response.status_code == 422 and "holds 301 elements" in field_error(response, field)
    assert untouched(r, LIMIT + 1)


@pytest.mark.parametrize(("action", "field", "changes"), LIST_EDITS)
def test_a_list_that_grows_between_the_check_and_the_write_is_refused(
    client, r, monkeypatch, action, field, changes
):
    """Another client pushes in the window between the length check and the write: the
    transaction fails, the check runs again on the longer list and refuses."""
    fill(r, b"l", "list", LIMIT)
    grown = []

    def push_once(client_, keys):
        if not grown:
            grown.append(r.rpush("l", LIMIT + 1))

    monkeypatch.setattr(guard, "before_write", push_once)
    response = submit(client, b"l", action, **changes)
    assert grown == [LIMIT + 1]
    assert response.status_code == 422 and "holds 301 elements" in field_error(response, field)
    assert untouched(r, LIMIT + 1)


def test_a_million_element_list_is_refused_with_the_default_limit(client, r, settings):
    default = project_settings.DASHBOARD_MAX_LINEAR_WRITE_ELEMENTS
    settings.DASHBOARD_MAX_LINEAR_WRITE_ELEMENTS = default
    fill(r, b"l", "list", 1_000_000)
    response = submit(client, b"l", "list-remove", value="nowhere", count="0")
    assert response.status_code == 422
    assert f"holds 1,000,000 elements, more than the {default:,}" in field_error(response, "value")


@pytest.mark.parametrize(("kind", "command", "write", "words"), [
    ("set", "SREM", lambda pipe: pipe.srem("k", *range(1, 200)), "this set holds 301 members"),
    ("zset", "ZREMRANGEBYSCORE", lambda pipe: pipe.zremrangebyscore("k", 1, 200),
     "this sorted set holds 301 members"),
    ("zset", "ZREMRANGEBYRANK", lambda pipe: pipe.zremrangebyrank("k", 0, 199),
     "this sorted set holds 301 members"),
    ("zset", "ZREMRANGEBYLEX", lambda pipe: pipe.zremrangebylex("k", "-", "+"),
     "this sorted set holds 301 members"),
])
def test_sets_and_sorted_sets_over_the_limit_are_refused(r, kind, command, write, words):
    def attempt(pipe):
        check_linear_write(pipe, b"k", command)
        return write

    fill(r, b"k", kind, LIMIT + 1)
    with pytest.raises(Refused, match=words):
        guarded(r, [b"k"], attempt)
    assert r.execute_command("SCARD" if kind == "set" else "ZCARD", "k") == LIMIT + 1
    r.delete("k")
    fill(r, b"k", kind, LIMIT)
    guarded(r, [b"k"], attempt)
    assert r.execute_command("SCARD" if kind == "set" else "ZCARD", "k") < LIMIT
