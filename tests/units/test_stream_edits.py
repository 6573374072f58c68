"""Stream edits through the edit endpoint, against a real Redis: add an entry (with trimming
shown and confirmed first), delete entries, trim by MAXLEN or MINID (counted without reading
the stream), and the refusals: conflicts, the size guard, read-only mode, the viewer role."""

from __future__ import annotations

import html
import re

import pytest

from keyspace.services.editing import guard
from keyspace.units.stream import trim as stream_trim
from tests.services.editing.forms import confirm, form_fields, open_form, submit
from tests.support.htmx import HTMX
from tests.support.urls import edit_url
from tests.units.helpers import RedisWork

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py


def text(response) -> str:
    """What a person reads, lower case (confirmations may start a sentence with it)."""
    plain = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return " ".join(plain.split()).lower()


def ids(r, key="s") -> list[str]:
    return [entry_id.decode() for entry_id, _ in r.xrange(key, count=100_000)]


@pytest.fixture
def stream(r):
    for i in range(1, 11):
        r.xadd("s", {"n": str(i)}, id=f"{i}-0")
    return "s"


# --- add ---------------------------------------------------------------------------------------


def test_add_with_a_generated_id_and_fields_as_lines(client, r, stream):
    response = submit(client, "s", "stream-add", entry_fields="name=alice\nnote=a=b\n\n")
    assert response.status_code == 200, text(response)
    [(entry_id, fields)] = r.xrevrange("s", count=1)
    assert fields == {b"name": b"alice", b"note": b"a=b"}
    assert f"added the entry {entry_id.decode()} (2 fields)" in text(response)
    assert r.xlen("s") == 11


def test_add_with_an_explicit_id_and_hex_fields(client, r, stream):
    response = submit(client, "s", "stream-add", entry_id="20-5", entry_fields="00ff=0a0d",
                      entry_fields_encoding="hex")
    assert response.status_code == 200, text(response)
    assert r.xrange("s", min="20-5", max="20-5") == [(b"20-5", {b"\x00\xff": b"\n\r"})]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"entry_id": "3-0"}, "entry_id", "greater than the stream's last one"),
    ({"entry_id": "0-0"}, "entry_id", "0-0 is no entry ID"),
    ({"entry_id": "x-1"}, "entry_id", "is not an entry ID"),
    ({"entry_fields": "no equals sign"}, "entry_fields", "line 1: write field=value"),
    ({"entry_fields": "a=1\na=2"}, "entry_fields", "given twice"),
    ({"entry_fields": "zz=1", "entry_fields_encoding": "hex"}, "entry_fields", "not valid hex"),
    ({"strategy": "MAXLEN", "threshold": "many"}, "threshold", "how many entries to keep"),
])
def test_bad_input_is_refused_by_its_field(client, r, stream, changes, field, message):
    base = {"entry_fields": "a=1"}
    response = submit(client, "s", "stream-add", **(base | changes))
    assert response.status_code == 422
    body = response.content.decode()
    error = re.search(rf'id="id_{field}_error"[^>]*>(.*?)</', body, re.S) or \
        re.search(rf'<div[^>]*>\s*<label for="id_{field}".*?errorlist[^>]*>(.*?)</ul>', body, re.S)
    assert message in html.unescape(body), body[-2000:]
    assert error is not None or message in text(response)
    assert r.xlen("s") == 10


def test_add_never_creates_a_deleted_stream(client, r, stream):
    fields = open_form(client, "s", "stream-add")
    r.delete("s")
    fields.update(entry_fields="a=1")
    response = client.post(edit_url("s", "stream-add"), fields, headers=HTMX)
    assert response.status_code == 404
    assert not r.exists("s")


def test_add_with_maxlen_shows_what_it_removes_then_trims(client, r, stream):
    asked = submit(client, "s", "stream-add", entry_fields="a=1", strategy="MAXLEN",
                   threshold="4")
    assert asked.status_code == 428
    assert "removes 7 entries of the 10 now in the stream" in text(asked)
    assert r.xlen("s") == 10  # nothing yet
    done = confirm(client, "s", "stream-add", asked)
    assert done.status_code == 200, text(done)
    assert r.xlen("s") == 4
    assert ids(r)[:3] == ["8-0", "9-0", "10-0"]


