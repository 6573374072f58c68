"""Several connections, red-teamed: what one connection learned, kept or was confirmed for
never serves another (two connections to the same server as different ACL users included),
and production asks for a typed name on every destructive path, not only key edits."""

from __future__ import annotations

import html
import re

import pytest
import redis

from keyspace.models import ConnectionRole
from keyspace.redis.connection import reset_pools
from keyspace.redis.keynames import encode_key
from tests.services.editing.forms import form_fields
from tests.support.users import client_for
from tests.views import test_several_connections as several
from tests.views.test_several_connections import PASSWORD, key_url, url

# The connections to the second real server, as the several-connections tests have them.
staging, production = several.staging, several.production

LIMITED_PASSWORD = "limited-pw"


@pytest.fixture
def limited(settings, redis_server, r):
    """A declared connection to the default connection's own server, as an ACL user who may
    not run INFO (nor see keys outside `app:*`)."""
    r.acl_setuser("limited", enabled=True, passwords=[f"+{LIMITED_PASSWORD}"], reset=True)
    r.execute_command("ACL", "SETUSER", "limited", "~app:*", "&*", "+@all", "-info")
    settings.DASHBOARD_CONNECTIONS = {"limited": {
        "url": f"redis://127.0.0.1:{redis_server.port}/0", "username": "limited",
        "password": LIMITED_PASSWORD}}
    reset_pools()
    yield "limited"
    r.acl_deluser("limited")
    reset_pools()


def test_server_readings_are_not_shared_with_a_user_who_may_not_run_info(client, limited, r):
    """The Server page's INFO reading is stored per slot for every viewer; a connection to the
    same server as a user without INFO must not be shown the reading another user took."""
    full = client.get(url("default", "server/")).content.decode()
    assert "used_memory" in full or "Used memory" in full
    page = client.get(url("limited", "server/")).content.decode()
    assert "NOPERM" in page or "INFO" in page
    assert "Used memory" not in page and "used_memory_human" not in page


def test_a_namespace_count_never_goes_on_with_another_connections_state(client, staging, r,
                                                                         second):
    """The running count's token, carried to another connection's URL (the switcher keeps
    the query), starts a count of that connection instead of continuing this one's."""
    for n in range(5):
        second.set(f"staging-only:{n}".encode(), b"v")
    r.set(b"default-only:1", b"v")
    first = client.get(url("staging", "namespaces/count/") + "?delimiter=:")
    token = first.context["state"].token
    assert b"staging-only" in first.content
    carried = client.get(url("default", "namespaces/count/") + f"?delimiter=:&scan={token}")
    assert carried.status_code == 200
    assert b"staging-only" not in carried.content and b"default-only" in carried.content


def test_production_pending_entries_can_be_acknowledged_with_the_key_name(client, production,
                                                                          second):
    """The pending entries' confirmation form on production asks for the key's name (without
    the field, the edit could never be confirmed there)."""
    second.xadd(b"jobs", {b"f": b"v"})
    second.xgroup_create(b"jobs", b"workers", id="0")
    second.xreadgroup(b"workers", b"alice", {b"jobs": ">"})
    page = key_url("prod", b"jobs", f"stream/pending/{encode_key(b'workers')}/")
    selected = re.findall(r'name="selected" value="([^"]*)"', client.get(page).content.decode())
    assert len(selected) == 1
    path = f"{page}stream-ack/"
    asked = client.post(path, {"selected": html.unescape(selected[0]),
                               "expected_type": "stream"})
    assert asked.status_code == 428, asked.content.decode()[-1400:]
    assert 'name="confirm_name"' in asked.content.decode()
    fields = form_fields(asked.content.decode())
    refused = client.post(path, fields | {"confirm_name": "job"})
    assert refused.status_code == 428 and second.xpending(b"jobs", b"workers")["pending"] == 1
    done = client.post(path, fields | {"confirm_name": "jobs"})
    assert done.status_code == 302, done.content[-800:]
    assert second.xpending(b"jobs", b"workers")["pending"] == 0


def test_a_user_kept_out_of_a_connection_reaches_none_of_its_routes(staging, second, editor):
    second.set(b"secret:key", b"value-kept-out")
    ConnectionRole.objects.create(user=editor, connection="staging", role="none")
    client = client_for(editor)
    for rest in ("server/", "server/info/", "server/clients/", "console/", "bulk/",
                 "export/?match=*", "pubsub/", "pubsub/channels/", "namespaces/",
                 "namespaces/count/", "analysis/", "recommendations/", "live/",
                 "failover/", "new/"):
        response = client.get(url("staging", rest))
        assert response.status_code in (403, 404), rest
        assert b"secret:key" not in response.content, rest
    for rest in ("", "row/", "live/", "download/", "edit/delete/"):
        response = client.get(key_url("staging", b"secret:key", rest))
        assert response.status_code in (403, 404), rest
        assert b"value-kept-out" not in response.content, rest
    assert client.post(url("staging", "console/"), {"line": "GET secret:key"}).status_code \
        == 403


