"""The audit log: every write attempt through the views makes exactly one entry (who, when,
which Redis without its password, db, operation, key, outcome) and never a value; the log page
is browsable, filterable, paged and escapes what it shows."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dashboard.local_redis import free_port
from keyspace.models import AuditEntry
from keyspace.redis.connection import reset_pools
from keyspace.redis.keynames import encode_key
from keyspace.units import registry
from tests.services.editing.forms import form_fields
from tests.support.htmx import HTMX
from tests.support.urls import edit_url
from tests.support.users import client_for, make_user

# The dashboard's database: SQLite and PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases

CANARY = "c4n4ry-v4lue-7f3a"


def opened(client, key: bytes, action: str, row: bytes | str | None = None, db: int = 0):
    query = {}
    if row is not None:
        query["row"] = encode_key(row) if isinstance(row, bytes) else row
    response = client.get(edit_url(key, action, db), query)
    assert response.status_code == 200, response.content[-500:]
    fields = form_fields(response.content.decode())
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def submit(client, key: bytes, action: str, row=None, db: int = 0, **changes):
    fields = opened(client, key, action, row, db)
    return client.post(edit_url(key, action, db), fields | changes)


def text_of_every_entry() -> str:
    """Every text field of every audit entry, joined."""
    columns = [f.name for f in AuditEntry._meta.get_fields()
               if f.get_internal_type() in ("CharField", "TextField")]
    return "\n".join(str(value) for row in AuditEntry.objects.values_list(*columns)
                     for value in row)


@dataclass(frozen=True)
class Write:
    label: str
    do: object  # (client, r) -> response
    status: int
    operation: str
    key: str
    outcome: str
    db: int = 0
    hex_key: bool = False
    extra: dict = field(default_factory=dict)


def publish(client, r):
    return client.post("/c/default/db/0/pubsub/publish/", {"channel": "news", "message": "hi",
                                                  "message_encoding": "text"})


def create(name="created"):
    def do(client, r):
        return client.post("/c/default/db/0/new/", {"name": name, "name_format": "text",
                                                    "type": "string",
                                          "value": "v", "value_encoding": "text",
                                          "field_encoding": "text", "ttl_unit": "s"})
    return do


WRITES = [
    Write("edit", lambda c, r: submit(c, b"str", "string-edit", value="new"), 302,
          "string-edit", "str", AuditEntry.OK),
    Write("edit in db 1", lambda c, r: submit(c, b"db1:key", "string-append", db=1, value="!"),
          302, "string-append", "db1:key", AuditEntry.OK, db=1),
    Write("binary key", lambda c, r: submit(c, b"bin:\xff\x00key", "persist"), 302,
          "persist", (b"bin:\xff\x00key").hex(), AuditEntry.OK, hex_key=True),
    Write("key with a newline", lambda c, r: (r.set(b"line\nbreak", b"x"),
                                              submit(c, b"line\nbreak", "persist"))[1],
          302, "persist", (b"line\nbreak").hex(), AuditEntry.OK, hex_key=True),
    Write("create", create(), 302, "create", "created", AuditEntry.OK),
    Write("publish", publish, 200, "publish", "news", AuditEntry.OK),
    Write("refused: invalid input", lambda c, r: submit(c, b"num", "ttl", unit="s", amount="x"),
          422, "ttl", "num", AuditEntry.REFUSED),
    Write("refused: not confirmed",
          lambda c, r: c.post(edit_url(b"str", "delete"),
                              {"expected_type": "string", "expected": "0" * 32}),
          428, "delete", "str", AuditEntry.REFUSED),
    Write("refused: create with a bad name",
          lambda c, r: c.post("/c/default/db/0/new/", {"type": "x"}),
          422, "create", "", AuditEntry.REFUSED),
    Write("conflict: rename onto a key", lambda c, r: submit(c, b"str", "rename", new_name="num"),
          409, "rename", "str", AuditEntry.CONFLICT),
    Write("conflict: create an existing key", create("num"), 409, "create", "num",
          AuditEntry.CONFLICT),
    Write("conflict: changed meanwhile",
          lambda c, r: (lambda f: (r.set("str", "changed by someone"),
                                   c.post(edit_url(b"str", "string-edit"), f | {"value": "x"}))[1])(
              opened(c, b"str", "string-edit")),
          409, "string-edit", "str", AuditEntry.CONFLICT),
]


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.label)
def test_every_write_makes_one_entry(write, client, editor, r, port, seeded):
    started = timezone.now()
    response = write.do(client, r)
    assert response.status_code == write.status, response.content[-800:]
    entries = list(AuditEntry.objects.all())
    assert len(entries) == 1
    [entry] = entries
    assert entry.user == editor and entry.username == "editor"
    assert started - timedelta(seconds=1) <= entry.at <= timezone.now()
    assert entry.connection == f"127.0.0.1:{port}"
    assert entry.db == write.db
    assert entry.operation == write.operation
    assert (entry.key_text, entry.key_is_hex) == (write.key, write.hex_key)
    assert entry.outcome == write.outcome


@pytest.fixture
def redis_down(settings):
    """The dashboard pointed at a port where nothing listens."""
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    settings.DASHBOARD_REDIS_CONNECT_TIMEOUT = 0.5
    reset_pools()
    yield settings.REDIS_URL
    reset_pools()


@pytest.mark.parametrize("label", ["publish", "create", "edit"])
def test_a_write_that_fails_because_redis_is_down_is_recorded_as_failed(
        label, client, editor, seeded, redis_down):
    fields = {"expected_type": "string", "value": "x", "value_encoding": "text",
              "expected": "absent", "newlines": "lf", "json_format": "keep"}
    url, body = {
        "publish": ("/c/default/db/0/pubsub/publish/", {"channel": "news", "message": "hi",
                                              "message_encoding": "text"}),
        "create": ("/c/default/db/0/new/", {"name": "k", "name_format": "text", "type": "string",
                                  "value": "v", "value_encoding": "text",
                                  "field_encoding": "text", "ttl_unit": "s"}),
        "edit": (edit_url(b"str", "string-edit"), fields),
    }[label]
    response = client.post(url, body)
    assert response.status_code == 503
    entries = list(AuditEntry.objects.values_list("operation", "outcome", "connection"))
    port = redis_down.rsplit(":", 1)[1].split("/")[0]
    assert len(entries) == 1, f"{label} with Redis down left {entries}"
    assert entries[0][1] == AuditEntry.FAILED
    assert entries[0][2] == f"127.0.0.1:{port}"


def test_an_edit_on_a_key_deleted_meanwhile_is_recorded(client, r, seeded):
    fields = opened(client, b"str", "delete")
    r.delete("str")
    response = client.post(edit_url(b"str", "delete"), fields)
    assert response.status_code == 404
    assert list(AuditEntry.objects.values_list("operation", "outcome")) == [
        ("delete", AuditEntry.REFUSED)]


def test_a_write_that_crashes_is_not_recorded_as_done(client, seeded, monkeypatch):
    operation = registry.unit_for("string").operations["string-append"]

    def crash(self, client, key, data):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(type(operation), "apply", crash)
    fields = opened(client, b"str", "string-append")
    browser = Client(raise_request_exception=False)
    browser.cookies = client.cookies
    assert browser.post(edit_url(b"str", "string-append"), fields | {"value": "!"}
                        ).status_code == 500
    assert list(AuditEntry.objects.values_list("outcome", flat=True)) == [AuditEntry.FAILED]


def test_a_write_refused_by_permission_is_recorded(viewer_client, seeded, settings):
    fields = {"expected_type": "string", "value": "x"}
    assert viewer_client.post(edit_url(b"str", "string-edit"), fields).status_code == 403
    assert list(AuditEntry.objects.values_list("username", "outcome")) == [
        ("viewer", AuditEntry.REFUSED)]


# --- values are never recorded ------------------------------------------------------------------

NUMBER = "7345001"  # what an increment leaves, a value too

VALUE_WRITES = {
    "string-edit": lambda c, r: submit(c, b"str", "string-edit", value=CANARY),
    "string-set-expiry": lambda c, r: submit(c, b"str", "string-set-expiry", value=CANARY,
                                             amount="100"),
    "string-append": lambda c, r: submit(c, b"str", "string-append", value=CANARY),
    "string-incr": lambda c, r: (r.set("num", "7345000"),
                                 submit(c, b"num", "string-incr", amount="1"))[1],
    "hash-set": lambda c, r: submit(c, b"hash", "hash-set", row=b"f1", value=CANARY),
    "hash-add": lambda c, r: submit(c, b"hash", "hash-add", field="f9", value=CANARY),
    "hash-incr": lambda c, r: (r.hset("hash", "f2", "7345000"),
                               submit(c, b"hash", "hash-incr", row=b"f2", amount="1"))[1],
    "list-push": lambda c, r: submit(c, b"list", "list-push", elements=CANARY),
    "list-set": lambda c, r: submit(c, b"list", "list-set", row="1", value=CANARY),
    "list-insert": lambda c, r: submit(c, b"list", "list-insert", pivot="b", element=CANARY),
    "list-insert refused": lambda c, r: submit(c, b"list", "list-insert", pivot=CANARY,
                                               element="x"),
    "list-remove": lambda c, r: (r.rpush("list", CANARY),
                                 submit(c, b"list", "list-remove", value=CANARY))[1],
    "list-pop-tail": lambda c, r: (r.rpush("list", CANARY),
                                   submit(c, b"list", "list-pop-tail"))[1],
    "set-add": lambda c, r: submit(c, b"set", "set-add", members=CANARY),
    "zset-add": lambda c, r: submit(c, b"zset", "zset-add", member=CANARY, score="5"),
    "create": lambda c, r: c.post("/c/default/db/0/new/", {
        "name": "created", "name_format": "text", "type": "string", "value": CANARY,
        "value_encoding": "text", "field_encoding": "text", "ttl_unit": "s"}),
    "publish": lambda c, r: c.post("/c/default/db/0/pubsub/publish/", {
        "channel": "news", "message": CANARY, "message_encoding": "text"}),
}


@pytest.mark.parametrize("label", VALUE_WRITES)
def test_values_are_never_recorded(label, client, r, seeded):
    response = VALUE_WRITES[label](client, r)
    assert response.status_code in (200, 302, 422), response.content[-800:]
    assert AuditEntry.objects.count() == 1
    recorded = text_of_every_entry()
    assert CANARY not in recorded and NUMBER not in recorded, recorded


# --- the log page -------------------------------------------------------------------------------


def shown_rows(response) -> list[str]:
    assert response.status_code == 200
    body = response.content.decode()
    return [html.unescape(re.sub(r"<[^>]+>", " ", row)) for row in
            re.findall(r'<tr class="outcome-\w+">(.*?)</tr>', body, re.S)]


def entry(username="alice", operation="delete", key=b"k", outcome=AuditEntry.OK, **extra):
    made = AuditEntry(username=username, connection="127.0.0.1:6379", operation=operation,
                      outcome=outcome, **extra)
    made.set_key(key)
    made.save()
    return made


@pytest.fixture
def entries(db):
    entry("alice", "delete", b"users:1")
    entry("alice", "rename", b"users:2", AuditEntry.CONFLICT)
    entry("bob", "delete", b"orders:9", AuditEntry.REFUSED)
    entry("bob", "publish", b"news")
    entry("carol", "hash-set", b"bin\xff", AuditEntry.FAILED)


def test_a_viewer_can_browse_the_log(viewer_client, entries):
    rows = shown_rows(viewer_client.get("/audit/"))
    assert len(rows) == 5
    assert "hash-set" in rows[0]  # newest first
    assert "hex" in rows[0] and (b"bin\xff").hex() in rows[0]


@pytest.mark.parametrize(("query", "count", "needle"), [
    ({"user": "bob"}, 2, "bob"),
    ({"operation": "delete"}, 2, "delete"),
    ({"outcome": "conflict"}, 1, "rename"),
    ({"key": "users:"}, 2, "users:"),
    ({"user": "alice", "operation": "delete", "key": "users"}, 1, "users:1"),
    ({"user": "nobody"}, 0, ""),
])
def test_the_log_filters(viewer_client, entries, query, count, needle):
    rows = shown_rows(viewer_client.get("/audit/", query))
    assert len(rows) == count
    assert all(needle in row for row in rows)
    fragment = shown_rows(viewer_client.get("/audit/", query, headers=HTMX))
    assert fragment == rows


def test_the_log_refuses_bad_filters(viewer_client, entries):
    assert viewer_client.get("/audit/", {"outcome": "exploded"}).status_code == 400
    assert viewer_client.get("/audit/", {"page": "abc"}).status_code == 400


def test_the_log_is_paged(viewer_client, db):
    AuditEntry.objects.bulk_create([
        AuditEntry(username="u", connection="c", operation=f"op{i}", outcome=AuditEntry.OK,
                   key_text=f"key{i}", at=timezone.now() - timedelta(seconds=i))
        for i in range(120)])
    first = viewer_client.get("/audit/")
    assert len(shown_rows(first)) == 50 and "page 1 of 3" in first.content.decode()
    assert "key0 " in shown_rows(first)[0] + " "
    last = viewer_client.get("/audit/", {"page": "3", "user": "u"})
    assert len(shown_rows(last)) == 20 and "key119" in shown_rows(last)[-1]
    assert "user=u" in last.content.decode()  # the pager keeps the filter
    assert len(shown_rows(viewer_client.get("/audit/", {"page": "99"}))) == 20


def test_the_log_escapes_what_it_shows(viewer_client, db):
    hostile = "<script>alert('key')</script>"
    entry(username="<b>mallory</b>", operation="<i>op</i>", key=hostile.encode(),
          detail="<img src=x onerror=alert(1)>")
    body = viewer_client.get("/audit/").content.decode()
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "<b>mallory" not in body and "<i>op" not in body
    assert "&lt;script&gt;alert(&#x27;key&#x27;)&lt;/script&gt;" in body


def test_a_hostile_key_written_through_the_views_is_shown_escaped(client, r, seeded):
    name = b"<img src=x onerror=alert(1)>"
    r.set(name, b"v")
    assert submit(client, name, "persist").status_code == 302
    body = client.get("/audit/").content.decode()
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body


def test_anonymous_visitors_do_not_see_the_log(anonymous_client, entries):
    response = anonymous_client.get("/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


def test_the_log_keeps_who_even_after_the_user_is_gone(client, seeded):
    gone = make_user("leaver", "editor")
    browser = client_for(gone)
    assert submit(browser, b"str", "persist").status_code == 302
    gone.delete()
    [kept] = AuditEntry.objects.all()
    assert kept.user is None and kept.username == "leaver"
