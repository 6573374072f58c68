"""Live tests need keyspace notifications on in the test Redis (and put them back after)."""

from __future__ import annotations

import pytest

from tests.services.live.support import Watch, watch


@pytest.fixture
def notifications_on(notifications, settings):
    settings.DASHBOARD_LIVE_INTERVAL = 0.05


@pytest.fixture
def watching(notifications_on, r):
    """`watching(key, request=None)`: a started watch, stopped after the test."""
    started: list[Watch] = []

    def start(key: bytes, request=None) -> Watch:
        w = watch(r, key, request)
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()
