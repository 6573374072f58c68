"""The bloom tests run against a real valkey-server with the module loaded."""

from tests.support.module_server import dashboard_redis, module_server, r  # noqa: F401
