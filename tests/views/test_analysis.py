"""The analysis pages: start, progress (htmx polling), cancel, report, drill-down, compare.
Runs here go through the Tasks framework's immediate backend (the job runs inside the
request) so the pages can be read at each state; tests/services/analysis/test_worker.py runs
them through the real database worker."""

from __future__ import annotations

import pytest
from django.urls import reverse

from keyspace.models import AnalysisRun
from keyspace.redis.keynames import encode_key
from keyspace.services.analysis.runs import start_analysis
from tests.support.htmx import HTMX

# The dashboard's database: SQLite and PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def immediate(settings):
    settings.TASKS = IMMEDIATE  # django-tasks drops its backends when TASKS changes


@pytest.fixture
def queued_only(settings):
    """Jobs are stored, never run: a run stays queued (as with no worker)."""
    settings.TASKS = DUMMY


def _seed(r):
    with r.pipeline(transaction=False) as pipe:
        for i in range(40):
            pipe.set(f"user:{i}:name".encode(), b"x" * 10)
            pipe.hset(f"user:{i}:profile".encode(), b"f", b"v")
        pipe.rpush(b"queue:<script>", *range(100))
        pipe.set(b"\xff\xfebin", b"v", ex=30)
        pipe.execute()


def test_the_tab_and_the_empty_state(client):
    response = client.get(reverse("keyspace:analysis", args=[0]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-current="page">Analysis' in html
    assert "No analysis of db0 yet" in html


def test_a_run_is_reported_with_namespaces_types_ttl_and_ranked_keys(client, r, immediate):
    _seed(r)
    response = client.post(reverse("keyspace:analysis-start", args=[0]), {"mode": "full"})
    run = AnalysisRun.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/analysis/{run.pk}/")
    assert run.state == "done" and run.keys_done == 82
    html = client.get(response["Location"]).content.decode()
    assert "<strong>82</strong> keys" in html
    assert "user:" in html and "queue:" in html
    assert "&lt;script&gt;" in html and "<script>" not in html.split("</head>")[1]
    assert reverse("keyspace:key-detail", args=[0, b"queue:<script>"]) in html
    assert "Memory by namespace" in html and "<svg" in html
    assert "Keys by time to live" in html and "Memory by type" in html


def test_a_namespace_level_is_a_fragment_for_htmx(client, r, immediate):
    _seed(r)
    run = start_analysis(db=0)
    url = reverse("keyspace:analysis-run", args=[0, run.pk]) + f"?prefix={encode_key(b'user:')}"
    fragment = client.get(url, headers=HTMX).content.decode()
    assert fragment.lstrip().startswith('<section id="analysis-namespaces"')
    assert "80 keys" in fragment and "under <code>user:</code>" in fragment
    assert fragment.count('class="ttl-mix"') == 40 and "queue:" not in fragment
    whole = client.get(url).content.decode()
    assert "<html" in whole and "under <code>user:</code>" in whole


def test_comparing_two_runs_shows_what_changed(client, r, immediate):
    _seed(r)
    first = start_analysis(db=0)
    r.delete(*[f"user:{i}:name".encode() for i in range(20)])
    second = start_analysis(db=0)
    url = reverse("keyspace:analysis-run", args=[0, second.pk]) + f"?compare={first.pk}"
    html = client.get(url).content.decode()
    assert "Keys 82 → 62" in html
    assert "Memory change by namespace" in html and 'class="bar negative"' in html


def test_progress_polls_while_queued_and_refreshes_when_over(client, queued_only):
    run = start_analysis(db=0)
    url = reverse("keyspace:analysis-progress", args=[0, run.pk])
    fragment = client.get(url, headers=HTMX).content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "Waiting for the worker" in fragment
    client.post(reverse("keyspace:analysis-cancel", args=[0, run.pk]))
    run.refresh_from_db()
    assert run.state == "cancelled"
    response = client.get(url, headers=HTMX)
    assert response.headers.get("HX-Refresh") == "true"


def test_one_run_at_a_time_per_database(client, queued_only):
    first = start_analysis(db=0)
    assert start_analysis(db=0).pk == first.pk
    assert start_analysis(db=1).pk != first.pk


def test_a_run_of_another_db_is_not_found(client, immediate):
    run = start_analysis(db=0)
    response = client.get(reverse("keyspace:analysis-run", args=[1, run.pk]))
    assert response.status_code == 404


def test_signed_out_users_cannot_start(anonymous_client, db):
    response = anonymous_client.post(reverse("keyspace:analysis-start", args=[0]),
                                     {"mode": "full"})
    assert response.status_code in (302, 401)
    assert not AnalysisRun.objects.exists()


@pytest.fixture
def without_memory(redis_server, r, settings):
    """The dashboard signs in as a user that may read but not run MEMORY or OBJECT."""
    r.acl_setuser("nomemory", enabled=True, passwords=["+pw"], keys=["*"],
                  commands=["+@read", "+@connection", "+info", "-memory", "-object"])
    settings.REDIS_URL = f"redis://nomemory:pw@127.0.0.1:{redis_server.port}/0"
    yield
    r.acl_deluser("nomemory")


def test_sizes_are_marked_as_estimates_without_memory(client, r, immediate, without_memory):
    _seed(r)
    run = start_analysis(db=0)
    assert run.state == "done" and run.result["memory_estimated"]
    html = client.get(reverse("keyspace:analysis-run", args=[0, run.pk])).content.decode()
    assert "refused <code>MEMORY USAGE</code>" in html
    assert "keys, <strong>~" in html
