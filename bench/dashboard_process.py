"""The dashboard as users run it: a uvicorn subprocess (ASGI), reached over keep-alive HTTP."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from dashboard.local_redis import free_port

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


@dataclass(frozen=True)
class Response:
    status: int
    body: str
    wall_ms: float
    server_ms: float


class HttpClient:
    """One persistent connection, like a browser tab; reconnects if the server closed it."""

    def __init__(self, port: int):
        self.port = port
        self._conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        started = time.perf_counter()
        try:
            response = self._request(path, headers or {})
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self._conn.close()
            response = self._request(path, headers or {})
        body = response.read().decode("utf-8", "replace")
        wall_ms = (time.perf_counter() - started) * 1000
        return Response(response.status, body, wall_ms, _server_ms(response))

    def _request(self, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
        self._conn.request("GET", path, headers=headers)
        return self._conn.getresponse()

    def close(self) -> None:
        self._conn.close()


def _server_ms(response: http.client.HTTPResponse) -> float:
    timing = response.getheader("Server-Timing", "")
    _, _, duration = timing.partition("dur=")
    return float(duration) if duration else float("nan")


class DashboardProcess:
    """`python -m uvicorn dashboard.asgi:application` with the bench settings."""

    def __init__(self, redis_url: str, work_dir: Path, name: str = "dashboard"):
        self.redis_url = redis_url
        self.work_dir = work_dir
        self.name = name
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = work_dir / f"{name}.log"

    def start(self, timeout: float = 30.0) -> DashboardProcess:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "dashboard.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--lifespan",
            "off",
            "--no-access-log",
            "--log-level",
            "warning",
            "--timeout-graceful-shutdown",
            "2",
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self._environment(), stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_until_ready(timeout)
        return self

    def _environment(self) -> dict[str, str]:
        python_path = os.pathsep.join(
            p for p in (str(BENCH_DIR), str(ROOT), os.environ.get("PYTHONPATH", "")) if p
        )
        return {
            **os.environ,
            "PYTHONPATH": python_path,
            "DJANGO_SETTINGS_MODULE": "bench_settings",
            "REDIS_URL": self.redis_url,
            "DASHBOARD_VAR_DIR": str(self.work_dir),
            "DJANGO_DEBUG": "false",
            # The benchmark measures pages, not sign-in (it listens on loopback only).
            "DASHBOARD_AUTH": "off",
        }

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.log_tail()}")
            status = self._ping()
            if status == 200:
                return
            if status is not None:  # it answers, but the app is broken (an import error, say)
                raise RuntimeError(f"{self.name} answered {status} at start:\n{self.log_tail()}")
            time.sleep(0.05)
        raise TimeoutError(f"{self.name} did not answer within {timeout} s:\n{self.log_tail()}")

    def _ping(self) -> int | None:
        client = HttpClient(self.port)
        try:
            return client.get("/bench/ping/").status
        except OSError:
            return None
        finally:
            client.close()

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def memory_kb(self) -> dict[str, int]:
        """VmRSS (now) and VmHWM (peak so far) of the uvicorn process, in kB."""
        fields = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0])
        return fields

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
