"""Undo: an edit keeps what it changed (DUMP payloads taken in its own transaction), and Undo
puts it back, value and TTL, only if the key is still as the edit left it."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from django.utils import timezone

from keyspace.models import AuditEntry, UndoRecord
from tests.services.editing.forms import confirm, open_form, submit
from tests.support.htmx import HTMX
from tests.support.urls import edit_url

# The dashboard's database: SQLite and PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def offered(response) -> str:
    """The undo token an edit's response offers (htmx flash, or the page it redirects to)."""
    found = re.search(r'(?:action|hx-post)="/undo/([A-Za-z0-9_-]+)/"', response.content.decode())
    assert found, response.content.decode()[-1500:]
    return found.group(1)


def offered_after_redirect(client, response) -> str:
    assert response.status_code in (302, 204), response.status_code
    destination = response.get("Location") or response["HX-Redirect"]
    return offered(client.get(destination))


def undo(client, token: str, headers: dict | None = None):
    return client.post(f"/undo/{token}/", headers=headers)


def test_a_deleted_key_comes_back_with_its_value_and_ttl(client, r):
    r.hset("h", mapping={b"f\xff": b"\x00binary", "g": "2"})
    r.pexpire("h", 3_600_000)
    response = submit(client, b"h", "delete", htmx=False)
    assert not r.exists("h")
    token = offered_after_redirect(client, response)
    done = undo(client, token)
    assert done.status_code == 302 and done["Location"] == "/c/default/db/0/key/aA/"
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
                        headers=HTMX)
    from tests.services.editing.forms import form_fields

    fields = form_fields(asked.content.decode())
    done = client.post(edit_url(b"l", "list-trim"), fields, headers=HTMX)
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
    response = client.post("/c/default/db/0/new/",
                           {"name": "fresh", "type": "string", "value": "v"})
    token = offered_after_redirect(client, response)
    undo(client, token)
    assert not r.exists("fresh")


def test_undo_refuses_when_the_key_changed_after_the_edit(client, r):
    r.set("s", "before")
    token = offered(submit(client, b"s", "string-edit", value="after"))
    r.set("s", "changed by the application")
    refused = undo(client, token, headers=HTMX)
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
    form = client.get(edit_url(b"big", "delete"), headers=HTMX).content.decode()
    assert "This cannot be undone: the key takes" in form
    r.set("small", "v")
    form = client.get(edit_url(b"small", "delete"), headers=HTMX).content.decode()
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


def test_viewers_cannot_undo(client, r, viewer_client):
    r.set("s", "before")
    token = offered(submit(client, b"s", "string-edit", value="after"))
    assert undo(viewer_client, token).status_code == 403
    assert viewer_client.get(f"/undo/{token}/").status_code == 403
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


def test_the_audit_log_offers_undo_to_editors_only(client, r, viewer_client):
    r.set("s", "before")
    token = offered(submit(client, b"s", "string-edit", value="after"))
    entry = AuditEntry.objects.get(operation="string-edit")
    assert UndoRecord.objects.get(token=token).audit == entry
    page = client.get("/audit/").content.decode()
    assert f'action="/undo/{token}/"' in page
    assert "/undo/" not in viewer_client.get("/audit/").content.decode()
    assert undo(client, token).status_code == 302 and r.get("s") == b"before"
    assert "/undo/" not in client.get("/audit/").content.decode(), "an undo is offered once"


# --- expiry is part of what an edit changes --------------------------------------------------


def test_a_ttl_too_short_to_see_can_be_undone_after_the_key_expired(client, r):
    import time

    r.set("k", "precious")
    asked = submit(client, b"k", "ttl", unit="ms", amount="20")
    assert "You can undo this" in asked.content.decode()
    done = confirm(client, b"k", "ttl", asked, htmx=False)
    token = offered_after_redirect(client, done)
    time.sleep(0.05)
    assert not r.exists("k")
    assert undo(client, token).status_code == 302
    assert r.get("k") == b"precious" and r.ttl("k") == -1


def test_remove_ttl_can_be_undone(client, r):
    r.set("k", "v", ex=500)
    token = offered(submit(client, b"k", "persist"))
    assert r.ttl("k") == -1
    undo(client, token)
    assert 490 < r.ttl("k") <= 500


@pytest.mark.parametrize("ttl_before", [None, 100])
def test_an_expiry_changed_after_the_edit_is_a_conflict(client, r, ttl_before):
    r.set("s", "before", ex=ttl_before)
    token = offered(submit(client, b"s", "string-edit", value="after"))
    r.expire("s", 30)
    assert undo(client, token).status_code == 409
    assert r.get("s") == b"after" and 0 < r.ttl("s") <= 30


def test_undoing_a_delete_after_the_key_would_have_expired_says_so(client, r):
    import time

    r.set("s", "v", px=1000)
    token = offered_after_redirect(client, submit(client, b"s", "delete", htmx=False))
    time.sleep(1.05)
    done = undo(client, token)
    assert "its expiry time had passed meanwhile" in client.get(done["Location"]).content.decode()
    assert not r.exists("s")


