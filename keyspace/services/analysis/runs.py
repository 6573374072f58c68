"""Analysis runs: start one (a row, then a job for the worker), follow it, cancel it.

The job runs wherever the Tasks backend runs jobs (the db_worker by default); everything a
page needs to know about it is in its AnalysisRun row, so any dashboard process can show its
progress, and a cancellation is a flag on that row the job reads between steps.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from keyspace.conf import app_settings
from keyspace.models import AnalysisRun
from keyspace.redis import per_primary, profiles
from keyspace.redis.connection import get_client, target_address

from .results import RESULT_VERSION
from .scan_pass import analyse
from .tally import Tally

ERROR_CHARS = 500
# A running job reports at least every half second: one silent this long lost its worker
# (stopped with the dashboard, or killed), and a queued one this long has none.
STALE_SECONDS = 30
QUEUED_STALE_SECONDS = 600


class AnalysisError(Exception):
    """The run cannot go on (said in words a user can act on)."""


def start_analysis(*, db: int, sample_size: int | None = None, user=None) -> AnalysisRun:
    """A new run of `db` queued for the worker, or the one already under way there."""
    from keyspace.tasks import analyse_database

    scope = profiles.job_scope()
    abandon_stale_runs()
    with transaction.atomic():
        active = AnalysisRun.objects.filter(**scope, db=db,
                                            state__in=AnalysisRun.ACTIVE).first()
        if active is not None:
            return active
        run = AnalysisRun.objects.create(
            **scope, db=db, delimiter=app_settings.NAMESPACE_DELIMITER,
            sample_size=sample_size, requested_by=user if getattr(user, "pk", None) else None,
        )
    queued = analyse_database.enqueue(run.pk)
    AnalysisRun.objects.filter(pk=run.pk).update(task_id=str(queued.id))
    run.refresh_from_db()
    return run


def abandon_stale_runs() -> None:
    """Runs whose job stopped answering are over: say so, so a new one can start."""
    now = timezone.now()
    AnalysisRun.objects.filter(state=AnalysisRun.RUNNING,
                               progressed__lt=now - timedelta(seconds=STALE_SECONDS)).update(
        state=AnalysisRun.FAILED, finished=now, error="the worker stopped during the run")
    AnalysisRun.objects.filter(state=AnalysisRun.QUEUED,
                               created__lt=now - timedelta(seconds=QUEUED_STALE_SECONDS)).update(
        state=AnalysisRun.FAILED, finished=now,
        error="no worker picked the run up (is the worker running?)")


def cancel_analysis(run: AnalysisRun) -> None:
    """Ask the job to stop; one not started yet is cancelled at once."""
    AnalysisRun.objects.filter(pk=run.pk, state__in=AnalysisRun.ACTIVE).update(
        cancel_requested=True)
    AnalysisRun.objects.filter(pk=run.pk, state=AnalysisRun.QUEUED).update(
        state=AnalysisRun.CANCELLED, finished=timezone.now())


def run_analysis(run_id: int) -> dict:
    """The job: the pass over the run's database, its progress and result in the row."""
    run = AnalysisRun.objects.get(pk=run_id)
    claimed = AnalysisRun.objects.filter(pk=run.pk, state=AnalysisRun.QUEUED,
                                         cancel_requested=False).update(
        state=AnalysisRun.RUNNING, started=timezone.now(), progressed=timezone.now())
    if not claimed:
        return {"state": AnalysisRun.objects.get(pk=run.pk).state}
    try:
        with profiles.for_job(run):
            outcome, tally, info = _pass(run)
    except Exception as exc:
        _finish(run, AnalysisRun.FAILED, error=_said(exc))
        raise
    state = AnalysisRun.CANCELLED if outcome.cancelled else AnalysisRun.DONE
    result = tally.report() | _about(run, outcome, info)
    _finish(run, state, result=result, keys_done=outcome.scanned,
            keys_total=outcome.population)
    return {"state": state, "keys": outcome.scanned}


def _pass(run: AnalysisRun):
    if target_address() != run.server:
        raise AnalysisError(f"the worker points at {target_address()}, not {run.server}: "
                            "start it with the dashboard's REDIS_URL")
    client = get_client(run.db)
    tally = Tally(run.delimiter.encode("utf-8"), app_settings.ANALYSIS_MAX_NAMESPACES,
                  app_settings.NAMESPACE_MAX_FOLDERS)

    def progress(done: int, total: int) -> bool:
        AnalysisRun.objects.filter(pk=run.pk).update(
            keys_done=done, keys_total=total, progressed=timezone.now())
        return AnalysisRun.objects.filter(pk=run.pk, cancel_requested=True).exists()

    try:
        progress(0, per_primary.population(client))
        outcome = analyse(client, tally, memory_samples=app_settings.ANALYSIS_MEMORY_SAMPLES,
                          sample_size=run.sample_size, on_progress=progress)
        return outcome, tally, _info_memory(client)
    finally:
        # A worker waits idle between jobs: it keeps no connection to the Redis it inspects.
        for node in per_primary.nodes(client):
            node.client.connection_pool.disconnect()


_SUMMED = ("used_memory", "used_memory_dataset", "used_memory_overhead", "used_memory_rss")


def _info_memory(client) -> dict:
    """What the server says it uses, to set beside what the pass accounted for; in a cluster,
    the primaries' figures added up (a ratio is one node's, so it is left out)."""
    nodes = per_primary.nodes(client)
    try:
        infos = [node.client.info("memory") for node in nodes]
    except Exception:  # noqa: BLE001 - an ACL user may not have INFO: the page says so
        return {}
    if len(infos) == 1:
        wanted = (*_SUMMED, "mem_fragmentation_ratio")
        return {name: infos[0][name] for name in wanted if name in infos[0]}
    return {name: sum(info[name] for info in infos) for name in _SUMMED
            if all(name in info for info in infos)}


def _about(run: AnalysisRun, outcome, info: dict) -> dict:
    sampled = run.sample_size is not None and outcome.scanned < outcome.population
    return {
        "version": RESULT_VERSION,
        "sampled": sampled,
        "scale": outcome.population / outcome.scanned if sampled and outcome.scanned else 1.0,
        "population": outcome.population,
        "memory_estimated": not outcome.memory_measured,
        "encodings_known": outcome.encodings_known,
        "unreadable": outcome.unreadable,
        "seconds": round(outcome.seconds, 3),
        "memory_samples": app_settings.ANALYSIS_MEMORY_SAMPLES,
        "info_memory": info,
    }


def _finish(run: AnalysisRun, state: str, **fields) -> None:
    AnalysisRun.objects.filter(pk=run.pk).update(state=state, finished=timezone.now(),
                                                 progressed=timezone.now(), **fields)


def _said(exc: Exception) -> str:
    return (str(exc) or type(exc).__name__)[:ERROR_CHARS]