def test_a_viewer_there_cannot_write_there_though_an_editor_elsewhere(staging, second, editor):
    second.set(b"k", b"v")
    ConnectionRole.objects.create(user=editor, connection="staging", role="viewer")
    client = client_for(editor)
    assert client.get(key_url("staging", b"k", "edit/string-edit/")).status_code == 403
    assert client.post(key_url("staging", b"k", "edit/string-edit/"),
                       {"value": "x", "expected_type": "string"}).status_code == 403
    assert client.post(url("staging", "console/"), {"line": "SET k x"}).status_code == 403
    assert client.post(url("staging", "pubsub/publish/"),
                       {"channel": "c", "message": "m"}).status_code == 403
    assert client.post(url("staging", "bulk/1/start/"), {}).status_code == 403
    assert client.post(url("staging", "import/"), {}).status_code == 403
    assert second.get(b"k") == b"v"


def test_a_saved_connections_label_and_url_are_escaped(client, db, second_server, second):
    from keyspace.models import SavedConnection

    row = SavedConnection(name="evil", label='<script>alert("x")</script>',
                          url=f"redis://127.0.0.1:{second_server.port}/0")
    row.set_password(PASSWORD)
    row.save()
    for path in ("/connections/", url("evil"), url("default")):
        html = client.get(path).content.decode()
        assert '<script>alert("x")</script>' not in html, path
    assert "&lt;script&gt;" in client.get(url("evil")).content.decode()


def test_a_refused_password_is_never_shown(client, db, second_server, second, caplog):
    from keyspace.models import SavedConnection

    wrong = "Wr0ng-pass<&>"
    row = SavedConnection(name="refused", url=f"redis://127.0.0.1:{second_server.port}/0")
    row.set_password(wrong)
    row.save()
    response = client.get(url("refused"))
    assert response.status_code == 503
    assert wrong.encode() not in response.content and b"Wr0ng" not in response.content
    assert "Wr0ng" not in caplog.text
    assert redis.Redis(port=second_server.port, password=PASSWORD).ping()


def test_a_user_kept_out_of_the_default_connection_still_works_on_theirs(staging, second, r,
                                                                          editor):
    """Pages whose URL names no connection (the start page, the audit log, the connections
    list, undo, `/c/<name>/`) are about a connection the user may see, not the default one
    they are kept out of."""
    second.set(b"k", b"before")
    ConnectionRole.objects.create(user=editor, connection="default", role="none")
    client = client_for(editor)
    assert client.get("/")["Location"] == "/c/staging/db/0/"
    assert client.get("/c/staging/")["Location"] == "/c/staging/db/0/"
    assert client.get(url("default")).status_code == 403
    listing = client.get("/connections/")
    assert listing.status_code == 200
    assert 'id="profile-staging"' in listing.content.decode()
    assert 'id="profile-default"' not in listing.content.decode()
    path = key_url("staging", b"k", "edit/string-edit/")
    form = form_fields(client.get(path).content.decode())
    form.pop("csrfmiddlewaretoken", None)
    assert client.post(path, form | {"value": "after"}).status_code == 302
    assert second.get(b"k") == b"after"
    log = client.get("/audit/")
    assert log.status_code == 200 and "string-edit" in log.content.decode()
    from keyspace.models import UndoRecord

    undone = client.post(f"/undo/{UndoRecord.objects.get().token}/")
    assert undone.status_code == 302, undone.content[-600:]
    assert second.get(b"k") == b"before"


def test_a_user_kept_out_of_a_connection_is_refused_its_short_link(staging, editor):
    ConnectionRole.objects.create(user=editor, connection="staging", role="none")
    assert client_for(editor).get("/c/staging/").status_code == 403


def test_an_undo_needs_an_editor_where_the_edit_was_not_on_the_default(staging, second, viewer):
    """A viewer of the default connection who edits staging may undo there; the undo link
    names no connection, so the role asked about is the edit's connection's."""
    ConnectionRole.objects.create(user=viewer, connection="staging", role="editor")
    second.set(b"k", b"before")
    client = client_for(viewer)
    path = key_url("staging", b"k", "edit/string-edit/")
    form = form_fields(client.get(path).content.decode())
    form.pop("csrfmiddlewaretoken", None)
    assert client.post(path, form | {"value": "after"}).status_code == 302
    from keyspace.models import UndoRecord

    undone = client.post(f"/undo/{UndoRecord.objects.get().token}/")
    assert undone.status_code == 302, undone.content[-600:]
    assert second.get(b"k") == b"before"


