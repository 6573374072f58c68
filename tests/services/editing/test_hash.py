import pytest

from keyspace.redis.keynames import encode_key
from tests.services.editing.forms import open_form, submit
from tests.support.htmx import HTMX
from tests.support.rows import opener
from tests.support.urls import edit_url

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py


@pytest.fixture
def user(r):
    r.hset("user:1", mapping={"name": "ada", "visits": "5", b"bin\xff": b"\x00\x01"})
    return b"user:1"


def test_edit_a_field_redraws_only_its_row(client, r, user):
    response = submit(client, user, "hash-set", row=b"name", value="grace")
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#row-{encode_key(b'name')}"
    body = response.content.decode()
    assert body.lstrip().startswith(
        f'<tr data-row="{encode_key(b"name")}"><td class="field">{opener(encode_key(b"name"))}')
    assert "grace" in body and 'id="key-meta" class="meta" hx-swap-oob="true"' in body
    assert r.hget(user, "name") == b"grace"
    assert r.hget(user, b"bin\xff") == b"\x00\x01"


def test_without_htmx_a_save_redirects_to_the_key_page(client, r, user):
    response = submit(client, user, "hash-set", row=b"name", value="grace", htmx=False)
    assert response.status_code == 302
    assert response["Location"] == f"/c/default/db/0/key/{encode_key(user)}/"
    assert r.hget(user, "name") == b"grace"


def test_binary_value_is_offered_as_hex_and_round_trips(client, r, user):
    fields = open_form(client, user, "hash-set", row=b"bin\xff")
    assert fields["value_encoding"] == "hex" and fields["value"] == "00 01"
    submit(client, user, "hash-set", row=b"bin\xff", value="00 01 ff")
    assert r.hget(user, b"bin\xff") == b"\x00\x01\xff"


def test_a_field_changed_meanwhile_is_not_overwritten(client, r, user):
    fields = open_form(client, user, "hash-set", row=b"name")
    r.hset(user, "name", "changed by someone else")
    fields.update(value="mine")
    response = client.post(edit_url(user, "hash-set"), fields, headers=HTMX)
    assert response.status_code == 409
    assert "changed meanwhile" in response.content.decode()
    assert "changed by someone else" in response.content.decode()
    assert r.hget(user, "name") == b"changed by someone else"


def test_after_a_conflict_a_deliberate_resubmit_saves(client, r, user):
    fields = open_form(client, user, "hash-set", row=b"name")
    r.hset(user, "name", "theirs")
    fields.update(value="mine")
    conflict = client.post(edit_url(user, "hash-set"), fields, headers=HTMX).content.decode()
    from tests.services.editing.forms import form_fields

    again = form_fields(conflict)
    again.pop("csrfmiddlewaretoken", None)
    assert client.post(edit_url(user, "hash-set"), again, headers=HTMX).status_code == 200
    assert r.hget(user, "name") == b"mine"


def test_editing_a_deleted_key_does_not_recreate_it(client, r, user):
    fields = open_form(client, user, "hash-set", row=b"name")
    r.delete(user)
    response = client.post(edit_url(user, "hash-set"), fields | {"value": "x"}, headers=HTMX)
    assert response.status_code == 404
    assert not r.exists(user)


def test_a_key_that_changed_type_is_not_written(client, r, user):
    fields = open_form(client, user, "hash-set", row=b"name")
    r.delete(user)
    r.set(user, "now a string")
    response = client.post(edit_url(user, "hash-set"), fields | {"value": "x"}, headers=HTMX)
    assert response.status_code in (404, 409)
    assert r.get(user) == b"now a string"


def test_add_field_refuses_an_existing_one(client, r, user):
    assert submit(client, user, "hash-add", field="email", value="a@b").status_code == 200
    assert r.hget(user, "email") == b"a@b"
    response = submit(client, user, "hash-add", field="name", value="x")
    assert response.status_code == 409
    assert r.hget(user, "name") == b"ada"


def test_add_several_fields(client, r, user):
    response = submit(client, user, "hash-add-many", pairs="a=1\nb=2=3\n\n")
    assert response.status_code == 200
    assert r.hget(user, "a") == b"1" and r.hget(user, "b") == b"2=3"
    refused = submit(client, user, "hash-add-many", pairs="name=x\nc=1")
    assert refused.status_code == 409 and not r.hexists(user, "c")
    assert submit(
        client, user, "hash-add-many", pairs="name=x", overwrite="on", confirmed=True
    ).status_code == 200
    assert r.hget(user, "name") == b"x"


def test_delete_a_field_after_confirming(client, r, user):
    form = client.get(edit_url(user, "hash-delete"), {"row": encode_key(b"visits")}, headers=HTMX)
    assert "Delete this field" in form.content.decode()
    response = submit(client, user, "hash-delete", row=b"visits")
    assert response.status_code == 200
    assert '<tr id="row-' not in response.content.decode()
    assert not r.hexists(user, "visits")


def test_deleting_the_last_field_is_refused(client, r):
    r.hset("one", "only", "1")
    response = submit(client, b"one", "hash-delete", row=b"only")
    assert response.status_code == 422
    assert r.hget("one", "only") == b"1"


@pytest.mark.parametrize(("amount", "expected"), [("3", b"8"), ("-10", b"-5"), ("0.5", b"5.5")])
def test_increment_a_numeric_field(client, r, user, amount, expected):
    assert submit(client, user, "hash-incr", row=b"visits", amount=amount).status_code == 200
    assert r.hget(user, "visits") == expected


