"""Destructive edits (and overwriting renames, copies and stores) only run with the server-side
confirmation token their form carries: without one, with one for another key, action, db,
user or target, with a forged or expired one, the answer is 428 and Redis is untouched.
Destructive edits draw the token with their form; edits that replace another key get it when
the server asks, bound to that key and its fingerprint."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

import pytest
from django.core import signing

from keyspace.access import confirmations
from keyspace.models import AuditEntry
from keyspace.redis.keynames import encode_key
from keyspace.services.editing.key_operations import key_state
from tests.security.support import Snapshot, reseed
from tests.services.editing.forms import form_fields
from tests.support.urls import edit_url
from tests.support.users import make_user

# The dashboard's database: SQLite and PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


@dataclass(frozen=True)
class Destructive:
    action: str
    key: bytes
    row: bytes | None = None
    changes: dict = field(default_factory=dict)
    two_steps: bool = False  # list-trim shows what it will do, then does it
    asks_first: bool = False  # replacing a key: the first submit is answered with a question

    @property
    def url(self) -> str:
        return edit_url(self.key, self.action)


DESTRUCTIVE = [
    Destructive("delete", b"str"),
    Destructive("hash-delete", b"hash", row=b"f1"),
    Destructive("list-trim", b"list", changes={"start": "1", "stop": "2"}, two_steps=True),
    Destructive("list-pop-head", b"list"),
    Destructive("list-remove", b"list", changes={"value": "b", "count": "0"}),
    Destructive("set-remove", b"set", row=b"seed-set-member"),
    Destructive("set-store", b"set", changes={"destination": "set2", "others": "set2",
                                              "operation": "inter", "overwrite": "on"},
                asks_first=True),
    Destructive("zset-remove", b"zset", row=b"seed-zset-member"),
    Destructive("rename", b"str", changes={"new_name": "num", "overwrite": "on"},
                asks_first=True),
    Destructive("copy", b"str", changes={"new_name": "num", "overwrite": "on"},
                asks_first=True),
]


def token(user_id, db: int, key: bytes, action: str, *, age: float = 0, salt=None,
          what: str = "", connection: str = "default") -> str:
    """A confirmation as confirmations.issue makes it (with its own one-time nonce), signed
    `age` seconds ago."""
    subject = {"u": user_id, "c": connection, "d": db, "k": encode_key(key), "a": action,
               "s": what, "n": secrets.token_urlsafe(12)}
    real_time = time.time

    class Then:
        @staticmethod
        def time():
            return real_time() - age

    original, signing.time = signing.time, Then
    try:
        return signing.dumps(subject, salt=salt or confirmations.SALT, compress=True)
    finally:
        signing.time = original


def opened(client, case: Destructive) -> dict:
    query = {"row": encode_key(case.row)} if case.row is not None else {}
    response = client.get(case.url, query)
    assert response.status_code == 200, response.content[-500:]
    fields = form_fields(response.content.decode())
    fields.pop("csrfmiddlewaretoken", None)
    if case.asks_first:
        assert "confirm" not in fields, "a blank form must not confirm replacing any key"
        asked = client.post(case.url, fields | case.changes)
        assert asked.status_code == 428, asked.content[-500:]
        fields = form_fields(asked.content.decode())
        fields.pop("csrfmiddlewaretoken", None)
    assert fields.get("confirm"), "the form carries no confirmation token"
    return fields | case.changes


def wrong_tokens(case: Destructive, editor, other_editor) -> dict[str, str | None]:
    return {
        "missing": None,
        "empty": "",
        "garbage": "not-a-token",
        "another key": token(editor.pk, 0, b"num", case.action),
        "another action": token(editor.pk, 0, case.key, "ttl"),
        "another db": token(editor.pk, 1, case.key, case.action),
        "another user": token(other_editor.pk, 0, case.key, case.action),
        "nobody": token(None, 0, case.key, case.action),
        "another salt": token(editor.pk, 0, case.key, case.action, salt="keyspace.other"),
        "another target": token(editor.pk, 0, case.key, case.action,
                                what=f"{encode_key(b'elsewhere')}:absent"),
        "expired": token(editor.pk, 0, case.key, case.action,
                         age=confirmations.LIFETIME_SECONDS + 1),
    }


def test_a_fresh_token_made_here_is_what_the_form_carries(client, editor, seeded):
    fields = opened(client, DESTRUCTIVE[0])
    carried = signing.loads(fields["confirm"], salt=confirmations.SALT)
    made_here = signing.loads(token(editor.pk, 0, b"str", "delete"), salt=confirmations.SALT)
    assert carried.pop("n") and made_here.pop("n")
    assert carried == made_here


@pytest.mark.parametrize("case", DESTRUCTIVE, ids=lambda c: c.action)
def test_destructive_edits_need_their_own_confirmation(case, client, editor, port, writes):
    reseed(port)
    other_editor = make_user("other-editor", "editor")
    fields = opened(client, case)
    for problem, wrong in wrong_tokens(case, editor, other_editor).items():
        body = {k: v for k, v in fields.items() if k != "confirm"}
        if wrong is not None:
            body["confirm"] = wrong
        before = Snapshot.take(port)
        writes.start()
        response = client.post(case.url, body)
        assert response.status_code == 428, (problem, response.status_code)
        assert "confirm" in response.content.decode().lower(), problem
        assert Snapshot.take(port).differences(before) == [], problem
        assert writes.since() == {}, problem
    assert AuditEntry.objects.filter(outcome=AuditEntry.REFUSED).count() == len(
        wrong_tokens(case, editor, other_editor)) + (1 if case.asks_first else 0)

    # With the token from the form: done.
    before = Snapshot.take(port)
    response = client.post(case.url, fields)
    if case.two_steps:
        assert response.status_code == 200 and Snapshot.take(port).differences(before) == []
        again = form_fields(response.content.decode())
        again.pop("csrfmiddlewaretoken", None)
        assert again["confirm"]
        response = client.post(case.url, again)
    assert response.status_code == 302, response.content[-800:]
    assert Snapshot.take(port).differences(before) != []


def test_a_token_just_inside_its_lifetime_still_works(client, editor, seeded, r):
    fields = opened(client, DESTRUCTIVE[0])
    fields["confirm"] = token(editor.pk, 0, b"str", "delete",
                              age=confirmations.LIFETIME_SECONDS - 5)
    assert client.post(DESTRUCTIVE[0].url, fields).status_code == 302
    assert not r.exists("str")


def test_a_rename_that_overwrites_needs_a_confirmation_but_a_plain_one_does_not(client, seeded,
                                                                                r):
    fields = form_fields(client.get(edit_url(b"str", "rename")).content.decode())
    fields.pop("csrfmiddlewaretoken", None)
    refused = client.post(edit_url(b"str", "rename"), fields | {"new_name": "num",
                                                                "overwrite": "on"})
    assert refused.status_code == 428 and r.get("num") == b"41"
    done = client.post(edit_url(b"str", "rename"), fields | {"new_name": "fresh"})
    assert done.status_code == 302 and r.get("fresh") == b"seed-string-value"


@pytest.mark.parametrize("action", ["rename", "copy"])
def test_a_confirmation_to_replace_one_key_does_not_replace_another(action, client, seeded, r):
    """The token names the key it replaces: confirming “replace num” cannot be reused to
    replace any other key."""
    r.set("other", "precious")
    asked = client.post(edit_url(b"str", action), {"expected_type": "string", "new_name": "num",
                                                   "overwrite": "on",
                                                   "state": key_state(r, b"str")})
    fields = form_fields(asked.content.decode())
    fields.pop("csrfmiddlewaretoken", None)
    assert asked.status_code == 428 and fields["confirm"]
    retargeted = client.post(edit_url(b"str", action), fields | {"new_name": "other"})
    assert retargeted.status_code == 428
    assert r.get("other") == b"precious" and r.get("num") == b"41"


@pytest.mark.parametrize("action", ["rename", "copy"])
def test_a_target_changed_after_confirming_is_a_conflict(action, client, seeded, r):
    asked = client.post(edit_url(b"str", action), {"expected_type": "string", "new_name": "num",
                                                   "overwrite": "on",
                                                   "state": key_state(r, b"str")})
    assert "now holds a string of 2 bytes" in asked.content.decode()
    fields = form_fields(asked.content.decode())
    fields.pop("csrfmiddlewaretoken", None)
    r.set("num", "changed by the application after the confirmation")
    conflict = client.post(edit_url(b"str", action), fields)
    assert conflict.status_code == 409 and "changed after you confirmed" in (
        conflict.content.decode())
    assert r.get("num") == b"changed by the application after the confirmation"
    # The conflict shows the key as it is now and carries a token for exactly that.
    again = form_fields(conflict.content.decode())
    again.pop("csrfmiddlewaretoken", None)
    assert client.post(edit_url(b"str", action), again).status_code == 302
    assert r.get("num") == b"seed-string-value"


def test_a_viewer_cannot_use_an_editors_token(viewer_client, client, seeded, port):
    fields = opened(client, DESTRUCTIVE[0])
    before = Snapshot.take(port)
    assert viewer_client.post(DESTRUCTIVE[0].url, fields).status_code == 403
    assert Snapshot.take(port).differences(before) == []


def test_a_replayed_delete_does_not_delete_the_key_made_again(client, seeded, r):
    fields = opened(client, DESTRUCTIVE[0])
    assert client.post(DESTRUCTIVE[0].url, fields).status_code == 302 and not r.exists("str")
    r.set("str", "made again by the application")
    replayed = client.post(DESTRUCTIVE[0].url, fields)
    assert replayed.status_code == 428 and r.exists("str")


@pytest.mark.parametrize(("key", "action", "rows"), [
    (b"hash", "hash-delete", (b"f1", b"f2")),
    (b"set", "set-remove", (b"seed-set-member", b"m2")),
])
def test_a_confirmation_for_one_row_does_not_act_on_another(client, seeded, r, key, action,
                                                             rows):
    """The token of the form drawn for one field (or member) is refused for another, even with
    that other row's own digest."""
    from keyspace.services.editing.guard import digest

    r.hset("hash", "f2", "other")
    r.sadd("set", "m2")
    drawn = opened(client, Destructive(action, key, row=rows[0]))
    other = drawn | {"row": encode_key(rows[1])}
    if "expected" in drawn:
        other["expected"] = digest(r.hget(key, rows[1]))
    before = (r.hgetall("hash"), r.smembers("set"))
    assert client.post(edit_url(key, action), other).status_code == 428
    assert (r.hgetall("hash"), r.smembers("set")) == before
    assert client.post(edit_url(key, action), drawn).status_code == 302


def test_a_short_ttl_confirmation_is_for_that_ttl(client, seeded, r):
    asked = client.post(edit_url(b"str", "ttl"), {"expected_type": "string", "unit": "ms",
                                                  "amount": "4000", "state": key_state(r, b"str")})
    assert asked.status_code == 428
    fields = form_fields(asked.content.decode())
    fields.pop("csrfmiddlewaretoken", None)
    shorter = client.post(edit_url(b"str", "ttl"), fields | {"amount": "1"})
    assert shorter.status_code == 428 and r.ttl("str") == -1
    assert client.post(edit_url(b"str", "ttl"), fields).status_code == 302
    assert 0 < r.pttl("str") <= 4000
