"""Sorted-set edits and the member look-up, through the views against a real Redis."""

from __future__ import annotations

import math
import re

import pytest

from keyspace.exceptions import KeyNotFound
from keyspace.redis.keynames import encode_key
from keyspace.services.editing.guard import Conflict
from keyspace.services.editing.increments import parse_increment
from keyspace.units.zset import ZsetUnit
from tests.services.editing.forms import form_fields, open_form, submit
from tests.support.htmx import HTMX
from tests.support.rows import menu_links, opener
from tests.support.urls import edit_url, key_url, tool_url
from tests.units.helpers import RedisWork, rows, seed_huge_zset

# A few round trips run on every server of the matrix (tests/support/servers.py): `servers`.

BOARD = b"board"


@pytest.fixture
def board(r):
    r.zadd(BOARD, {"ann": 10, "bob": 30, "cat": 20, "dan": 40})
    return BOARD


def post(client, key: bytes, action: str, fields: dict, htmx: bool = True):
    return client.post(edit_url(key, action), fields, headers=HTMX if htmx else {})


def text(response) -> str:
    return response.content.decode()


def snapshot(r, key=BOARD):
    return r.zrange(key, 0, -1, withscores=True)


# --- the key page ----------------------------------------------------------------------------


def test_rows_carry_tokens_and_row_actions(client, r, board):
    body = text(client.get(key_url(board)))
    assert menu_links(body) == [
        edit_url(board, action) + "?row=" for action in ("zset-score", "zset-incr", "zset-remove")
    ]
    for member in (b"ann", b"bob", b"cat", b"dan"):
        assert opener(encode_key(member)) in body
    for action in ("zset-add", "zset-add-many"):
        assert f"/edit/{action}/" in body
    assert "/tool/zset-lookup/" in body
    assert f'href="/c/default/db/0/key/{encode_key(board)}/leaderboard/"' in body


def test_read_row_is_the_member_now_or_none(r, board):
    unit = ZsetUnit()
    row = unit.read_row(r, board, b"cat")
    assert (row.rank, row.member.raw, row.score, row.token) == (2, b"cat", 20.0, encode_key(b"cat"))
    assert unit.read_row(r, board, b"nobody") is None


# --- add -------------------------------------------------------------------------------------


@pytest.mark.servers
def test_add_one_member(client, r, board):
    response = submit(client, board, "zset-add", member="eve", score="25.5")
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#value"
    assert "added eve with score 25.5" in text(response)
    assert 'hx-swap-oob="true"' in text(response)
    assert r.zscore(board, "eve") == 25.5
    assert r.zcard(board) == 5


def test_add_without_htmx_redirects_to_the_key_page(client, r, board):
    response = submit(client, board, "zset-add", htmx=False, member="eve", score="1")
    assert response.status_code == 302 and response["Location"] == key_url(board)
    assert r.zscore(board, "eve") == 1.0


@pytest.mark.servers
def test_add_refuses_an_existing_member_unless_asked_to_update(client, r, board):
    response = submit(client, board, "zset-add", member="bob", score="99")
    assert response.status_code == 409
    body = text(response)
    assert "already members" in body and "bob" in body and "30.0" in body
    assert r.zscore(board, "bob") == 30.0

    response = submit(client, board, "zset-add", member="bob", score="99", update_existing="on",
                      confirmed=True)
    assert response.status_code == 200
    assert "updated bob: 30.0 → 99.0" in text(response)
    assert r.zscore(board, "bob") == 99.0 and r.zcard(board) == 4


@pytest.mark.servers
def test_add_a_binary_member_as_hex(client, r, board):
    response = submit(
        client, board, "zset-add", member="ff 00 fe", member_encoding="hex", score="2"
    )
    assert response.status_code == 200
    assert r.zscore(board, b"\xff\x00\xfe") == 2.0


@pytest.mark.parametrize(
    ("score", "stored"),
    [("+inf", math.inf), ("-inf", -math.inf), ("-1.5e3", -1500.0), (" 7 ", 7.0)],
)
def test_add_takes_infinities_and_plain_numbers(client, r, board, score, stored):
    assert submit(client, board, "zset-add", member="eve", score=score).status_code == 200
    assert r.zscore(board, "eve") == stored


@pytest.mark.parametrize(
    ("score", "message"),
    [
        ("abc", "is not a number"),
        ("nan", "NaN"),
        ("NaN", "NaN"),
        ("1e999", "out of range"),
        ("", "required"),
        ("1_000", "is not a number"),
        ("0x10", "is not a number"),
        ("١٢", "is not a number"),
    ],
)
def test_add_refuses_bad_scores_inline(client, r, board, score, message):
    before = snapshot(r)
    response = submit(client, board, "zset-add", member="eve", score=score)
    assert response.status_code == 422
    assert message in text(response)
    assert '<form class="edit-form' in text(response)
    assert snapshot(r) == before