@pytest.mark.parametrize(
    ("row", "amount", "message"),
    [
        (b"visits", "abc", "is not a number"),
        (b"visits", "nan", "NaN and infinity"),
        (b"visits", "inf", "NaN and infinity"),
        (b"visits", "99999999999999999999", "out of range"),
        (b"name", "1", "not an integer"),
    ],
)
def test_bad_increments_change_nothing(client, r, user, row, amount, message):
    before = r.hgetall(user)
    response = submit(client, user, "hash-incr", row=row, amount=amount)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert r.hgetall(user) == before


def test_increment_that_would_overflow_is_refused(client, r):
    r.hset("h", "n", str(2**63 - 1))
    response = submit(client, b"h", "hash-incr", row=b"n", amount="1")
    assert response.status_code == 422 and "overflow" in response.content.decode()
    assert r.hget("h", "n") == str(2**63 - 1).encode()


def test_invalid_hex_and_oversized_values_are_refused(client, r, user, settings):
    bad_hex = submit(client, user, "hash-set", row=b"name", value="zz", value_encoding="hex")
    assert bad_hex.status_code == 422 and "not valid hex" in bad_hex.content.decode()
    settings.DASHBOARD_MAX_VALUE_BYTES = 10
    too_big = submit(client, user, "hash-set", row=b"name", value="x" * 11)
    assert too_big.status_code == 422 and "limit" in too_big.content.decode()
    assert r.hget(user, "name") == b"ada"


@pytest.mark.one_server  # seeds a big key: boundedness, not the server, is tested
def test_one_field_of_a_big_hash_costs_the_same(client, r):
    with r.pipeline(transaction=False) as pipe:
        for start in range(0, 200_000, 5000):
            pipe.hset("big", mapping={f"f{i}": "v" for i in range(start, start + 5000)})
        pipe.execute()
    r.config_resetstat()
    submit(client, b"big", "hash-set", row=b"f123", value="new")
    stats = r.info("commandstats")
    assert "cmdstat_hgetall" not in stats and "cmdstat_hscan" not in stats
    assert r.hget("big", "f123") == b"new"


def test_readonly_mode_draws_no_controls_and_refuses_writes(client, r, user, settings):
    settings.DASHBOARD_READONLY = True
    page = client.get(f"/c/default/db/0/key/{encode_key(user)}/").content.decode()
    assert "/edit/" not in page
    response = client.post(edit_url(user, "hash-set"), {"row": encode_key(b"name"), "value": "x"})
    assert response.status_code == 403
    assert r.hget(user, "name") == b"ada"


def test_writes_need_the_csrf_token(csrf_client, r, user):

    browser = csrf_client
    fields = open_form(browser, user, "hash-set", row=b"name")
    token = fields.pop("csrfmiddlewaretoken")
    refused = browser.post(edit_url(user, "hash-set"), fields | {"value": "x"})
    assert refused.status_code == 403 and r.hget(user, "name") == b"ada"
    accepted = browser.post(edit_url(user, "hash-set"), fields | {"value": "x"},
                            HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 302 and r.hget(user, "name") == b"x"


def test_unknown_actions_are_a_404(client, r, user):
    assert client.get(edit_url(user, "list-push")).status_code == 404
    assert client.post(edit_url(user, "flushall"), {}).status_code == 404


@pytest.mark.parametrize("htmx", [True, False])
def test_saving_unchanged_multiline_values_keeps_their_bytes(client, r, htmx):
    r.hset("lines", mapping={"lf": b"a\nb", "crlf": b"a\r\nb", "cr": b"a\rb"})
    for field in (b"lf", b"crlf", b"cr"):
        before = r.hget("lines", field)
        fields = open_form(client, b"lines", "hash-set", row=field)
        fields.pop("csrfmiddlewaretoken", None)
        if not htmx:  # a plain form post sends a textarea's line breaks as CR LF
            fields["value"] = fields["value"].replace("\n", "\r\n")
        response = client.post(edit_url(b"lines", "hash-set"), fields, headers=HTMX if htmx else {})
        assert response.status_code in (200, 302)
        assert r.hget("lines", field) == before


def test_adding_several_fields_respects_the_value_limit(client, r, user, settings):
    settings.DASHBOARD_MAX_VALUE_BYTES = 5
    response = submit(client, user, "hash-add-many", pairs="a=123456\nb=1")
    assert response.status_code == 422 and "limit" in response.content.decode()
    assert not r.hexists(user, "a") and not r.hexists(user, "b")


def test_a_field_over_the_edit_limit_is_not_read_into_a_form(client, r, settings):
    settings.DASHBOARD_MAX_VALUE_BYTES = 10
    r.hset("h", "big", "x" * 11)
    response = client.get(edit_url(b"h", "hash-set"), {"row": encode_key(b"big")}, headers=HTMX)
    assert response.status_code == 422
    assert "larger than the dashboard edits" in response.content.decode()


def test_adding_several_fields_names_the_bad_line(client, r, user):
    response = submit(client, user, "hash-add-many", pairs="a=1\n\nno equals sign")
    assert response.status_code == 422
    assert "line 3: no field=value" in response.content.decode()
    assert not r.hexists(user, "a")
