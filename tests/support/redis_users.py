"""The dashboard connected to the session's Redis as an ACL user of its own, for tests of what
such a user may see and do (the locked-down server in locked.py has a fixed set of them)."""

from __future__ import annotations

import contextlib

from keyspace.redis.connection import reset_pools


@contextlib.contextmanager
def connected_as(r, redis_server, settings, name: str, *rules: str):
    """Create the user `name` with `rules` (ACL SETUSER's), point the dashboard at the server
    as that user; removed after."""
    r.execute_command("ACL", "SETUSER", name, "reset", "on", ">pw", *rules)
    settings.REDIS_URL = f"redis://{name}:pw@127.0.0.1:{redis_server.port}/0"
    reset_pools()
    try:
        yield
    finally:
        r.execute_command("ACL", "DELUSER", name)
        reset_pools()
