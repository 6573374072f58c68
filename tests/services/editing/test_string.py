"""String edits through the edit view against a real Redis: replace (TTL kept), set with
expiry, only-if-absent, increment/decrement, append; and the safety rules around them."""

from __future__ import annotations

import html
import json
import re

import pytest

from keyspace.redis.keynames import encode_key
from keyspace.services.editing.guard import Conflict, KeyGone, Refused, digest, guarded
from keyspace.services.editing.increments import parse_increment
from keyspace.units.string.edits import Append, EditValue, Increment, SetWithExpiry, clearer
from keyspace.units.string.values import form_text, newline_style, reindent_json
from tests.services.editing.forms import confirm, form_fields, open_form, submit
from tests.support.htmx import HTMX
from tests.support.urls import edit_url

# A few round trips run on every server of the matrix (tests/support/servers.py): `servers`.

EDIT, EXPIRY, INCR, APPEND = "string-edit", "string-set-expiry", "string-incr", "string-append"
KEY = b"s"


def key_page(name: bytes = KEY) -> str:
    return f"/c/default/db/0/key/{encode_key(name)}/"


def post(client, action: str, fields: dict, *, key: bytes = KEY, htmx: bool = True):
    fields = {name: value for name, value in fields.items() if name != "csrfmiddlewaretoken"}
    return client.post(edit_url(key, action), fields, headers=HTMX if htmx else {})


def as_browser(fields: dict) -> dict:
    """A browser parses the textarea (CR LF → LF) and sends its line breaks as CR LF."""
    sent = dict(fields)
    text = sent["value"].replace("\r\n", "\n").replace("\r", "\n")
    sent["value"] = text.replace("\n", "\r\n")
    return sent


def problem(response) -> str:
    return html.unescape(response.content.decode())


# --- editing the value ----------------------------------------------------------------------


@pytest.mark.servers
def test_edit_text_redraws_the_value_section(client, r):
    r.set(KEY, "hello")
    fields = open_form(client, KEY, EDIT)
    assert fields["value"] == "hello" and fields["value_encoding"] == "text"
    assert fields["expected"] == digest(b"hello") and fields["expected_type"] == "string"
    response = post(client, EDIT, fields | {"value": "goodbye <b>"})
    assert response.status_code == 200, response.content[:500]
    assert response["HX-Retarget"] == "#value"
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="value"')
    assert "goodbye &lt;b&gt;" in body and "goodbye <b>" not in body
    assert 'id="key-meta" class="meta" hx-swap-oob="true"' in body
    assert r.get(KEY) == b"goodbye <b>"


def test_without_htmx_a_save_redirects_to_the_key_page(client, r):
    r.set(KEY, "hello")
    response = submit(client, KEY, EDIT, htmx=False, value="bye")
    assert response.status_code == 302 and response["Location"] == key_page()
    assert r.get(KEY) == b"bye"


def test_the_form_works_without_htmx_too(client, r):
    r.set(KEY, "hello")
    page = client.get(edit_url(KEY, EDIT))
    assert page.status_code == 200
    body = page.content.decode()
    assert body.lstrip().lower().startswith("<!doctype html>") and 'name="expected"' in body


def test_the_key_page_offers_every_string_edit(client, r):
    r.set(KEY, "1")
    body = client.get(key_page()).content.decode()
    for action in (EDIT, EXPIRY, INCR, APPEND):
        assert edit_url(KEY, action) in body


@pytest.mark.servers
def test_edit_keeps_the_ttl(client, r):
    r.set(KEY, "hello", px=600_000)
    before = r.pttl(KEY)
    assert submit(client, KEY, EDIT, value="new").status_code == 200
    after = r.pttl(KEY)
    assert r.get(KEY) == b"new"
    assert 0 < before - after < 5_000, (before, after)


def test_edit_of_a_key_without_ttl_leaves_it_without(client, r):
    r.set(KEY, "hello")
    submit(client, KEY, EDIT, value="new")
    assert r.pttl(KEY) == -1


def test_an_empty_value_can_be_saved(client, r):
    r.set(KEY, "hello")
    assert submit(client, KEY, EDIT, value="").status_code == 200
    assert r.get(KEY) == b"" and r.exists(KEY)


