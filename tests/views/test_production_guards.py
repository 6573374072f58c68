"""Production connections: what changes many keys at once (a bulk change, an import that
replaces keys, a dangerous console command) has no one key name to type, so it asks for the
connection's name; a mistyped name spends no confirmation. Elsewhere nothing more is asked."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile

from keyspace.models import BulkJob
from keyspace.services.bulk.jobs import run_job
from tests.support.htmx import HTMX
from tests.views import test_several_connections as several
from tests.views.test_several_connections import url

production = several.production


def counted(client, connection: str, prefix: str) -> tuple[BulkJob, str]:
    data = {"mode": "prefix", "text": prefix, "type_name": "", "then": "delete",
            "ttl_seconds": ""}
    response = client.post(url(connection, "bulk/"), data)
    assert response.status_code == 302, response.content.decode()[:500]
    job = BulkJob.objects.latest("id")
    run_job(job.pk)
    return job, client.get(response["Location"]).content.decode()


def confirmation_of(body: str) -> dict:
    form = re.search(r'<form class="bulk-confirm".*?</form>', body, re.S).group(0)
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))


def test_a_bulk_change_on_production_needs_the_connection_name(client, production, second):
    second.mset({"s:1": 1, "s:2": 1, "keep": 1})
    preview, body = counted(client, "prod", "s:")
    assert 'name="confirm_connection"' in body
    fields = confirmation_of(body)
    start = url("prod", f"bulk/{preview.pk}/start/")
    for typed in ("", "pro", "Prod", "default"):
        refused = client.post(start, fields | {"confirm_connection": typed})
        assert refused.status_code == 428, typed
        assert "type the connection" in refused.content.decode()
    assert BulkJob.objects.count() == 1 and second.exists("s:1", "s:2") == 2
    assert client.post(start, fields | {"confirm_connection": "prod"}).status_code == 302
    run_job(BulkJob.objects.latest("id").pk)
    assert second.exists("s:1", "s:2") == 0 and second.exists("keep")


def test_elsewhere_a_bulk_change_asks_no_name(client, r):
    r.set("s:1", 1)
    preview, body = counted(client, "default", "s:")
    assert "confirm_connection" not in body
    start = url("default", f"bulk/{preview.pk}/start/")
    assert client.post(start, confirmation_of(body)).status_code == 302


def upload(client, connection: str, policy: str, **more):
    payload = (b'{"format":"redis-dashboard-export","version":1,"encoding":"values"}\n'
               b'{"k":"aw==","t":"string","x":null,"new":true,"v":"bmV3"}\n')
    return client.post(url(connection, "import/"), {
        "policy": policy, "file": SimpleUploadedFile("export.jsonl", payload), **more})


def test_an_import_replacing_keys_on_production_needs_the_connection_name(client, production,
                                                                          second):
    second.set("k", "old")
    page = client.get(url("prod", "bulk/")).content.decode()
    assert 'name="confirm_connection"' in page
    refused = upload(client, "prod", "replace", confirm_connection="nope")
    assert refused.status_code == 422 and "type the connection" in refused.content.decode()
    assert not BulkJob.objects.filter(action=BulkJob.IMPORT).exists()
    # Keeping existing keys destroys nothing: no name needed.
    skipped = upload(client, "prod", "skip")
    assert skipped.status_code == 302, re.findall(r"field-error[^<]*<", skipped.content.decode())
    done = upload(client, "prod", "replace", confirm_connection="prod")
    assert done.status_code == 302, done.content.decode()[-800:]
    for job in BulkJob.objects.filter(action=BulkJob.IMPORT):
        run_job(job.pk)
    assert second.get("k") == b"new"


def test_a_dangerous_console_command_on_production_needs_the_connection_name(
        client, production, second, settings):
    settings.DASHBOARD_CONSOLE_ALLOW = "flushdb"
    second.set("keep", "1")
    asked = client.post(url("prod", "console/"), {"line": "FLUSHDB"}, headers=HTMX)
    assert asked.status_code == 428
    body = asked.content.decode()
    assert 'name="confirm_connection"' in body
    token = re.search(r'name="confirmation" value="([^"]+)"', body).group(1)
    refused = client.post(url("prod", "console/"), {"line": "FLUSHDB", "confirmation": token,
                                                    "confirm_connection": "pro"}, headers=HTMX)
    assert refused.status_code == 428 and second.get("keep") == b"1"
    assert "type the connection" in refused.content.decode()
    done = client.post(url("prod", "console/"), {"line": "FLUSHDB", "confirmation": token,
                                                 "confirm_connection": "prod"}, headers=HTMX)
    assert done.status_code == 200, done.content.decode()[-600:]
    assert second.get("keep") is None


def test_elsewhere_the_console_asks_no_name(client, r, settings):
    settings.DASHBOARD_CONSOLE_ALLOW = "flushdb"
    r.set("keep", "1")
    asked = client.post(url("default", "console/"), {"line": "FLUSHDB"}, headers=HTMX)
    assert "confirm_connection" not in asked.content.decode()
    token = re.search(r'name="confirmation" value="([^"]+)"', asked.content.decode()).group(1)
    done = client.post(url("default", "console/"), {"line": "FLUSHDB", "confirmation": token},
                       headers=HTMX)
    assert done.status_code == 200 and r.get("keep") is None
