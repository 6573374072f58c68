"""`manage.py serve`, the run command, started as a person starts it from a clean shell: no
REDIS_URL, no secret key and no DASHBOARD_* settings unless a test passes them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from dashboard.local_redis import free_port
from tests.support.uvicorn_dashboard import ROOT

_NOT_INHERITED = ("REDIS_URL", "DJANGO_SECRET_KEY")


def start_serve(var_dir: Path, **env: str) -> tuple[subprocess.Popen, str]:
    """The running command (its terminal output on stdout) and the address it serves."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items()
             if k not in _NOT_INHERITED and not k.startswith("DASHBOARD_")}
    clean.update(PORT=str(port), DASHBOARD_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1", **env)
    # A session of its own: if it hangs, it and whatever it started (the Tasks worker, which
    # holds its output open) are killed together instead of leaving the test waiting for EOF.
    process = subprocess.Popen([sys.executable, "manage.py", "serve"], cwd=ROOT, env=clean,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True, bufsize=0)  # unbuffered: see read_until
    return process, f"http://127.0.0.1:{port}"


def kill_all(process: subprocess.Popen) -> bytes:
    """Kill `process` and everything in its session; what it printed, read to the end."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        return b""
    return output


def wait_for(url: str, process: subprocess.Popen, timeout: float = 60, opener=None) -> bytes:
    """GET `url` once the server answers it with a success."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stdout.read().decode())
        try:
            with (opener or urllib.request.build_opener()).open(url, timeout=5) as response:
                return response.read()
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def stop(process: subprocess.Popen) -> str:
    """Ctrl-C, as a person stops it; everything it printed."""
    process.send_signal(signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        output = kill_all(process)
        raise AssertionError(f"serve did not stop on Ctrl-C:\n{output.decode()[-3000:]}") from None
    return output.decode()
