"""Edits by JSONPath on a real RedisJSON: each goes through only if the value at the path is
still what the user saw."""

from __future__ import annotations

import json
from urllib.parse import quote

from keyspace.services.editing import guard
from tests.services.editing.forms import confirm, form_fields
from tests.support.htmx import HTMX
from tests.support.urls import edit_url, key_url


def open_at(client, key: str, action: str, path: str) -> dict:
    response = client.get(edit_url(key, action), {"path": path})
    assert response.status_code == 200, response.content[:500]
    fields = form_fields(response.content.decode())
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def post(client, key: str, action: str, fields: dict):
    return client.post(edit_url(key, action), fields, headers=HTMX)


def doc(r, key="doc"):
    return json.loads(r.execute_command("JSON.GET", key, "$"))[0]


def seed(r):
    r.execute_command("JSON.SET", "doc", "$",
                      json.dumps({"a": 1, "list": [1, 2], "o": {"k": "v"}, "f": 1.5}))


def test_set_a_value(client, r):
    seed(r)
    fields = open_at(client, "doc", "json-set", '$["o"]["k"]')
    assert fields["value"] == '"v"'
    response = post(client, "doc", "json-set", fields | {"value": '{"new": [true]}'})
    assert response.status_code == 200, response.content[:500]
    assert doc(r)["o"]["k"] == {"new": [True]}


def test_set_adds_a_key_the_user_saw_absent(client, r):
    seed(r)
    fields = open_at(client, "doc", "json-set", "$.o.added")
    assert post(client, "doc", "json-set", fields | {"value": "7"}).status_code == 200
    assert doc(r)["o"]["added"] == 7


def test_a_value_changed_meanwhile_is_a_conflict_then_an_informed_submit_goes(client, r):
    seed(r)
    fields = open_at(client, "doc", "json-set", "$.a")
    r.execute_command("JSON.SET", "doc", "$.a", "2")
    refused = post(client, "doc", "json-set", fields | {"value": "10"})
    assert refused.status_code == 409 and doc(r)["a"] == 2
    again = form_fields(refused.content.decode())
    again.pop("csrfmiddlewaretoken", None)
    assert post(client, "doc", "json-set", again | {"value": "10"}).status_code == 200
    assert doc(r)["a"] == 10


def test_a_change_between_check_and_write_is_caught_by_the_watch(client, r, monkeypatch):
    seed(r)
    fields = open_at(client, "doc", "json-incr", "$.a")
    monkeypatch.setattr(guard, "before_write", lambda c, keys: r.execute_command(
        "JSON.SET", "doc", "$.a", "5") if doc(r)["a"] == 1 else None)
    response = post(client, "doc", "json-incr", fields | {"amount": "1"})
    assert response.status_code == 409 and doc(r)["a"] == 5


# Destructive JSON edits proven here against a change in the check-write window (the
# registry-wide list in tests/services/editing/test_check_write_window.py counts them).
WINDOW_COVERED = {"json-del"}


def test_a_delete_does_not_remove_a_value_changed_in_the_check_write_window(
        client, r, monkeypatch):
    seed(r)
    fields = open_at(client, "doc", "json-del", "$.o")
    fired = []

    def meddle(c, keys):
        if not fired:
            fired.append(True)
            r.execute_command("JSON.SET", "doc", "$.o.k", '"changed"')

    monkeypatch.setattr(guard, "before_write", meddle)
    response = submitted(client, "doc", "json-del", fields)
    assert fired and response.status_code == 409
    assert doc(r)["o"] == {"k": "changed"}


def test_a_path_typed_but_not_seen_is_shown_first(client, r):
    seed(r)
    fields = open_at(client, "doc", "json-set", "$.a")
    refused = post(client, "doc", "json-set", fields | {"path": "$.f", "value": "0"})
    assert refused.status_code == 409 and doc(r)["f"] == 1.5
    assert "not shown yet" in refused.content.decode()


