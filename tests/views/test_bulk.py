"""Bulk pages over HTTP: count first, confirm that count, follow, stop; roles and read-only."""

import re

import pytest
from django.urls import reverse

from keyspace.models import BulkJob
from keyspace.services.bulk.jobs import run_job
from tests.support.htmx import HTMX
from tests.support.redis_users import connected_as

# The dashboard's database: SQLite and PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def home(db=0):
    return reverse("keyspace:bulk", kwargs={"db": db})


def page(job, query=""):
    return reverse("keyspace:bulk-job", kwargs={"db": job.db, "job_id": job.pk}) + query


def count(client, **fields):
    data = {"mode": "prefix", "type_name": "", "then": "delete", "ttl_seconds": ""} | fields
    response = client.post(home(), data)
    assert response.status_code == 302, response.content.decode()[:500]
    job = BulkJob.objects.latest("id")
    run_job(job.pk)
    return response["Location"], job


def confirmation_of(body: str) -> dict:
    form = re.search(r'<form class="bulk-confirm".*?</form>', body, re.S).group(0)
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))


def test_the_page_explains_itself_when_empty(client):
    body = client.get(home()).content.decode()
    assert "No bulk jobs" in body and "Count the keys" in body


def test_count_then_confirm_then_delete(client, r):
    r.mset({"s:1": 1, "s:2": 1, "keep": 1})
    location, preview = count(client, text="s:")
    body = client.get(location).content.decode()
    assert "2</strong> keys match" in body and "s:1" in body
    fields = confirmation_of(body)
    assert fields["action"] == "delete"
    start = reverse("keyspace:bulk-start", kwargs={"db": 0, "job_id": preview.pk})
    assert client.post(start, fields).status_code == 302
    change = BulkJob.objects.latest("id")
    run_job(change.pk)
    assert r.exists("s:1", "s:2") == 0 and r.exists("keep")
    assert "2</strong> keys deleted" in client.get(page(change)).content.decode()
    # The confirmation was for one use.
    assert client.post(start, fields).status_code == 428


def test_one_count_starts_one_change(client, r):
    """Each visit of the dry run's page confirms it afresh: a second confirmation must not
    start a second change, of keys written since that nobody counted."""
    r.mset({"s:1": 1, "s:2": 1})
    location, preview = count(client, text="s:")
    first = confirmation_of(client.get(location).content.decode())
    second = confirmation_of(client.get(location).content.decode())
    start = reverse("keyspace:bulk-start", kwargs={"db": 0, "job_id": preview.pk})
    assert client.post(start, first).status_code == 302
    run_job(BulkJob.objects.latest("id").pk)
    r.mset({f"s:{n}": 1 for n in range(3, 300)})  # written since, never counted
    response = client.post(start, second)
    assert response.status_code == 422 and "started a change already" in response.content.decode()
    assert BulkJob.objects.count() == 2 and r.exists("s:3")
    assert 'class="bulk-confirm"' not in client.get(location).content.decode()


@pytest.fixture
def no_time_user(r, redis_server, settings):
    """A user that may read and write but not run TIME (which undo copies start with)."""
    with connected_as(r, redis_server, settings, "notime", "~*", "&*", "+@read", "+@write",
                      "+@transaction", "+ping", "+hello", "+info", "+select"):
        yield


def test_a_change_redis_refuses_to_copy_goes_on_without_undo(client, r, no_time_user):
    r.mset({"s:1": 1, "s:2": 1, "keep": 1})
    location, preview = count(client, text="s:")
    fields = confirmation_of(client.get(location).content.decode())
    start = reverse("keyspace:bulk-start", kwargs={"db": 0, "job_id": preview.pk})
    assert client.post(start, fields).status_code == 302
    change = BulkJob.objects.latest("id")
    run_job(change.pk)
    change.refresh_from_db()
    assert change.state == BulkJob.DONE, change.error
    assert r.exists("s:1", "s:2") == 0 and r.exists("keep")
    body = client.get(page(change)).content.decode()
    assert "2</strong> keys deleted" in body
    assert "No undo: Redis refused to copy the keys" in body


def test_a_change_without_its_confirmation_is_refused(client, r):
    r.set("s:1", 1)
    _, preview = count(client, text="s:")
    start = reverse("keyspace:bulk-start", kwargs={"db": 0, "job_id": preview.pk})
    response = client.post(start, {"action": "delete", "confirmation": "forged"})
    assert response.status_code == 428 and r.exists("s:1")
    assert BulkJob.objects.count() == 1


def test_the_confirmation_is_for_that_action_and_ttl(client, r):
    r.set("s:1", 1)
    location, preview = count(client, text="s:", then="expire", ttl_seconds="60")
    fields = confirmation_of(client.get(location).content.decode())
    start = reverse("keyspace:bulk-start", kwargs={"db": 0, "job_id": preview.pk})
    assert client.post(start, fields | {"action": "delete"}).status_code == 428
    assert client.post(start, fields | {"ttl_seconds": "1"}).status_code == 428
    assert r.exists("s:1") and r.ttl("s:1") == -1


def test_a_ttl_is_needed_to_set_one(client):
    response = client.post(home(), {"mode": "prefix", "text": "s:", "then": "expire"})
    assert response.status_code == 422 and "give the TTL" in response.content.decode()


def test_a_viewer_may_count_but_not_change(viewer_client, client, r):
    r.set("s:1", 1)
    location, preview = count(viewer_client, text="s:")
    body = viewer_client.get(location).content.decode()
    assert "Only editors" in body and "bulk-confirm" not in body
    editor_fields = confirmation_of(client.get(location).content.decode())
    start = reverse("keyspace:bulk-start", kwargs={"db": 0, "job_id": preview.pk})
    assert viewer_client.post(start, editor_fields).status_code == 403
    assert r.exists("s:1")


def test_read_only_mode_refuses_changes(client, r, settings):
    r.set("s:1", 1)
    location, preview = count(client, text="s:")
    fields = confirmation_of(client.get(location).content.decode())
    settings.DASHBOARD_READONLY = True
    start = reverse("keyspace:bulk-start", kwargs={"db": 0, "job_id": preview.pk})
    assert client.post(start, fields).status_code == 403 and r.exists("s:1")


def test_progress_is_a_polling_fragment_while_the_job_runs(client, r):
    r.set("s:1", 1)
    client.post(home(), {"mode": "prefix", "text": "s:", "then": "delete"})
    job = BulkJob.objects.latest("id")
    fragment = client.get(page(job), headers=HTMX).content.decode()
    assert fragment.lstrip().startswith('<div id="bulk-progress"')
    assert 'hx-trigger="every 1s"' in fragment
    assert "Waiting for the worker" in fragment


def test_stopping_a_queued_job(client, r):
    r.set("s:1", 1)
    client.post(home(), {"mode": "prefix", "text": "s:", "then": "delete"})
    job = BulkJob.objects.latest("id")
    cancel = reverse("keyspace:bulk-cancel", kwargs={"db": 0, "job_id": job.pk})
    assert client.post(cancel).status_code == 302
    job.refresh_from_db()
    assert job.state == BulkJob.CANCELLED


def test_hostile_names_are_escaped(client, r):
    r.set("<script>x</script>:1", 1)
    location, _ = count(client, text="<script>x</script>:")
    body = client.get(location).content.decode()
    assert "<script>x</script>" not in body and "&lt;script&gt;" in body
