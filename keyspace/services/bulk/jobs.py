"""Bulk jobs: a dry run first (count and sample), then the change it was confirmed for, each
a row (BulkJob) and a task for the worker; cancelled by a flag on the row.

A change needs its dry run and a confirmation bound to it (user, db, selection, action and
the count the user saw), so a forged POST cannot start one, and a replayed one is refused.
"""

from __future__ import annotations

from datetime import timedelta

import redis
from django.db import transaction
from django.utils import timezone

from keyspace.access import audit
from keyspace.conf import app_settings
from keyspace.models import AuditEntry, BulkJob
from keyspace.redis import profiles
from keyspace.redis.connection import get_client, target_address
from keyspace.redis.keynames import decode_key, encode_key
from keyspace.services.bulk import changes
from keyspace.services.bulk.passes import Progress, walk
from keyspace.services.bulk.selection import Selection
from keyspace.services.undo.capture import Capture
from keyspace.services.undo.records import keep

STALE_SECONDS = 30
QUEUED_STALE_SECONDS = 600


def selection_of(job: BulkJob) -> Selection:
    return Selection(job.mode, decode_key(job.text), job.type_name)


def start(*, db: int, action: str, selection: Selection, user=None, ttl_seconds=None,
          preview: BulkJob | None = None) -> BulkJob:
    """A job queued for the worker."""
    from keyspace.tasks import bulk_job

    abandon_stale_jobs()
    job = BulkJob.objects.create(
        **profiles.job_scope(), db=db, action=action, mode=selection.mode,
        text=encode_key(selection.text), type_name=selection.type_name,
        ttl_seconds=ttl_seconds, preview=preview,
        confirmed_count=preview.keys_matched if preview else None,
        requested_by=user if getattr(user, "pk", None) else None)
    queued = bulk_job.enqueue(job.pk)
    BulkJob.objects.filter(pk=job.pk).update(task_id=str(queued.id))
    job.refresh_from_db()
    return job


def abandon_stale_jobs() -> None:
    """Jobs whose worker stopped, or that no worker took, are failed; an import's file goes
    with them (it is kept only until its job ends)."""
    now = timezone.now()
    BulkJob.objects.filter(state=BulkJob.RUNNING,
                           progressed__lt=now - timedelta(seconds=STALE_SECONDS)).update(
        state=BulkJob.FAILED, finished=now, error="the worker stopped during the job",
        payload=None)
    BulkJob.objects.filter(state=BulkJob.QUEUED,
                           created__lt=now - timedelta(seconds=QUEUED_STALE_SECONDS)).update(
        state=BulkJob.FAILED, finished=now, payload=None,
        error="no worker picked the job up (is the worker running?)")


def cancel(job: BulkJob) -> None:
    BulkJob.objects.filter(pk=job.pk, state__in=BulkJob.ACTIVE).update(cancel_requested=True)
    BulkJob.objects.filter(pk=job.pk, state=BulkJob.QUEUED).update(
        state=BulkJob.CANCELLED, finished=timezone.now(), payload=None)


SLOT_MOVING = ("a slot of the cluster is being moved to another primary (resharding): run "
               "the job again once the move is over")


def failure_text(exc: Exception) -> str:
    """What a failed job says: a cluster's ASK or TRYAGAIN (a slot being moved, which the
    job's per-primary batches cannot follow) in words, anything else as it came."""
    if isinstance(exc, redis.exceptions.AskError | redis.exceptions.TryAgainError):
        return SLOT_MOVING
    return f"{exc.__class__.__name__}: {exc}"


def run_job(job_id: int) -> dict:
    """The task: claim the row, walk the selection, record how it ended."""
    claimed = BulkJob.objects.filter(pk=job_id, state=BulkJob.QUEUED,
                                     cancel_requested=False).update(
        state=BulkJob.RUNNING, started=timezone.now(), progressed=timezone.now())
    job = BulkJob.objects.get(pk=job_id)
    if not claimed:
        return {"state": job.state}
    if job.action == BulkJob.IMPORT:
        from keyspace.services.transfer.importing import run_import

        with profiles.for_job(job):
            return run_import(job)
    change = _change(job)
    progress = Progress()  # how far it got, kept when the pass fails midway
    try:
        with profiles.for_job(job):
            check_target(job)
            walk(get_client(job.db), selection_of(job), change, _reporter(job), progress)
    except Exception as exc:
        if change is not None:
            progress.changed = change.changed
        done = f" ({progress.changed:,} keys changed before)" if progress.changed else ""
        _finish(job, BulkJob.FAILED, progress, change, error=f"{failure_text(exc)}{done}"[:500])
        raise
    state = BulkJob.CANCELLED if progress.cancelled else BulkJob.DONE
    _finish(job, state, progress, change)
    return {"state": state, "changed": progress.changed}


def check_target(job: BulkJob) -> None:
    """Refuse to run a job on another server than the one it was made for (a worker whose
    settings name another Redis than the dashboard's)."""
    if target_address() != job.server:
        raise RuntimeError(f"the worker points at {target_address()}, not {job.server}")


def _change(job: BulkJob):
    if job.action == BulkJob.COUNT:
        return None
    options = {"keep_undo": (job.confirmed_count or 0) <= app_settings.BULK_UNDO_MAX_KEYS,
               "type_name": job.type_name or None}
    if job.action == BulkJob.DELETE:
        return changes.Delete(**options)
    if job.action == BulkJob.EXPIRE:
        return changes.Expire(job.ttl_seconds, **options)
    return changes.Persist(**options)


def _reporter(job: BulkJob):
    def report(progress: Progress) -> bool:
        BulkJob.objects.filter(pk=job.pk).update(
            keys_total=progress.population, keys_scanned=progress.scanned,
            keys_matched=progress.matched, keys_changed=progress.changed,
            progressed=timezone.now())
        return BulkJob.objects.filter(pk=job.pk, cancel_requested=True).exists()

    return report


def _finish(job: BulkJob, state: str, progress: Progress, change, error: str = "") -> None:
    undo_token, note = "", ""
    if change is not None:
        entry = _audit(job, state, progress, error)
        note = change.undo_note
        if change.kept and not change.undo_note:
            undo_token = keep(job.requested_by, db=job.db, capture=Capture(keys=change.kept),
                              entry=entry, summary=f"bulk: {progress.changed:,} keys "
                                                   f"{change.label}") or ""
    with transaction.atomic():
        BulkJob.objects.filter(pk=job.pk).update(
            state=state, finished=timezone.now(), progressed=timezone.now(),
            keys_total=progress.population, keys_scanned=progress.scanned,
            keys_matched=progress.matched, keys_changed=progress.changed,
            sample=[encode_key(key) for key in progress.sample], undo_token=undo_token,
            note=note, error=error)


def _audit(job: BulkJob, state: str, progress: Progress, error: str):
    outcome = {BulkJob.DONE: AuditEntry.OK, BulkJob.CANCELLED: AuditEntry.OK}.get(
        state, AuditEntry.FAILED)
    said = "cancelled after " if state == BulkJob.CANCELLED else ""
    detail = f"{selection_of(job).describe()}: {said}{progress.changed:,} keys changed"
    return audit.record(job.requested_by, db=job.db, operation=f"bulk {job.action}",
                        key=None, outcome=outcome, detail=(error or detail))