def test_a_path_that_could_match_several_values_is_refused_by_the_field(client, r):
    seed(r)
    r.execute_command("JSON.SET", "doc", "$.k", '"top"')
    fields = open_at(client, "doc", "json-set", "$.a")
    for wild in ("$..k", "$.*", "$.list[0:2]", '$["a","f"]', "$.list[?(@>1)]", "a"):
        response = post(client, "doc", "json-set", fields | {"path": wild, "value": "0"})
        assert response.status_code == 422, wild
        assert "a path to one value" in response.content.decode()
    assert doc(r)["o"]["k"] == "v" and doc(r)["k"] == "top"
    opened = client.get(edit_url("doc", "json-set"), {"path": "$..k"})
    assert opened.status_code == 400


def test_bad_json_is_refused_by_the_field(client, r):
    seed(r)
    fields = open_at(client, "doc", "json-set", "$.a")
    for bad in ("{", "NaN", "'x'", "1e400", "[-1.8e308]", '"\\ud800"', '{"a": "x\\udfff"}',
                "12345678901234567890123", "[-9223372036854775809]", str(2**64)):
        response = post(client, "doc", "json-set", fields | {"value": bad})
        assert response.status_code == 422 and "not JSON" in response.content.decode(), bad
    assert doc(r)["a"] == 1
    # The whole numbers RedisJSON keeps exactly go in as typed: signed and unsigned 64-bit.
    for number in (2**63 - 1, 2**64 - 1, -2**63):
        assert post(client, "doc", "json-set", fields | {"value": str(number)}).status_code == 200
        assert doc(r)["a"] == number
        fields = open_at(client, "doc", "json-set", "$.a")


def test_json_nested_past_any_parser_is_refused_by_the_field(client, r):
    """Python's json parser recurses: a value nested 50,000 deep was a RecursionError, a 500,
    in the edit form and in the New-key form."""
    seed(r)
    deep = "[" * 50_000 + "]" * 50_000
    fields = open_at(client, "doc", "json-set", "$.a")
    response = post(client, "doc", "json-set", fields | {"value": deep})
    assert response.status_code == 422 and "nested too deeply" in response.content.decode()
    assert doc(r)["a"] == 1
    response = client.post("/c/default/db/0/new/", {"name": "made", "type": "ReJSON-RL",
                                                    "document": deep}, headers=HTMX)
    assert response.status_code == 422 and "nested too deeply" in response.content.decode()
    assert not r.exists("made")


def submitted(client, key: str, action: str, fields: dict):
    """POST the form, and once more as drawn if a confirmation is asked for."""
    response = post(client, key, action, fields)
    return confirm(client, key.encode(), action, response) if response.status_code == 428 \
        else response


def test_delete_a_path(client, r):
    seed(r)
    fields = open_at(client, "doc", "json-del", "$.o")
    assert submitted(client, "doc", "json-del", fields).status_code == 200
    assert "o" not in doc(r) and doc(r)["a"] == 1


def test_deleting_the_root_is_refused(client, r):
    seed(r)
    fields = open_at(client, "doc", "json-del", "$")
    response = submitted(client, "doc", "json-del", fields)
    assert response.status_code == 422 and r.exists("doc")
    assert "delete the key instead" in response.content.decode()


def test_append_to_an_array_and_increment_a_number(client, r):
    seed(r)
    fields = open_at(client, "doc", "json-append", "$.list")
    assert post(client, "doc", "json-append", fields | {"value": '"x"'}).status_code == 200
    assert doc(r)["list"] == [1, 2, "x"]
    fields = open_at(client, "doc", "json-append", "$.a")
    response = post(client, "doc", "json-append", fields | {"value": "1"})
    assert response.status_code == 422 and "not an array" in response.content.decode()
    fields = open_at(client, "doc", "json-incr", "$.f")
    assert post(client, "doc", "json-incr", fields | {"amount": "-0.5"}).status_code == 200
    assert doc(r)["f"] == 1.0
    fields = open_at(client, "doc", "json-incr", '$["o"]')
    response = post(client, "doc", "json-incr", fields | {"amount": "1"})
    assert response.status_code == 422 and "not a number" in response.content.decode()


def test_a_json_key_is_created_from_the_new_key_form(client, r):
    response = client.post("/c/default/db/0/new/", {"name": "made", "type": "ReJSON-RL",
                                          "document": '{"x": [1]}'}, headers=HTMX)
    assert response.status_code in (200, 204), response.content[:500]
    assert doc(r, "made") == {"x": [1]}


