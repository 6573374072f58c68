"""A clean slate for recommendations: the server's settings restored after each test, and
command counters reset before it (the per-test FLUSHALL would otherwise always show)."""

from __future__ import annotations

import pytest

from keyspace.redis.connection import get_client
from keyspace.services.recommendations import recommendations_for
from tests.support.server_config import config_restored

TOUCHED = ("maxmemory", "maxmemory-policy", "save", "appendonly")


@pytest.fixture(autouse=True)
def server_settings(r, db):
    with config_restored(r, *TOUCHED):
        r.config_resetstat()
        yield


@pytest.fixture
def found():
    """{code: Recommendation} for db 0 as it is now, plus the whole result as `.result`."""

    def read(db: int = 0):
        result = recommendations_for(get_client(db), db)
        codes = {rec.code: rec for rec in result.found}
        codes["_result"] = result
        return codes

    return read


@pytest.fixture
def analysed():
    """Run a real analysis of `db` to its end, as the worker would (enqueued, then run)."""
    from keyspace.services.analysis.runs import run_analysis, start_analysis

    def run(db: int = 0):
        run = start_analysis(db=db)
        run_analysis(run.pk)

    return run
