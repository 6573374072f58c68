"""Switches fail closed: a value that is not understood stops start-up with an error naming
the variable and the accepted values, in a real process that loads the settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SWITCHES = ["DASHBOARD_AUTH", "DASHBOARD_READONLY", "DJANGO_DEBUG"]


def load_settings(**env_vars: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DASHBOARD_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="dashboard.settings", **env_vars)
    code = ("import django; django.setup(); from django.conf import settings; "
            "print('auth', settings.DASHBOARD_AUTH, 'readonly', settings.DASHBOARD_READONLY)")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", SWITCHES)
@pytest.mark.parametrize("value", ["enabled", "y", "", "disable", "0n"])
def test_an_unknown_switch_value_stops_start_up(name, value):
    result = load_settings(**{name: value})
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name}={value!r} is not understood" in result.stderr
    assert "1, true, yes, on" in result.stderr and "0, false, no, off" in result.stderr


@pytest.mark.parametrize(("value", "expected"), [("off", "False"), ("NO", "False"),
                                                 (" 0 ", "False"), ("on", "True"),
                                                 ("True", "True")])
def test_known_switch_values_are_read(value, expected):
    result = load_settings(DASHBOARD_AUTH=value, DASHBOARD_READONLY=value)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["auth", expected, "readonly", expected]


def test_a_number_that_is_not_one_names_its_variable():
    result = load_settings(DASHBOARD_PAGE_SIZE="lots")
    assert result.returncode != 0
    assert "DASHBOARD_PAGE_SIZE='lots' is not a whole number" in result.stderr
