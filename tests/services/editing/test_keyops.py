from datetime import UTC, datetime, timedelta

import pytest

from keyspace.redis.keynames import encode_key
from tests.services.editing.forms import confirm, open_form, submit
from tests.support.htmx import HTMX
from tests.support.urls import edit_url

# A few round trips run on every server of the matrix (tests/support/servers.py): `servers`.


@pytest.fixture
def key(r):
    r.set("cache:1", "value", ex=600)
    return b"cache:1"


@pytest.mark.parametrize(
    ("changes", "low", "high"),
    [
        ({"unit": "s", "amount": "90"}, 89_000, 90_000),
        ({"unit": "ms", "amount": "6500"}, 6_000, 6_500),
    ],
)
def test_set_ttl_in_seconds_or_milliseconds(client, r, key, changes, low, high):
    assert submit(client, key, "ttl", **changes).status_code == 200
    assert low <= r.pttl(key) <= high


@pytest.mark.parametrize("amount", ["1", "4999"])
def test_a_ttl_too_short_to_see_is_confirmed_like_a_delete(client, r, key, amount):
    asked = submit(client, key, "ttl", unit="ms", amount=amount)
    assert asked.status_code == 428 and "expire almost at once" in asked.content.decode()
    assert r.pttl(key) > 500_000  # nothing written yet
    done = confirm(client, key, "ttl", asked)
    assert done.status_code == 200 and 0 < r.pttl(key) <= int(amount) or not r.exists(key)


def test_a_short_ttl_confirmation_is_not_a_blank_cheque(client, r, key):
    """The token drawn with the plain form confirms nothing: only the one the server hands
    out when it asks does."""
    fields = open_form(client, key, "ttl")
    assert "confirm" not in fields
    refused = client.post(edit_url(key, "ttl"), fields | {"unit": "ms", "amount": "1"},
                          headers=HTMX)
    assert refused.status_code == 428 and r.pttl(key) > 500_000


@pytest.mark.servers
def test_set_ttl_at_a_date_and_time(client, r, key):
    at = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")
    assert submit(client, key, "ttl", unit="at", at=at).status_code == 200
    assert 7_100 < r.ttl(key) <= 7_200


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"unit": "s", "amount": "0"}, "more than zero"),
        ({"unit": "s", "amount": "-5"}, "more than zero"),
        ({"unit": "s", "amount": "abc"}, "is not a number"),
        ({"unit": "s", "amount": "nan"}, "whole number"),
        ({"unit": "s", "amount": "1.5"}, "whole number"),
        ({"unit": "s", "amount": "99999999999"}, "out of range"),
        ({"unit": "at", "at": "2001-01-01T00:00"}, "already passed"),
        ({"unit": "at", "at": ""}, "give the date"),
    ],
)
def test_bad_ttls_never_delete_or_change_the_key(client, r, key, changes, message):
    before = r.ttl(key)
    response = submit(client, key, "ttl", **changes)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert r.get(key) == b"value" and before - 2 <= r.ttl(key) <= before


@pytest.mark.servers
def test_remove_ttl(client, r, key):
    assert submit(client, key, "persist").status_code == 200
    assert r.ttl(key) == -1


def test_ttl_on_a_key_deleted_meanwhile_is_reported(client, r, key):
    fields = open_form(client, key, "ttl")
    r.delete(key)
    response = client.post(edit_url(key, "ttl"), fields | {"amount": "60"}, headers=HTMX)
    assert response.status_code == 404 and not r.exists(key)


@pytest.mark.servers
def test_rename_goes_to_the_new_key(client, r, key):
    response = submit(client, key, "rename", new_name="cache:2")
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/c/default/db/0/key/{encode_key(b'cache:2')}/"
    assert r.get("cache:2") == b"value" and not r.exists(key)
    assert r.ttl("cache:2") > 500


@pytest.mark.servers
def test_rename_refuses_to_overwrite_unless_confirmed(client, r, key):
    r.set("taken", "precious")
    refused = submit(client, key, "rename", new_name="taken")
    assert refused.status_code == 409 and "already exists" in refused.content.decode()
    assert r.get("taken") == b"precious" and r.exists(key)
    asked = submit(client, key, "rename", new_name="taken", overwrite="on", htmx=False)
    assert asked.status_code == 428 and "now holds a string of 8 bytes" in asked.content.decode()
    assert r.get("taken") == b"precious"
    done = confirm(client, key, "rename", asked, htmx=False)
    assert done.status_code == 302 and r.get("taken") == b"value"


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"new_name": "cache:1"}, 422, "same as the old one"),
        ({"new_name": ""}, 422, "required"),
        ({"new_name": "zz", "name_format": "hex"}, 422, "not valid hex"),
    ],
)
def test_bad_new_names(client, r, key, changes, status, message):
    response = submit(client, key, "rename", **changes)
    assert response.status_code == status
    assert message in response.content.decode()
    assert r.get(key) == b"value"


def test_over_long_names_are_refused(client, r, key, settings):
    settings.DASHBOARD_MAX_KEY_BYTES = 8
    response = submit(client, key, "rename", new_name="123456789")
    assert response.status_code == 422 and "limit" in response.content.decode()


def test_rename_to_a_binary_name(client, r, key):
    submit(client, key, "rename", new_name="bin:\\xff\\x00", name_format="escaped")
    assert r.get(b"bin:\xff\x00") == b"value"