def test_add_with_trimming_refuses_when_the_stream_changed_after_confirming(client, r, stream):
    asked = submit(client, "s", "stream-add", entry_fields="a=1", strategy="MAXLEN",
                   threshold="4")
    r.xadd("s", {"other": "client"}, id="11-0")
    refused = confirm(client, "s", "stream-add", asked)
    assert refused.status_code in (409, 428)
    assert r.xlen("s") == 11
    assert ids(r)[0] == "1-0"


# --- delete ------------------------------------------------------------------------------------


def test_delete_shows_the_entries_then_deletes_them(client, r, stream):
    asked = submit(client, "s", "stream-delete", ids="2-0\n5-0 99-0")
    assert asked.status_code == 428
    said = text(asked)
    assert "this deletes 2 entries (1 of the ids given does not exist): 2-0 (n=2); 5-0 (n=5)" \
        in said
    done = confirm(client, "s", "stream-delete", asked)
    assert done.status_code == 200, text(done)
    assert "deleted 2 entries" in text(done)
    assert "2-0" not in ids(r) and "5-0" not in ids(r) and r.xlen("s") == 8


def test_delete_refuses_entries_changed_after_they_were_shown(client, r, stream):
    asked = submit(client, "s", "stream-delete", ids="2-0 5-0")
    r.xdel("s", "5-0")  # another client, between the confirmation and the submit
    refused = confirm(client, "s", "stream-delete", asked)
    assert refused.status_code in (409, 428)
    assert "2-0" in ids(r)


def test_delete_conflict_inside_the_transaction(client, r, stream, monkeypatch):
    asked = submit(client, "s", "stream-delete", ids="2-0 5-0")

    def meanwhile(other, keys):
        monkeypatch.setattr(guard, "before_write", None)
        r.xdel("s", "2-0")
        r.xadd("s", {"n": "2"}, id="12-0")

    monkeypatch.setattr(guard, "before_write", meanwhile)
    refused = confirm(client, "s", "stream-delete", asked)
    assert refused.status_code == 409, text(refused)
    assert "changed since they were shown" in text(refused)
    assert "5-0" in ids(r)


# --- trim --------------------------------------------------------------------------------------


def test_trim_maxlen_counts_from_the_length(client, r, stream):
    asked = submit(client, "s", "stream-trim", strategy="MAXLEN", threshold="3")
    assert asked.status_code == 428
    assert "please confirm: trimming (keep the newest 3) removes 7 entries of the 10" \
        in text(asked)
    assert r.xlen("s") == 10
    done = confirm(client, "s", "stream-trim", asked)
    assert "trimmed 7 entries" in text(done)
    assert ids(r) == ["8-0", "9-0", "10-0"]


def test_trim_minid_counts_in_redis_without_reading_the_stream(client, r, stream):
    big = "x" * 10_000
    with r.pipeline() as pipe:
        for i in range(11, 211):
            pipe.xadd("s", {"big": big}, id=f"{i}-0")
        pipe.execute()
    with RedisWork(r) as work:
        asked = submit(client, "s", "stream-trim", strategy="MINID", threshold="150-0")
    assert "removes 149 entries of the 210" in text(asked)
    assert work.output_bytes < 200_000  # 140 removed entries of 10 kB were never sent
    done = confirm(client, "s", "stream-trim", asked)
    assert done.status_code == 200
    assert ids(r)[0] == "150-0"


def test_trim_minid_over_the_count_bound_says_at_least(client, r, monkeypatch, stream):
    monkeypatch.setattr(stream_trim, "COUNT_STEP", 2)
    monkeypatch.setattr(stream_trim, "COUNT_BOUND", 4)
    asked = submit(client, "s", "stream-trim", strategy="MINID", threshold="6-0")
    assert "removes 5 entries of the 10" not in text(asked)
    assert "removes at least 4 entries of the 10" in text(asked)
    assert "removes 4 entries" in text(submit(client, "s", "stream-trim", strategy="MINID",
                                              threshold="5-0"))
    asked = submit(client, "s", "stream-trim", strategy="MINID", threshold="9-0")
    assert "removes at least 4 entries of the 10" in text(asked)
    done = confirm(client, "s", "stream-trim", asked)
    assert done.status_code == 200
    assert ids(r) == ["9-0", "10-0"]


