"""A private PostgreSQL server for the tests: Debian's `postgresql` package, a fresh cluster
(initdb) in a temporary directory, listening only on a unix socket there, stopped by PID.

PostgreSQL refuses to run as root: as root, the cluster's directory is handed to the
`postgres` user (which the Debian package creates) and the server runs as that user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from dashboard.local_redis import free_port

USER = "dashboard"  # the database role the tests connect as (made by initdb, trusted locally)


def binaries() -> Path | None:
    """The directory of initdb, pg_ctl and postgres, or None without PostgreSQL."""
    found = shutil.which("pg_ctl")
    if found and Path(found).resolve().with_name("initdb").exists():
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                      key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(versions[-1]).parent if versions else None


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError("PostgreSQL cannot run as root and there is no postgres user") from None
    return "postgres"


class LocalPostgres:
    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="dashboard-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.user = _run_as()
        self.started = False

    def _call(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        done = subprocess.run(args, user=self.user, capture_output=True, text=True,
                              timeout=timeout, cwd=self.dir)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done

    def start(self) -> LocalPostgres:
        if self.user:
            os.chmod(self.dir, 0o755)
            shutil.chown(self.dir, self.user, self.user)
        self._call(str(self.bin / "initdb"), "-D", str(self.data), "-U", USER,
                   "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
        # Durability is not what is tested: no fsync, so the suite stays quick.
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses='' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
        self._call(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                   str(self.dir / "server.log"), "-o", options, "-w", "-t", "60", "start")
        self.started = True
        return self

    @property
    def pid(self) -> int | None:
        pid_file = self.data / "postmaster.pid"
        return int(pid_file.read_text().split()[0]) if pid_file.exists() else None

    def create_database(self, name: str) -> str:
        """A new, empty database; its URL (DASHBOARD_DATABASE_URL's form)."""
        self.psql("postgres", f'CREATE DATABASE "{name}"')
        return self.url(name)

    def psql(self, database: str, sql: str) -> str:
        return subprocess.run(
            ["psql", "-h", str(self.dir), "-p", str(self.port), "-U", USER, "-d", database,
             "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
            capture_output=True, text=True, timeout=60, check=True).stdout

    def url(self, name: str) -> str:
        return f"postgresql://{USER}@/{name}?host={quote(str(self.dir))}&port={self.port}"

    def stop(self) -> None:
        if self.started:
            pid = self.pid
            try:
                self._call(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                           "-w", "stop", timeout=30)
            except (RuntimeError, subprocess.TimeoutExpired):
                if pid:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, 9)
            deadline = time.monotonic() + 10
            while pid and time.monotonic() < deadline and _alive(pid):
                time.sleep(0.05)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
