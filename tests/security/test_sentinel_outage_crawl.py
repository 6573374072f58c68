"""Every page while the primary behind Sentinel is gone (tests/support/sentinel.py): the
pages a crawl reaches with the primary up are asked again with the primary and its replica
killed (so no failover can end it). No server error: each page is a 503 "Failing over" page
(or fragment) that retries by itself, or does not need Redis at all."""

from __future__ import annotations

import collections

import pytest

from keyspace.redis.connection import reset_pools
from tests.security.support import crawl, seed, start_pages
from tests.support.htmx import HTMX
from tests.support.sentinel import DATA_PASSWORD, start_replica_set

pytestmark = pytest.mark.sentinel


@pytest.fixture
def outage(tmp_path, settings):
    found = start_replica_set(tmp_path / "outage")
    settings.REDIS_URL = found.url
    reset_pools()
    yield found
    found.stop()
    reset_pools()


def test_every_page_during_an_outage_is_a_failing_over_page_never_a_500(client, outage):
    seed(outage.primary.port, DATA_PASSWORD)
    with outage.data_client(outage.primary.port) as primary:
        primary.wait(1, 2000)
    before = crawl(client, start_pages(), limit=300)
    assert collections.Counter(p.status for p in before.pages)[200] > 100

    outage.kill_primary()
    outage.replica.stop()
    statuses = collections.Counter()
    for page in before.pages:
        response = client.get(page.url, headers=HTMX if page.htmx else {})  # a 500 raises
        statuses[response.status_code] += 1
        # A page refused for its own reasons (a stream with no channel: 400) stays refused.
        assert response.status_code in (200, 503, page.status), (page.url, response.status_code)
        if response.status_code == 503 and "html" in response.get("Content-Type", ""):
            body = response.content.decode()
            assert "Failing over" in body and "data-failover-poll" in body, page.url
    assert statuses[503] > 100, statuses