def test_add_refuses_an_empty_member(client, r, board):
    before = snapshot(r)
    response = submit(client, board, "zset-add", member="", score="1")
    assert response.status_code == 422
    assert "give a member" in text(response)
    assert snapshot(r) == before


def test_add_to_a_deleted_key_does_not_recreate_it(client, r, board):
    fields = open_form(client, board, "zset-add") | {"member": "eve", "score": "1"}
    r.delete(board)
    assert post(client, board, "zset-add", fields).status_code == 404
    assert not r.exists(board)


def test_deleted_between_page_and_write_is_reported_not_recreated(r, board):
    """The race the view cannot show: the key goes after it was looked up. check_type inside
    the transaction refuses, for every operation."""
    r.delete(board)
    ops = ZsetUnit.operations
    cases = [
        ("zset-add", {"member": b"eve", "score": 1.0, "update_existing": True}),
        ("zset-add-many", {"scores": {b"eve": 1.0}, "update_existing": True}),
        ("zset-score", {"row": b"bob", "expected": 30.0, "score": 5.0}),
        ("zset-incr", {"row": b"bob", "expected": None, "amount": parse_increment("1.0")}),
        ("zset-remove", {"row": b"bob", "expected": 30.0}),
    ]
    for name, data in cases:
        with pytest.raises(KeyNotFound):
            ops[name].apply(r, board, data | {"expected_type": "zset"})
        assert not r.exists(board), name


def test_a_key_that_became_another_type_is_not_written(r, board):
    r.delete(board)
    r.set(board, "a string now")
    with pytest.raises(Conflict, match="now a string"):
        ZsetUnit.operations["zset-score"].apply(
            r, board, {"row": b"bob", "expected": 30.0, "score": 5.0, "expected_type": "zset"}
        )
    assert r.get(board) == b"a string now"


# --- add several -----------------------------------------------------------------------------


def test_add_several_members(client, r, board):
    lines = "eve 5\nbig fish 7.5\n\n  \nfay -inf\n"
    response = submit(client, board, "zset-add-many", lines=lines)
    assert response.status_code == 200
    assert "added 3 members, updated 0" in text(response)
    assert r.zscore(board, "eve") == 5.0
    assert r.zscore(board, "big fish") == 7.5
    assert r.zscore(board, "fay") == -math.inf


def test_add_several_refuses_existing_members_and_writes_nothing(client, r, board):
    before = snapshot(r)
    response = submit(client, board, "zset-add-many", lines="eve 5\nbob 1\ncat 2")
    assert response.status_code == 409
    body = text(response)
    assert "already members" in body and "bob (30.0)" in body and "cat (20.0)" in body
    assert snapshot(r) == before


def test_add_several_updates_existing_when_asked(client, r, board):
    response = submit(client, board, "zset-add-many", lines="eve 5\nbob 1", update_existing="on",
                      confirmed=True)
    assert response.status_code == 200
    assert "added 1 members, updated 1" in text(response)
    assert r.zscore(board, "eve") == 5.0 and r.zscore(board, "bob") == 1.0


def test_add_several_with_escaped_binary_members(client, r, board):
    response = submit(client, board, "zset-add-many", lines=r"\xff\x00 3", escapes="on")
    assert response.status_code == 200
    assert r.zscore(board, b"\xff\x00") == 3.0
    # Without the box ticked the text is taken literally.
    submit(client, board, "zset-add-many", lines=r"\xfe 4")
    assert r.zscore(board, rb"\xfe") == 4.0


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("eve", "line 1: give a member, a space, then a score"),
        ("eve 1\nfay abc", "line 2: &#x27;abc&#x27; is not a number"),
        ("eve nan", "line 1: NaN"),
        ("eve 1e400", "line 1: &#x27;1e400&#x27; is out of range"),
        ("eve 1\neve 2", "line 2: eve is given twice"),
        ("\n \n", "give at least one line"),
        ("", "required"),
    ],
)
def test_add_several_refuses_bad_lines(client, r, board, lines, message):
    before = snapshot(r)
    response = submit(client, board, "zset-add-many", lines=lines)
    assert response.status_code == 422
    assert message in text(response)
    assert snapshot(r) == before


# --- change a score --------------------------------------------------------------------------


