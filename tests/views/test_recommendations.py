"""The Recommendations page: each recommendation with its why, keys, memory and links; sources
that could not be read said; key names escaped."""

from __future__ import annotations

import json

import pytest

from tests.support.htmx import HTMX
from tests.support.server_config import config_restored
from tests.units.helpers import XSS, XSS_ESCAPED

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py


@pytest.fixture(autouse=True)
def restored(r, db):
    with config_restored(r, "save", "appendonly", "maxmemory"):
        r.config_resetstat()
        yield


def test_the_page_lists_recommendations_with_their_facts(client, r):
    r.config_set("maxmemory", 0)
    r.set(f"user:{XSS}", json.dumps({"id": 1, "name": "a", "n": 5}, indent=4))
    body = client.get("/c/default/db/0/recommendations/").content.decode()
    assert 'id="rec-maxmemory-unset"' in body
    assert "Why it matters:" in body and "Memory at stake" in body
    assert 'id="rec-json-as-hashes"' in body
    assert XSS_ESCAPED in body and XSS not in body
    assert 'aria-current="page">Recommendations</a>' in body


def test_missing_sources_are_said(client, r, settings, redis_server):
    r.acl_setuser("limited", enabled=True, passwords=["+pw"], keys=["*"],
                  commands=["+@all", "-config", "-info"])
    try:
        settings.REDIS_URL = f"redis://limited:pw@127.0.0.1:{redis_server.port}/0"
        response = client.get("/c/default/db/0/recommendations/")
        body = response.content.decode()
        assert response.status_code == 200
        assert "Sources not read" in body
        assert "the Redis user may not run INFO" in body
        assert "the Redis user may not run CONFIG GET" in body
        assert "Not checked" in body and "maxmemory set: needs CONFIG GET" in body
    finally:
        r.acl_deluser("limited")


def test_redis_down_is_a_clear_page(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/c/default/db/0/recommendations/", headers=HTMX)
    assert response.status_code == 503
    assert "cannot reach redis" in response.content.decode()