@pytest.mark.servers
def test_copy_keeps_the_original(client, r, key):
    assert submit(client, key, "copy", new_name="cache:copy").status_code == 204
    assert r.get("cache:copy") == b"value" and r.get(key) == b"value"
    r.set("other", "x")
    assert submit(client, key, "copy", new_name="other").status_code == 409
    assert r.get("other") == b"x"


@pytest.mark.servers
def test_delete_needs_a_confirmation_step(client, r, key):
    confirm = client.get(edit_url(key, "delete"), headers=HTMX).content.decode()
    assert "You can undo this for 60 minutes" in confirm and "Delete the key" in confirm
    assert r.exists(key)
    response = submit(client, key, "delete", htmx=False)
    assert response.status_code == 302 and response["Location"] == "/c/default/db/0/"
    assert not r.exists(key)


def test_delete_of_a_key_replaced_by_another_type_is_refused(client, r, key):
    fields = open_form(client, key, "delete")
    r.delete(key)
    r.rpush(key, "now a list")
    response = client.post(edit_url(key, "delete"), fields, headers=HTMX)
    assert response.status_code == 409
    assert r.lrange(key, 0, -1) == [b"now a list"]


def test_state_changes_are_never_reachable_by_get(client, r, key):
    for action in ("ttl", "persist", "rename", "copy", "delete"):
        client.get(edit_url(key, action), {"amount": "1", "new_name": "x"})
    assert r.get(key) == b"value" and r.ttl(key) > 500 and not r.exists("x")


def test_ttl_countdown_data_is_on_the_page(client, r, key):
    page = client.get(f"/c/default/db/0/key/{encode_key(key)}/").content.decode()
    assert 'data-ttl-ms="' in page


def changed_meanwhile(r, change: str):
    """What another client does between the form's drawing and its sending."""
    {"ttl": lambda: r.expire("cache:1", 30),
     "persist": lambda: r.persist("cache:1"),
     "value": lambda: r.set("cache:1", "theirs", keepttl=True),
     "made again": lambda: (r.delete("cache:1"), r.set("cache:1", "value", ex=600))}[change]()


@pytest.mark.parametrize("change", ["ttl", "persist", "value", "made again"])
@pytest.mark.parametrize(("action", "changes"), [
    ("ttl", {"unit": "s", "amount": "100000"}), ("persist", {}),
    ("rename", {"new_name": "moved"}), ("copy", {"new_name": "copied"}),
])
def test_a_key_changed_meanwhile_is_a_conflict_for_its_ttl_and_its_name(
        client, r, key, change, action, changes):
    """The form carries the key as shown, its TTL included: another client's new TTL, a new
    value, or the key deleted and made again, makes the edit a conflict (nothing changed), and
    the form drawn with it sends the edit of the key as it is now."""
    import time

    fields = open_form(client, key, action)
    fields.pop("csrfmiddlewaretoken", None)
    if change == "made again":
        time.sleep(0.02)  # a key made again moments later expires later too
    changed_meanwhile(r, change)
    value, pttl = r.get(key), r.pttl(key)
    response = client.post(edit_url(key, action), fields | changes, headers=HTMX)
    assert response.status_code == 409, response.content.decode()[:500]
    assert "changed meanwhile" in response.content.decode()
    assert r.get(key) == value and not r.exists("moved", "copied")
    assert (r.pttl(key) < 0) == (pttl < 0) and abs(r.pttl(key) - pttl) < 1_000  # its own TTL


@pytest.mark.servers  # PEXPIRETIME from Redis 7.0; TIME and PTTL in one script before
def test_the_conflict_form_sends_the_edit_of_the_key_as_it_is_now(client, r, key):
    from tests.services.editing.forms import form_fields

    fields = open_form(client, key, "ttl")
    fields.pop("csrfmiddlewaretoken", None)
    r.expire(key, 30)
    asked = client.post(edit_url(key, "ttl"), fields | {"amount": "900"}, headers=HTMX)
    assert asked.status_code == 409 and 25 <= r.ttl(key) <= 30
    again = form_fields(asked.content.decode())
    again.pop("csrfmiddlewaretoken", None)
    assert again["state"] != fields["state"]
    response = client.post(edit_url(key, "ttl"), again | {"amount": "900"}, headers=HTMX)
    assert response.status_code == 200 and 895 <= r.ttl(key) <= 900


@pytest.mark.parametrize(("action", "changes"), [
    ("ttl", {"unit": "s", "amount": "100000"}), ("persist", {}),
    ("rename", {"new_name": "moved"}), ("copy", {"new_name": "copied"}),
])
@pytest.mark.parametrize("state", [None, ""])
def test_an_edit_that_does_not_say_which_key_it_was_drawn_for_is_refused(
        client, r, key, action, changes, state):
    """As a delete without its fingerprint: a request built by hand, or a form drawn before
    forms carried the key's state, is not applied to whatever the key is now."""
    fields = open_form(client, key, action)
    fields.pop("csrfmiddlewaretoken", None)
    if state is None:
        fields.pop("state")
    else:
        fields["state"] = state
    pttl = r.pttl(key)
    response = client.post(edit_url(key, action), fields | changes, headers=HTMX)
    assert response.status_code == 422, response.content.decode()[:500]
    assert "which state of the key it was drawn for" in response.content.decode()
    assert r.get(key) == b"value" and not r.exists("moved", "copied")
    assert abs(r.pttl(key) - pttl) < 1_000
