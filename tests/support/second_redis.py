"""A second real Redis for the tests of several connections: one per test session, with a
password (URL-hostile on purpose) and keyspace notifications on, as the live pages need."""

from __future__ import annotations

import pytest
import redis

from dashboard.local_redis import LocalRedis

PASSWORD = "s3cret-Pass/word:@"


@pytest.fixture(scope="session")
def second_server(tmp_path_factory):
    server = LocalRedis(tmp_path_factory.mktemp("second"),
                        extra_args=("--requirepass", PASSWORD,
                                    "--notify-keyspace-events", "KEA")).start()
    yield server
    server.stop()


@pytest.fixture
def second(second_server):
    """A client of the second server, emptied first."""
    client = redis.Redis(port=second_server.port, password=PASSWORD)
    client.flushall()
    yield client
    client.close()
