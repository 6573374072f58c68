"""HyperLogLog, a view of a string: recognised by its HYLL header, counted with PFCOUNT (without
the count being written back into the value), grown with PFADD as a guarded edit, and
protected from being replaced or appended to as text unless that is confirmed."""

from __future__ import annotations

import re

import pytest

from keyspace.units import registry
from keyspace.units.string.views import string_views
from keyspace.units.string.views.hyperloglog import HyperLogLogView, is_hyperloglog
from tests.services.editing.forms import HTMX, confirm, edit_url, open_form, submit
from tests.units.helpers import HX_VALUE, RedisWork, fetch

COUNT = re.compile(r'<strong class="hll-count">([\d,]+)</strong>')


def shown_count(body: str) -> int:
    match = COUNT.search(body)
    assert match, body[-2000:]
    return int(match.group(1).replace(",", ""))


@pytest.fixture
def visitors(r):
    """A real HyperLogLog: 5,000 distinct elements added with PFADD (dense by then)."""
    with r.pipeline(transaction=False) as pipe:
        for start in range(0, 5000, 500):
            pipe.pfadd("visitors", *[f"user:{n}" for n in range(start, start + 500)])
        pipe.execute()
    return b"visitors"


def test_registered_as_a_view_of_a_string():
    assert isinstance(string_views.get("hyperloglog"), HyperLogLogView)
    assert ("hyperloglog", "HyperLogLog") in registry.unit_for("string").orders
    assert "string-pfadd" in registry.unit_for("string").operations


def test_recognised_by_its_header_and_shown_with_its_count(client, r, visitors):
    body = fetch(client, visitors)
    assert r.get(visitors)[:4] == b"HYLL"
    assert shown_count(body) == r.execute_command("PFCOUNT", visitors, visitors)
    assert 4800 < shown_count(body) < 5200
    assert "A HyperLogLog in the dense encoding" in body
    assert shown_count(fetch(client, visitors, headers=HX_VALUE)) == shown_count(body)


def test_a_small_one_is_sparse(client, r):
    r.pfadd("few", "a", "b", "c")
    body = fetch(client, "few")
    assert shown_count(body) == 3 and "sparse encoding" in body


def test_looking_at_it_writes_nothing(client, r, visitors):
    """PFCOUNT of one key caches its count in the value's header: the page counts the key
    with itself instead, so looking leaves the value (and its undo copies) as they were."""
    r.pfadd(visitors, "one more")  # marks the cached count stale
    before = r.get(visitors)
    with RedisWork(r) as work:
        fetch(client, visitors)
    assert r.get(visitors) == before
    assert work.count("pfcount") == 1 and work.count("get") == 0


@pytest.mark.parametrize("value", [b"HYLL", b"HYLL\x07" + bytes(11), b"hello", b""])
def test_other_strings_are_not_one(client, r, value):
    r.set("s", value)
    assert "hll-count" not in fetch(client, "s")
    assert not is_hyperloglog(value)
    body = fetch(client, "s", order="hyperloglog")
    assert "Not shown as HyperLogLog: the value does not start with the header" in body
    assert '<pre class="value-body' in body


def test_the_toolbar_offers_adding_elements_instead_of_incrementing(client, r, visitors):
    r.set("plain", "words")
    actions = re.compile(r'id="key-actions".*?</div>', re.S)
    hll = actions.search(fetch(client, visitors)).group(0)
    plain = actions.search(fetch(client, "plain")).group(0)
    assert "Add elements" in hll and "Increment/decrement" not in hll
    assert "Add elements" not in plain and "Increment/decrement" in plain


def test_adding_elements_through_the_form(client, r, visitors):
    before = r.execute_command("PFCOUNT", visitors, visitors)
    elements = "\n".join(f"new:{n}" for n in range(300))
    response = submit(client, visitors, "string-pfadd", elements=elements)
    assert response.status_code == 200, response.content[-800:]
    after = r.execute_command("PFCOUNT", visitors, visitors)
    assert 200 < after - before < 400
    body = response.content.decode()
    assert "added 300 elements" in body and shown_count(body) == after


def test_adding_nothing_new_says_so(client, r):
    r.pfadd("h", "a")
    response = submit(client, b"h", "string-pfadd", elements="a")
    assert "no register changed" in response.content.decode()


def test_adding_to_a_value_that_is_no_longer_one_is_a_conflict(client, r, visitors):
    fields = open_form(client, visitors, "string-pfadd")
    fields.pop("csrfmiddlewaretoken")
    r.set(visitors, "now plain text")
    response = client.post(edit_url(visitors, "string-pfadd"), fields | {"elements": "x"},
                           headers=HTMX)
    assert response.status_code == 409
    assert "no longer a HyperLogLog" in response.content.decode()
    assert r.get(visitors) == b"now plain text"


def test_adding_to_a_deleted_key_does_not_create_it(client, r, visitors):
    fields = open_form(client, visitors, "string-pfadd")
    fields.pop("csrfmiddlewaretoken")
    r.delete(visitors)
    response = client.post(edit_url(visitors, "string-pfadd"), fields | {"elements": "x"},
                           headers=HTMX)
    assert response.status_code == 404 and not r.exists(visitors)


@pytest.mark.parametrize("action, change, written", [
    ("string-edit", {"value": "plain", "value_encoding": "text"}, lambda before: b"plain"),
    ("string-append", {"value": "tail", "value_encoding": "text"}, lambda before: before + b"tail"),
])
def test_writing_it_as_text_asks_first(client, r, visitors, action, change, written):
    before = r.get(visitors)
    fields = open_form(client, visitors, action)
    fields.pop("csrfmiddlewaretoken")
    assert fields["replaces"] == "hyperloglog"
    asked = client.post(edit_url(visitors, action), fields | change, headers=HTMX)
    assert asked.status_code == 428
    assert "this value is a HyperLogLog" in asked.content.decode()
    assert r.get(visitors) == before
    done = confirm(client, visitors, action, asked)
    assert done.status_code == 200, done.content[-800:]
    assert r.get(visitors) == written(before)


def test_skipping_the_confirmation_is_refused(client, r, visitors):
    """A form that does not say it was confirmed (a forged one, or one drawn before the value
    became a HyperLogLog) writes nothing, and the redrawn form then asks."""
    before = r.get(visitors)
    fields = open_form(client, visitors, "string-edit")
    fields.pop("csrfmiddlewaretoken")
    fields.pop("replaces")
    change = {"value": "x", "value_encoding": "text"}
    refused = client.post(edit_url(visitors, "string-edit"), fields | change, headers=HTMX)
    assert refused.status_code == 409 and r.get(visitors) == before
    assert 'name="replaces" value="hyperloglog"' in refused.content.decode()


def test_a_plain_string_is_not_asked_about(client, r):
    r.set("s", "words")
    assert open_form(client, b"s", "string-edit")["replaces"] == ""
    assert submit(client, b"s", "string-edit", value="other").status_code == 200
    assert r.get("s") == b"other"


def test_an_added_element_can_be_undone_after_the_page_counted(client, r, visitors):
    before = r.get(visitors)
    response = submit(client, visitors, "string-pfadd", elements="brand new element")
    assert response.status_code == 200
    fetch(client, visitors)  # counting again in between must not count as a change
    token = re.search(r'hx-post="/undo/([A-Za-z0-9_-]+)/"', response.content.decode()).group(1)
    undone = client.post(f"/undo/{token}/")
    assert undone.status_code == 302, undone.content[-500:]
    assert r.get(visitors) == before
