"""The dashboard's own database and shared cache from the environment (dashboard/databases.py):
SQLite by default, PostgreSQL by URL, anything not understood stops start-up; and the
PostgreSQL the tests run the database tests on really is PostgreSQL, migrated."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from dashboard.databases import cache_from_url, database_from_url
from keyspace.models import SpentConfirmation

ROOT = Path(__file__).resolve().parents[2]


def test_a_postgresql_url_names_server_user_and_database():
    config = database_from_url("postgresql://dash:p%40ss@db.example:6543/dashboard"
                               "?sslmode=verify-full&connect_timeout=5")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.example", "6543", "dashboard")
    assert (config["USER"], config["PASSWORD"]) == ("dash", "p@ss")
    assert config["OPTIONS"] == {"sslmode": "verify-full", "connect_timeout": "5"}
    assert config["CONN_MAX_AGE"] == 0


def test_a_unix_socket_and_sqlite():
    config = database_from_url("postgres://dash@/dashboard?host=/run/postgresql&port=5433")
    assert (config["HOST"], config["PORT"]) == ("/run/postgresql", "5433")
    config = database_from_url("sqlite:////var/lib/dashboard/db.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert str(config["NAME"]) == "/var/lib/dashboard/db.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.parametrize("url", [
    "mysql://u@h/db",  # another engine
    "postgresql://u:secret@h",  # no database
    "postgresql://u:secret@h/db?sslmod=require",  # a typo in a parameter
    "postgresql://u:secret@h/db?host=a&host=b",
    "postgresql://u:secret@h:port/db",
    "sqlite:///relative.sqlite3",
    "sqlite://host/x.sqlite3",
    "db.sqlite3",
])
def test_anything_else_stops_start_up_without_showing_the_password(url):
    with pytest.raises(ImproperlyConfigured) as refused:
        database_from_url(url)
    assert "DASHBOARD_DATABASE_URL" in str(refused.value)
    assert "secret" not in str(refused.value)


def test_the_cache_is_shared_by_default():
    assert cache_from_url("")["BACKEND"].endswith("db.DatabaseCache")
    assert cache_from_url("database")["BACKEND"].endswith("db.DatabaseCache")
    assert cache_from_url("redis://cache:6379/2") == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache:6379/2", "KEY_PREFIX": "redis-dashboard"}
    assert cache_from_url("locmem")["BACKEND"].endswith("locmem.LocMemCache")
    for text in ("memcached://x", "redis://", "db", "file:///tmp/cache"):
        with pytest.raises(ImproperlyConfigured, match="DASHBOARD_CACHE_URL"):
            cache_from_url(text)


def _settings_with(**env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    environment.update(DJANGO_SETTINGS_MODULE="dashboard.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import "
         "settings; print(settings.DATABASES['default']['ENGINE'], "
         "settings.CACHES['default']['BACKEND'])"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)


def test_settings_default_to_sqlite_and_refuse_what_they_do_not_understand():
    default = _settings_with()
    assert default.returncode == 0, default.stderr
    assert default.stdout.split() == ["django.db.backends.sqlite3",
                                      "django.core.cache.backends.db.DatabaseCache"]
    for env in ({"DASHBOARD_DATABASE_URL": "mysql://u@h/db"},
                {"DASHBOARD_CACHE_URL": "memcached://x"},
                {"DASHBOARD_DATABASE_URL": "postgresql://u@h/db", "DASHBOARD_DB_PATH": "/x"}):
        refused = _settings_with(**env)
        assert refused.returncode != 0 and "ImproperlyConfigured" in refused.stderr, env


@pytest.mark.both_databases
def test_the_database_tests_run_on_each_engine(database_engine, db):
    assert connection.vendor == database_engine
    SpentConfirmation.objects.create(nonce="n", expires="2030-01-01T00:00:00Z")
    assert SpentConfirmation.objects.count() == 1  # rolled back after each test


@pytest.mark.postgresql
def test_every_migration_applies_and_reverses_on_postgresql(postgres_server):
    """A fresh PostgreSQL database: migrate, the model state matches the migrations, back to
    zero and forward again (in a process of its own, as `manage.py` runs)."""
    url = postgres_server.create_database("migrations_check")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    env.update(DJANGO_SETTINGS_MODULE="dashboard.settings", DASHBOARD_DATABASE_URL=url)
    script = ("import django; django.setup(); from django.core.management import call_command\n"
              "call_command('migrate', verbosity=0)\n"
              "call_command('makemigrations', '--check', '--dry-run', verbosity=0)\n"
              "call_command('migrate', 'keyspace', 'zero', verbosity=0)\n"
              "call_command('migrate', verbosity=0)\n"
              "call_command('createcachetable', verbosity=0)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    tables = postgres_server.psql("migrations_check", "SELECT tablename FROM pg_tables "
                                  "WHERE schemaname = 'public'").split()
    assert {"keyspace_streamlease", "keyspace_spentconfirmation", "dashboard_cache",
            "django_tasks_database_dbtaskresult"} <= set(tables)
