"""Redis down, slow or refusing: a clear page with the right status, never a traceback."""

import os
import signal

import pytest
import redis

from dashboard.local_redis import LocalRedis, free_port
from keyspace.redis.connection import reset_pools
from tests.support.htmx import HTMX


@pytest.fixture
def own_redis(tmp_path, settings):
    """A server this test may stop, pause and restart, on a fixed port."""
    server = LocalRedis(tmp_path / "own").start()
    settings.REDIS_URL = server.url
    reset_pools()
    yield server
    if server.process and server.process.poll() is None:
        os.kill(server.process.pid, signal.SIGCONT)
    server.stop()


def test_redis_down_is_a_503_page_and_recovery_needs_no_restart(client, own_redis):
    redis.Redis(port=own_redis.port).set("k", "v")
    assert client.get("/c/default/db/0/").status_code == 200
    own_redis.stop()
    down = client.get("/c/default/db/0/")
    assert down.status_code == 503
    assert (
        f"cannot reach redis at 127.0.0.1:{own_redis.port}: connection refused"
        in down.content.decode()
    )
    assert b"Traceback" not in down.content
    own_redis.start()
    back = client.get("/c/default/db/0/")
    assert back.status_code == 200


def test_htmx_requests_get_the_error_in_the_banner(client, own_redis):
    own_redis.stop()
    response = client.get("/c/default/db/0/", headers=HTMX)
    assert response.status_code == 503
    assert response["HX-Retarget"] == "#error-banner"
    assert b"<html" not in response.content
    assert b"cannot reach redis" in response.content


def test_a_paused_redis_times_out_with_a_503(client, own_redis, settings):
    settings.DASHBOARD_REDIS_SOCKET_TIMEOUT = 0.3
    settings.DASHBOARD_REDIS_CONNECT_TIMEOUT = 0.3
    reset_pools()
    assert client.get("/c/default/db/0/").status_code == 200
    os.kill(own_redis.process.pid, signal.SIGSTOP)
    try:
        response = client.get("/c/default/db/0/")
    finally:
        os.kill(own_redis.process.pid, signal.SIGCONT)
    assert response.status_code == 503
    assert b"timed out" in response.content
    assert client.get("/c/default/db/0/").status_code == 200


def test_nothing_listening_is_a_503(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    reset_pools()
    response = client.get("/c/default/db/0/namespaces/count/")
    assert response.status_code == 503
    assert b"connection refused" in response.content


def test_wrong_password_is_explained(client, settings, redis_server, r):
    r.acl_setuser("someone", enabled=True, passwords=["+right"], keys=["*"], commands=["+@all"])
    settings.REDIS_URL = f"redis://someone:wrong@127.0.0.1:{redis_server.port}/0"
    reset_pools()
    response = client.get("/c/default/db/0/")
    assert response.status_code == 503
    assert b"authentication failed" in response.content
    assert b"wrong" not in response.content


def test_noperm_is_a_clear_not_permitted(client, settings, redis_server, r):
    r.acl_setuser(
        "noscan", enabled=True, passwords=["+pw"], keys=["*"], commands=["+@all", "-scan"]
    )
    settings.REDIS_URL = f"redis://noscan:pw@127.0.0.1:{redis_server.port}/0"
    reset_pools()
    response = client.get("/c/default/db/0/")
    assert response.status_code == 403
    assert b"not permitted" in response.content
    assert b"pw@" not in response.content


def test_missing_redis_url_is_explained(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/c/default/db/0/")
    assert response.status_code == 503
    assert b"REDIS_URL is not set" in response.content
