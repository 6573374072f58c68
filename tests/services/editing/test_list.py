"""List edits through the edit endpoint, against a real Redis: push, pop, set by index, insert,
remove by value, trim. Every form is opened first and its fields (hidden `expected` included)
submitted back as a browser would; the separate client `r` checks what Redis holds."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from keyspace.units import registry
from keyspace.units.list import ListUnit
from keyspace.units.list.trim import trim_window
from tests.support.htmx import HTMX
from tests.support.rows import menu_links, opener, row_menu
from tests.support.urls import edit_url, key_url
from tests.units.helpers import RedisWork, fetch, rows, seed

# A few round trips run on every server of the matrix (tests/support/servers.py): `servers`.

# --- a browser's view of a form ---------------------------------------------------------------


class _FormParser(HTMLParser):
    """The successful controls of the first POST form (other than the header's sign-out):
    what a browser would submit."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self.found = False
        self.done = False
        self._in_form = False
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self._first_option: str | None = None
        self._selected: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.done:
            return
        if (
            tag == "form"
            and (attrs.get("method") or "").lower() == "post"
            and attrs.get("action") != "/sign-out/"
            and not (attrs.get("action") or "").startswith("/undo/")
        ):
            self._in_form = self.found = True
        if not self._in_form or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button"):
                self.fields[name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._first_option, self._selected = name, None, None
        elif tag == "option" and self._select:
            value = attrs.get("value") or ""
            if self._first_option is None:
                self._first_option = value
            if "selected" in attrs:
                self._selected = value

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            text = "".join(self._text)
            # As in a browser, the newline right after <textarea> is not part of the value.
            self.fields[self._textarea] = text[1:] if text.startswith("\n") else text
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = self._selected if self._selected is not None else self._first_option
            self.fields[self._select] = chosen or ""
            self._select = None
        elif tag == "form" and self._in_form:
            self._in_form, self.done = False, True

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)


def form_fields(body: str) -> dict[str, str]:
    parser = _FormParser()
    parser.feed(body)
    parser.close()
    assert parser.found, body[:3000]
    return parser.fields


def open_form(client, key, action, *, row=None, status=200, headers=HTMX) -> dict[str, str]:
    url = edit_url(key, action) + (f"?row={row}" if row is not None else "")
    response = client.get(url, headers=headers)
    body = response.content.decode()
    assert response.status_code == status, body[-3000:]
    return form_fields(body)


def post(client, key, action, fields: dict, *, htmx=True, status=None, **changes):
    data = {**fields, **changes}
    response = client.post(edit_url(key, action), data, headers=HTMX if htmx else {})
    if status is not None:
        assert response.status_code == status, response.content.decode()[-3000:]
    return response


def text(response) -> str:
    """The response as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    plain = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return " ".join(plain.split())


def elements(r, key="l") -> list[bytes]:
    return r.lrange(key, 0, -1)


def assert_redirected_to_key(response, key="l"):
    assert response.status_code == 302
    assert response["Location"] == key_url(key)


def problem(response) -> str:
    body = response.content.decode()
    found = re.search(r'<div class="problem" role="alert">(.*?)</div>\s*(?:<div|\n|$)', body, re.S)
    block = found.group(1) if found else body
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", block)).split())


# --- the unit ---------------------------------------------------------------------------------


def test_list_operations_are_listed_by_name():
    unit = registry.unit_for("list")
    assert isinstance(unit, ListUnit)
    assert set(unit.operations) == {
        "list-set",
        "list-push",
        "list-pop-head",
        "list-pop-tail",
        "list-insert",
        "list-remove",
        "list-trim",
    }
    assert [op.name for op in unit.row_operations] == ["list-set"]


def test_key_page_draws_the_edit_controls(client, r):
    r.rpush("l", "a", "b", "c")
    page = fetch(client, "l")
    for action in (
        "list-push",
        "list-pop-head",
        "list-pop-tail",
        "list-insert",
        "list-remove",
        "list-trim",
    ):
        assert f'href="{edit_url("l", action)}"' in page
    assert menu_links(page) == [f"{edit_url('l', 'list-set')}?row="]
    for index in range(3):
        assert f'<tr data-row="{index}"><td class="num">{opener(index)}{index}</a></td>' in page
    assert f'href="{edit_url("l", "list-set")}?row=' not in page.replace(row_menu(page), "")
    assert [row.elements[0] for row in rows(page)] == ["a", "b", "c"]


def test_rows_read_from_the_tail_keep_their_index_from_the_head(client, r):
    r.rpush("l", *[f"e{i}" for i in range(5)])
    page = fetch(client, "l", order="tail")
    ids = re.findall(r'<tr data-row="\d+"><td class="num"><a href="\?row=(\d+)">', page)
    assert ids == ["4", "3", "2", "1", "0"]
    # Editing the first row shown (the last element) changes the last element.
    fields = open_form(client, "l", "list-set", row=4)
    assert fields["value"] == "e4"
    response = post(client, "l", "list-set", fields, value="last", status=200)
    assert response["HX-Retarget"] == "#row-4"
    assert elements(r)[-1] == b"last"


@pytest.mark.parametrize("token", ["abc", "-1", "1.5", "", "9" * 19, "\u0661"])
def test_row_tokens_are_indices(token):
    from keyspace.exceptions import BadRequest

    with pytest.raises(BadRequest):
        ListUnit().parse_row_token(token)
    assert ListUnit().parse_row_token("42") == 42


def test_row_view_gives_the_row_as_it_is_now(client, r):
    r.rpush("l", "a", "b", "c")
    response = client.get(key_url("l") + "row/?row=1", headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith(f'<tr data-row="1"><td class="num">{opener(1)}1</a>')
    assert [(row.cells[0], row.cells[1], row.elements[0]) for row in rows(body)] == [
        ("1", "-2", "b")
    ]
    assert client.get(key_url("l") + "row/?row=7").content.decode().strip() == ""
    assert client.get(key_url("l") + "row/?row=x").status_code == 400


@pytest.mark.parametrize(
    ("length", "start", "stop", "window"),
    [
        (10, 0, -1, (0, 9)),
        (10, 2, 4, (2, 4)),
        (10, -3, -1, (7, 9)),
        (10, 5, 100, (5, 9)),
        (10, -100, 2, (0, 2)),
        (10, 6, 3, (0, -1)),
        (10, 10, 20, (0, -1)),
        (10, 0, -11, (0, -1)),
    ],
)
def test_trim_window_is_what_ltrim_keeps(r, length, start, stop, window):
    r.rpush("w", *range(length))
    r.ltrim("w", start, stop)
    kept = [int(x) for x in r.lrange("w", 0, -1)]
    first, last = trim_window(length, start, stop)
    assert (first, last) == window
    assert kept == list(range(first, last + 1))


# --- set an element by index ------------------------------------------------------------------


@pytest.mark.servers
def test_set_element_in_its_row(client, r):
    r.rpush("l", "a", "b", "c")
    response = client.get(edit_url("l", "list-set") + "?row=1", headers=HTMX)
    body = response.content.decode()
    assert body.strip().startswith('<tr id="row-1" class="editing">')
    fields = form_fields(body)
    assert (fields["row"], fields["value"], fields["value_encoding"]) == ("1", "b", "text")

    response = post(client, "l", "list-set", fields, value="B", status=200)
    assert response["HX-Retarget"] == "#row-1"
    assert response["HX-Reswap"] == "outerHTML"
    body = response.content.decode().lstrip()
    assert body.startswith(f'<tr data-row="1"><td class="num">{opener(1)}1</a>')
    assert [(row.cells[0], row.elements[0]) for row in rows(body.split("<dl")[0])] == [("1", "B")]
    assert "saved the element at index 1" in body
    assert elements(r) == [b"a", b"B", b"c"]


def test_set_element_without_htmx_redirects_to_the_key(client, r):
    r.rpush("l", "a", "b")
    fields = open_form(client, "l", "list-set", row=0, headers={})
    response = post(client, "l", "list-set", fields, htmx=False, value="first")
    assert_redirected_to_key(response)
    assert elements(r) == [b"first", b"b"]
    assert "saved the element at index 0" in fetch(client, "l")


@pytest.mark.servers
def test_binary_element_round_trips_through_the_form(client, r):
    binary = b"\x00\xff\r\n\x80bin"
    r.rpush("l", "a", binary)
    fields = open_form(client, "l", "list-set", row=1)
    assert fields["value_encoding"] == "hex"
    assert fields["value"] == binary.hex(" ")
    post(client, "l", "list-set", fields, status=200)  # saved unchanged
    assert elements(r) == [b"a", binary]

    fields = open_form(client, "l", "list-set", row=1)
    post(client, "l", "list-set", fields, value="de ad be ef 00", status=200)
    assert elements(r) == [b"a", b"\xde\xad\xbe\xef\x00"]


@pytest.mark.servers
def test_set_element_conflict_keeps_the_other_clients_value(client, r):
    r.rpush("l", "a", "b", "c")
    fields = open_form(client, "l", "list-set", row=1)
    r.lset("l", 1, "theirs")
    response = post(client, "l", "list-set", fields, value="mine", status=409)
    assert "element at index 1 was changed meanwhile" in problem(response)
    assert "theirs" in problem(response)
    assert elements(r) == [b"a", b"theirs", b"c"]

    # The redrawn form expects what is there now: submitting it again is a deliberate overwrite.
    again = form_fields(response.content.decode())
    assert again["value"] == "mine"
    post(client, "l", "list-set", again, status=200)
    assert elements(r) == [b"a", b"mine", b"c"]


def test_set_element_conflict_when_the_list_shifted(client, r):
    r.rpush("l", "a", "b", "c")
    fields = open_form(client, "l", "list-set", row=1)
    r.lpush("l", "new")  # index 1 now holds "a"
    response = post(client, "l", "list-set", fields, value="mine", status=409)
    assert "changed meanwhile" in problem(response)
    assert elements(r) == [b"new", b"a", b"b", b"c"]


def test_set_element_when_the_list_shrank_is_refused(client, r):
    r.rpush("l", "a", "b", "c")
    fields = open_form(client, "l", "list-set", row=2)
    r.rpop("l")
    response = post(client, "l", "list-set", fields, value="mine", status=422)
    assert "there is no element at index 2: the list has 2 elements (indices 0 to 1)" in (
        problem(response)
    )
    assert elements(r) == [b"a", b"b"]


def test_set_element_of_a_list_deleted_meanwhile_is_404_and_not_recreated(client, r):
    r.rpush("l", "a", "b")
    fields = open_form(client, "l", "list-set", row=0)
    r.delete("l")
    response = post(client, "l", "list-set", fields, value="x", status=404)
    assert "no longer exists" in text(response)
    assert not r.exists("l")


def test_set_element_of_a_key_that_changed_type(client, r):
    r.rpush("l", "a")
    fields = open_form(client, "l", "list-set", row=0)
    r.delete("l")
    r.set("l", "now a string")
    response = post(client, "l", "list-set", fields, value="x")
    assert response.status_code in (404, 409)  # the page no longer has this operation
    assert r.get("l") == b"now a string"


def test_form_for_an_index_out_of_range_is_refused(client, r):
    r.rpush("l", "a")
    response = client.get(edit_url("l", "list-set") + "?row=5", headers=HTMX)
    assert response.status_code == 422
    assert "there is no element at index 5: the list has 1 element (only index 0)" in text(response)
    assert client.get(edit_url("l", "list-set") + "?row=x", headers=HTMX).status_code == 400


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("99", "there is no element at index 99: the list has 3 elements (indices 0 to 2)"),
        ("abc", "'abc' is not a whole number"),
        ("1.5", "'1.5' is not a whole number"),
        ("-1", "-1 is not an index here"),
        ("9" * 25, "out of range for a 64-bit integer"),
        ("", "the form has no index"),
    ],
)
def test_set_element_bad_index(client, r, row, message):
    r.rpush("l", "a", "b", "c")
    fields = open_form(client, "l", "list-set", row=0)
    response = post(client, "l", "list-set", fields, row=row, value="x", status=422)
    assert message in text(response)
    assert elements(r) == [b"a", b"b", b"c"]


def test_set_element_bad_value(client, r, settings):
    settings.DASHBOARD_MAX_VALUE_BYTES = 8
    r.rpush("l", "a")
    fields = open_form(client, "l", "list-set", row=0)
    response = post(client, "l", "list-set", fields, value="123456789", status=422)
    assert "9 bytes is over the 8-byte limit" in text(response)
    response = post(client, "l", "list-set", fields, value="zz", value_encoding="hex", status=422)
    assert "not valid hex" in text(response)
    assert elements(r) == [b"a"]


def test_element_edit_on_a_200k_list_reads_one_element(client, r):
    seed(r, "RPUSH", "huge", [f"element:{i}" for i in range(200_000)])
    with RedisWork(r) as work:
        fields = open_form(client, "huge", "list-set", row=150_000)
        assert fields["value"] == "element:150000"
        post(client, "huge", "list-set", fields, value="edited", status=200)
    assert r.lindex("huge", 150_000) == b"edited"
    assert r.llen("huge") == 200_000
    assert work.count("lrange") == 0, work.calls
    assert work.count("lset") == 1
    assert work.output_bytes < 64 * 1024, work.output_bytes


# --- push -------------------------------------------------------------------------------------


def test_push_one_element_to_the_tail(client, r):
    r.rpush("l", "a", "b")
    fields = open_form(client, "l", "list-push")
    assert (fields["end"], fields["mode"], fields["elements"]) == ("tail", "one", "")
    response = post(client, "l", "list-push", fields, elements="line 1\nline 2", status=200)
    assert response["HX-Retarget"] == "#value"
    body = response.content.decode().lstrip()
    assert body.startswith('<section id="value"')
    assert "pushed line 1" in body and "the list has 3 elements" in body
    assert elements(r) == [b"a", b"b", b"line 1\nline 2"]


def test_push_lines_to_the_head_keeps_their_order(client, r):
    r.rpush("l", "a", "b")
    fields = open_form(client, "l", "list-push", headers={})
    response = post(
        client,
        "l",
        "list-push",
        fields,
        htmx=False,
        end="head",
        mode="lines",
        elements="x\r\ny\r\n\r\n   \r\nz\r\n",
    )
    assert_redirected_to_key(response)
    assert elements(r) == [b"x", b"y", b"z", b"a", b"b"]
    assert "pushed 3 elements to the head; the list has 5 elements" in fetch(client, "l")


def test_push_lines_to_the_tail(client, r):
    r.rpush("l", "a")
    fields = open_form(client, "l", "list-push")
    post(client, "l", "list-push", fields, mode="lines", elements="x\ny", status=200)
    assert elements(r) == [b"a", b"x", b"y"]


def test_push_binary_elements_as_hex(client, r):
    r.rpush("l", "a")
    fields = open_form(client, "l", "list-push")
    post(client, "l", "list-push", fields, elements="00 ff 0a", elements_encoding="hex", status=200)
    post(
        client,
        "l",
        "list-push",
        fields,
        mode="lines",
        elements="80\nde ad",
        elements_encoding="hex",
        end="head",
        status=200,
    )
    assert elements(r) == [b"\x80", b"\xde\xad", b"a", b"\x00\xff\n"]
    assert r"\0\xff\n" in fetch(client, "l")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"elements": ""}, "nothing to push: give at least one element"),
        ({"elements": "\n  \n", "mode": "lines"}, "nothing to push: give at least one element"),
        ({"elements": "  ", "elements_encoding": "hex"}, "nothing to push"),
        ({"elements": "0g", "elements_encoding": "hex"}, "not valid hex"),
        (
            {"elements": "00\nzz", "elements_encoding": "hex", "mode": "lines"},
            "line 2: not valid hex",
        ),
        ({"elements": "x", "end": "middle"}, "Select a valid choice"),
        ({"elements": "x", "mode": "words"}, "Select a valid choice"),
    ],
)
def test_push_bad_input(client, r, changes, message):
    r.rpush("l", "a")
    fields = open_form(client, "l", "list-push")
    response = post(client, "l", "list-push", fields, status=422, **changes)
    assert message in text(response)
    assert elements(r) == [b"a"]


def test_push_over_the_size_limit(client, r, settings):
    settings.DASHBOARD_MAX_VALUE_BYTES = 10
    r.rpush("l", "a")
    fields = open_form(client, "l", "list-push")
    response = post(client, "l", "list-push", fields, elements="x" * 11, status=422)
    assert "11 bytes is over the 10-byte limit" in text(response)
    response = post(
        client, "l", "list-push", fields, mode="lines", elements="123456\n123456", status=422
    )
    assert "12 bytes in all is over the 10-byte limit" in text(response)
    assert elements(r) == [b"a"]


def test_push_to_a_list_deleted_meanwhile_does_not_recreate_it(client, r):
    r.rpush("l", "a")
    fields = open_form(client, "l", "list-push")
    r.delete("l")
    for end in ("head", "tail"):
        response = post(client, "l", "list-push", fields, elements="x", end=end, status=404)
        assert "no longer exists" in text(response)
        assert not r.exists("l")


def test_push_to_a_key_that_became_another_type(client, r):
    r.rpush("l", "a")
    fields = open_form(client, "l", "list-push")
    r.delete("l")
    r.hset("l", "f", "v")
    response = post(client, "l", "list-push", fields, elements="x")
    assert response.status_code in (404, 409)
    assert r.type("l") == b"hash" and r.hgetall("l") == {b"f": b"v"}


# --- pop --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "shown", "left"),
    [
        ("list-pop-head", "a", [b"b", b"c"]),
        ("list-pop-tail", "c", [b"a", b"b"]),
    ],
)
def test_pop_shows_the_element_then_pops_it(client, r, action, shown, left):
    r.rpush("l", "a", "b", "c")
    response = client.get(edit_url("l", action), headers=HTMX)
    body = response.content.decode()
    assert re.search(rf"<textarea[^>]*disabled[^>]*>\n?{shown}</textarea>", body)
    assert 'class="edit-form destructive"' in body
    fields = form_fields(body)
    assert "element" not in fields  # shown, not submitted
    response = post(client, "l", action, fields, status=200)
    assert f"popped {shown} from the" in response.content.decode()
    assert elements(r) == left


def test_pop_without_htmx_redirects(client, r):
    r.rpush("l", "a", b"\x00\xfe")
    fields = open_form(client, "l", "list-pop-tail", headers={})
    response = post(client, "l", "list-pop-tail", fields, htmx=False)
    assert_redirected_to_key(response)
    assert elements(r) == [b"a"]
    assert r"popped \0\xfe from the tail" in fetch(client, "l")


@pytest.mark.parametrize(
    ("action", "change", "current"),
    [
        ("list-pop-head", lambda r: r.lpush("l", "pushed"), "pushed"),
        ("list-pop-head", lambda r: r.lset("l", 0, "changed"), "changed"),
        ("list-pop-tail", lambda r: r.rpush("l", "pushed"), "pushed"),
        ("list-pop-tail", lambda r: r.rpop("l"), "b"),
    ],
)
def test_pop_conflict_pops_nothing(client, r, action, change, current):
    r.rpush("l", "a", "b", "c")
    fields = open_form(client, "l", action)
    change(r)
    before = elements(r)
    response = post(client, "l", action, fields, status=409)
    assert "changed meanwhile; nothing was written" in problem(response)
    assert f"Current value: {current}" in problem(response)
    assert elements(r) == before

    # Submitting the redrawn form pops what it has just shown.
    again = form_fields(response.content.decode())
    post(client, "l", action, again, status=200)
    assert elements(r) == (before[1:] if action == "list-pop-head" else before[:-1])


def test_pop_refuses_the_last_element(client, r):
    r.rpush("l", "only")
    fields = open_form(client, "l", "list-pop-head")
    response = post(client, "l", "list-pop-head", fields, status=422)
    assert "this is the only element: popping it would delete the key" in problem(response)
    assert elements(r) == [b"only"]


def test_pop_of_a_list_deleted_meanwhile(client, r):
    r.rpush("l", "a", "b")
    fields = open_form(client, "l", "list-pop-head")
    r.delete("l")
    post(client, "l", "list-pop-head", fields, status=404)
    assert not r.exists("l")


def test_pop_with_a_damaged_form(client, r):
    r.rpush("l", "a", "b")
    fields = open_form(client, "l", "list-pop-head")
    response = post(client, "l", "list-pop-head", fields, expected="", status=422)
    assert "This field is required" in text(response)
    response = post(client, "l", "list-pop-head", fields, expected="nonsense", status=409)
    assert elements(r) == [b"a", b"b"]


# --- insert -----------------------------------------------------------------------------------


def test_insert_before_and_after(client, r):
    r.rpush("l", "a", "b", "c")
    fields = open_form(client, "l", "list-insert")
    assert fields["where"] == "before"
    response = post(client, "l", "list-insert", fields, pivot="b", element="x", status=200)
    assert "inserted x before b; the list has 4 elements" in response.content.decode()
    assert elements(r) == [b"a", b"x", b"b", b"c"]

    response = post(
        client, "l", "list-insert", fields, htmx=False, where="after", pivot="c", element="z"
    )
    assert_redirected_to_key(response)
    assert elements(r) == [b"a", b"x", b"b", b"c", b"z"]


def test_insert_binary_with_a_binary_pivot(client, r):
    r.rpush("l", b"\x00\x01", "b")
    fields = open_form(client, "l", "list-insert")
    post(
        client,
        "l",
        "list-insert",
        fields,
        where="after",
        pivot="00 01",
        pivot_encoding="hex",
        element="ff",
        element_encoding="hex",
        status=200,
    )
    assert elements(r) == [b"\x00\x01", b"\xff", b"b"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pivot": "nope", "element": "x"}, "no element equals nope; nothing was inserted"),
        ({"pivot": "", "element": "x"}, "give the element to insert next to"),
        ({"pivot": "a", "element": ""}, "give the element to insert"),
        ({"pivot": "a", "element": "zz", "element_encoding": "hex"}, "not valid hex"),
        ({"pivot": "a", "element": "x", "where": "instead"}, "Select a valid choice"),
    ],
)
def test_insert_bad_input(client, r, changes, message):
    r.rpush("l", "a", "b")
    fields = open_form(client, "l", "list-insert")
    response = post(client, "l", "list-insert", fields, status=422, **changes)
    assert message in text(response)
    assert elements(r) == [b"a", b"b"]


def test_insert_over_the_size_limit(client, r, settings):
    settings.DASHBOARD_MAX_VALUE_BYTES = 4
    r.rpush("l", "a")
    fields = open_form(client, "l", "list-insert")
    response = post(client, "l", "list-insert", fields, pivot="a", element="12345", status=422)
    assert "5 bytes is over the 4-byte limit" in text(response)
    assert elements(r) == [b"a"]


def test_insert_into_a_list_deleted_meanwhile(client, r):
    r.rpush("l", "a")
    fields = open_form(client, "l", "list-insert")
    r.delete("l")
    post(client, "l", "list-insert", fields, pivot="a", element="x", status=404)
    assert not r.exists("l")


# --- remove by value --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "left", "removed"),
    [
        ("0", [b"b", b"c"], 3),
        ("2", [b"b", b"c", b"a"], 2),
        ("-1", [b"a", b"b", b"a", b"c"], 1),
        (" 10 ", [b"b", b"c"], 3),
        ("+0000000000000000000002", [b"b", b"c", b"a"], 2),
    ],
)
def test_remove_by_value(client, r, count, left, removed):
    r.rpush("l", "a", "b", "a", "c", "a")
    fields = open_form(client, "l", "list-remove")
    assert fields["count"] == "0"
    response = post(client, "l", "list-remove", fields, value="a", count=count, status=200)
    plural = "s" if removed != 1 else ""
    assert f"removed {removed} element{plural} equal to a" in response.content.decode()
    assert elements(r) == left


def test_remove_without_htmx_and_nothing_matching(client, r):
    r.rpush("l", "a", "b")
    fields = open_form(client, "l", "list-remove", headers={})
    response = post(client, "l", "list-remove", fields, htmx=False, value="zzz")
    assert_redirected_to_key(response)
    assert "no element equals zzz; nothing was removed" in fetch(client, "l")
    assert elements(r) == [b"a", b"b"]


def test_remove_binary(client, r):
    r.rpush("l", b"\xff", "a", b"\xff")
    fields = open_form(client, "l", "list-remove")
    post(client, "l", "list-remove", fields, value="ff", value_encoding="hex", status=200)
    assert elements(r) == [b"a"]


@pytest.mark.parametrize("count", ["0", "2", "5", "-2", "-9"])
def test_removing_every_element_is_refused_like_the_other_types(client, r, count):
    r.rpush("l", "a", "a")
    r.expire("l", 600)
    fields = open_form(client, "l", "list-remove")
    response = post(client, "l", "list-remove", fields, value="a", count=count, status=422)
    assert "every element of the list equals a: removing them would delete the key" in problem(
        response
    )
    assert elements(r) == [b"a", b"a"] and r.ttl("l") > 500


@pytest.mark.parametrize(("count", "left"), [("1", [b"a", b"b"]), ("0", [b"b"]), ("-5", [b"b"])])
def test_removing_all_but_a_different_element_goes_through(client, r, count, left):
    r.rpush("l", "a", "a", "b")
    fields = open_form(client, "l", "list-remove")
    post(client, "l", "list-remove", fields, value="a", count=count, status=200)
    assert elements(r) == left


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"value": "a", "count": "one"}, "'one' is not a whole number"),
        ({"value": "a", "count": "1.5"}, "'1.5' is not a whole number"),
        ({"value": "a", "count": ""}, "This field is required"),
        ({"value": "a", "count": "9" * 20}, "out of range for a 64-bit integer"),
        ({"value": "a", "count": "9223372036854775808"}, "out of range for a 64-bit integer"),
        ({"value": "a", "count": "-9223372036854775809"}, "out of range for a 64-bit integer"),
        ({"value": "a", "count": "\u0661"}, "is not a whole number"),
        ({"value": "", "count": "0"}, "give the element to remove"),
    ],
)
def test_remove_bad_input(client, r, changes, message):
    r.rpush("l", "a", "b")
    fields = open_form(client, "l", "list-remove")
    response = post(client, "l", "list-remove", fields, status=422, **changes)
    assert message in text(response)
    assert elements(r) == [b"a", b"b"]


def test_remove_from_a_list_deleted_meanwhile(client, r):
    r.rpush("l", "a", "b")
    fields = open_form(client, "l", "list-remove")
    r.delete("l")
    post(client, "l", "list-remove", fields, value="a", status=404)
    assert not r.exists("l")


# --- trim -------------------------------------------------------------------------------------


def ten(r):
    r.rpush("l", *[f"e{i}" for i in range(10)])
    return [f"e{i}".encode() for i in range(10)]


def test_trim_confirms_the_resulting_length_then_trims(client, r):
    before = ten(r)
    fields = open_form(client, "l", "list-trim")
    assert (fields["start"], fields["stop"], fields["expected"]) == ("0", "-1", "10")
    response = post(client, "l", "list-trim", fields, start="2", stop="4", status=200)
    assert "this keeps indices 2 to 4: 3 of the 10 elements remain and 7 are removed" in problem(
        response
    )
    assert elements(r) == before  # nothing yet

    confirm = form_fields(response.content.decode())
    assert (confirm["start"], confirm["stop"]) == ("2", "4")
    assert re.fullmatch(r"10:2:4:[0-9a-f]{16}", confirm["expected"])
    response = post(client, "l", "list-trim", confirm, status=200)
    assert response["HX-Retarget"] == "#value"
    assert "trimmed to indices 2 to 4: 3 elements kept, 7 removed" in response.content.decode()
    assert elements(r) == before[2:5]


def test_trim_without_htmx(client, r):
    before = ten(r)
    fields = open_form(client, "l", "list-trim", headers={})
    response = post(client, "l", "list-trim", fields, htmx=False, start="-3", stop="-1", status=200)
    assert response.content.decode().lstrip().lower().startswith("<!doctype html>")
    assert "3 of the 10 elements remain" in problem(response)
    response = post(client, "l", "list-trim", form_fields(response.content.decode()), htmx=False)
    assert_redirected_to_key(response)
    assert elements(r) == before[7:]


def test_changing_the_range_after_confirming_asks_again(client, r):
    before = ten(r)
    fields = open_form(client, "l", "list-trim")
    response = post(client, "l", "list-trim", fields, start="2", stop="4", status=200)
    confirm = form_fields(response.content.decode())
    response = post(client, "l", "list-trim", confirm, stop="8", status=200)
    assert "7 of the 10 elements remain" in problem(response)
    assert elements(r) == before


def test_trim_conflict_when_the_length_changed(client, r):
    before = ten(r)
    fields = open_form(client, "l", "list-trim")
    response = post(client, "l", "list-trim", fields, start="0", stop="4", status=200)
    confirm = form_fields(response.content.decode())
    r.rpush("l", "theirs")
    response = post(client, "l", "list-trim", confirm, status=409)
    assert (
        "the list has 11 elements now, not the 10 it had when this form was drawn; "
        "nothing was trimmed" in problem(response)
    )
    assert elements(r) == [*before, b"theirs"]

    # The redrawn form asks again, against the length now.
    again = form_fields(response.content.decode())
    assert again["expected"] == "11"
    response = post(client, "l", "list-trim", again, status=200)
    assert "5 of the 11 elements remain" in problem(response)
    assert r.llen("l") == 11


def test_trim_conflict_before_confirming(client, r):
    ten(r)
    fields = open_form(client, "l", "list-trim")
    r.lpop("l")
    post(client, "l", "list-trim", fields, start="0", stop="1", status=409)
    assert r.llen("l") == 9


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"start": "5", "stop": "2"},
            "that range keeps none of the 10 elements: trimming would delete the key",
        ),
        ({"start": "10", "stop": "-1"}, "keeps none of the 10 elements"),
        ({"start": "0", "stop": "-1"}, "that range keeps all 10 elements: nothing to trim"),
        ({"start": "-100", "stop": "100"}, "nothing to trim"),
        ({"start": "two", "stop": "4"}, "'two' is not a whole number"),
        ({"start": "0", "stop": ""}, "give the last index to keep"),
        ({"start": "0", "stop": "4", "expected": "ten"}, "the form is damaged; open it again"),
    ],
)
def test_trim_bad_input(client, r, changes, message):
    before = ten(r)
    fields = open_form(client, "l", "list-trim")
    response = post(client, "l", "list-trim", fields, status=422, **changes)
    assert message in text(response)
    assert elements(r) == before


def test_trim_of_a_list_deleted_meanwhile(client, r):
    ten(r)
    fields = open_form(client, "l", "list-trim")
    r.delete("l")
    post(client, "l", "list-trim", fields, start="0", stop="1", status=404)
    assert not r.exists("l")


# --- who may edit -----------------------------------------------------------------------------

ALL_POSTS = [
    ("list-set", {"row": "0", "expected": "x", "value": "v"}),
    ("list-push", {"end": "tail", "mode": "one", "elements": "v"}),
    ("list-pop-head", {"expected": "x"}),
    ("list-pop-tail", {"expected": "x"}),
    ("list-insert", {"where": "before", "pivot": "a", "element": "v"}),
    ("list-remove", {"value": "a", "count": "0"}),
    ("list-trim", {"start": "0", "stop": "0", "expected": "2:0:0"}),
]


def test_read_only_mode_draws_no_controls_and_refuses_edits(client, r, settings):
    settings.DASHBOARD_READONLY = True
    r.rpush("l", "a", "b")
    page = fetch(client, "l")
    assert "/edit/" not in page
    assert "row-actions" not in page
    assert [row.elements[0] for row in rows(page)] == ["a", "b"]
    for action, data in ALL_POSTS:
        for headers in (HTMX, {}):
            response = client.post(edit_url("l", action), data, headers=headers)
            assert response.status_code == 403, action
        assert client.get(edit_url("l", action) + "?row=0").status_code == 403
    assert elements(r) == [b"a", b"b"]


def test_posts_without_the_csrf_token_are_refused(csrf_client, r):
    r.rpush("l", "a", "b")
    browser = csrf_client
    for action, data in ALL_POSTS:
        response = browser.post(edit_url("l", action), data, headers=HTMX)
        assert response.status_code == 403, action
    assert elements(r) == [b"a", b"b"]

    # With the token from the form (and its cookie), the same browser may push.
    fields = open_form(browser, "l", "list-push")
    assert fields["csrfmiddlewaretoken"]
    post(browser, "l", "list-push", fields, elements="c", status=200)
    assert elements(r) == [b"a", b"b", b"c"]


def test_unknown_operation_is_404(client, r):
    r.rpush("l", "a")
    assert client.get(edit_url("l", "hash-set")).status_code == 404
    assert client.post(edit_url("l", "list-nope"), {}).status_code == 404
    assert elements(r) == [b"a"]