def test_a_trim_changed_after_it_was_shown_is_shown_again(client, r, stream):
    asked = submit(client, "s", "stream-trim", strategy="MAXLEN", threshold="3")
    fields = {k: v for k, v in form_fields(asked.content.decode()).items()
              if k != "csrfmiddlewaretoken"}
    fields["threshold"] = "1"
    again = client.post(edit_url("s", "stream-trim"), fields, headers=HTMX)
    assert again.status_code == 428 and "removes 9 entries" in text(again)
    assert r.xlen("s") == 10


def test_trim_acts_only_on_the_stream_as_confirmed(client, r, stream, monkeypatch):
    asked = submit(client, "s", "stream-trim", strategy="MAXLEN", threshold="3")

    def meanwhile(other, keys):
        monkeypatch.setattr(guard, "before_write", None)
        r.xadd("s", {"n": "late"}, id="11-0")

    monkeypatch.setattr(guard, "before_write", meanwhile)
    refused = confirm(client, "s", "stream-trim", asked)
    assert refused.status_code == 409, text(refused)
    assert "it now has 11 entries, and the trim would remove 8 entries" in text(refused)
    assert r.xlen("s") == 11


def test_exact_trim_over_the_size_guard_is_refused(client, r, stream, settings):
    settings.DASHBOARD_MAX_LINEAR_WRITE_ELEMENTS = 5
    refused = submit(client, "s", "stream-trim", strategy="MAXLEN", threshold="2")
    assert refused.status_code == 422  # before it is even shown
    assert "more than the 5 the dashboard lets one command remove" in text(refused)
    assert r.xlen("s") == 10


def test_approximate_trim_runs_capped(client, r, stream):
    asked = submit(client, "s", "stream-trim", strategy="MAXLEN", threshold="2",
                   precision="approx")
    assert "removes up to 8 entries" in text(asked)
    done = confirm(client, "s", "stream-trim", asked)
    assert done.status_code == 200
    assert r.xlen("s") >= 2  # whole nodes only: a small stream is one node, kept whole


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["stream-add", "stream-delete", "stream-trim"])
def test_viewers_and_read_only_mode_are_refused(client, viewer_client, settings, r, stream,
                                                action):
    data = {"entry_fields": "a=1", "ids": "1-0", "strategy": "MAXLEN", "threshold": "1",
            "expected_type": "stream"}
    assert viewer_client.post(edit_url("s", action), data).status_code == 403
    settings.DASHBOARD_READONLY = True
    assert client.post(edit_url("s", action), data).status_code == 403
    assert r.xlen("s") == 10


def test_delete_one_entry_from_its_row(client, r, stream):
    response = client.get(edit_url("s", "stream-delete-entry") + "?row=4-0", headers=HTMX)
    assert response.status_code == 200
    assert "4-0: n=4" in text(response)
    fields = form_fields(response.content.decode())
    fields.pop("csrfmiddlewaretoken", None)
    done = client.post(edit_url("s", "stream-delete-entry"), fields, headers=HTMX)
    assert done.status_code == 200, text(done)
    assert "deleted the entry 4-0" in text(done)
    assert "4-0" not in ids(r) and r.xlen("s") == 9


def test_delete_one_entry_deleted_meanwhile_is_a_conflict(client, r, stream):
    response = client.get(edit_url("s", "stream-delete-entry") + "?row=4-0", headers=HTMX)
    fields = form_fields(response.content.decode())
    fields.pop("csrfmiddlewaretoken", None)
    r.xdel("s", "4-0")
    refused = client.post(edit_url("s", "stream-delete-entry"), fields, headers=HTMX)
    assert refused.status_code == 409 and "deleted meanwhile" in text(refused)
    assert r.xlen("s") == 9
    assert client.get(edit_url("s", "stream-delete-entry") + "?row=x").status_code == 400
