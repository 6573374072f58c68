"""Runs through the real Tasks worker (another process, fed through the database): a
100,000-key analysis to the end (with the dashboard's database on SQLite and on PostgreSQL,
whose JSON column is jsonb), and a cancellation that reaches it from here."""

from __future__ import annotations

import pytest

from keyspace.models import AnalysisRun
from keyspace.services.analysis.results import latest_report
from keyspace.services.analysis.runs import cancel_analysis, start_analysis
from tests.support.worker import wait_until

KEYS = 100_000


@pytest.fixture
def hundred_thousand_keys(r):
    for start in range(0, KEYS, 2000):  # MSET: a hundred commands, not a hundred thousand
        r.mset({f"user:{i % 500}:session:{i}".encode(): b"v" * (i % 50)
                for i in range(start, start + 2000)})
    r.expire(b"user:1:session:1", 30)
    assert r.dbsize() == KEYS


def _state(run_id: int) -> AnalysisRun:
    return AnalysisRun.objects.get(pk=run_id)


def test_a_hundred_thousand_keys_to_the_end(jobs_database, hundred_thousand_keys):
    run = start_analysis(db=0)
    assert run.state == "queued" and run.task_id
    done = wait_until(lambda: (s := _state(run.pk)).state not in AnalysisRun.ACTIVE and s)
    assert done.state == "done", done.error
    assert done.keys_done == KEYS and done.keys_total == KEYS
    report = latest_report(0)
    assert report.run.pk == run.pk and not report.estimated and not report.memory_estimated
    assert report.keys == KEYS
    user = report.namespace(b"user:")
    assert user.keys == KEYS and len(user.children) == 500
    assert report.ttl_buckets[1].keys == 1
    assert report.expiring_soonest[0].key == b"user:1:session:1"
    assert report.memory > KEYS * 40 and report.info_memory["used_memory"] > report.memory / 2


def test_a_cancellation_from_this_process_stops_the_worker(worker_db, hundred_thousand_keys):
    run = start_analysis(db=0)
    wait_until(lambda: _state(run.pk).state == "running")
    cancel_analysis(_state(run.pk))
    ended = wait_until(lambda: (s := _state(run.pk)).state not in AnalysisRun.ACTIVE and s,
                       timeout=30)
    assert ended.state == "cancelled"
    assert 0 < ended.keys_done < KEYS
    assert latest_report(0) is None  # a stopped run is not a report


def test_a_sample_is_an_estimate_with_its_error(worker_db,
                                                hundred_thousand_keys):
    run = start_analysis(db=0, sample_size=10_000)
    done = wait_until(lambda: (s := _state(run.pk)).state not in AnalysisRun.ACTIVE and s)
    assert done.state == "done", done.error
    report = latest_report(0)
    assert report.estimated and report.sample_keys == 10_000
    assert report.keys == KEYS  # scaled to DBSIZE
    assert 0 < report.memory_margin < report.memory / 10
    user = report.namespace(b"user:")
    assert abs(user.keys - KEYS) <= report.margin(user.keys) + 1