def test_change_form_carries_the_score_seen(client, r, board):
    response = client.get(edit_url(board, "zset-score"), {"row": encode_key(b"bob")}, headers=HTMX)
    body = text(response)
    assert body.lstrip().startswith(f'<tr id="row-{encode_key(b"bob")}" class="editing">')
    fields = form_fields(body)
    assert fields["expected"] == "30.0" and fields["score"] == "30.0"
    assert fields["row"] == encode_key(b"bob") and fields["expected_type"] == "zset"
    assert fields["shown"] == "bob"


def test_change_a_score_redraws_only_its_row(client, r, board):
    response = submit(client, board, "zset-score", row=b"bob", score="45")
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#row-{encode_key(b'bob')}"
    assert response["HX-Reswap"] == "outerHTML"
    [row] = rows(text(response).split("<dl")[0])
    assert row.cells[:3] == ["1", "bob", "45.0"]  # now the top: rank 1 of the default order
    assert r.zscore(board, "bob") == 45.0
    assert r.zscore(board, "dan") == 40.0


def test_a_score_changed_meanwhile_is_not_overwritten(client, r, board):
    fields = open_form(client, board, "zset-score", row=b"bob")
    r.zadd(board, {"bob": 31})  # another client, between the form and the save
    response = post(client, board, "zset-score", fields | {"score": "35"})
    assert response.status_code == 409
    body = text(response)
    assert "changed meanwhile" in body and "31.0" in body
    assert r.zscore(board, "bob") == 31.0

    # The form now expects the score just shown: submitting it again is a deliberate change.
    again = form_fields(body)
    again.pop("csrfmiddlewaretoken", None)
    assert again["expected"] == "31.0" and again["score"] == "35"
    assert post(client, board, "zset-score", again).status_code == 200
    assert r.zscore(board, "bob") == 35.0


def test_a_member_removed_meanwhile_is_not_added_back(client, r, board):
    fields = open_form(client, board, "zset-score", row=b"bob")
    r.zrem(board, "bob")
    response = post(client, board, "zset-score", fields | {"score": "35"})
    assert response.status_code == 409
    assert "removed meanwhile" in text(response)
    assert r.zscore(board, "bob") is None and r.zcard(board) == 3
    again = form_fields(text(response))
    again.pop("csrfmiddlewaretoken", None)
    assert post(client, board, "zset-score", again).status_code == 409
    assert r.zscore(board, "bob") is None


@pytest.mark.parametrize("score", ["abc", "nan", "1e999", ""])
def test_change_refuses_bad_scores(client, r, board, score):
    before = snapshot(r)
    response = submit(client, board, "zset-score", row=b"bob", score=score)
    assert response.status_code == 422
    assert snapshot(r) == before


def test_change_refuses_a_forged_seen_score(client, r, board):
    response = submit(client, board, "zset-score", row=b"bob", score="1", expected="nan")
    assert response.status_code == 422
    assert r.zscore(board, "bob") == 30.0


def test_change_the_score_of_a_binary_member(client, r, board):
    r.zadd(board, {b"\xff\x00bin": 5})
    response = submit(client, board, "zset-score", row=b"\xff\x00bin", score="-inf")
    assert response.status_code == 200
    assert r.zscore(board, b"\xff\x00bin") == -math.inf
    assert r"\xff\0bin" in text(response)


def test_change_to_infinity_and_back(client, r, board):
    assert submit(client, board, "zset-score", row=b"bob", score="+inf").status_code == 200
    fields = open_form(client, board, "zset-score", row=b"bob")
    assert fields["expected"] == "inf"
    assert post(client, board, "zset-score", fields | {"score": "3"}).status_code == 200
    assert r.zscore(board, "bob") == 3.0


# --- increment -------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "result"), [("2.5", 32.5), ("-40", -10.0), ("1e2", 130.0)])
def test_increment_a_score(client, r, board, amount, result):
    response = submit(client, board, "zset-incr", row=b"bob", amount=amount)
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#row-{encode_key(b'bob')}"
    assert r.zscore(board, "bob") == result
    assert f"bob now scores {result!r}" in text(response)


def test_increments_compose_with_other_changes(client, r, board):
    fields = open_form(client, board, "zset-incr", row=b"bob")
    r.zincrby(board, 5, "bob")
    assert post(client, board, "zset-incr", fields | {"amount": "1"}).status_code == 200
    assert r.zscore(board, "bob") == 36.0


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "is not a number"),
        ("nan", "NaN"),
        ("inf", "NaN and infinity are not allowed"),
        ("-inf", "NaN and infinity are not allowed"),
        ("1e400", "out of range"),
        ("", "required"),
    ],
)
def test_increment_refuses_bad_amounts(client, r, board, amount, message):
    before = snapshot(r)
    response = submit(client, board, "zset-incr", row=b"bob", amount=amount)
    assert response.status_code == 422
    assert message in text(response)
    assert snapshot(r) == before


