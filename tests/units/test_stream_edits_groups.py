"""Consumer-group edits through the edit endpoint, against a real Redis: create (at $, 0 or an
ID, MKSTREAM), set the last delivered ID, delete a group or a consumer (confirmed with what
they hold pending), and each refused when the group changed after it was shown."""

from __future__ import annotations

import html
import re

import pytest

from keyspace.redis.keynames import encode_key
from keyspace.services.editing import guard
from tests.services.editing.forms import confirm, form_fields, open_form, submit
from tests.support.htmx import HTMX
from tests.support.urls import edit_url

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py


def text(response) -> str:
    plain = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return " ".join(plain.split())


def groups(r) -> dict[bytes, dict]:
    return {g["name"]: g for g in r.xinfo_groups("s")}


@pytest.fixture
def work(r):
    for i in range(1, 11):
        r.xadd("s", {"n": str(i)}, id=f"{i}-0")
    r.xgroup_create("s", "g", "0")
    r.xreadgroup("g", "alice", {"s": ">"}, count=3)
    return "s"


def with_group(action: str, group=b"g", consumer=None) -> dict:
    query = {"group": encode_key(group)}
    if consumer is not None:
        query["consumer"] = encode_key(consumer)
    return query


def open_for(client, action, **query):
    response = client.get(edit_url("s", action), query)
    assert response.status_code == 200, text(response)[-800:]
    return form_fields(response.content.decode())


@pytest.mark.parametrize(("start", "last"), [("$", "10-0"), ("0", "0-0"), ("4-0", "4-0")])
def test_create_group_at_a_start(client, r, work, start, last):
    response = submit(client, "s", "stream-group-create", group="new", start=start)
    assert response.status_code == 200, text(response)
    assert groups(r)[b"new"]["last-delivered-id"] == last.encode()


def test_create_group_with_a_binary_name(client, r, work):
    response = submit(client, "s", "stream-group-create", group=r"bin\xff", start="0")
    assert response.status_code == 200
    assert b"bin\xff" in groups(r)


def test_create_group_refuses_a_taken_name_by_its_field(client, r, work):
    response = submit(client, "s", "stream-group-create", group="g", start="0")
    assert response.status_code == 422
    assert "already has a group of that name" in text(response)


def test_create_group_with_mkstream_recreates_a_deleted_stream(client, r, work):
    fields = open_form(client, "s", "stream-group-create")
    r.delete("s")
    fields.update(group="fresh", start="$", mkstream="on")
    fields.pop("csrfmiddlewaretoken", None)
    response = client.post(edit_url("s", "stream-group-create"), fields, headers=HTMX)
    assert response.status_code in (200, 204), text(response)
    assert r.type("s") == b"stream" and b"fresh" in groups(r)


def test_set_group_id(client, r, work):
    opened = client.get(edit_url("s", "stream-group-setid"), with_group("stream-group-setid"))
    # Shown (in the form's "Where it is now"), as carried.
    assert "the group 'g' last delivered 3-0" in html.unescape(opened.content.decode())
    fields = form_fields(opened.content.decode())
    assert fields["group"] == "g" and fields["expected"].endswith("|3-0")
    fields.update(last_id="0")
    fields.pop("csrfmiddlewaretoken", None)
    response = client.post(edit_url("s", "stream-group-setid"), fields, headers=HTMX)
    assert response.status_code == 200, text(response)
    assert "now delivers entries after 0 (it was at 3-0)" in text(response)
    assert groups(r)[b"g"]["last-delivered-id"] == b"0-0"


def test_set_group_id_refuses_when_the_group_moved_on(client, r, work):
    fields = open_for(client, "stream-group-setid", **with_group("stream-group-setid"))
    r.xreadgroup("g", "bob", {"s": ">"}, count=2)  # another consumer reads: 5-0 now
    fields.update(last_id="0")
    fields.pop("csrfmiddlewaretoken", None)
    response = client.post(edit_url("s", "stream-group-setid"), fields, headers=HTMX)
    assert response.status_code == 409
    assert "last delivered 5-0" in text(response)
    assert groups(r)[b"g"]["last-delivered-id"] == b"5-0"


