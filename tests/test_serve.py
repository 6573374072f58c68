"""`manage.py serve` as a newcomer runs it: no REDIS_URL, so a private seeded Redis."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import redis

from keyspace.local_redis import free_port

ROOT = Path(__file__).resolve().parent.parent


def wait_for(url: str, process: subprocess.Popen, timeout: float = 60) -> bytes:
    """GET `url` once the server answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stdout.read().decode())
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read()
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


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
    def start():
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        port = free_port()
        env.update(PORT=str(port), DASHBOARD_VAR_DIR=str(tmp_path), PYTHONUNBUFFERED="1")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process, f"http://127.0.0.1:{port}"

    started: list[subprocess.Popen] = []
    yield start, tmp_path
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(30)


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    return output.decode()


def test_serve_starts_a_private_seeded_redis_and_stops_it(serve):
    start, var_dir = serve
    process, base = start()
    page = wait_for(f"{base}/db/0/?match=user:*", process)
    assert b"user:" in page
    output = stop(process)
    assert f"Dashboard: {base}/" in output
    assert "Seeding the private Redis with demo data" in output
    assert not is_up(private_redis(output))
    assert (var_dir / "redis" / "dump.rdb").exists()

    again, base = start()
    namespaces = wait_for(f"{base}/db/0/namespaces/count/", again)
    assert b"leaderboard:" in namespaces
    output = stop(again)
    assert "Seeding" not in output
