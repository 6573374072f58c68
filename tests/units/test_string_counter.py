"""Counters, a view of a string: a value INCRBY or INCRBYFLOAT reads is shown as text with
buttons that add or take one through the string's Increment/decrement edit."""

from __future__ import annotations

import re

import pytest

from keyspace.redis.keynames import encode_key
from keyspace.units.string.views.counter import number_kind
from tests.support.htmx import HTMX
from tests.units.helpers import fetch

STEP_FORM = re.compile(r'<form class="counter-step".*?</form>', re.S)


def steps(body: str) -> list[dict[str, str]]:
    """The fields of each +/- form on the page, as a browser would post them."""
    found = []
    for form in STEP_FORM.findall(body):
        found.append(dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)))
    return found


@pytest.mark.parametrize("value, kind", [
    (b"41", "integer"), (b"-7", "integer"), (b"0", "integer"), (b"9223372036854775807", "integer"),
    (b"17.5", "decimal"), (b"-0.25", "decimal"),
    (b"007", ""), (b"1e3", ""), (b"+5", ""), (b"9223372036854775808", ""), (b"", ""),
    (b" 1", ""), (b"1.", ""), (b"abc", ""), (b"\xd9\xa1", ""),
])
def test_what_counts_as_a_counter(value, kind):
    assert number_kind(value) == kind


def test_a_whole_number_gets_one_step_buttons(client, r):
    r.set("hits", "41")
    body = fetch(client, "hits")
    assert re.search(r'<pre class="value-body view-text"[^>]*>\n41</pre>', body)
    assert "A whole number: INCRBY and DECRBY add to it." in body
    assert [(s["direction"], s["amount"]) for s in steps(body)] == [("subtract", "1"),
                                                                    ("add", "1")]


@pytest.mark.parametrize("value, direction, after", [
    ("41", "add", b"42"), ("41", "subtract", b"40"), ("17.5", "add", b"18.5"),
    ("17.5", "subtract", b"16.5"),
])
def test_the_buttons_increment_and_decrement(client, r, value, direction, after):
    r.set("n", value)
    form = next(s for s in steps(fetch(client, "n")) if s["direction"] == direction)
    form.pop("csrfmiddlewaretoken", None)
    response = client.post(f"/c/default/db/0/key/{encode_key(b'n')}/edit/string-incr/", form,
                           headers=HTMX)
    assert response.status_code == 200, response.content[-800:]
    assert r.get("n") == after
    assert f"the value is now {after.decode()}" in response.content.decode()


def test_a_button_on_a_value_that_stopped_being_a_number_is_refused(client, r):
    r.set("n", "41")
    form = steps(fetch(client, "n"))[1]
    form.pop("csrfmiddlewaretoken", None)
    r.set("n", "forty-one")
    response = client.post(f"/c/default/db/0/key/{encode_key(b'n')}/edit/string-incr/", form,
                           headers=HTMX)
    assert response.status_code == 422 and r.get("n") == b"forty-one"


def test_text_is_not_a_counter_unless_asked_and_then_says_why(client, r):
    r.set("s", "forty-one")
    assert not steps(fetch(client, "s"))
    body = fetch(client, "s", order="counter")
    assert "Not shown as Counter: the value is not a whole number or a decimal." in body
    assert not steps(body)


def test_read_only_mode_draws_no_buttons(client, r, settings):
    settings.DASHBOARD_READONLY = True
    r.set("hits", "41")
    body = fetch(client, "hits")
    assert "A whole number" in body and not steps(body)
    assert '<form class="counter-step"' not in body