def test_increment_that_would_overflow_is_refused(client, r, board):
    r.zadd(board, {"huge": 1.7e308})
    response = submit(client, board, "zset-incr", row=b"huge", amount="1e308")
    assert response.status_code == 422
    assert "increment would overflow" in text(response)
    assert r.zscore(board, "huge") == 1.7e308


def test_incrementing_an_infinite_score_is_refused(client, r, board):
    r.zadd(board, {"top": math.inf})
    response = submit(client, board, "zset-incr", row=b"top", amount="-1")
    assert response.status_code == 422
    assert "not be a finite number" in text(response)
    assert r.zscore(board, "top") == math.inf


def test_increment_does_not_add_back_a_removed_member(client, r, board):
    fields = open_form(client, board, "zset-incr", row=b"bob")
    r.zrem(board, "bob")
    response = post(client, board, "zset-incr", fields | {"amount": "1"})
    assert response.status_code == 409
    assert r.zscore(board, "bob") is None


# --- remove ----------------------------------------------------------------------------------


def test_remove_form_is_a_confirmation(client, r, board):
    response = client.get(edit_url(board, "zset-remove"), {"row": encode_key(b"bob")}, headers=HTMX)
    body = text(response)
    assert "destructive" in body and "Remove this member" in body and 'class="danger"' in body
    assert form_fields(body)["expected"] == "30.0"


def test_remove_a_member_removes_its_row(client, r, board):
    response = submit(client, board, "zset-remove", row=b"bob")
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#row-{encode_key(b'bob')}"
    assert "<tr" not in text(response)  # the row is swapped for nothing
    assert "3 members" in text(response)  # the key's metadata, out of band
    assert r.zscore(board, "bob") is None and r.zcard(board) == 3


def test_remove_is_conditional_on_the_score_seen(client, r, board):
    fields = open_form(client, board, "zset-remove", row=b"bob")
    r.zadd(board, {"bob": 77})
    response = post(client, board, "zset-remove", fields)
    assert response.status_code == 409
    assert "77.0" in text(response)
    assert r.zscore(board, "bob") == 77.0


def test_removing_the_last_member_is_refused(client, r):
    r.zadd("solo", {"only": 1})
    response = submit(client, b"solo", "zset-remove", row=b"only")
    assert response.status_code == 422
    assert "last member" in text(response) and "delete the key instead" in text(response)
    assert r.zscore("solo", "only") == 1.0


def test_remove_from_a_deleted_key(client, r, board):
    fields = open_form(client, board, "zset-remove", row=b"bob")
    r.delete(board)
    assert post(client, board, "zset-remove", fields).status_code == 404
    assert not r.exists(board)


def test_remove_a_binary_member(client, r, board):
    r.zadd(board, {b"\x00\xff": 3})
    assert submit(client, board, "zset-remove", row=b"\x00\xff").status_code == 200
    assert r.zscore(board, b"\x00\xff") is None


def test_a_garbage_row_token_is_a_400(client, r, board):
    response = client.get(edit_url(board, "zset-score"), {"row": "!!"}, headers=HTMX)
    assert response.status_code == 400


# --- look up a member ------------------------------------------------------------------------


def lookup(client, key, member, **params):
    query = {"run": "1", "member": member, **params}
    response = client.get(tool_url(key, "zset-lookup"), query, headers=HTMX)
    assert response.status_code == 200, text(response)[:500]
    return text(response)


def looked_up(body: str) -> dict[str, str]:
    pairs = re.findall(r'<dd class="([a-z-]+)">([^<]*)</dd>', body)
    return dict(pairs)


def test_lookup_shows_score_and_both_ranks(client, r, board):
    body = lookup(client, board, "cat")
    assert looked_up(body) == {
        "score": "20.0",
        "rank-top": "3 of 4",
        "rank-bottom": "2 of 4",
    }
    assert f"/c/default/db/0/key/{encode_key(board)}/leaderboard/?at={encode_key(b'cat')}" in body


def test_lookup_of_a_non_member(client, r, board):
    body = lookup(client, board, "zed")
    assert "is not a member" in body and "Score" not in body


@pytest.mark.parametrize(
    ("typed", "params"), [(r"\xff\x00", {}), ("ff00", {"member_format": "hex"})]
)
def test_lookup_of_a_binary_member(client, r, board, typed, params):
    r.zadd(board, {b"\xff\x00": 35})
    assert looked_up(lookup(client, board, typed, **params))["rank-top"] == "2 of 5"


