"""sentinel:// URLs as REDIS_URL: what they say, and start-up refusing the ones that cannot
work (fail closed). The servers themselves are in tests/views/test_sentinel.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from keyspace import conf
from keyspace.redis import sentinel
from keyspace.redis.connection import current_target, target_address

ROOT = Path(__file__).resolve().parents[2]


def test_several_sentinels_passwords_and_the_db():
    spec = sentinel.parse("redis+sentinel://app:p%40ss@s1:26379,[::1]:26380,s3/2"
                          "?master_name=orders&sentinel_password=sp&sentinel_username=watch")
    assert spec.sentinels == (("s1", 26379), ("::1", 26380), ("s3", 26379))
    assert (spec.service, spec.db, spec.username, spec.password) == ("orders", 2, "app", "p@ss")
    assert (spec.sentinel_username, spec.sentinel_password) == ("watch", "sp")
    assert not spec.tls and sentinel.parse(
        "sentinel://s1/0?service_name=orders&tls=true").tls
    assert sentinel.parse("sentinel://s1:26379/0?master=orders").service == "orders"


def test_the_shown_address_names_the_service_never_a_password(settings):
    settings.REDIS_URL = "sentinel://:secret@s1:26379,s2:26380/3?master_name=orders" \
                         "&sentinel_password=other"
    assert target_address() == "orders via Sentinel s1:26379,s2:26380"
    assert current_target().default_db == 3
    assert "secret" not in repr(sentinel.parse(settings.REDIS_URL))
    assert "other" not in repr(sentinel.parse(settings.REDIS_URL))


@pytest.mark.parametrize(("url", "said"), [
    ("sentinel://s1:26379/0", "must name the service"),
    ("sentinel://s1:26379/0?master_name=", "must name the service"),
    ("sentinel://s1:99999/0?master_name=x", "port is not a number"),
    ("sentinel://s1:26379,/0?master_name=x", "must be host:port"),
    ("sentinel://s1/zero?master_name=x", "db in the sentinel URL is not a number"),
    ("sentinel://s1/0?master_name=x&mastername=y", "unknown sentinel URL option(s) mastername"),
    ("sentinel://s1/0?master_name=x&tls=maybe", "tls option is not true or false"),
])
def test_a_sentinel_url_that_cannot_work_is_refused(settings, url, said):
    settings.REDIS_URL = url
    found = conf.problems()
    assert len(found) == 1 and said in found[0], found


def test_tls_files_need_tls_on_the_sentinel_url_too(settings, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    settings.DASHBOARD_TLS_CA_FILE = str(ca)
    settings.REDIS_URL = "sentinel://s1/0?master_name=x"
    assert conf.problems() == ["DASHBOARD_TLS_* files are set but REDIS_URL is not rediss://: "
                               "the connection would not be encrypted"]
    settings.REDIS_URL = "sentinel://s1/0?master_name=x&tls=true"
    assert conf.problems() == []


def test_a_sentinel_url_without_a_service_stops_start_up():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHBOARD_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="dashboard.settings",
               REDIS_URL="sentinel://:pw@127.0.0.1:26379/0")
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "a sentinel URL must name the service" in result.stderr
    assert "pw@" not in result.stderr
