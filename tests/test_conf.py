"""keyspace.conf: one settings object, read at use time, with defaults that are documented and
shared by the standalone, and settings that are not understood stopping start-up."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from keyspace import conf
from keyspace.conf import SETTINGS, app_settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_read_when_asked_for(settings):
    settings.DASHBOARD_PAGE_SIZE = 7
    assert app_settings.PAGE_SIZE == 7
    del settings.DASHBOARD_PAGE_SIZE
    assert app_settings.PAGE_SIZE == 100  # the default once the project sets nothing


def test_an_unknown_name_is_an_error():
    with pytest.raises(AttributeError):
        app_settings.PAGE_SIZ  # noqa: B018


def test_the_app_reads_no_dashboard_setting_directly():
    direct = [f"{path.relative_to(ROOT)}:{n}" for path in (ROOT / "keyspace").rglob("*.py")
              if path.name != "conf.py"
              for n, line in enumerate(path.read_text().splitlines(), 1)
              if re.search(r"(?<!app_)settings\.(DASHBOARD_|REDIS_URL)", line)]
    assert direct == []


def test_the_standalone_defaults_are_the_apps():
    standalone = importlib.import_module("dashboard.settings")
    differ = [spec.setting for spec in SETTINGS.values()
              if spec.setting not in os.environ
              and getattr(standalone, spec.setting) != spec.default]
    assert differ == []


def test_the_readme_documents_every_setting_with_its_default():
    readme = (ROOT / "README.md").read_text()
    missing = [spec.setting for spec in SETTINGS.values()
               if not re.search(rf"\| `{spec.setting}`[^|]*\| [^|]*{_shown(spec.default)}",
                                readme)]
    assert missing == []


def _shown(default) -> str:
    if isinstance(default, bool):
        return "on" if default else "off"
    if isinstance(default, float):
        return f"`{default:g}`"
    return re.escape(f"`{default}`") if default != "" else "unset"


@pytest.mark.parametrize(("name", "value", "said"), [
    ("DASHBOARD_PAGE_SIZE", 0, "DASHBOARD_PAGE_SIZE=0 must be at least 1"),
    ("DASHBOARD_PAGE_SIZE", "100", "DASHBOARD_PAGE_SIZE='100' is not a whole number"),
    ("DASHBOARD_PAGE_SIZE", True, "DASHBOARD_PAGE_SIZE=True is not a whole number"),
    ("DASHBOARD_READONLY", "1", "DASHBOARD_READONLY='1' is not True or False"),
    ("DASHBOARD_AUTH", 0, "DASHBOARD_AUTH=0 is not True or False"),
    ("DASHBOARD_REDIS_SOCKET_TIMEOUT", 0, "must be above 0"),
    ("DASHBOARD_PUBSUB_INTERVAL", float("nan"), "is not a finite number"),
    ("DASHBOARD_MAX_PAGE_SIZE", 50, "DASHBOARD_PAGE_SIZE must not be above DASHBOARD_MAX_PAGE"),
    ("REDIS_URL", "localhost:6379", "REDIS_URL must start with redis://"),
    ("DASHBOARD_CLIENT_NAME", "my dashboard", "must not contain spaces"),
    ("DASHBOARD_NAMESPACE_DELIMITER", "", "must not be empty"),
    ("DASHBOARD_TLS_VERIFY", "maybe", "DASHBOARD_TLS_VERIFY='maybe' is not one of required, "
                                      "optional, none"),
    ("DASHBOARD_TLS_CA_FILE", "/nonexistent/ca.pem",
     "DASHBOARD_TLS_CA_FILE: no such file: /nonexistent/ca.pem"),
    ("DASHBOARD_TLS_CERT_FILE", "/nonexistent/client.pem",
     "DASHBOARD_TLS_CERT_FILE: no such file: /nonexistent/client.pem"),
    ("DASHBOARD_TLS_KEY_FILE", "/nonexistent/client.key",
     "DASHBOARD_TLS_KEY_FILE is set without DASHBOARD_TLS_CERT_FILE"),
    ("REDIS_URL", "rediss://cache:6380/0?ssl_cert_reqs=none",
     "REDIS_URL's ssl_cert_reqs parameter is not used: set DASHBOARD_TLS_VERIFY instead"),
    ("DASHBOARD_REDIS_PASSWORD_COMMAND", "no-such-program-8c1e --token",
     "'no-such-program-8c1e' is not an executable file"),
    ("DASHBOARD_REDIS_PASSWORD_COMMAND", "echo 'unclosed", "cannot be split into words"),
    ("DASHBOARD_REDIS_CREDENTIAL_PROVIDER", "nodots", "is not a dotted path"),
    ("DASHBOARD_REDIS_CREDENTIAL_PROVIDER", "keyspace.nowhere.Provider", "cannot be imported"),
    ("DASHBOARD_REDIS_CREDENTIAL_PROVIDER", "keyspace.conf.KiB",
     "is neither a CredentialProvider nor a callable"),
])
def test_a_setting_of_the_wrong_type_or_out_of_range_is_refused(settings, name, value, said):
    assert conf.problems() == []
    setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=re.escape(said)):
        conf.validate()


def test_numbers_may_be_whole_where_decimals_are_allowed(settings):
    settings.DASHBOARD_SCAN_BUDGET_MS = 0
    settings.DASHBOARD_PUBSUB_INTERVAL = 1
    assert conf.problems() == []


def test_tls_files_with_a_plain_url_are_refused(settings, tmp_path):
    """Fail closed: TLS files set for a redis:// URL would quietly send everything in clear."""
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    settings.DASHBOARD_TLS_CA_FILE = str(ca)
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    assert conf.problems() == ["DASHBOARD_TLS_* files are set but REDIS_URL is not rediss://: "
                               "the connection would not be encrypted"]
    settings.REDIS_URL = "rediss://127.0.0.1:6379/0"
    assert conf.problems() == []


