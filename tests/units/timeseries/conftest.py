"""The live tests start the module server (tests/support/module_server.py, RedisTimeSeries
loaded with OpenSSL 1.1 from a wheel); the tests of recorded replies need no server."""

import pytest

from tests.support.module_server import (  # noqa: F401 - fixtures
    dashboard_on,
    module_server,
    r,
    require_timeseries,
)


@pytest.fixture
def live(module_server, settings):  # noqa: F811 - the fixture imported above
    """The dashboard pointed at the module server, emptied; skipped (failed where modules are
    required) when RedisTimeSeries could not be loaded."""
    require_timeseries(module_server)
    with dashboard_on(module_server, settings):
        yield module_server