def test_a_new_json_key_needs_a_json_document(client, r):
    for bad, message in (("", "a JSON document is needed"), ("{x", "not JSON")):
        response = client.post("/c/default/db/0/new/", {"name": "made", "type": "ReJSON-RL",
                                              "document": bad}, headers=HTMX)
        assert response.status_code == 422 and message in response.content.decode()
    assert not r.exists("made")


def test_a_json_edit_never_measures_the_whole_document(client, r):
    """Undo would measure the key with MEMORY USAGE, which walks a JSON document whole: JSON
    edits are not kept for undo, and say so."""
    from tests.units.helpers import RedisWork

    seed(r)
    fields = open_at(client, "doc", "json-set", "$.a")
    with RedisWork(r) as work:
        response = post(client, "doc", "json-set", fields | {"value": "2"})
    assert response.status_code == 200 and doc(r)["a"] == 2
    assert work.count("memory|usage") == 0 and work.count("json.debug|memory") == 0, work.calls
    assert "cannot be measured without reading all of it" in response.content.decode()


# Names whose quoted step needs a backslash: RedisJSON's reads unescape it, its writes do not.
ESCAPED_NAMES = ['both\'"quotes', "back\\slash", "a\\'b"]


def test_a_key_named_with_escapes_is_never_written_beside_the_one_shown(client, r):
    """JSON.SET at `$["a'b\\"c"]` would add a key `a'b\\"c` beside the `a'b"c` the form
    showed and checked (and JSON.DEL, ARRAPPEND and NUMINCRBY would act on nothing), while
    the dashboard said it was done: such paths are refused, by the field, and not offered."""
    from keyspace.units.rejson.paths import child_path

    seed(r)
    for name in ESCAPED_NAMES:
        r.execute_command("JSON.SET", "doc", "$", json.dumps({name: [1], "a": 1}))
        path = child_path("$", name.encode())
        opened = client.get(edit_url("doc", "json-set"), {"path": path})
        assert opened.status_code == 422 and "backslash" in opened.content.decode()
        fields = open_at(client, "doc", "json-set", "$.a")
        for action, extra in (("json-set", {"value": "5"}), ("json-append", {"value": "5"}),
                              ("json-incr", {"amount": "1"}), ("json-del", {})):
            response = submitted(client, "doc", action, fields | extra | {
                "path": path, "seen_path": path})
            assert response.status_code == 422, (name, action, response.content[:300])
            assert "backslash" in response.content.decode()
            assert doc(r) == {name: [1], "a": 1}, (name, action)
        tree = client.get(key_url("doc")).content.decode()
        assert f"?path={quote(path, safe='')}" not in tree  # no edit link for it
        assert f"?path={quote(child_path('$', b'a'), safe='')}" in tree  # as for others


def test_an_array_item_is_edited_only_where_the_user_saw_it(client, r):
    """The user opened $.l[1] (a 1); another client removed the first item: a 1 is still at
    $.l[1], but it is the item that was at [2]. The array's length and the items beside the
    index are part of what the form carries, so the edit is a conflict."""
    r.execute_command("JSON.SET", "doc", "$", json.dumps({"l": [5, 1, 1, 7], "m": [[0, 1]]}))
    fields = open_at(client, "doc", "json-incr", "$.l[1]")
    r.execute_command("JSON.ARRPOP", "doc", "$.l", 0)
    response = post(client, "doc", "json-incr", fields | {"amount": "10"})
    assert response.status_code == 409 and doc(r)["l"] == [1, 1, 7]
    fields = open_at(client, "doc", "json-set", "$.m[0][-1]")
    r.execute_command("JSON.ARRINSERT", "doc", "$.m[0]", 0, "1")  # [1, 0, 1]: last is 1 still
    response = post(client, "doc", "json-set", fields | {"value": "9"})
    assert response.status_code == 409 and doc(r)["m"] == [[1, 0, 1]]
    fields = open_at(client, "doc", "json-set", "$.m[0][2]")  # unchanged: it goes
    assert post(client, "doc", "json-set", fields | {"value": "9"}).status_code == 200
    assert doc(r)["m"] == [[1, 0, 9]]


