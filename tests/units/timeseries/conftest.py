"""The live tests start the module server (tests/support/module_server.py, RedisTimeSeries
loaded with OpenSSL 1.1 from a wheel); the tests of recorded replies need no server."""

import pytest

from tests.support.module_server import module_server, r, require_timeseries  # noqa: F401


@pytest.fixture
def live(module_server, settings):  # noqa: F811 - the fixture imported above
    """The dashboard pointed at the module server, emptied; skipped (failed where modules are
    required) when RedisTimeSeries could not be loaded."""
    import redis

    from keyspace.redis.connection import reset_pools

    require_timeseries(module_server)
    settings.REDIS_URL = module_server.url
    reset_pools()
    with redis.Redis(port=module_server.port) as client:
        client.flushall()
    yield module_server
    reset_pools()
