"""`make run` (manage.py serve) starts the Tasks worker with the dashboard and stops it with
the dashboard: one command, no service to start by hand."""

from __future__ import annotations

import os
import re

from tests.dashboard.test_serve import read_until, serve  # noqa: F401, F811 - the fixture
from tests.support.serve import stop


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped) is gone for our purpose.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ", 1)[1][0] != "Z"


def test_serve_starts_the_worker_and_stops_it(serve):  # noqa: F811
    start, _ = serve
    process, _base = start(DASHBOARD_AUTH="off")
    output = read_until(process, "Background worker started")
    pid = int(re.search(r"Background worker started \(pid ([0-9]+)\)", output).group(1))
    assert _alive(pid)
    read_until(process, "Dashboard:")
    stop(process)
    assert not _alive(pid)


def test_ctrl_c_while_it_starts_is_not_lost(serve):  # noqa: F811
    """Ctrl-C pressed before uvicorn is serving (here: as soon as it names its Redis) stops
    the dashboard cleanly, with its worker, instead of being lost in uvicorn's start-up or
    ending in a traceback."""
    start, _ = serve
    process, _base = start(DASHBOARD_AUTH="off")
    output = read_until(process, "Background worker started")
    pid = int(re.search(r"Background worker started \(pid ([0-9]+)\)", output).group(1))
    read_until(process, "Redis:")
    output = stop(process)
    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert not _alive(pid)
