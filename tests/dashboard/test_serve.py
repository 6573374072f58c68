"""`manage.py serve` as a newcomer runs it: no REDIS_URL, so a private seeded Redis, and
sign-in on, so a first user and a one-time sign-in link printed in the terminal."""

import http.cookiejar
import re
import select
import signal
import subprocess
import time
import urllib.parse
import urllib.request

import pytest
import redis

from tests.support.serve import kill_all, start_serve, stop, wait_for


def private_redis(output: str) -> redis.Redis:
    port = re.search(r"private redis-server on 127.0.0.1:([0-9]+)", output).group(1)
    return redis.Redis(port=int(port), socket_connect_timeout=1)


def is_up(client: redis.Redis) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


@pytest.fixture
def serve(tmp_path):
    def start(**extra_env):
        process, base = start_serve(tmp_path, **extra_env)
        started.append(process)
        return process, base

    started: list[subprocess.Popen] = []
    yield start, tmp_path
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                kill_all(process)


def read_until(process: subprocess.Popen, needle: str, timeout: float = 60) -> str:
    """Terminal output up to the first line containing `needle`."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Wait for output with the deadline: a silent, living process never blocks the test
        # (stdout is unbuffered, so no line can wait in Python's buffer unseen by select).
        ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        line = process.stdout.readline().decode()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if needle in line:
            return "".join(seen)
    raise AssertionError(f"{needle!r} never printed:\n{''.join(seen)}")


def sign_in_with_link(link: str):
    """Follow the printed link as a browser would: GET the page, POST its form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(link, timeout=5).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode()
    opener.open(urllib.request.Request(link, data=data, headers={"Referer": link}), timeout=5)
    return opener


def test_first_run_seeds_redis_creates_a_user_and_prints_a_sign_in_link(serve):
    start, var_dir = serve
    process, base = start()
    printed = read_until(process, "Sign in once with this link")
    assert "Seeding the private Redis with demo data" in printed
    assert f"Dashboard: {base}/" in printed
    anonymous = wait_for(f"{base}/c/default/db/0/", process)
    assert b"Sign in" in anonymous and b"user:" not in anonymous
    link = re.search(rf"({re.escape(base)}/sign-in/once/[A-Za-z0-9_-]+/)", printed).group(1)
    browser = sign_in_with_link(link)
    page = wait_for(f"{base}/c/default/db/0/?match=user:*", process, opener=browser)
    assert b"user:" in page
    output = printed + stop(process)
    assert not is_up(private_redis(output))
    assert (var_dir / "redis" / "dump.rdb").exists()

    again, base = start()
    output = read_until(again, "Sign in at")
    assert "Seeding" not in output and "/sign-in/once/" not in output
    wait_for(f"{base}/sign-in/", again)  # stop it once it serves, not while it starts
    stop(again)


def test_without_sign_in_it_serves_loopback_and_refuses_other_addresses(serve):
    start, _ = serve
    process, base = start(DASHBOARD_AUTH="off")
    namespaces = wait_for(f"{base}/c/default/db/0/namespaces/count/", process)
    assert b"leaderboard:" in namespaces
    stop(process)
    exposed, _ = start(DASHBOARD_AUTH="off", HOST="0.0.0.0")
    output, _ = exposed.communicate(timeout=60)
    assert exposed.returncode != 0
    assert b"will not listen on 0.0.0.0" in output


def test_it_refuses_to_listen_beyond_loopback_with_the_development_key(serve):
    start, _ = serve
    exposed, _ = start(HOST="0.0.0.0")
    output, _ = exposed.communicate(timeout=60)
    assert exposed.returncode != 0
    assert b"development secret key is in use" in output
    assert b"python3 -c 'import secrets; print(secrets.token_urlsafe(64))'" in output
