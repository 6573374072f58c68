"""The Tasks database worker (`manage.py db_worker`) in a subprocess, as `make run` starts it,
on the test database (a file: a worker in another process cannot see an in-memory one)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager

from tests.support.uvicorn_dashboard import ROOT


def start_worker(*, db_path: str = "", redis_url: str, database_url: str = "",
                 ) -> subprocess.Popen:
    """The worker on the sqlite file `db_path`, or on the database at `database_url`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    env.update(DJANGO_SETTINGS_MODULE="dashboard.settings", REDIS_URL=redis_url,
               PYTHONUNBUFFERED="1")
    env.update({"DASHBOARD_DATABASE_URL": database_url} if database_url
               else {"DASHBOARD_DB_PATH": db_path})
    return subprocess.Popen(
        [sys.executable, "-m", "django", "db_worker", "--no-reload", "--no-startup-delay",
         "--interval", "0.1", "--verbosity", "0"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def wait_until(check, timeout: float = 120.0, interval: float = 0.05):
    """`check()`'s first true answer, polled; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(interval)
    raise AssertionError(f"not true within {timeout} s: {check}")


@contextmanager
def use_database_file(path: str):
    """Point this process's default database at the sqlite file `path` for a while (the
    in-memory test database stays open underneath and comes back after)."""
    from django.db import connections

    original = connections["default"]
    replacement = type(original)({**original.settings_dict, "NAME": path}, alias="default")
    with use_connection(replacement):
        yield


@contextmanager
def use_connection(replacement, *, close: bool = True):
    """Make `replacement` (a DatabaseWrapper) this process's default database for a while."""
    from django.db import connections

    original = connections["default"]
    connections["default"] = replacement
    try:
        yield
    finally:
        if close:
            replacement.close()
        connections["default"] = original


def empty_job_tables() -> None:
    from django_tasks_db.models import DBTaskResult

    from keyspace.models import AnalysisRun

    AnalysisRun.objects.all().delete()
    DBTaskResult.objects.all().delete()
