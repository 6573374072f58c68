"""Background jobs, run through Django's Tasks framework (the django-tasks backport on 5.2).

Which backend runs them is the project's TASKS setting: the database backend and its
`db_worker` by default, RQ or another queue by configuration alone. A job's own state and
progress live in the dashboard's tables (AnalysisRun), so every backend behaves the same.
"""

from __future__ import annotations

from django_tasks import task


@task()
def analyse_database(run_id: int) -> dict:
    """The analysis pass of one AnalysisRun (see keyspace.services.analysis.runs)."""
    from keyspace.services.analysis.runs import run_analysis

    return run_analysis(run_id)


@task()
def bulk_job(job_id: int) -> dict:
    """A bulk job: a dry run or a change (see keyspace.services.bulk.jobs)."""
    from keyspace.services.bulk.jobs import run_job

    return run_job(job_id)
