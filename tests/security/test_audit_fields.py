"""What an audit entry names: long key names cut with their length, the destination of
rename/copy/set-store, the name of an invalid create or publish, and one operation name
whether a write was refused by read-only mode or ran."""

from __future__ import annotations

import pytest

from keyspace.models import AUDIT_KEY_BYTES, AuditEntry
from tests.security.test_audit import create, publish, submit

# The dashboard's database: SQLite and PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def only_entry() -> AuditEntry:
    (entry,) = AuditEntry.objects.all()
    return entry


def test_a_long_key_name_is_cut_and_its_length_kept(client, r, seeded):
    name = b"k" * 10_000
    r.set(name, b"x")
    assert submit(client, name, "persist").status_code == 302
    entry = only_entry()
    assert entry.key_text == "k" * AUDIT_KEY_BYTES and entry.key_length == 10_000
    page = client.get("/audit/").content.decode()
    assert "(cut; 10000 bytes)" in page


def test_a_long_binary_name_is_cut_before_it_becomes_hex(client, r, seeded):
    name = b"\xff" * 5000
    r.set(name, b"x")
    submit(client, name, "persist")
    entry = only_entry()
    assert entry.key_is_hex and entry.key_text == "ff" * AUDIT_KEY_BYTES
    assert entry.key_length == 5000


def test_a_cut_never_splits_a_character(client, r, seeded):
    name = b"a" + "é".encode() * 2000
    r.set(name, b"x")
    submit(client, name, "persist")
    entry = only_entry()
    assert not entry.key_is_hex and entry.key_text == "a" + "é" * 511


@pytest.mark.parametrize(("action", "changes", "target"), [
    ("rename", {"new_name": "renamed"}, "renamed"),
    ("copy", {"new_name": "copied"}, "copied"),
    ("set-store", {"destination": "stored", "others": "set2", "operation": "union"}, "stored"),
])
def test_rename_copy_and_store_record_where_they_wrote(client, seeded, action, changes, target):
    key = b"set" if action == "set-store" else b"str"
    assert submit(client, key, action, **changes).status_code == 302
    entry = only_entry()
    assert (entry.operation, entry.key_text, entry.target_text, entry.outcome) == (
        action, key.decode(), target, AuditEntry.OK)
    page = client.get("/audit/", {"key": target}).content.decode()
    assert f">{target}<" in page and "No writes recorded" not in page
    assert "No writes recorded" in client.get("/audit/", {"key": "nowhere"}).content.decode()


def test_an_overwrite_refused_records_the_key_it_would_have_replaced(client, seeded):
    assert submit(client, b"str", "rename", new_name="num").status_code == 409
    assert only_entry().target_text == "num"


def test_a_binary_destination_is_recorded_as_hex(client, seeded):
    submit(client, b"str", "copy", new_name="\\xff\\x00", name_format="escaped")
    entry = only_entry()
    assert entry.target_is_hex and entry.target_text == "ff00"


def test_an_invalid_create_records_the_valid_name(client, seeded):
    response = client.post("/c/default/db/0/new/", {
        "name": "fresh-name", "name_format": "text", "type": "string", "value": "v",
        "value_encoding": "text", "field_encoding": "text", "ttl_unit": "s", "ttl": "-5"})
    assert response.status_code == 422
    entry = only_entry()
    assert (entry.operation, entry.key_text, entry.outcome) == (
        "create", "fresh-name", AuditEntry.REFUSED)


def test_an_invalid_publish_records_the_valid_channel(client, seeded):
    response = client.post("/c/default/db/0/pubsub/publish/", {"channel": "news", "message": "zz",
                                                     "message_encoding": "hex"})
    assert response.status_code == 422
    entry = only_entry()
    assert (entry.operation, entry.key_text, entry.outcome) == (
        "publish", "news", AuditEntry.REFUSED)


@pytest.mark.parametrize(("write", "operation"), [(create(), "create"), (publish, "publish")])
def test_read_only_refusals_use_the_same_operation_names(client, seeded, settings, write,
                                                         operation):
    assert write(client, None).status_code in (200, 302)
    settings.DASHBOARD_READONLY = True
    assert write(client, None).status_code == 403
    assert list(AuditEntry.objects.order_by("id").values_list("operation", "outcome")) == [
        (operation, AuditEntry.OK), (operation, AuditEntry.REFUSED)]

