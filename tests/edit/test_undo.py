"""Undo: an edit keeps what it changed (DUMP payloads taken in its own transaction), and Undo
puts it back, value and TTL, only if the key is still as the edit left it."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from django.utils import timezone

from keyspace.models import AuditEntry, UndoRecord
from tests.edit.forms import HTMX, confirm, edit_url, open_form, submit


def offered(response) -> str:
    """The undo token an edit's response offers (htmx flash, or the page it redirects to)."""
    found = re.search(r'(?:action|hx-post)="/undo/([A-Za-z0-9_-]+)/"', response.content.decode())
    assert found, response.content.decode()[-1500:]
    return found.group(1)


def offered_after_redirect(client, response) -> str:
    assert response.status_code in (302, 204), response.status_code
    destination = response.get("Location") or response["HX-Redirect"]
    return offered(client.get(destination))


def undo(client, token: str, **headers):
    return client.post(f"/undo/{token}/", **headers)


def test_a_deleted_key_comes_back_with_its_value_and_ttl(client, r):
    r.hset("h", mapping={b"f\xff": b"\x00binary", "g": "2"})
    r.pexpire("h", 3_600_000)
    response = submit(client, b"h", "delete", htmx=False)
    assert not r.exists("h")
    token = offered_after_redirect(client, response)
    done = undo(client, token)
    assert done.status_code == 302 and done["Location"] == "/db/0/key/aA/"
    assert r.hgetall("h") == {b"f\xff": b"\x00binary", b"g": b"2"}
    assert 3_590_000 < r.pttl("h") <= 3_600_000
    assert undo(client, token).status_code == 404, "an undo is used once"


def test_an_overwritten_value_comes_back(client, r):
    r.set("s", "before")
    response = submit(client, b"s", "string-edit", value="after")
    assert response.status_code == 200 and r.get("s") == b"after"
    undo(client, offered(response))
    assert r.get("s") == b"before" and r.ttl("s") == -1


def test_a_trim_comes_back(client, r):
    r.rpush("l", *range(10))
    fields = open_form(client, b"l", "list-trim")
    asked = client.post(edit_url(b"l", "list-trim"), fields | {"start": "0", "stop": "1"},
                        **HTMX)
    from tests.edit.forms import form_fields

    done = client.post(edit_url(b"l", "list-trim"), form_fields(asked.content.decode()), **HTMX)
    assert r.llen("l") == 2
    undo(client, offered(done))
    assert r.lrange("l", 0, -1) == [str(n).encode() for n in range(10)]


def test_a_rename_over_another_key_puts_both_back(client, r):
    r.set("src", "mine")
    r.set("dst", "theirs", ex=500)
    asked = submit(client, b"src", "rename", new_name="dst", overwrite="on", htmx=False)
    done = confirm(client, b"src", "rename", asked, htmx=False)
    assert r.get("dst") == b"mine" and not r.exists("src")
    undo(client, offered_after_redirect(client, done))
    assert r.get("src") == b"mine" and r.get("dst") == b"theirs" and 490 < r.ttl("dst") <= 500


def test_a_created_key_is_deleted_by_undo(client, r):
    response = client.post("/db/0/new/", {"name": "fresh", "type": "string", "value": "v"})
    token = offered_after_redirect(client, response)
    undo(client, token)
    assert not r.exists("fresh")


def test_undo_refuses_when_the_key_changed_after_the_edit(client, r):
    r.set("s", "before")
    token = offered(submit(client, b"s", "string-edit", value="after"))
    r.set("s", "changed by the application")
    refused = undo(client, token, **HTMX)
    assert refused.status_code == 409
    body = refused.content.decode()
    assert "changed after the edit" in body and "string of 26 bytes" in body
    assert "saved the value" in body  # what the edit had left
    assert r.get("s") == b"changed by the application"
    assert UndoRecord.objects.filter(token=token).exists(), "a refused undo can be retried"


def test_an_undo_of_a_deleted_key_made_again_is_a_conflict(client, r):
    r.set("s", "v")
    token = offered_after_redirect(client, submit(client, b"s", "delete", htmx=False))
    r.set("s", "made again")
    assert undo(client, token).status_code == 409
    assert r.get("s") == b"made again"


def test_a_key_too_large_to_copy_says_so_before_the_confirmation(client, r, settings):
    settings.DASHBOARD_UNDO_MAX_KEY_BYTES = 10_000
    r.rpush("big", *[b"x" * 100] * 500)
    form = client.get(edit_url(b"big", "delete"), **HTMX).content.decode()
    assert "This cannot be undone: the key takes" in form
    r.set("small", "v")
    form = client.get(edit_url(b"small", "delete"), **HTMX).content.decode()
    assert "You can undo this for 60 minutes" in form
    submit(client, b"big", "delete")
    assert not r.exists("big") and UndoRecord.objects.count() == 0


def test_copies_expire_and_stay_within_the_total_budget(client, r, settings):
    def incompressible() -> str:  # DUMP compresses repetitive strings
        return secrets.token_urlsafe(2250)  # 3,000 characters

    r.set("a", incompressible())
    first = offered(submit(client, b"a", "string-edit", value=incompressible()))
    UndoRecord.objects.filter(token=first).update(expires=timezone.now() - timedelta(seconds=1))
    assert undo(client, first).status_code == 404
    settings.DASHBOARD_UNDO_MAX_TOTAL_BYTES = 7000
    tokens = [offered(submit(client, b"a", "string-edit", value=incompressible()))
              for _ in range(4)]
    assert UndoRecord.objects.count() == 2  # 2 x ~3 KB fit, the oldest went
    assert set(UndoRecord.objects.values_list("token", flat=True)) == set(tokens[-2:])


def test_viewers_cannot_undo(client, r, viewer):
    from django.test import Client

    r.set("s", "before")
    token = offered(submit(client, b"s", "string-edit", value="after"))
    as_viewer = Client()
    as_viewer.force_login(viewer)
    assert undo(as_viewer, token).status_code == 403
    assert as_viewer.get(f"/undo/{token}/").status_code == 403
    assert r.get("s") == b"after"


def test_undo_is_audited_and_no_value_reaches_the_log(client, r):
    r.set("s", "secret-before")
    token = offered(submit(client, b"s", "string-edit", value="secret-after"))
    undo(client, token)
    entry = AuditEntry.objects.get(operation="undo")
    assert entry.outcome == AuditEntry.OK and entry.key_text == "s"
    for logged in AuditEntry.objects.all():
        assert "secret" not in f"{logged.detail}{logged.key_text}"


@pytest.mark.parametrize("method", ["get", "put"])
def test_undo_is_a_post(client, r, method):
    r.set("s", "before")
    token = offered(submit(client, b"s", "string-edit", value="after"))
    assert getattr(client, method)(f"/undo/{token}/").status_code == 405
    assert r.get("s") == b"after"


def test_the_audit_log_offers_undo_to_editors_only(client, r, viewer):
    from django.test import Client

    r.set("s", "before")
    token = offered(submit(client, b"s", "string-edit", value="after"))
    entry = AuditEntry.objects.get(operation="string-edit")
    assert UndoRecord.objects.get(token=token).audit == entry
    page = client.get("/audit/").content.decode()
    assert f'action="/undo/{token}/"' in page
    as_viewer = Client()
    as_viewer.force_login(viewer)
    assert "/undo/" not in as_viewer.get("/audit/").content.decode()
    assert undo(client, token).status_code == 302 and r.get("s") == b"before"
    assert "/undo/" not in client.get("/audit/").content.decode(), "an undo is offered once"
