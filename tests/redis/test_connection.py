import asyncio

import pytest
import redis

from dashboard.local_redis import LocalRedis
from keyspace.redis.connection import RedisTarget, get_async_client, get_client, reset_pools
from keyspace.redis.profiles import Profile

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py


def test_connections_are_named_for_client_list(r):
    get_client(0).ping()
    names = [c["name"] for c in r.client_list()]
    assert "redis-dashboard" in names


def test_timeouts_come_from_settings(settings):
    settings.DASHBOARD_REDIS_CONNECT_TIMEOUT = 1.25
    settings.DASHBOARD_REDIS_SOCKET_TIMEOUT = 3.5
    kwargs = get_client(0).connection_pool.connection_kwargs
    assert kwargs["socket_connect_timeout"] == 1.25
    assert kwargs["socket_timeout"] == 3.5


def test_each_db_has_its_own_connection(r, r1):
    r1.set("only-in-1", "x")
    assert get_client(1).exists("only-in-1") == 1
    assert get_client(0).exists("only-in-1") == 0
    assert get_client(1) is not get_client(0)
    assert get_client(1).connection_pool is get_client(1).connection_pool


def test_username_password_and_db_in_the_url(settings, redis_server, r):
    r.acl_setuser("app", enabled=True, passwords=["+s3cret"], keys=["*"], commands=["+@all"])
    redis.Redis(port=redis_server.port, db=2).set("k", "in db 2")
    settings.REDIS_URL = f"redis://app:s3cret@127.0.0.1:{redis_server.port}/2"
    reset_pools()
    client = get_client()
    assert client.get("k") == b"in db 2"
    assert client.acl_whoami() == "app" or client.acl_whoami() == b"app"


@pytest.mark.parametrize(
    ("url", "address", "db"),
    [
        ("redis://:pw@example.com:6380/3", "example.com:6380", 3),
        ("rediss://user:pw@cache.internal/0", "cache.internal:6379", 0),
        ("unix:///run/redis.sock?db=4", "unix:/run/redis.sock", 4),
        ("redis://[::1]:7000", "[::1]:7000", 0),
    ],
)
def test_target_description_never_shows_the_password(url, address, db):
    target = RedisTarget(Profile(name="t", url=url))
    assert target.address == address
    assert target.default_db == db
    assert "pw" not in target.address


def test_unix_socket_url(tmp_path, settings):
    socket_path = tmp_path / "r.sock"
    server = LocalRedis(tmp_path, extra_args=("--unixsocket", str(socket_path))).start()
    try:
        settings.REDIS_URL = f"unix://{socket_path}?db=0"
        reset_pools()
        client = get_client()
        client.set("via", "socket")
        assert redis.Redis(port=server.port).get("via") == b"socket"
    finally:
        server.stop()


def test_async_client_uses_the_same_settings(r1):
    r1.set("k", "async")

    async def read():
        client = get_async_client(1)
        try:
            return await client.get("k"), await client.client_getname()
        finally:
            await client.aclose()

    value, name = asyncio.run(read())
    assert value == b"async"
    assert name in ("redis-dashboard", b"redis-dashboard")


def test_the_default_connection_follows_its_settings(settings, redis_server):
    from django.conf import settings as django_settings

    from keyspace.redis import profiles
    from keyspace.redis.connection import reset_pools

    assert profiles.default().label != "Orders"
    settings.DASHBOARD_DEFAULT_CONNECTION_LABEL = "Orders"
    assert profiles.default().label == "Orders"  # changed through override_settings
    assert profiles.default() is profiles.default()  # made once, not for every caller
    url = f"redis://127.0.0.1:{redis_server.port}/3"
    # As the run command sets REDIS_URL once its private Redis has started (the settings
    # fixture puts the original back after the test).
    django_settings.REDIS_URL = url
    reset_pools()
    assert profiles.default().url == url