def test_value_is_escaped_in_the_form(client, r):
    r.set(KEY, "</textarea><script>alert(1)</script>")
    body = client.get(edit_url(KEY, EDIT), headers=HTMX).content.decode()
    assert "<script>alert(1)" not in body
    assert form_fields(body)["value"] == "</textarea><script>alert(1)</script>"


# --- bytes stay bytes ------------------------------------------------------------------------


@pytest.mark.servers
def test_binary_value_is_edited_as_hex_and_round_trips_byte_exact(client, r):
    raw = bytes(range(256)) + b"\r\n\x00\xff"
    r.set(KEY, raw)
    fields = open_form(client, KEY, EDIT)
    assert fields["value_encoding"] == "hex"
    assert bytes.fromhex(fields["value"]) == raw
    assert post(client, EDIT, fields).status_code == 200  # saved unchanged
    assert r.get(KEY) == raw
    fields = open_form(client, KEY, EDIT)
    assert post(client, EDIT, fields | {"value": fields["value"] + " 00"}).status_code == 200
    assert r.get(KEY) == raw + b"\x00"


@pytest.mark.parametrize(
    "raw",
    [
        b"one\ntwo\n",
        b"one\r\ntwo\r\n",
        b"\nstarts with a newline",
        b"tab\there  ",
        "ünï €".encode(),
    ],
)
def test_text_saved_from_a_browser_keeps_its_bytes(client, r, raw):
    r.set(KEY, raw)
    fields = open_form(client, KEY, EDIT)
    assert fields["value_encoding"] == "text"
    assert post(client, EDIT, as_browser(fields)).status_code == 200
    assert r.get(KEY) == raw
    # And posted with bare LF line breaks (a script, the test client): the same bytes.
    assert post(client, EDIT, open_form(client, KEY, EDIT)).status_code == 200
    assert r.get(KEY) == raw


def test_crlf_text_edited_keeps_crlf_line_breaks(client, r):
    r.set(KEY, b"a\r\nb")
    fields = open_form(client, KEY, EDIT)
    assert fields["newlines"] == "crlf"
    post(client, EDIT, fields | {"value": "a\nb\nc"})
    assert r.get(KEY) == b"a\r\nb\r\nc"


@pytest.mark.parametrize("raw", [b"lone\rcarriage return", b"mixed\r\nand\nbreaks"])
def test_line_breaks_a_textarea_would_change_are_edited_as_hex(client, r, raw):
    r.set(KEY, raw)
    fields = open_form(client, KEY, EDIT)
    assert fields["value_encoding"] == "hex"
    post(client, EDIT, fields)
    assert r.get(KEY) == raw


def test_newline_style_and_form_text():
    assert newline_style(b"a\nb") == "lf" and newline_style(b"a\r\nb") == "crlf"
    assert newline_style(b"a\rb") is None and newline_style(b"a\r\nb\n") is None
    assert form_text(b'{"a": 1}') == ('{"a": 1}', "json", "lf")
    assert form_text(b"\x00")[1] == "hex" and form_text("é".encode())[1] == "text"


# --- JSON ------------------------------------------------------------------------------------


def test_json_value_is_offered_as_json_and_saved_as_typed(client, r):
    r.set(KEY, '{"a":1}')
    fields = open_form(client, KEY, EDIT)
    assert fields["value_encoding"] == "json" and fields["json_format"] == "keep"
    post(client, EDIT, fields | {"value": '{"a":  2.50}'})
    assert r.get(KEY) == b'{"a":  2.50}'


def test_json_can_be_pretty_printed_before_saving(client, r):
    r.set(KEY, '{"a":1}')
    typed = '{"name":"Ada","n":[1,2.50,{}],"s":"a,b:{c}\\"\\u00e9"}'
    response = submit(client, KEY, EDIT, value=typed, json_format="pretty")
    assert response.status_code == 200
    saved = r.get(KEY).decode()
    assert json.loads(saved) == json.loads(typed)
    assert saved == reindent_json(typed)
    assert saved.startswith('{\n  "name": "Ada",\n  "n": [\n    1,\n    2.50,\n    {}\n  ],')
    assert '"a,b:{c}\\"\\u00e9"' in saved  # strings and numbers exactly as typed


def test_pretty_printing_matches_json_dumps_layout():
    value = {"a": [1, {"b": None, "c": []}, "x"], "d": {}, "e": 'q"uote'}
    assert reindent_json(json.dumps(value)) == json.dumps(value, indent=2)


