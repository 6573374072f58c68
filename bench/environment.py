"""What else moves the numbers: load from other processes on the machine, and app code that
is not what HEAD says (the benchmark runs the working tree)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_PATHS = ("keyspace", "dashboard", "templates", "static")


def describe_environment() -> str:
    load = Path("/proc/loadavg").read_text().split()[0]
    try:
        head = _git("rev-parse", "--short", "HEAD").strip()
        dirty = _git("status", "--porcelain", "--", *APP_PATHS).splitlines()
    except (OSError, subprocess.CalledProcessError):
        return f"load average {load} ({os.cpu_count()} CPUs); not a git checkout"
    changes = f" + {len(dirty)} uncommitted app files" if dirty else ""
    return f"load average {load} ({os.cpu_count()} CPUs); app at {head}{changes}"


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
