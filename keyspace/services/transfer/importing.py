"""An import as a background job: the file is kept in its BulkJob row until the job ends (so
any worker process can read it), checked whole, then written with progress and a cancel flag."""

from __future__ import annotations

import time

from django.utils import timezone

from keyspace.access import audit
from keyspace.models import AuditEntry, BulkJob
from keyspace.redis import profiles
from keyspace.redis.connection import get_client
from keyspace.services.bulk.jobs import failure_text
from keyspace.services.transfer.load import ImportProblem, LoadOutcome, load, parse

PROGRESS_SECONDS = 0.5


def queue_import(*, db: int, payload: bytes, policy: str, user=None) -> BulkJob:
    """Check the file (ImportProblem if it cannot be imported), then queue its job."""
    from keyspace.tasks import bulk_job

    rows = parse(payload)
    job = BulkJob.objects.create(
        **profiles.job_scope(), db=db, action=BulkJob.IMPORT, mode=BulkJob.PATTERN,
        text="", payload=payload, policy=policy, keys_total=len(rows),
        requested_by=user if getattr(user, "pk", None) else None)
    queued = bulk_job.enqueue(job.pk)
    BulkJob.objects.filter(pk=job.pk).update(task_id=str(queued.id))
    job.refresh_from_db()
    return job


def run_import(job: BulkJob) -> dict:
    from keyspace.services.bulk.jobs import check_target

    rows = parse(bytes(job.payload or b""))
    try:
        # The file is written only to the server it was uploaded for.
        check_target(job)
        outcome = load(get_client(job.db), rows, job.policy, _reporter(job, len(rows)))
    except (ImportProblem, Exception) as exc:
        _finish(job, BulkJob.FAILED, LoadOutcome(), failure_text(exc)[:500])
        raise
    state = BulkJob.CANCELLED if outcome.cancelled else BulkJob.DONE
    _finish(job, state, outcome)
    return {"state": state, "written": outcome.written}


def _reporter(job: BulkJob, total: int):
    last = [0.0]

    def report(outcome: LoadOutcome) -> bool:
        if time.monotonic() - last[0] < PROGRESS_SECONDS:
            return False
        last[0] = time.monotonic()
        BulkJob.objects.filter(pk=job.pk).update(
            keys_total=total, keys_scanned=outcome.lines, keys_matched=outcome.keys,
            keys_changed=outcome.written, progressed=timezone.now())
        return BulkJob.objects.filter(pk=job.pk, cancel_requested=True).exists()

    return report


def _finish(job: BulkJob, state: str, outcome: LoadOutcome, error: str = "") -> None:
    note = (f"{outcome.skipped:,} kept as they were, {outcome.renamed:,} imported under "
            f"another name, {outcome.expired:,} already expired")
    if outcome.changed:
        note += (f", {outcome.changed:,} changed by another client while being written (left "
                 "as they were then)")
    detail = error or f"import ({job.policy}): {outcome.written:,} keys written; {note}"
    audit.record(job.requested_by, db=job.db, operation="bulk import", key=None,
                 outcome=AuditEntry.FAILED if error else AuditEntry.OK, detail=detail)
    BulkJob.objects.filter(pk=job.pk).update(
        state=state, finished=timezone.now(), progressed=timezone.now(),
        keys_scanned=outcome.lines, keys_matched=outcome.keys, keys_changed=outcome.written,
        note=note, error=error, payload=None)
