"""The dashboard as users run it: a uvicorn subprocess (ASGI), reached over keep-alive HTTP."""

from __future__ import annotations

import http.client
import os
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.uvicorn_dashboard import ROOT, UvicornDashboard

BENCH_DIR = Path(__file__).resolve().parent


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


class DashboardProcess(UvicornDashboard):
    """The dashboard with the bench settings (bench_settings.py: a Server-Timing header and
    /bench/ping/), and the shell's DASHBOARD_* settings, if any."""

    def __init__(self, redis_url: str, work_dir: Path, name: str = "dashboard"):
        python_path = os.pathsep.join(
            p for p in (str(BENCH_DIR), str(ROOT), os.environ.get("PYTHONPATH", "")) if p
        )
        super().__init__(
            redis_url,
            work_dir,
            ready_path="/bench/ping/",
            name=name,
            uvicorn_args=("--log-level", "warning"),
            keep_dashboard_env=True,
            PYTHONPATH=python_path,
            DJANGO_SETTINGS_MODULE="bench_settings",
            DJANGO_DEBUG="false",
        )

    def memory_kb(self) -> dict[str, int]:
        """VmRSS (now) and VmHWM (peak so far) of the uvicorn process, in kB."""
        fields = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0])
        return fields
