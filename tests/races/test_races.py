"""One-time sign-in links and confirmation tokens under racing requests, on a real SQLite file
(see run.py for why in a separate process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def observed(tmp_path_factory) -> dict:
    db_path = tmp_path_factory.mktemp("races") / "dashboard.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    result = subprocess.run([sys.executable, "-m", "tests.races.run", str(db_path)], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_racing_requests_with_one_link_sign_in_one_session(observed):
    race = observed["sign_in_link"]
    assert sorted(race["outcomes"]) == [[302, True]] + [[400, False]] * 3
    assert race["links_left"] == 0


def test_racing_requests_spend_a_confirmation_once(observed):
    race = observed["spend"]
    won = [nonce for result in race["won"] for nonce in result]
    assert all(isinstance(result, list) for result in race["won"]), race["won"]
    assert sorted(won) == sorted(race["nonces"])