@pytest.mark.parametrize(
    "typed, message",
    [
        ('{"a": 1', "not valid JSON"),
        ("{'a': 1}", "not valid JSON"),
        ('{"a": NaN}', "NaN is not JSON"),
        ("[Infinity]", "Infinity is not JSON"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_invalid_json_is_refused_and_nothing_changes(client, r, typed, message):
    r.set(KEY, '{"a":1}')
    response = submit(client, KEY, EDIT, value=typed)
    assert response.status_code == 422
    assert message in problem(response)
    assert r.get(KEY) == b'{"a":1}'


def test_json_can_be_saved_as_text_when_meant(client, r):
    r.set(KEY, '{"a":1}')
    assert submit(client, KEY, EDIT, value="{not json", value_encoding="text").status_code == 200
    assert r.get(KEY) == b"{not json"


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["zz", "abc", "0g 11"])
def test_invalid_hex_is_refused(client, r, typed):
    r.set(KEY, b"\x00\x01")
    response = submit(client, KEY, EDIT, value=typed)
    assert response.status_code == 422 and "not valid hex" in problem(response)
    assert r.get(KEY) == b"\x00\x01"


def test_a_value_over_the_size_limit_is_refused(client, r, settings):
    settings.DASHBOARD_MAX_VALUE_BYTES = 100
    r.set(KEY, "small", px=600_000)
    response = submit(client, KEY, EDIT, value="x" * 101)
    assert response.status_code == 422 and "over the 100-byte limit" in problem(response)
    assert r.get(KEY) == b"small" and r.pttl(KEY) > 0
    assert submit(client, KEY, EDIT, value="x" * 100).status_code == 200


def test_pretty_printing_past_the_size_limit_is_refused(client, r, settings):
    settings.DASHBOARD_MAX_VALUE_BYTES = 100
    r.set(KEY, "[]")
    typed = json.dumps(list(range(30)), separators=(",", ":"))  # 81 bytes, ~200 pretty
    response = submit(client, KEY, EDIT, value=typed, value_encoding="json", json_format="pretty")
    assert response.status_code == 422 and "limit" in problem(response)
    assert r.get(KEY) == b"[]"


def test_a_value_too_large_to_edit_says_so_and_offers_the_download(client, r, settings):
    settings.DASHBOARD_MAX_VALUE_BYTES = 100
    r.set(KEY, "x" * 500)
    response = client.get(edit_url(KEY, EDIT), headers=HTMX)
    assert response.status_code == 422
    assert "cannot be edited in the browser" in problem(response)
    assert client.get(edit_url(KEY, EXPIRY), headers=HTMX).status_code == 422
    page = client.get(key_page()).content.decode()
    note = re.search(r'<p class="note" id="string-not-editable">(.*?)</p>', page, re.S)
    assert note and "too large to edit in the browser" in note.group(1)
    assert f'href="{key_page()}download/"' in note.group(1)


def test_a_value_the_browser_could_not_post_back_is_not_offered(client, r, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 70 * 1024
    r.set(KEY, b"\xff" * 3000)  # 9,000 characters of hex: more than the 6 KiB left
    response = client.get(edit_url(KEY, EDIT), headers=HTMX)
    assert response.status_code == 422 and "too large to send back" in problem(response)


def test_small_values_show_no_too_large_note(client, r):
    r.set(KEY, "x")
    assert 'id="string-not-editable"' not in client.get(key_page()).content.decode()


# --- conflicts and vanished keys -------------------------------------------------------------


def test_a_value_changed_meanwhile_is_not_overwritten(client, r):
    r.set(KEY, "original")
    fields = open_form(client, KEY, EDIT)
    r.set(KEY, "changed by someone else")
    response = post(client, EDIT, fields | {"value": "mine"})
    assert response.status_code == 409
    body = problem(response)
    assert "changed meanwhile" in body and "changed by someone else" in body
    assert r.get(KEY) == b"changed by someone else"
    # The redrawn form now expects what is there: a second submit overwrites deliberately.
    again = form_fields(response.content.decode())
    assert again["expected"] == digest(b"changed by someone else") and again["value"] == "mine"
    assert post(client, EDIT, again).status_code == 200
    assert r.get(KEY) == b"mine"


def test_set_with_expiry_is_conditional_on_the_value_seen(client, r):
    r.set(KEY, "original")
    fields = open_form(client, KEY, EXPIRY)
    r.set(KEY, "theirs")
    response = post(client, EXPIRY, fields | {"value": "mine", "amount": "60"})
    assert response.status_code == 409 and "theirs" in problem(response)
    assert r.get(KEY) == b"theirs" and r.pttl(KEY) == -1


@pytest.mark.parametrize("meanwhile", ["expire", "persist"])
def test_set_with_expiry_is_conditional_on_the_ttl_seen(client, r, meanwhile):
    """The form offers the TTL it saw: another client's new TTL (or none) meanwhile is a
    conflict, not overwritten by the offer; the form drawn with it sets the TTL anyway."""
    r.set(KEY, "original", ex=1000)
    fields = open_form(client, KEY, EXPIRY)
    assert fields["amount"] == "1000" and fields["seen_expiry"]
    r.expire(KEY, 20) if meanwhile == "expire" else r.persist(KEY)
    response = post(client, EXPIRY, fields | {"value": "mine"})
    assert response.status_code == 409 and "TTL meanwhile" in problem(response)
    assert r.get(KEY) == b"original" and (r.ttl(KEY) <= 20 if meanwhile == "expire"
                                          else r.ttl(KEY) == -1)
    again = form_fields(response.content.decode())
    assert post(client, EXPIRY, again | {"value": "mine"}).status_code == 200
    assert r.get(KEY) == b"mine" and 990 < r.ttl(KEY) <= 1000


def test_set_with_expiry_sent_without_the_ttl_seen_is_checked_as_no_ttl(client, r):
    """A request without the TTL its form saw (built by hand) is not let through unchecked:
    it is checked as a form drawn for a key without one, so another client's TTL stands."""
    r.set(KEY, "original")
    fields = open_form(client, KEY, EXPIRY)
    assert fields["seen_expiry"] == "none"
    fields.pop("seen_expiry")
    fields["amount"] = "1000"
    r.expire(KEY, 20)
    response = post(client, EXPIRY, fields | {"value": "mine"})
    assert response.status_code == 409 and "TTL meanwhile" in problem(response)
    assert r.get(KEY) == b"original" and 0 < r.ttl(KEY) <= 20
    r.persist(KEY)
    assert post(client, EXPIRY, fields | {"value": "mine"}).status_code == 200
    assert r.get(KEY) == b"mine" and r.ttl(KEY) > 900


def test_a_value_grown_too_large_meanwhile_is_a_conflict(client, r, settings):
    settings.DASHBOARD_MAX_VALUE_BYTES = 100
    r.set(KEY, "small")
    fields = open_form(client, KEY, EDIT)
    r.set(KEY, "y" * 1000)
    response = post(client, EDIT, fields | {"value": "mine"})
    assert response.status_code == 409 and "too large to show" in problem(response)
    assert r.get(KEY) == b"y" * 1000


EVERY_OPERATION = [
    (EDIT, {"value": "mine"}),
    (EXPIRY, {"value": "mine", "amount": "60"}),
    (INCR, {"amount": "1"}),
    (APPEND, {"value": "more"}),
]


@pytest.mark.parametrize("action, changes", EVERY_OPERATION)
def test_a_key_deleted_meanwhile_is_reported_and_not_recreated(client, r, action, changes):
    r.set(KEY, "5")
    fields = open_form(client, KEY, action)
    r.delete(KEY)
    response = post(client, action, fields | changes)
    assert response.status_code == 404
    assert r.exists(KEY) == 0


@pytest.mark.parametrize("action, changes", EVERY_OPERATION)
def test_a_key_replaced_by_another_type_is_left_alone(client, r, action, changes):
    r.set(KEY, "5")
    fields = open_form(client, KEY, action)
    r.delete(KEY)
    r.rpush(KEY, "x")
    response = post(client, action, fields | changes)
    assert response.status_code == 409
    assert "the key is now a list, not the string this form was drawn for" in (
        response.content.decode()
    )
    assert r.type(KEY) == b"list" and r.lrange(KEY, 0, -1) == [b"x"]


VANISHING = [
    (EditValue(), {"value": b"v", "expected": digest(b"5"), "only_if_absent": False}),
    (
        SetWithExpiry(),
        {"value": b"v", "expected": digest(b"5"), "only_if_absent": False, "ttl_ms": 60_000},
    ),
    (Increment(), {"amount": parse_increment("1"), "direction": "add"}),
    (Increment(), {"amount": parse_increment("0.5"), "direction": "subtract"}),
    (Append(), {"value": b"more"}),
]


@pytest.mark.parametrize("operation, data", VANISHING)
def test_a_key_gone_between_the_page_and_the_write_is_never_recreated(r, operation, data):
    # The view checks the key exists; this is the moment after that check.
    with pytest.raises(KeyGone):
        operation.apply(r, KEY, {"expected_type": "string"} | data)
    assert r.exists(KEY) == 0


@pytest.mark.parametrize("operation, data", VANISHING)
def test_a_key_that_changed_type_before_the_write_is_left_alone(r, operation, data):
    r.rpush(KEY, "x")
    with pytest.raises(Conflict, match="the key is now a list"):
        operation.apply(r, KEY, {"expected_type": "string"} | data)
    assert r.lrange(KEY, 0, -1) == [b"x"]


# --- set only if absent ----------------------------------------------------------------------


@pytest.mark.parametrize("action, changes", EVERY_OPERATION[:2])
def test_only_if_absent_writes_nothing_while_the_key_exists(client, r, action, changes):
    r.set(KEY, "still here", px=600_000)
    response = submit(client, KEY, action, only_if_absent="on", **changes)
    assert response.status_code == 409
    assert "the key still exists, so nothing was written" in problem(response)
    assert r.get(KEY) == b"still here" and r.pttl(KEY) > 500_000


def test_only_if_absent_recreates_a_key_that_expired_meanwhile(r):
    data = {
        "expected_type": "string",
        "value": b"again",
        "expected": digest(b"old"),
        "only_if_absent": True,
    }
    outcome = EditValue().apply(r, KEY, data)
    assert "created it again" in outcome.message
    assert r.get(KEY) == b"again" and r.pttl(KEY) == -1
    SetWithExpiry().apply(r, b"other", data | {"ttl_ms": 30_000})
    assert r.get(b"other") == b"again" and 0 < r.pttl(b"other") <= 30_000


# --- set with expiry -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "unit, amount, low, high", [("s", "90", 85_000, 90_000), ("ms", "6500", 6_000, 6_500)]
)
def test_set_with_expiry(client, r, unit, amount, low, high):
    r.set(KEY, "old")
    response = submit(client, KEY, EXPIRY, value="new", unit=unit, amount=amount)
    assert response.status_code == 200
    assert r.get(KEY) == b"new" and low <= r.pttl(KEY) <= high


def test_set_with_an_expiry_too_short_to_see_is_confirmed_like_a_delete(client, r):
    r.set(KEY, "old")
    asked = submit(client, KEY, EXPIRY, value="new", unit="ms", amount="1500")
    assert asked.status_code == 428 and "expire almost at once" in problem(asked)
    assert r.get(KEY) == b"old" and r.pttl(KEY) == -1
    done = confirm(client, KEY, EXPIRY, asked)
    assert done.status_code == 200
    assert r.get(KEY) == b"new" and 1_000 <= r.pttl(KEY) <= 1_500


def test_set_with_expiry_prefills_the_value_and_remaining_ttl(client, r):
    r.set(KEY, "old", ex=120)
    fields = open_form(client, KEY, EXPIRY)
    assert fields["value"] == "old" and fields["amount"] == "120" and fields["unit"] == "s"


@pytest.mark.parametrize(
    "amount, message",
    [
        ("0", "more than zero"),
        ("-5", "more than zero"),
        ("abc", "is not a number"),
        ("1.5", "whole number"),
        ("", "required"),
        (str(200 * 365 * 86400), "out of range"),
    ],
)
def test_bad_expiry_changes_nothing(client, r, amount, message):
    r.set(KEY, "old", px=600_000)
    response = submit(client, KEY, EXPIRY, value="new", amount=amount)
    assert response.status_code == 422 and message in problem(response)
    assert r.get(KEY) == b"old" and r.pttl(KEY) > 500_000


# --- increment and decrement -----------------------------------------------------------------


@pytest.mark.parametrize(
    "start, direction, amount, result",
    [
        (b"10", "add", "5", b"15"),
        (b"10", "subtract", "3", b"7"),
        (b"10", "add", "-20", b"-10"),
        (b"-3", "subtract", "-3", b"0"),
        (b"10", "add", "0.5", b"10.5"),
        (b"2.5", "subtract", "1.25", b"1.25"),
        (b"1e3", "add", "1.0", b"1001"),
    ],
)
def test_increment_and_decrement(client, r, start, direction, amount, result):
    r.set(KEY, start, px=600_000)
    response = submit(client, KEY, INCR, direction=direction, amount=amount)
    assert response.status_code == 200, problem(response)[-600:]
    assert r.get(KEY) == result
    assert f"the value is now {result.decode()}" in problem(response)
    assert r.pttl(KEY) > 500_000  # the TTL is kept


@pytest.mark.parametrize(
    "start, direction, amount, message",
    [
        (b"10", "add", "abc", "is not a number"),
        (b"10", "add", "", "required"),
        (b"10", "add", "nan", "NaN and infinity are not allowed"),
        (b"10", "add", "inf", "NaN and infinity are not allowed"),
        (b"10", "add", "1e999", "out of range for a 64-bit float"),
        (b"10", "add", str(2**63), "out of range"),
        (b"hello", "add", "1", "the value is not an integer"),
        (b"1.5", "add", "1", "the value is not an integer"),
        (b"1e3", "add", "1", "give a decimal amount such as 1.0"),
        (b" 12", "add", "1", "the value is not an integer"),
        (b"012", "add", "1", "the value is not an integer"),
        (b"hello", "add", "0.5", "the value is not a number"),
        (b"nan", "add", "0.5", "the value is not a number"),
        (str(2**63 - 1).encode(), "add", "1", "increment would overflow"),
        (str(-(2**63)).encode(), "subtract", "1", "increment would overflow"),
        (b"0", "subtract", str(-(2**63)), "decrement would overflow"),
        (b"1e308", "add", "1e308", "increment would overflow"),
        (b"-1e308", "subtract", "1e308", "increment would overflow"),
    ],
)
def test_bad_increments_change_nothing(client, r, start, direction, amount, message):
    r.set(KEY, start, px=600_000)
    response = submit(client, KEY, INCR, direction=direction, amount=amount)
    assert response.status_code == 422
    assert message in problem(response), problem(response)[-800:]
    assert r.get(KEY) == start and r.pttl(KEY) > 500_000


@pytest.mark.parametrize(
    "start, amount, message",
    [
        (str(2**63 - 1).encode(), 1, "increment would overflow; nothing was changed"),
        (b"hello", 1, "the value is not an integer, so it cannot be incremented by a whole number"),
        (b"hello", 0.5, "the value is not a number"),
        (b"1", 1e308, None),
    ],
)
def test_redis_own_refusals_get_the_same_clear_messages(r, start, amount, message):
    # Past the checks (a value changed between check and write), Redis itself refuses.
    r.set(KEY, start)
    write = (
        (lambda pipe: pipe.incrby(KEY, amount))
        if isinstance(amount, int)
        else (lambda pipe: pipe.incrbyfloat(KEY, amount))
    )
    if message is None:
        guarded(r, [KEY], lambda pipe: write)
        return
    with pytest.raises(Refused) as refused:
        guarded(r, [KEY], lambda pipe: write)
    assert clearer(refused.value).message.startswith(message)
    assert r.get(KEY) == start


def test_values_only_redis_can_judge_are_left_to_it(client, r):
    r.set(KEY, "0x10")  # a hex float: Redis adds to it, Python's float() would not
    assert submit(client, KEY, INCR, amount="1.0").status_code == 200
    assert r.get(KEY) == b"17"
    r.set(KEY, "inf")  # Redis's own refusal, translated
    response = submit(client, KEY, INCR, amount="1.0")
    assert response.status_code == 422
    assert "the result would not be a finite number" in problem(response)
    assert r.get(KEY) == b"inf"


def test_increment_without_htmx_redirects(client, r):
    r.set(KEY, "1")
    response = submit(client, KEY, INCR, htmx=False, amount="41")
    assert response.status_code == 302 and response["Location"] == key_page()
    assert r.get(KEY) == b"42"


# --- append ----------------------------------------------------------------------------------


def test_append_text(client, r):
    r.set(KEY, "hello", px=600_000)
    response = submit(client, KEY, APPEND, value=" world")
    assert response.status_code == 200
    assert r.get(KEY) == b"hello world" and r.pttl(KEY) > 500_000
    assert "the value is now 11 bytes" in problem(response)


def test_append_hex(client, r):
    r.set(KEY, b"\x00")
    submit(client, KEY, APPEND, value="ff 0d 0a", value_encoding="hex")
    assert r.get(KEY) == b"\x00\xff\r\n"


def test_append_follows_the_values_line_breaks(client, r):
    r.set(KEY, b"a\r\n")
    fields = open_form(client, KEY, APPEND)
    assert fields["newlines"] == "crlf"
    post(client, APPEND, as_browser(fields | {"value": "b\nc\n"}))
    assert r.get(KEY) == b"a\r\nb\r\nc\r\n"
    r.set(KEY, b"a\n")
    fields = open_form(client, KEY, APPEND)
    assert fields["newlines"] == "lf"
    post(client, APPEND, as_browser(fields | {"value": "b\nc"}))
    assert r.get(KEY) == b"a\nb\nc"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"value": ""}, "required"),
        ({"value": "zz", "value_encoding": "hex"}, "not valid hex"),
        ({"value": "x" * 101}, "over the 100-byte limit"),
        ({"value": "x" * 60}, "the value would grow to 110 bytes"),
    ],
)
def test_bad_appends_change_nothing(client, r, settings, changes, message):
    settings.DASHBOARD_MAX_VALUE_BYTES = 100
    r.set(KEY, "x" * 50)
    response = submit(client, KEY, APPEND, **changes)
    assert response.status_code == 422 and message in problem(response)
    assert r.get(KEY) == b"x" * 50