def post_form(client, action, fields):
    fields = {k: v for k, v in fields.items() if k != "csrfmiddlewaretoken"}
    return client.post(edit_url("s", action), fields, headers=HTMX)


def test_delete_group_from_its_row_shows_its_pending_count_then_deletes_it(client, r, work):
    opened = client.get(edit_url("s", "stream-group-destroy"), with_group("x"), headers=HTMX)
    assert "has 3 pending entries" in text(opened) and "last delivered 3-0" in text(opened)
    done = post_form(client, "stream-group-destroy", form_fields(opened.content.decode()))
    assert done.status_code == 200, text(done)
    assert groups(r) == {} and r.xlen("s") == 10


def test_delete_group_typed_by_name_is_shown_first(client, r, work):
    asked = submit(client, "s", "stream-group-destroy", group="g")
    assert asked.status_code == 428
    assert "Please confirm: the group 'g' has 3 pending entries" in text(asked)
    assert "something else" not in text(asked)
    assert b"g" in groups(r)
    done = confirm(client, "s", "stream-group-destroy", asked)
    assert done.status_code == 200, text(done)
    assert groups(r) == {}


def test_a_group_typed_after_another_was_shown_is_shown_again(client, r, work):
    r.xgroup_create("s", "other", "0")
    fields = open_for(client, "stream-group-destroy", **with_group("x"))
    fields["group"] = "other"
    asked = post_form(client, "stream-group-destroy", fields)
    assert asked.status_code == 428 and "the group 'other' has 0 pending" in text(asked)
    assert set(groups(r)) == {b"g", b"other"}


def test_delete_group_refuses_when_it_changed_meanwhile(client, r, work, monkeypatch):
    fields = open_for(client, "stream-group-destroy", **with_group("x"))

    def meanwhile(other, keys):
        monkeypatch.setattr(guard, "before_write", None)
        r.xack("s", "g", "1-0")  # invisible to WATCH: only the script's check sees it

    monkeypatch.setattr(guard, "before_write", meanwhile)
    refused = post_form(client, "stream-group-destroy", fields)
    assert refused.status_code == 409, text(refused)
    assert "2 pending" in text(refused)
    assert b"g" in groups(r)


def test_delete_consumer_shows_what_it_holds(client, r, work):
    query = with_group("x", consumer=b"alice")
    opened = client.get(edit_url("s", "stream-consumer-delete"), query, headers=HTMX)
    assert "holds 3 pending entries" in text(opened)
    fields = form_fields(opened.content.decode())
    assert fields["consumer"] == "alice"
    done = post_form(client, "stream-consumer-delete", fields)
    assert done.status_code == 200, text(done)
    assert "3 pending entries went with it" in text(done)
    assert r.xinfo_consumers("s", "g") == [] and groups(r)[b"g"]["pending"] == 0


def test_delete_consumer_refuses_when_it_took_more_work(client, r, work):
    fields = open_for(client, "stream-consumer-delete", **with_group("x", consumer=b"alice"))
    r.xreadgroup("g", "alice", {"s": ">"}, count=1)
    refused = post_form(client, "stream-consumer-delete", fields)
    assert refused.status_code == 409 and "4 pending" in text(refused)
    assert r.xinfo_consumers("s", "g")[0]["pending"] == 4


def test_a_group_that_does_not_exist_is_said_by_its_field(client, r, work):
    response = submit(client, "s", "stream-group-setid", group="nope", last_id="0")
    assert response.status_code == 422 and "no such group" in text(response)


@pytest.mark.parametrize("action", ["stream-group-create", "stream-group-setid",
                                    "stream-group-destroy", "stream-consumer-delete"])
def test_viewers_and_read_only_mode_are_refused(client, viewer_client, settings, r, work,
                                                action):
    data = {"group": "g", "consumer": "alice", "start": "0", "last_id": "0", "expected": "3",
            "expected_type": "stream"}
    assert viewer_client.post(edit_url("s", action), data).status_code == 403
    settings.DASHBOARD_READONLY = True
    assert client.post(edit_url("s", action), data).status_code == 403
    assert groups(r)[b"g"]["pending"] == 3 and len(groups(r)) == 1


