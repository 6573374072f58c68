"""Several connections: REDIS_URL's ("default"), one declared in DASHBOARD_CONNECTIONS and
one saved in the dashboard, each a real redis-server. Every URL names its connection, pages
and edits reach only that server, roles are per connection, saved passwords are encrypted,
and production asks for the key's name before destructive edits."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from keyspace.conf import validate
from keyspace.models import AuditEntry, ConnectionRole, SavedConnection
from keyspace.redis.connection import reset_pools
from keyspace.redis.keynames import encode_key
from tests.services.editing.forms import form_fields
from tests.support.second_redis import PASSWORD
from tests.support.users import client_for, make_user

# `second_server` (tests/support/second_redis.py): what "staging" and the saved connection
# point at.


@pytest.fixture
def staging(settings, second_server, second):
    """A declared connection to the second server."""
    settings.DASHBOARD_CONNECTIONS = {"staging": {
        "url": f"redis://127.0.0.1:{second_server.port}/0", "password": PASSWORD,
        "label": "Staging", "environment": "staging"}}
    reset_pools()
    yield "staging"
    reset_pools()


def url(connection: str, rest: str = "", db: int = 0) -> str:
    return f"/c/{connection}/db/{db}/{rest}"


def key_url(connection: str, key: bytes, rest: str = "") -> str:
    return url(connection, f"key/{encode_key(key)}/{rest}")


def opened(client, path: str) -> dict:
    response = client.get(path)
    assert response.status_code == 200, response.content[-500:]
    fields = form_fields(response.content.decode())
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def test_the_start_page_and_old_links_go_to_the_default_connection(client):
    assert client.get("/")["Location"] == "/c/default/db/0/"
    old = client.get("/db/0/key/a2V5/?row=1")
    assert old.status_code == 302 and old["Location"] == "/c/default/db/0/key/a2V5/?row=1"
    assert client.get("/c/default/")["Location"] == "/c/default/db/0/"


def test_each_connection_shows_its_own_server(client, staging, r, second):
    r.set(b"only:default", b"1")
    second.set(b"only:staging", b"2")
    default_page = client.get(url("default")).content.decode()
    staging_page = client.get(url("staging")).content.decode()
    assert "only:default" in default_page and "only:staging" not in default_page
    assert "only:staging" in staging_page and "only:default" not in staging_page
    assert client.get(key_url("staging", b"only:staging")).status_code == 200
    assert client.get(key_url("staging", b"only:default")).status_code == 404


def test_links_on_a_page_stay_on_its_connection(client, staging, second):
    second.set(b"k", b"v")
    page = client.get(key_url("staging", b"k")).content.decode()
    named = re.findall(r'(?:href|hx-get|hx-post|action)="(/c/[^/"]+)/', page)
    switch = set(re.findall(r'href="(/c/[^/"]+)/[^"]*" data-switch-to', page))
    assert named and {link for link in named if link not in switch} == {"/c/staging"}
    assert switch == {"/c/default"}


def test_switching_connection_keeps_the_place(client, staging, second):
    second.set(b"k", b"v")
    page = client.get(url("staging", "server/") + "?sort=name").content.decode()
    assert 'href="/c/default/db/0/server/?sort=name" data-switch-to="default"' in page


def test_an_unknown_connection_is_a_clear_404(client):
    response = client.get(url("nowhere"))
    assert response.status_code == 404
    assert "no connection called" in response.content.decode()


def test_an_edit_reaches_only_its_connection_and_is_audited_there(client, staging, r, second):
    r.set(b"same", b"default-value")
    second.set(b"same", b"staging-value")
    fields = opened(client, key_url("staging", b"same", "edit/string-edit/"))
    fields["value"] = "changed"
    response = client.post(key_url("staging", b"same", "edit/string-edit/"), fields)
    assert response.status_code == 302, response.content[-500:]
    assert second.get(b"same") == b"changed" and r.get(b"same") == b"default-value"
    entry = AuditEntry.objects.get(operation="string-edit")
    assert entry.connection_name == "staging" and entry.outcome == AuditEntry.OK


def test_a_confirmation_made_on_one_connection_is_refused_on_another(client, staging, r, second):
    r.set(b"victim", b"1")
    second.set(b"victim", b"1")
    fields = opened(client, key_url("staging", b"victim", "edit/delete/"))
    assert fields["confirm"]
    refused = client.post(key_url("default", b"victim", "edit/delete/"), fields)
    assert refused.status_code == 428 and r.exists(b"victim")
    assert client.post(key_url("staging", b"victim", "edit/delete/"), fields).status_code == 302
    assert not second.exists(b"victim") and r.exists(b"victim")


def test_an_async_view_reads_the_connection_its_url_names(async_client, staging, r, second):
    from asgiref.sync import async_to_sync

    r.set(b"blob", b"from-default")
    second.set(b"blob", b"from-staging")

    async def download():
        response = await async_client.get(key_url("staging", b"blob", "download/"))
        return response.status_code, b"".join([part async for part in
                                               response.streaming_content])

    status, body = async_to_sync(download)()
    assert status == 200 and body == b"from-staging"


def test_roles_are_per_connection(staging, r, second, viewer):
    second.set(b"k", b"v")
    r.set(b"k", b"v")
    ConnectionRole.objects.create(user=viewer, connection="staging", role="editor")
    client = client_for(viewer)
    fields = opened(client, key_url("staging", b"k", "edit/string-edit/"))
    fields["value"] = "by-a-viewer"
    assert client.post(key_url("staging", b"k", "edit/string-edit/"), fields).status_code == 302
    assert second.get(b"k") == b"by-a-viewer"
    # Still a viewer on the default connection.
    assert client.post(key_url("default", b"k", "edit/string-edit/"),
                       fields).status_code == 403
    assert r.get(b"k") == b"v"


def test_a_user_kept_out_of_a_connection_sees_nothing_of_it(staging, second, editor):
    second.set(b"secret:key", b"v")
    ConnectionRole.objects.create(user=editor, connection="staging", role="none")
    client = client_for(editor)
    response = client.get(url("staging"))
    assert response.status_code == 403 and b"secret:key" not in response.content
    assert client.get(key_url("staging", b"secret:key")).status_code == 403
    listing = client.get("/connections/").content.decode()
    assert 'id="profile-staging"' not in listing
    assert "data-switch-to=\"staging\"" not in client.get(url("default")).content.decode()


def test_a_renamed_connection_keeps_its_roles_and_a_removed_one_takes_them(
        admin, second_server, second, editor):
    second.set(b"secret:key", b"v")
    admin.post("/connections/new/", new_connection_form(second_server, name="prod",
                                                        environment="production"))
    ConnectionRole.objects.create(user=editor, connection="prod", role="none")
    kept_out = client_for(editor)
    assert kept_out.get(url("prod")).status_code == 403
    renamed = new_connection_form(second_server, name="prod-eu", password="",
                                  environment="production")
    assert admin.post("/connections/prod/edit/", renamed).status_code == 302
    response = kept_out.get(url("prod-eu"))
    assert response.status_code == 403 and b"secret:key" not in response.content
    assert admin.post("/connections/prod-eu/delete/",
                      {"confirm_name": "prod-eu"}).status_code == 302
    assert not ConnectionRole.objects.exists()
    # Saved again under a name a removed connection had: no role of the old one applies.
    ConnectionRole.objects.create(user=editor, connection="gone", role="editor")
    admin.post("/connections/new/", new_connection_form(second_server, name="gone"))
    admin.post("/connections/gone/delete/", {"confirm_name": "gone"})
    admin.post("/connections/new/", new_connection_form(second_server, name="gone"))
    assert not ConnectionRole.objects.filter(connection="gone").exists()


def test_a_renamed_connection_keeps_its_undo_copies_and_queued_jobs(admin, second_server,
                                                                   second):
    from keyspace.models import AnalysisRun, UndoRecord
    from keyspace.services.analysis.runs import run_analysis

    second.set(b"k", b"before")
    admin.post("/connections/new/", new_connection_form(second_server, name="prod"))
    fields = opened(admin, key_url("prod", b"k", "edit/string-edit/"))
    admin.post(key_url("prod", b"k", "edit/string-edit/"), fields | {"value": "after"})
    token = UndoRecord.objects.get().token
    assert admin.post(url("prod", "analysis/start/"), {"mode": "full"}).status_code in (200, 302)
    run = AnalysisRun.objects.get()
    assert run.state == AnalysisRun.QUEUED
    renamed = new_connection_form(second_server, name="prod-eu", password="")
    assert admin.post("/connections/prod/edit/", renamed).status_code == 302
    # The audit log still offers the undo (its entry keeps the name the edit was made under);
    # the page before shows, and so spends, the edit's own "Undo" message.
    assert f"/undo/{token}/" in admin.get(url("prod-eu")).content.decode()
    assert f"/undo/{token}/" in admin.get("/audit/").content.decode()
    # The copy and the job are about the same server, now called prod-eu.
    response = admin.post(f"/undo/{token}/")
    assert response.status_code == 302 and response["Location"].startswith("/c/prod-eu/")
    assert second.get(b"k") == b"before"
    run_analysis(run.pk)
    run.refresh_from_db()
    assert (run.state, run.connection_name, run.keys_done) == (AnalysisRun.DONE, "prod-eu", 1)
    assert admin.get(url("prod-eu", f"analysis/{run.pk}/")).status_code == 200


def test_undo_refuses_once_a_rename_points_the_connection_at_another_server(
        admin, second_server, second, redis_server, r):
    from keyspace.models import UndoRecord

    second.set(b"k", b"before")
    r.set(b"k", b"other server")
    admin.post("/connections/new/", new_connection_form(second_server, name="prod"))
    fields = opened(admin, key_url("prod", b"k", "edit/string-edit/"))
    admin.post(key_url("prod", b"k", "edit/string-edit/"), fields | {"value": "after"})
    token = UndoRecord.objects.get().token
    elsewhere = new_connection_form(second_server, name="prod-eu", password="",
                                    url=f"redis://127.0.0.1:{redis_server.port}/0")
    assert admin.post("/connections/prod/edit/", elsewhere).status_code == 302
    response = admin.post(f"/undo/{token}/")
    assert response.status_code == 422
    assert b"nothing was undone" in response.content
    assert r.get(b"k") == b"other server" and second.get(b"k") == b"after"


def test_a_removed_connection_takes_its_undo_copies_along(admin, second_server, second):
    from keyspace.models import UndoRecord

    second.set(b"k", b"before")
    admin.post("/connections/new/", new_connection_form(second_server, name="prod"))
    fields = opened(admin, key_url("prod", b"k", "edit/string-edit/"))
    admin.post(key_url("prod", b"k", "edit/string-edit/"), fields | {"value": "after"})
    assert UndoRecord.objects.filter(connection_name="prod").exists()
    assert admin.post("/connections/prod/delete/", {"confirm_name": "prod"}).status_code == 302
    # The copies of its values (DUMP payloads) are not kept for a server no longer shown.
    assert not UndoRecord.objects.exists()


def test_a_removed_or_renamed_connections_audit_trail_stays_for_who_manages_connections(
        admin, second_server, second, editor):
    second.set(b"doomed:key", b"v")
    admin.post("/connections/new/", new_connection_form(second_server, name="old"))
    AuditEntry.objects.create(username="admin", connection_name="old", db=0,
                              operation="delete", key_text="doomed:key",
                              outcome=AuditEntry.OK)
    admin.post("/connections/old/edit/", new_connection_form(second_server, name="new",
                                                             password=""))
    assert "doomed:key" in admin.get("/audit/").content.decode()
    assert admin.post("/connections/new/delete/", {"confirm_name": "new"}).status_code == 302
    removed = admin.get("/audit/?operation=connection+delete").content.decode()
    assert "connection delete" in removed and "new: redis://" in removed
    # Anyone else sees only the connections they may view now.
    assert "doomed:key" not in client_for(editor).get("/audit/").content.decode()


@pytest.mark.parametrize("ended", ["removed", "renamed"])
def test_a_connection_saved_under_an_old_name_does_not_show_the_old_ones_trail(
        admin, second_server, second, editor, viewer, ended):
    """A user kept out of `prod` must not read its trail once `prod` names another
    connection: the one removed (or renamed away) and the one saved since are not the same."""
    admin.post("/connections/new/", new_connection_form(second_server, name="prod"))
    ConnectionRole.objects.create(user=viewer, connection="prod", role="none")
    AuditEntry.objects.create(username="editor", connection_name="prod", db=0,
                              operation="delete", key_text="prod:customer:4711",
                              outcome=AuditEntry.OK)
    if ended == "removed":
        admin.post("/connections/prod/delete/", {"confirm_name": "prod"})
    else:
        admin.post("/connections/prod/edit/", new_connection_form(second_server, name="prod-eu",
                                                                 password=""))
    assert admin.post("/connections/new/", new_connection_form(
        second_server, name="prod")).status_code == 302
    watcher = client_for(viewer)
    assert watcher.get("/c/prod/db/0/").status_code == 200  # the new prod is theirs to view
    for query in ("", "?key=customer", "?connection=prod"):
        assert "prod:customer:4711" not in watcher.get(f"/audit/{query}").content.decode()
    managed = admin.get("/audit/?key=customer").content.decode()
    assert "prod:customer:4711" in managed and "(removed or renamed since)" in managed
    # Entries made on the new prod are shown to its users as before.
    AuditEntry.objects.create(username="editor", connection_name="prod", db=0,
                              operation="delete", key_text="prod:order:1",
                              outcome=AuditEntry.OK)
    assert "prod:order:1" in watcher.get("/audit/?connection=prod").content.decode()


def test_an_entry_written_after_its_connection_was_removed_is_retired_too(admin,
                                                                          second_server):
    """A request still running on a connection an admin has just removed: its entry is
    retired like the ones before it, not shown to the users of a connection saved later."""
    from keyspace.access import audit
    from keyspace.models import SavedConnection
    from keyspace.redis import profiles

    admin.post("/connections/new/", new_connection_form(second_server, name="gone"))
    profile = SavedConnection.objects.get(name="gone").profile()
    with profiles.using(profile):
        assert not audit.record(None, db=0, operation="set", key=b"k", outcome="ok"
                                ).connection_retired
    admin.post("/connections/gone/delete/", {"confirm_name": "gone"})
    with profiles.using(profile):  # the request that began before the removal ends now
        late = audit.record(None, db=0, operation="set", key=b"late", outcome="ok")
    assert late.connection_name == "gone" and late.connection_retired


@pytest.fixture
def admin(db):
    user = make_user("admin", "editor")
    user.is_superuser = True
    user.save()
    return client_for(user)


def new_connection_form(second_server, **changes) -> dict:
    return {"name": "saved-one", "label": "Saved", "url":
            f"redis://127.0.0.1:{second_server.port}/0", "username": "",
            "password": PASSWORD, "tls_ca_file": "", "tls_cert_file": "", "tls_key_file": "",
            "tls_verify": "required", "environment": "", "colour": "", **changes}


def test_a_saved_connection_keeps_its_password_encrypted_and_never_shows_it(
        admin, second_server, second, caplog):
    second.set(b"on-saved", b"1")
    response = admin.post("/connections/new/", new_connection_form(second_server))
    assert response.status_code == 302, response.content[-800:]
    row = SavedConnection.objects.get(name="saved-one")
    assert row.password_encrypted and PASSWORD not in row.password_encrypted
    assert row.profile().password == PASSWORD
    # It works: the password reaches Redis.
    page = admin.get(url("saved-one"))
    assert page.status_code == 200 and b"on-saved" in page.content
    # Never drawn back, never in the audit log or the logs.
    for path in ("/connections/", "/connections/saved-one/edit/", url("saved-one")):
        assert PASSWORD.encode() not in admin.get(path).content, path
    assert not any(PASSWORD in entry.detail for entry in AuditEntry.objects.all())
    assert PASSWORD not in caplog.text
    # Left blank when changed, the saved password stays.
    changed = new_connection_form(second_server, password="", label="Renamed")
    assert admin.post("/connections/saved-one/edit/", changed).status_code == 302
    assert SavedConnection.objects.get(name="saved-one").profile().password == PASSWORD


def test_a_changed_key_makes_saved_passwords_unreadable_not_a_500(admin, second_server, second,
                                                                  settings):
    admin.post("/connections/new/", new_connection_form(second_server))
    settings.DASHBOARD_CONNECTION_KEY = "another key altogether"
    reset_pools()
    response = admin.get(url("saved-one"))
    assert response.status_code == 503
    assert "authentication required" in response.content.decode()


@pytest.mark.parametrize(("changes", "field", "says"), [
    ({"url": "redis://:pw@127.0.0.1:6379/0"}, "url", "password out of the URL"),
    ({"url": "redis://127.0.0.1:6379/0?password=pw"}, "url", "password out of the URL"),
    ({"url": "unix:///tmp/redis.sock?db=0&Password=pw"}, "url", "password out of the URL"),
    ({"url": "sentinel://127.0.0.1:26379/0?master_name=m&sentinel_password=pw"}, "url",
     "password out of the URL"),
    ({"url": "http://example.com/"}, None, "redis://"),
    # redis-py reads any other URL option as a connection argument over the dashboard's own:
    # retries on timeouts (a timed-out edit sent twice), RESP3 replies, no renames at all.
    ({"url": "redis://127.0.0.1:6379/0?retry_on_timeout=true"}, "url", "retry_on_timeout"),
    ({"url": "redis://127.0.0.1:6379/0?protocol=3"}, "url", "protocol"),
    ({"url": "unix:///tmp/redis.sock?db=0&renamed_commands=x"}, "url", "renamed_commands"),
    ({"url": "redis://127.0.0.1:6379/0?DB=3"}, "url", "DB"),  # not redis-py's db
    ({"name": "default"}, "name", "settings"),
    ({"name": "Not A Slug"}, "name", "letters"),
    ({"environment": "prod"}, "environment", "valid choice"),
    ({"tls_ca_file": "/no/such/file.pem", "url": "rediss://127.0.0.1:1/0"}, None,
     "No such file"),
])
def test_a_bad_connection_is_refused_by_its_field(admin, second_server, changes, field, says):
    response = admin.post("/connections/new/", new_connection_form(second_server, **changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert says in html
    if field:
        assert f'id="{field}-error"' in html
    assert not SavedConnection.objects.exists()


def test_only_connection_managers_may_add_them(client, viewer_client, second_server):
    for someone in (client, viewer_client):
        response = someone.post("/connections/new/", new_connection_form(second_server))
        assert response.status_code == 403
    assert not SavedConnection.objects.exists()


def test_removing_a_saved_connection_needs_its_name(admin, second_server):
    admin.post("/connections/new/", new_connection_form(second_server))
    assert admin.post("/connections/saved-one/delete/",
                      {"confirm_name": "saved"}).status_code == 400
    assert SavedConnection.objects.filter(name="saved-one").exists()
    assert admin.post("/connections/saved-one/delete/",
                      {"confirm_name": "saved-one"}).status_code == 302
    assert not SavedConnection.objects.exists()
    assert AuditEntry.objects.filter(operation="connection delete").count() == 1


@pytest.fixture
def production(settings, second_server, second):
    settings.DASHBOARD_CONNECTIONS = {"prod": {
        "url": f"redis://127.0.0.1:{second_server.port}/0", "password": PASSWORD,
        "environment": "production"}}
    reset_pools()
    yield "prod"
    reset_pools()


def test_production_is_said_on_every_page(client, production, second):
    second.set(b"k", b"v")
    for path in (url("prod"), key_url("prod", b"k"), url("prod", "server/")):
        html = client.get(path).content.decode()
        assert "data-production" in html and 'class="environment"' in html, path
    assert "data-production" not in client.get(url("default")).content.decode()


def test_production_deletes_need_the_key_name_typed(client, production, second):
    second.set(b"orders:\xff1", b"v")
    path = key_url("prod", b"orders:\xff1", "edit/delete/")
    fields = opened(client, path)
    assert "confirm_name" in client.get(path).content.decode()
    for typed in ("", "orders:", "orders:\\xff2"):
        refused = client.post(path, fields | {"confirm_name": typed})
        assert refused.status_code == 428, typed
        assert "type the key" in refused.content.decode()
        assert second.exists(b"orders:\xff1")
    # A mistyped name did not spend the token: typed right, the same form deletes.
    done = client.post(path, fields | {"confirm_name": "orders:\\xff1"})
    assert done.status_code == 302 and not second.exists(b"orders:\xff1")


def test_elsewhere_no_name_is_asked(client, r):
    r.set(b"k", b"v")
    path = key_url("default", b"k", "edit/delete/")
    assert "confirm_name" not in client.get(path).content.decode()
    assert client.post(path, opened(client, path)).status_code == 302


def test_undo_goes_back_to_the_connection_of_the_edit(client, staging, r, second):
    r.set(b"k", b"default")
    second.set(b"k", b"staging")
    fields = opened(client, key_url("staging", b"k", "edit/string-edit/"))
    fields["value"] = "changed"
    client.post(key_url("staging", b"k", "edit/string-edit/"), fields)
    from keyspace.models import UndoRecord

    record = UndoRecord.objects.get()
    assert record.connection_name == "staging"
    response = client.post(f"/undo/{record.token}/")
    assert response.status_code == 302 and response["Location"].startswith("/c/staging/")
    assert second.get(b"k") == b"staging" and r.get(b"k") == b"default"


def test_undo_needs_an_editor_there(staging, second, editor):
    second.set(b"k", b"staging")
    client = client_for(editor)
    fields = opened(client, key_url("staging", b"k", "edit/string-edit/"))
    client.post(key_url("staging", b"k", "edit/string-edit/"), fields | {"value": "x"})
    from keyspace.models import UndoRecord

    ConnectionRole.objects.create(user=editor, connection="staging", role="viewer")
    token = UndoRecord.objects.get().token
    assert client.post(f"/undo/{token}/").status_code == 403
    assert second.get(b"k") == b"x"


def test_a_job_runs_on_its_own_connection(client, staging, r, second, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    for n in range(3):
        second.set(f"staging:{n}".encode(), b"v")
    r.set(b"default:only", b"v")
    from keyspace.models import AnalysisRun

    response = client.post(url("staging", "analysis/start/"), {"mode": "full"})
    assert response.status_code in (200, 302)
    run = AnalysisRun.objects.get()
    assert run.connection_name == "staging" and run.state == "done", run.error
    assert run.keys_done == 3
    assert client.get(url("default", f"analysis/{run.pk}/")).status_code == 404


@pytest.mark.parametrize(("declared", "says"), [
    ({"x": {"url": "redis://h:1/0", "colour": "red"}}, "colour"),
    ({"x": {"url": "redis://h:1/0", "passwd": "p"}}, "unknown key"),
    ({"x": {"url": "ftp://h/"}}, "redis://"),
    ({"x": {"label": "no url"}}, "url is required"),
    ({"default": {"url": "redis://h:1/0"}}, "default connection"),
    ({"x": {"url": "redis://h:1/0", "environment": "prod"}}, "environment"),
    ({"x": {"url": "redis://h:1/0", "databases": "16"}}, "wrong kind"),
    ({"Bad Name": {"url": "redis://h:1/0"}}, "name"),
    # redis-py lets the URL's ssl_* options override tls_verify and tls_ca_file: the header
    # would say "verified" of a connection that is not.
    ({"x": {"url": "rediss://h:1/0?ssl_cert_reqs=none"}}, "ssl_cert_reqs.*tls_verify"),
    ({"x": {"url": "rediss://h:1/0?ssl_ca_certs=/tmp/ca.pem"}}, "ssl_ca_certs.*tls_ca_file"),
    ({"x": {"url": "rediss://h:1/0?SSL_CHECK_HOSTNAME=false"}}, "SSL_CHECK_HOSTNAME"),
    # Any other option redis-py would take over the dashboard's own settings.
    ({"x": {"url": "redis://h:1/0?retry_on_timeout=true"}}, "retry_on_timeout"),
    ({"x": {"url": "unix:///tmp/r.sock?db=0&protocol=3"}}, "protocol"),
    ({"x": {"url": "redis://h:1/0?Db=2"}}, "Db"),
    (["not", "a", "dict"], "DASHBOARD_CONNECTIONS"),
])
def test_a_declared_connection_that_cannot_work_stops_start_up(settings, declared, says):
    settings.DASHBOARD_CONNECTIONS = declared
    with pytest.raises(ImproperlyConfigured, match=says):
        validate()


def test_connections_from_the_environment_must_be_json(monkeypatch):
    from dashboard.env import env_setting

    monkeypatch.setenv("DASHBOARD_CONNECTIONS", "{not json")
    with pytest.raises(ImproperlyConfigured, match="not valid JSON"):
        env_setting("DASHBOARD_CONNECTIONS", {})
    monkeypatch.setenv("DASHBOARD_CONNECTIONS", '{"s": {"url": "redis://h:1/0"}}')
    assert env_setting("DASHBOARD_CONNECTIONS", {}) == {"s": {"url": "redis://h:1/0"}}


def test_roles_per_connection_from_the_command_line(staging, viewer):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("connection_role", viewer.username, "staging", "editor", stdout=out)
    assert ConnectionRole.objects.get(user=viewer).role == "editor"
    call_command("connection_role", viewer.username, "staging", "default", stdout=out)
    assert not ConnectionRole.objects.exists()
    with pytest.raises(CommandError, match="no connection"):
        call_command("connection_role", viewer.username, "nowhere", "viewer")


def test_the_audit_log_shows_only_connections_the_user_may_view(client, staging, second, editor):
    second.set(b"staging:secret", b"v")
    fields = opened(client, key_url("staging", b"staging:secret", "edit/string-edit/"))
    client.post(key_url("staging", b"staging:secret", "edit/string-edit/"),
                fields | {"value": "x"})
    log = client.get("/audit/").content.decode()
    assert "staging:secret" in log and "staging: " in log
    assert "staging:secret" not in client.get("/audit/?connection=default").content.decode()
    ConnectionRole.objects.create(user=editor, connection="staging", role="none")
    assert "staging:secret" not in client_for(editor).get("/audit/").content.decode()


def test_a_connection_that_cannot_be_reached_is_a_clear_page(client, settings):
    from dashboard.local_redis import free_port

    settings.DASHBOARD_CONNECTIONS = {"gone": {"url": f"redis://127.0.0.1:{free_port()}/0"}}
    response = client.get(url("gone"))
    assert response.status_code == 503
    assert "connection refused" in response.content.decode()
    # The default connection is unaffected.
    assert client.get(url("default")).status_code == 200