def test_a_password_in_the_url_and_a_password_command_are_refused_together(settings):
    settings.DASHBOARD_REDIS_PASSWORD_COMMAND = "echo secret"
    settings.REDIS_URL = "redis://app:old@127.0.0.1:6379/0"
    assert conf.problems() == ["REDIS_URL has a password and a password command or credential "
                               "provider is set: leave the password out of the URL"]
    settings.REDIS_URL = "redis://app@127.0.0.1:6379/0"
    assert conf.problems() == []
    settings.DASHBOARD_REDIS_CREDENTIAL_PROVIDER = "tests.redis.test_credentials.password"
    assert conf.problems() == ["set DASHBOARD_REDIS_PASSWORD_COMMAND or "
                               "DASHBOARD_REDIS_CREDENTIAL_PROVIDER, not both"]


def test_a_missing_tls_file_stops_start_up():
    """In a real process, from the environment: the file is named, not a vague error later."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHBOARD_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="dashboard.settings", REDIS_URL="rediss://localhost:1/0",
               DASHBOARD_TLS_CA_FILE="/nonexistent/redis-ca.pem")
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "DASHBOARD_TLS_CA_FILE: no such file: /nonexistent/redis-ca.pem" in result.stderr


def test_a_bad_setting_stops_start_up():
    """In a real process: django.setup() (what manage.py, runserver and the ASGI application
    all do first) fails, naming the setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHBOARD_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="dashboard.settings", DASHBOARD_MAX_PAGE_SIZE="0")
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DASHBOARD_MAX_PAGE_SIZE=0 must be at least 1" in result.stderr


@pytest.mark.parametrize(("name", "value", "least"), [
    ("DASHBOARD_SIGNIN_FAILURES", "0", 1),  # every sign-in locked out
    ("DASHBOARD_SESSION_SECONDS", "-1", 60),
    ("DASHBOARD_ANONYMOUS_MAX_BODY_BYTES", "-1", 1024),  # no sign-in form gets through
    ("DASHBOARD_MAX_BODY_BYTES", "-1", 0),
])
def test_a_standalone_setting_out_of_range_stops_start_up(name, value, least):
    """The standalone's own settings (Django's, django-axes', the body cap) are range checked
    as the app's are."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHBOARD_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="dashboard.settings", **{name: value})
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert f"{name}={value} must be at least {least}" in result.stderr


@pytest.mark.parametrize(("url", "said"), [
    ("redis://127.0.0.1:6379/0?retry_on_timeout=true", "retry_on_timeout"),
    ("redis://127.0.0.1:6379/0?protocol=3", "protocol"),
    ("unix:///tmp/redis.sock?DB=1", "DB"),
])
def test_a_redis_url_option_redis_py_would_take_over_the_dashboards_stops_start_up(
        settings, url, said):
    settings.REDIS_URL = url
    assert conf.problems() == [f"REDIS_URL: the url's option(s) {said} cannot be used: redis-py "
                               "would take them over the dashboard's own connection settings "
                               "(only db, password, username may be given, in lower case)"]
    settings.REDIS_URL = "unix:///tmp/redis.sock?db=1"
    assert conf.problems() == []