def test_consumers_past_the_listing_limit_are_refused_before_the_script(client, r, work,
                                                                        monkeypatch):
    from keyspace.units.stream import group_guard as stream_groups

    r.xreadgroup("g", "bob", {"s": ">"}, count=1)
    fields = open_for(client, "stream-consumer-delete", **with_group("x", consumer=b"alice"))
    monkeypatch.setattr(stream_groups, "LISTING_LIMIT", 1)
    refused = post_form(client, "stream-consumer-delete", fields)
    assert refused.status_code == 422
    assert "this group has 2 consumers, more than the 1" in text(refused)
    assert len(r.xinfo_consumers("s", "g")) == 2


def test_group_row_actions_for_editors_only(editor, viewer):
    from types import SimpleNamespace

    from django.template.loader import render_to_string

    group = SimpleNamespace(name=b"g\xff", token=encode_key(b"g\xff"))
    context = {"db": 0, "key": b"s", "group": group}
    drawn = render_to_string("keyspace/units/stream_group_actions.html",
                             context | {"user": editor})
    assert f'{edit_url("s", "stream-group-setid")}?group={group.token}' in drawn
    assert f'{edit_url("s", "stream-group-destroy")}?group={group.token}' in drawn
    assert f"/stream/pending/{group.token}/#claim-idle" in drawn
    assert render_to_string("keyspace/units/stream_group_actions.html",
                            context | {"user": viewer}).strip() == ""


def test_the_group_edits_open_from_those_links_with_the_group_filled_in(client, r, work):
    response = client.get(edit_url("s", "stream-group-destroy"), {"group": encode_key(b"g")},
                          headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and 'name="group" value="g"' in body


@pytest.mark.parametrize("expected", [None, ""])
def test_set_group_id_without_the_group_shown_says_where_it_is_first(client, r, work, expected):
    """Opened with the group's name typed (the toolbar's form carries no state), or sent
    without it: the first submit says where the group is and moves nothing, so another
    consumer's reads meanwhile are not overwritten; a submit of what it said moves it."""
    fields = {"group": "g", "last_id": "0", "expected_type": "stream"}
    if expected is not None:
        fields["expected"] = expected
    r.xreadgroup("g", "bob", {"s": ">"}, count=4)  # another consumer reads: 7-0 now
    asked = client.post(edit_url("s", "stream-group-setid"), fields, headers=HTMX)
    assert asked.status_code == 428, text(asked)
    assert "last delivered 7-0" in text(asked)
    assert groups(r)[b"g"]["last-delivered-id"] == b"7-0"
    again = form_fields(asked.content.decode())
    assert again["expected"].endswith("|7-0")
    r.xreadgroup("g", "bob", {"s": ">"}, count=1)  # and reads again before the second submit
    moved_on = post_form(client, "stream-group-setid", again)
    assert moved_on.status_code == 409 and groups(r)[b"g"]["last-delivered-id"] == b"8-0"
    done = post_form(client, "stream-group-setid", form_fields(moved_on.content.decode()))
    assert done.status_code == 200, text(done)
    assert groups(r)[b"g"]["last-delivered-id"] == b"0-0"


def test_set_group_id_carries_the_group_it_showed_not_only_its_position(client, r, work):
    """Two groups at the same place: a form drawn for one, sent with the other's name, asks
    about the other first instead of moving it unseen."""
    r.xgroup_create("s", "h", "3-0")
    fields = open_for(client, "stream-group-setid", **with_group("stream-group-setid"))
    fields.update(group="h", last_id="0")
    asked = post_form(client, "stream-group-setid", fields)
    assert asked.status_code == 428 and "the group 'h' last delivered 3-0" in text(asked)
    assert groups(r)[b"h"]["last-delivered-id"] == b"3-0"
    done = post_form(client, "stream-group-setid", form_fields(asked.content.decode()))
    assert done.status_code == 200 and groups(r)[b"h"]["last-delivered-id"] == b"0-0"
    assert groups(r)[b"g"]["last-delivered-id"] == b"3-0"