def test_a_rotated_key_keeps_saved_passwords_readable_and_rotation_reencrypts(
        client, db, second_server, second, settings):
    """Rotating the encryption key: the old one kept as DASHBOARD_CONNECTION_KEY_PREVIOUS
    still opens saved passwords, and `connection_key_rotate` encrypts them under the new one,
    after which the old key can go."""
    from io import StringIO

    from django.core.management import call_command

    from keyspace.models import SavedConnection

    settings.DASHBOARD_CONNECTION_KEY = "the old key"
    row = SavedConnection(name="rotating", url=f"redis://127.0.0.1:{second_server.port}/0")
    row.set_password(PASSWORD)
    row.save()
    second.set(b"on-rotating", b"1")
    settings.DASHBOARD_CONNECTION_KEY = "the new key"
    settings.DASHBOARD_CONNECTION_KEY_PREVIOUS = "the old key"
    reset_pools()
    assert client.get(url("rotating")).status_code == 200
    out = StringIO()
    call_command("connection_key_rotate", stdout=out)
    assert "1 saved password" in out.getvalue() and PASSWORD not in out.getvalue()
    settings.DASHBOARD_CONNECTION_KEY_PREVIOUS = ""
    reset_pools()
    page = client.get(url("rotating"))
    assert page.status_code == 200 and b"on-rotating" in page.content


def test_secret_key_fallbacks_open_passwords_derived_from_an_old_secret_key(
        db, second_server, settings):
    from keyspace.models import SavedConnection

    settings.DASHBOARD_CONNECTION_KEY = ""
    old = settings.SECRET_KEY
    row = SavedConnection(name="derived", url=f"redis://127.0.0.1:{second_server.port}/0")
    row.set_password(PASSWORD)
    row.save()
    settings.SECRET_KEY = "a brand new secret key, long enough to be a real one 0123456789"
    settings.SECRET_KEY_FALLBACKS = [old]
    assert SavedConnection.objects.get(name="derived").profile().password == PASSWORD


def test_the_console_history_is_kept_per_connection(client, staging, second):
    """A line typed on one connection is not offered again on another (where it would run
    against a different server)."""
    client.post(url("staging", "console/"), {"line": "DBSIZE"})
    assert 'value="DBSIZE"' in client.get(url("staging", "console/")).content.decode()
    assert 'value="DBSIZE"' not in client.get(url("default", "console/")).content.decode()


def test_a_job_of_a_connection_is_not_found_through_another(client, staging, second, editor):
    """Job pages name their job by number: through another connection's URL it is not found,
    so a user kept out of staging reads nothing of its jobs from the default connection."""
    from keyspace.models import BulkJob
    from keyspace.services.bulk.jobs import run_job

    second.set(b"staging:secret-key", b"v")
    response = client.post(url("staging", "bulk/"), {"mode": "prefix", "text": "staging:",
                                                      "type_name": "", "then": "delete"})
    assert response.status_code == 302
    job = BulkJob.objects.get()
    run_job(job.pk)
    assert b"staging:secret-key" in client.get(url("staging", f"bulk/{job.pk}/")).content
    ConnectionRole.objects.create(user=editor, connection="staging", role="none")
    kept_out = client_for(editor)
    for path in (url("default", f"bulk/{job.pk}/"), url("default", "bulk/"),
                 url("staging", f"bulk/{job.pk}/")):
        response = kept_out.get(path)
        assert b"staging:secret-key" not in response.content, path
    assert kept_out.get(url("default", f"bulk/{job.pk}/")).status_code == 404


def test_what_one_redis_user_may_read_is_not_learned_from_another(client, limited, r):
    """The same server as two ACL users: the default user's probe (every key readable) is
    not what the limited user's listing, namespaces or console go by."""
    r.set(b"app:mine", b"1")
    r.set(b"secret:theirs", b"top-secret-value")
    assert b"secret:theirs" in client.get(url("default")).content
    assert b"secret" in client.get(
        url("default", "namespaces/count/") + "?delimiter=:").content
    listing = client.get(url("limited"))
    assert listing.status_code == 200
    assert b"app:mine" in listing.content and b"secret:theirs" not in listing.content
    counted = client.get(url("limited", "namespaces/count/") + "?delimiter=:")
    assert b"secret" not in counted.content and b"app" in counted.content
    ran = client.post(url("limited", "console/"), {"line": "GET secret:theirs"})
    assert b"top-secret-value" not in ran.content



def test_the_audit_log_offers_undo_only_where_the_user_may_edit(client, staging, r, second,
                                                               viewer):
    """An editor elsewhere who only views staging is not offered undo of staging's edits (the
    undo would be refused there)."""
    from keyspace.models import UndoRecord

    second.set(b"k", b"before")
    r.set(b"d", b"before")
    for connection, key in (("staging", b"k"), ("default", b"d")):
        path = key_url(connection, key, "edit/string-edit/")
        form = form_fields(client.get(path).content.decode())
        form.pop("csrfmiddlewaretoken", None)
        assert client.post(path, form | {"value": "after"}).status_code == 302
    tokens = dict(UndoRecord.objects.values_list("connection_name", "token"))
    ConnectionRole.objects.create(user=viewer, connection="default", role="editor")
    ConnectionRole.objects.create(user=viewer, connection="staging", role="viewer")
    log = client_for(viewer).get("/audit/").content.decode()
    assert tokens["default"] in log and tokens["staging"] not in log
