"""Stream tests talk to the dashboard under uvicorn (see support.Dashboard), pointed at a Redis
the test controls."""

from __future__ import annotations

import pytest

from tests.services.pubsub.support import Dashboard, dashboard_clients, wait_until
from tests.support.server_config import config_restored

# Small batches and previews, so flood and cut-off tests are cheap; everything else is default.
SHARED_SETTINGS = {"DASHBOARD_PUBSUB_MAX_BATCH": "50", "DASHBOARD_PUBSUB_PREVIEW_BYTES": "256"}


@pytest.fixture(scope="session")
def _shared_dashboard(redis_server, tmp_path_factory):
    dashboard = Dashboard(redis_server.url, tmp_path_factory.mktemp("uvicorn"), **SHARED_SETTINGS)
    yield dashboard.start()
    dashboard.stop()


@pytest.fixture
def dashboard(_shared_dashboard, r):
    """The shared uvicorn process; each test leaves no stream and no subscriber behind."""
    yield _shared_dashboard
    _shared_dashboard.close_streams()
    wait_until(
        lambda: not [c for c in dashboard_clients(r) if c.get("flags", "").find("P") >= 0
                     or int(c.get("sub", 0)) or int(c.get("psub", 0))],
        5, message="dashboard subscribers gone after the test",
    )


@pytest.fixture
def start_dashboard(tmp_path):
    """Start a dedicated uvicorn with its own settings: start_dashboard(redis_url, **env)."""
    started: list[Dashboard] = []

    def start(redis_url: str, **settings: str) -> Dashboard:
        dashboard = Dashboard(redis_url, tmp_path, **settings)
        started.append(dashboard)
        return dashboard.start()

    yield start
    for dashboard in started:
        dashboard.stop()


@pytest.fixture
def tight_pubsub_buffer(r):
    """Redis cuts a subscriber off at 64 KB of unsent output (the default is 32 MB)."""
    with config_restored(r, "client-output-buffer-limit"):
        r.config_set("client-output-buffer-limit", "pubsub 64kb 32kb 60")
        yield
