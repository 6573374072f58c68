from __future__ import annotations

import pytest

from tests.security.support import Snapshot, WriteCounter, seed


@pytest.fixture
def port(redis_server) -> int:
    return redis_server.port


@pytest.fixture
def seeded(port) -> Snapshot:
    """The small keyspace of support.seed, and its snapshot."""
    seed(port)
    return Snapshot.take(port)


@pytest.fixture
def writes(port):
    counter = WriteCounter(port)
    yield counter
    counter.close()