# --- copies are bounded, exactly --------------------------------------------------------------


def test_a_few_large_members_among_many_small_ones_are_measured_exactly(client, r, settings):
    """MEMORY USAGE samples five elements by default: a set of small members with a few large
    ones looks small. The copy limit is checked on the exact size."""
    settings.DASHBOARD_UNDO_MAX_KEY_BYTES = 200_000
    # Which five elements get sampled depends on where the large ones hash to: build the set
    # again (new large members) until the sample misses them, as it does about 98% of the time.
    for _attempt in range(20):
        r.delete("s")
        r.sadd("s", *[f"m{n}" for n in range(2000)])
        r.sadd("s", *[secrets.token_bytes(50_000) for _ in range(8)])
        if r.memory_usage("s") < 200_000:
            break
    assert r.memory_usage("s") < 200_000 < r.memory_usage("s", samples=0)
    form = client.get(edit_url(b"s", "delete"), headers=HTMX).content.decode()
    assert "This cannot be undone: the key takes" in form
    submit(client, b"s", "delete")
    assert UndoRecord.objects.count() == 0


def test_keys_with_too_many_elements_are_not_measured_or_copied(client, r):
    from keyspace.services.undo import MAX_ELEMENTS
    from tests.units.helpers import RedisWork

    r.rpush("l", *range(MAX_ELEMENTS + 1))
    r.rpush("small", *range(MAX_ELEMENTS))
    with RedisWork(r) as big:
        form = client.get(edit_url(b"l", "delete"), headers=HTMX).content.decode()
    with RedisWork(r) as small:
        client.get(edit_url(b"small", "delete"), headers=HTMX)
    assert f"more than the {MAX_ELEMENTS:,}" in form
    # Only the small one is measured element by element (one more MEMORY USAGE).
    assert big.count("memory|usage") == small.count("memory|usage") - 1


def test_storing_set_algebra_copies_only_the_key_it_writes(client, r):
    from tests.units.helpers import RedisWork

    r.sadd("a", "1", "2")
    for n in range(5):
        r.sadd(f"other{n}", "2", str(n))
    others = "\n".join(f"other{n}" for n in range(5))
    with RedisWork(r) as work:
        response = submit(client, b"a", "set-store", operation="union", others=others,
                          destination="out")
    assert work.count("dump") == 2, work.calls  # "out", before and after
    undo(client, offered_after_redirect(client, response))
    assert not r.exists("out")


def test_an_edit_the_copy_would_make_too_large_says_it_cannot_be_undone(client, r, settings):
    settings.DASHBOARD_UNDO_MAX_KEY_BYTES = 5_000
    r.set("s", "small")
    response = submit(client, b"s", "string-edit", value="x" * 10_000)
    assert response.status_code == 200 and r.get("s") == b"x" * 10_000
    response = submit(client, b"s", "string-edit", value="y")
    assert "this cannot be undone: the key takes" in response.content.decode()
    assert "/undo/" not in response.content.decode()


@pytest.fixture
def user_without_dump(settings, redis_server, r):
    """A real ACL user that may not run DUMP (as some managed services do)."""
    r.acl_setuser("nodump", enabled=True, passwords=["+pw"], keys=["*"],
                  commands=["+@all", "-dump"])
    settings.REDIS_URL = f"redis://nodump:pw@127.0.0.1:{redis_server.port}/0"
    from keyspace.redis.connection import reset_pools

    reset_pools()
    yield
    r.acl_deluser("nodump")


def test_without_dump_edits_still_work_and_say_they_cannot_be_undone(client, r,
                                                                    user_without_dump):
    r.set("s", "before")
    response = submit(client, b"s", "string-edit", value="after")
    assert response.status_code == 200, response.content[-500:]
    assert r.get("s") == b"after"
    assert "this cannot be undone: Redis refused to copy the key" in response.content.decode()
    assert UndoRecord.objects.count() == 0



@pytest.mark.one_database  # Redis-heavy: the database part is the same as in the others
def test_the_keys_of_one_edit_are_copied_within_twice_the_key_limit_together(r, settings):
    from keyspace.services.undo import too_large_to_keep

    for name in ("a", "b", "c"):
        r.set(name, secrets.token_urlsafe(18_000))
    each = max(r.memory_usage(name, samples=0) for name in ("a", "b", "c"))
    settings.DASHBOARD_UNDO_MAX_KEY_BYTES = each
    assert too_large_to_keep(r, [b"a", b"b"]) == ""
    assert "the keys it writes take" in too_large_to_keep(r, [b"a", b"b", b"c"])
    settings.DASHBOARD_UNDO_MAX_KEY_BYTES = each - 1
    assert "the key takes" in too_large_to_keep(r, [b"a"])
