"""Export and import over HTTP: a streamed download, an upload queued as a job."""

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import AsyncClient
from django.urls import reverse

from keyspace.models import AuditEntry, BulkJob
from keyspace.services.bulk.jobs import run_job


def download(client, **query) -> bytes:
    async def fetch():
        browser = AsyncClient()
        browser.cookies = client.cookies
        response = await browser.get(reverse("keyspace:export", kwargs={"db": 0}), query)
        assert response.status_code == 200, response
        assert response["Content-Disposition"].startswith("attachment;")
        return b"".join([chunk async for chunk in response.streaming_content])

    return async_to_sync(fetch)()


def upload(client, payload: bytes, policy="skip"):
    return client.post(reverse("keyspace:import", kwargs={"db": 0}), {
        "policy": policy, "file": SimpleUploadedFile("export.jsonl", payload)})


def test_download_then_upload_round_trips(client, r):
    r.hset(b"h\xff", mapping={b"f": b"\x00v"})
    r.set("s", "v", ex=600)
    payload = download(client, mode="pattern", text="*", type_name="", encoding="values")
    assert payload.startswith(b'{"format":"redis-dashboard-export"')
    r.flushdb()
    response = upload(client, payload)
    assert response.status_code == 302
    job = BulkJob.objects.get(action=BulkJob.IMPORT)
    run_job(job.pk)
    job.refresh_from_db()
    assert (job.state, job.keys_changed, job.payload) == (BulkJob.DONE, 2, None)
    assert r.hgetall(b"h\xff") == {b"f": b"\x00v"} and 590 < r.ttl("s") <= 600
    assert AuditEntry.objects.filter(operation="bulk import", outcome="ok").exists()
    assert AuditEntry.objects.filter(operation="export").exists()


def test_a_bad_file_is_a_message_by_the_field(client, r):
    response = upload(client, b'{"format":"redis-dashboard-export","version":1}\n{oops\n')
    assert response.status_code == 422
    assert "line 2 is not JSON" in response.content.decode()
    assert not BulkJob.objects.exists()


def test_a_viewer_may_export_but_not_import(viewer_client, client, r):
    r.set("s", "v")
    payload = download(viewer_client, mode="exact", text="s", type_name="", encoding="dump")
    r.delete("s")
    assert upload(viewer_client, payload).status_code == 403
    assert not r.exists("s") and not BulkJob.objects.exists()
    assert "Import" not in viewer_client.get(reverse("keyspace:bulk", args=[0])).content.decode()


def test_an_export_needs_its_selection(client):
    response = client.get(reverse("keyspace:export", kwargs={"db": 0}), {"mode": "prefix"})
    assert response.status_code == 400


def test_an_import_is_not_written_by_a_worker_pointed_at_another_server(
        client, r, settings, second_server, second):
    # The job's row names the server it was uploaded for; a worker whose REDIS_URL is
    # another server's (a deploy with the worker's settings out of step) must not write the
    # file there, as bulk changes and analyses already refuse to.
    from urllib.parse import quote

    from keyspace.redis.connection import reset_pools
    from tests.support.second_redis import PASSWORD

    r.set("s", "v")
    payload = download(client, mode="pattern", text="*", type_name="", encoding="values")
    r.flushdb()
    assert upload(client, payload, policy="replace").status_code == 302
    job = BulkJob.objects.get(action=BulkJob.IMPORT)
    settings.REDIS_URL = f"redis://:{quote(PASSWORD, safe='')}@127.0.0.1:{second_server.port}/0"
    reset_pools()
    with pytest.raises(RuntimeError, match="points at"):
        run_job(job.pk)
    job.refresh_from_db()
    assert job.state == BulkJob.FAILED and "points at" in job.error
    assert second.dbsize() == 0 and r.dbsize() == 0


def test_an_import_that_never_runs_lets_go_of_its_file(client, r):
    """The uploaded file is kept only until its job ends: a queued import cancelled, or one
    the worker never picked up or stopped during, drops it too (before, its keys and values
    stayed in the dashboard's database for good)."""
    from datetime import timedelta

    from django.utils import timezone

    from keyspace.services.bulk.jobs import abandon_stale_jobs, cancel

    r.set("s", "secret")
    payload = download(client, mode="exact", text="s", type_name="", encoding="values")
    for _ in range(3):
        assert upload(client, payload).status_code == 302
    cancelled, never_run, stopped = BulkJob.objects.filter(action=BulkJob.IMPORT).order_by("pk")
    cancel(cancelled)
    long_ago = timezone.now() - timedelta(hours=1)
    BulkJob.objects.filter(pk=never_run.pk).update(created=long_ago)
    BulkJob.objects.filter(pk=stopped.pk).update(state=BulkJob.RUNNING, progressed=long_ago)
    abandon_stale_jobs()
    for made in (cancelled, never_run, stopped):
        made.refresh_from_db()
        assert made.state in (BulkJob.CANCELLED, BulkJob.FAILED) and made.payload is None