# --- permissions -----------------------------------------------------------------------------


def test_read_only_draws_no_edit_controls_and_refuses_edits(client, r, settings):
    settings.DASHBOARD_READONLY = True
    settings.DASHBOARD_MAX_VALUE_BYTES = 10
    r.set(KEY, "5")
    page = client.get(key_page()).content.decode()
    for action in (EDIT, EXPIRY, INCR, APPEND):
        assert f"/edit/{action}/" not in page
        assert client.get(edit_url(KEY, action), headers=HTMX).status_code == 403
    for action, changes in EVERY_OPERATION:
        fields = {"expected_type": "string", "expected": digest(b"5")} | changes
        assert post(client, action, fields).status_code == 403
        assert post(client, action, fields, htmx=False).status_code == 403
    assert r.get(KEY) == b"5" and r.pttl(KEY) == -1
    r.set(KEY, "x" * 50)
    assert 'id="string-not-editable"' not in client.get(key_page()).content.decode()


def test_csrf_is_enforced(csrf_client, r):
    r.set(KEY, "hello")
    browser = csrf_client
    fields = open_form(browser, KEY, EDIT)
    token = fields.pop("csrfmiddlewaretoken")
    for action, changes in EVERY_OPERATION:
        response = browser.post(edit_url(KEY, action), fields | changes, headers=HTMX)
        assert response.status_code == 403
    assert r.get(KEY) == b"hello" and r.pttl(KEY) == -1
    response = browser.post(
        edit_url(KEY, EDIT),
        fields | {"value": "with token", "csrfmiddlewaretoken": token},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert r.get(KEY) == b"with token"


def test_edits_are_never_reachable_by_get(client, r):
    r.set(KEY, "1")
    client.get(edit_url(KEY, INCR), {"amount": "5", "direction": "add"}, headers=HTMX)
    client.get(edit_url(KEY, EDIT), {"value": "x", "expected": digest(b"1")}, headers=HTMX)
    assert r.get(KEY) == b"1"


def test_only_if_absent_recreates_a_key_that_is_gone_through_the_view(client, r):
    from tests.services.editing.forms import open_form

    r.set("gone-soon", "old")
    fields = open_form(client, b"gone-soon", "string-edit")
    fields.pop("csrfmiddlewaretoken", None)
    r.delete("gone-soon")
    fields.update(value="fresh", only_if_absent="on")
    response = client.post(edit_url(b"gone-soon", "string-edit"), fields, headers=HTMX)
    assert response.status_code == 200
    assert r.get("gone-soon") == b"fresh"
    fields.pop("only_if_absent")
    r.delete("gone-soon")
    gone = client.post(edit_url(b"gone-soon", "string-edit"), fields, headers=HTMX)
    assert gone.status_code == 404
    assert not r.exists("gone-soon")
