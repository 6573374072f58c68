"""The dashboard under uvicorn in a subprocess on a free loopback port: the one way the tests
and the benchmarks start it. Streams only flow under ASGI (runserver, live_server and the
test client buffer an async streaming response whole), and the benchmarks measure the
dashboard as users run it."""

from __future__ import annotations

import atexit
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Collection
from pathlib import Path

from dashboard.local_redis import free_port

ROOT = Path(__file__).resolve().parents[2]
APP = "dashboard.asgi:application"
# No proxy: one named in the environment would never reach a loopback server.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


_migrated: Path | None = None


def migrated_sqlite() -> Path:
    """A SQLite file with every migration applied and the cache table made, once per test
    process: each dashboard started without a database of its own starts on a copy."""
    global _migrated
    if _migrated is None:
        folder = tempfile.mkdtemp(prefix="dashboard-db-")
        atexit.register(shutil.rmtree, folder, True)
        path = Path(folder) / "migrated.sqlite3"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
        env.update(DJANGO_SETTINGS_MODULE="dashboard.settings", DASHBOARD_DB_PATH=str(path))
        for command in (["migrate", "--noinput", "-v", "0"], ["createcachetable"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env,
                           check=True, capture_output=True, timeout=120)
        _migrated = path
    return _migrated


class UvicornDashboard:
    """`python -m uvicorn dashboard.asgi:application` on 127.0.0.1. `start()` returns once a
    GET of `ready_path` answers one of `ready_statuses`; `stop()` ends the process.

    The environment is the caller's without its `DASHBOARD_*` settings (unless
    `keep_dashboard_env`), plus the Redis URL, `var_dir` for the dashboard's files, sign-in
    off (the server listens on loopback only; pass `DASHBOARD_AUTH="on"` to have it) and
    whatever `env` adds or overrides."""

    def __init__(
        self,
        redis_url: str,
        var_dir: Path,
        *,
        ready_path: str = "/",
        ready_statuses: Collection[int] = (200,),
        app: str = APP,
        name: str = "uvicorn",
        uvicorn_args: tuple[str, ...] = (),
        keep_dashboard_env: bool = False,
        **env: str,
    ) -> None:
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.var_dir = Path(var_dir)
        self.log_path = self.var_dir / f"{name}-{self.port}.log"
        self.ready_path = ready_path
        self.ready_statuses = ready_statuses
        self.process: subprocess.Popen | None = None
        inherited = {
            k: v for k, v in os.environ.items()
            if keep_dashboard_env or not k.startswith("DASHBOARD_")
        }
        self.env = {
            **inherited,
            "REDIS_URL": redis_url,
            "DJANGO_SETTINGS_MODULE": "dashboard.settings",
            "DASHBOARD_VAR_DIR": str(self.var_dir),
            "DASHBOARD_AUTH": "off",
            "PYTHONUNBUFFERED": "1",
            **{k: str(v) for k, v in env.items()},
        }
        self.command = [
            sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port",
            str(self.port), "--timeout-graceful-shutdown", "2", "--lifespan", "off",
            "--no-access-log", *uvicorn_args,
        ]

    def manage(self, *args: str) -> str:
        """`manage.py ARGS` in the server's environment (its database, its Redis); stdout."""
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    def start(self, timeout: float = 30.0) -> UvicornDashboard:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        own = self.var_dir / "dashboard.sqlite3"
        if not ({"DASHBOARD_DB_PATH", "DASHBOARD_DATABASE_URL"} & self.env.keys()
                or own.exists()):
            shutil.copyfile(migrated_sqlite(), own)  # stream slots and jobs live there
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT)
        try:
            self._wait_until_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.log()}")
            status = self._probe()
            if status in self.ready_statuses:
                return
            if status is not None:  # it answers, but the app is broken (an import error, say)
                raise RuntimeError(f"{self.name} answered {status} at start:\n{self.log()}")
            time.sleep(0.05)
        raise TimeoutError(f"{self.name} did not answer within {timeout} s:\n{self.log()}")

    def _probe(self) -> int | None:
        """The status of one GET of `ready_path` (the body is not read: it may be a stream),
        or None while nothing answers."""
        try:
            with _OPENER.open(self.base + self.ready_path, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            error.close()
            return error.code
        except (OSError, http.client.HTTPException):
            return None

    def log(self, chars: int | None = 5000) -> str:
        """The server's output: its last `chars` characters, or all of it."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text[-chars:] if chars else text

    def stop(self) -> None:
        """Stop the server (gracefully, then by force); safe to call more than once."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