def test_lookup_prefers_the_literal_text(client, r, board):
    r.zadd(board, {rb"\x41": 1, b"A": 2})
    assert looked_up(lookup(client, board, r"\x41"))["score"] == "1.0"


def test_lookup_refuses_bad_input(client, r, board):
    body = lookup(client, board, "zz", member_format="hex")
    assert "not valid hex" in body and "tool-result" not in body
    assert "required" in lookup(client, board, "")


def test_lookup_form_and_full_page(client, r, board):
    page = text(client.get(tool_url(board, "zset-lookup")))
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert 'name="member"' in page
    full = text(client.get(tool_url(board, "zset-lookup"), {"run": "1", "member": "dan"}))
    assert looked_up(full)["rank-top"] == "1 of 4"


# --- read-only mode, CSRF --------------------------------------------------------------------


def test_read_only_mode_refuses_edits_and_hides_their_controls(client, r, board, settings):
    settings.DASHBOARD_READONLY = True
    for action in ("zset-add", "zset-add-many", "zset-score", "zset-incr", "zset-remove"):
        query = {"row": encode_key(b"bob")}
        assert client.get(edit_url(board, action), query).status_code == 403, action
        fields = {
            "row": encode_key(b"bob"),
            "expected": "30.0",
            "score": "1",
            "amount": "1",
            "member": "x",
            "lines": "x 1",
            "expected_type": "zset",
        }
        assert post(client, board, action, fields).status_code == 403, action
    assert snapshot(r) == [(b"ann", 10.0), (b"cat", 20.0), (b"bob", 30.0), (b"dan", 40.0)]

    page = text(client.get(key_url(board)))
    assert "/edit/" not in page
    assert "/tool/zset-lookup/" in page and "/leaderboard/" in page
    assert looked_up(lookup(client, board, "bob"))["score"] == "30.0"


def test_csrf_is_enforced(csrf_client, r, board):
    browser = csrf_client
    fields = {"expected_type": "zset", "row": encode_key(b"bob"), "expected": "30.0", "score": "1"}
    assert browser.post(edit_url(board, "zset-score"), fields).status_code == 403
    assert r.zscore(board, "bob") == 30.0

    form = text(browser.get(edit_url(board, "zset-score"), {"row": encode_key(b"bob")}))
    token = form_fields(form)["csrfmiddlewaretoken"]
    response = browser.post(edit_url(board, "zset-score"), fields | {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert r.zscore(board, "bob") == 1.0


# --- cost: the same on a 200,000-member set as on a small one --------------------------------

WHOLE_SET = (
    "zrange",
    "zrevrange",
    "zrangebyscore",
    "zrevrangebyscore",
    "zscan",
    "zunion",
    "zinter",
    "zdiff",
    "zunionstore",
    "zrangestore",
    "dump",
    "sort",
)


def test_edits_on_a_huge_sorted_set_are_bounded(client, r):
    seed_huge_zset(r)
    huge = b"huge"

    def bounded(action, row=None, **changes):
        fields = open_form(client, huge, action, row)
        fields.pop("csrfmiddlewaretoken", None)
        with RedisWork(r) as work:
            response = post(client, huge, action, fields | changes)
        assert response.status_code == 200, text(response)[:500]
        for command in WHOLE_SET:
            assert work.count(command) == 0, (action, work.calls)
        assert work.output_bytes < 16 * 1024, (action, work.output_bytes)
        return work

    work = bounded("zset-score", row=b"member:5", score="1000000")
    assert work.count("zadd") == 1
    assert r.zscore(huge, "member:5") == 1e6
    work = bounded("zset-incr", row=b"member:6", amount="1")
    assert work.count("zincrby") == 1
    assert r.zscore(huge, "member:6") == 7.0
    work = bounded("zset-remove", row=b"member:7")
    assert work.count("zrem") == 1 and r.zscore(huge, "member:7") is None
    # Adds redraw the first page of the value (100 members, with ZREVRANGE); nothing more.
    fields = open_form(client, huge, "zset-add") | {"member": "new", "score": "-1"}
    fields.pop("csrfmiddlewaretoken", None)
    with RedisWork(r) as work:
        assert post(client, huge, "zset-add", fields).status_code == 200
    assert work.count("zadd") == 1 and work.count("zrevrange") == 1
    assert work.count("zrange") == 0 and work.output_bytes < 64 * 1024
    assert r.zcard(huge) == 200_000