def test_an_item_of_an_array_of_objects_is_edited_only_where_the_user_saw_it(client, r):
    """Accounts as objects: the user opened B's balance at $.acc[1].bal; another client
    popped A and appended D. C now sits at [1] with the same balance, and the items beside it
    have the same shape: the items' contents are part of what the form carries."""
    accounts = {"acc": [{"id": i, "bal": 0} for i in "ABC"]}
    for action, extra, meddle in (
        ("json-incr", {"amount": "100"}, "shift"),
        ("json-del", {}, "shift"),
        ("json-incr", {"amount": "100"}, "swap"),
    ):
        r.execute_command("JSON.SET", "doc", "$", json.dumps(accounts))
        fields = open_at(client, "doc", action, "$.acc[1].bal")
        if meddle == "shift":
            r.execute_command("JSON.ARRPOP", "doc", "$.acc", 0)
            r.execute_command("JSON.ARRAPPEND", "doc", "$.acc", json.dumps({"id": "D", "bal": 0}))
        else:  # B and C change places
            r.execute_command("JSON.SET", "doc", "$.acc[1]", json.dumps({"id": "C", "bal": 0}))
            r.execute_command("JSON.SET", "doc", "$.acc[2]", json.dumps({"id": "B", "bal": 0}))
        before = doc(r)
        response = post(client, "doc", action, fields | extra)
        assert response.status_code == 409, (action, meddle, response.content[:300])
        assert doc(r) == before, (action, meddle)


def test_a_change_deep_inside_a_small_document_is_a_conflict(client, r):
    """A set or delete at a container replaces everything under it: a change anywhere below,
    however deep, is a conflict while the subtree is small enough to be read whole."""
    r.execute_command("JSON.SET", "doc", "$", json.dumps(
        {"u": {"n": "a", "tags": [{"t": 1}]}, "x": 1}))
    fields = open_at(client, "doc", "json-set", "$")
    assert json.loads(fields["value"]) == doc(r)  # small: the form holds the whole document
    r.execute_command("JSON.SET", "doc", "$.u.n", '"b"')
    response = post(client, "doc", "json-set", fields | {"value": '{"x": 2}'})
    assert response.status_code == 409 and doc(r)["u"]["n"] == "b"
    fields = open_at(client, "doc", "json-del", "$.u")
    r.execute_command("JSON.SET", "doc", "$.u.tags[0].t", "2")
    response = submitted(client, "doc", "json-del", fields)
    assert response.status_code == 409 and doc(r)["u"]["tags"] == [{"t": 2}]


def test_a_large_subtree_is_checked_by_a_bounded_sample(client, r):
    from tests.units.helpers import RedisWork

    big = {"rows": [{"id": n, "tags": ["a", "b"]} for n in range(3000)]}
    r.execute_command("JSON.SET", "doc", "$", json.dumps(big))
    fields = open_at(client, "doc", "json-set", "$")
    assert fields["value"] == ""  # too large to put in the form
    with RedisWork(r) as work:
        response = post(client, "doc", "json-set", fields | {"value": '{"x": 1}'})
    assert response.status_code == 200 and doc(r) == {"x": 1}
    # The check described at most its node budget, whatever the document's size.
    assert work.count("json.type") <= 2 * 1000 + 10, work.calls


def test_the_check_of_a_wide_nested_document_reads_a_bounded_amount(client, r):
    """800 objects of 200 names each: the check asks for names only while they fit its node
    budget (JSON.OBJKEYS returns all of an object's names at once), not for every object of
    a level."""
    from tests.units.helpers import RedisWork

    wide = {f"name-{n:04d}-{'x' * 30}": n for n in range(200)}
    r.execute_command("JSON.SET", "doc", "$", json.dumps([[wide] * 8] * 100))
    with RedisWork(r) as work:
        fields = open_at(client, "doc", "json-set", "$")
    assert work.output_bytes < 1_000_000, work.output_bytes
    assert work.count("json.objkeys") <= 10, work.calls
    assert post(client, "doc", "json-set", fields | {"value": "[]"}).status_code == 200
