"""A locked-down Redis, as managed services and ACL-limited users present it: CONFIG,
MONITOR, DEBUG, KEYS, CLIENT and MEMORY renamed away (`rename-command NAME ""`), and ACL
users lacking more (a +@read user, a user limited to ~app:*, a user without TYPE).

The default user (no password) arranges data; the dashboard connects as one of the others.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import redis

from dashboard.local_redis import LocalRedis
from keyspace.redis.connection import reset_pools

RENAMED_AWAY = ("CONFIG", "MONITOR", "DEBUG", "KEYS", "CLIENT", "MEMORY")
PASSWORD = "locked-pw"
USERS = {
    # Reads only: no MULTI, SELECT, PING, INFO, ACL, nor any write.
    "reader": ("~*", "&*", "+@read"),
    # Everything, on its own keys only.
    "app": ("~app:*", "&*", "+@all"),
    # Everything but TYPE.
    "notype": ("~*", "&*", "+@all", "-type"),
    # Reads, and transactions, but no write command: Redis refuses each write itself.
    "readmulti": ("~*", "&*", "+@read", "+multi", "+exec", "+discard", "+watch", "+unwatch"),
    # Reads everything, writes only its own keys (Redis 7 read/write key patterns).
    "appwriter": ("%R~*", "%W~app:*", "&*", "+@all"),
    # Everything the server still has: the admin of a managed service.
    "admin": ("~*", "&*", "+@all"),
}


def start_locked(scratch: Path | None = None) -> LocalRedis:
    renames = [arg for name in RENAMED_AWAY for arg in ("--rename-command", name, "")]
    directory = Path(scratch or tempfile.mkdtemp(prefix="locked-redis-"))
    server = LocalRedis(directory, extra_args=tuple(renames)).start()
    admin = redis.Redis(port=server.port)
    for user, rules in USERS.items():
        admin.acl_setuser(user, enabled=True, passwords=[f"+{PASSWORD}"], reset=True)
        admin.execute_command("ACL", "SETUSER", user, *rules)
    admin.close()
    return server


def locked_url(server: LocalRedis, user: str, db: int = 0) -> str:
    return f"redis://{user}:{PASSWORD}@127.0.0.1:{server.port}/{db}"


def use_locked(settings, server: LocalRedis, user: str) -> None:
    """Point the dashboard at `server` as `user` (the autouse fixture has set it up first)."""
    settings.REDIS_URL = locked_url(server, user)
    reset_pools()


@pytest.fixture(scope="module")
def locked(tmp_path_factory):
    """A locked-down server of the test module's own (start_locked)."""
    server = start_locked(tmp_path_factory.mktemp("locked"))
    yield server
    server.stop()
