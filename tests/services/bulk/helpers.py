"""Bulk jobs made and run in the test's own process (the worker's code path, minus the queue)."""

from keyspace.models import BulkJob
from keyspace.redis import profiles
from keyspace.redis.keynames import encode_key
from keyspace.services.bulk.jobs import run_job


def job(action: str, mode: str, text: bytes, *, type_name: str = "", ttl=None, preview=None,
        user=None, db: int = 0) -> BulkJob:
    return BulkJob.objects.create(
        **profiles.job_scope(), db=db, action=action, mode=mode, text=encode_key(text),
        type_name=type_name, ttl_seconds=ttl, preview=preview, requested_by=user,
        confirmed_count=preview.keys_matched if preview else None)


def run(action: str, mode: str, text: bytes, **options) -> BulkJob:
    made = job(action, mode, text, **options)
    run_job(made.pk)
    made.refresh_from_db()
    return made
