"""The dashboard's own database and shared cache, from the environment, failing closed.

DASHBOARD_DATABASE_URL (unset: SQLite in var/, or at DASHBOARD_DB_PATH):
    sqlite:////absolute/path/dashboard.sqlite3
    postgresql://user:password@host:5432/name      (also postgres://)
    postgresql://user@/name?host=/run/postgresql    (a unix socket directory)
  Query parameters for PostgreSQL: host, port, sslmode, sslrootcert, sslcert, sslkey,
  connect_timeout, application_name; any other stops start-up.

DASHBOARD_CACHE_URL (what several worker processes share besides the database: running
namespace counts):
    database (the default): a table in the database above (`manage.py createcachetable`,
              which `manage.py serve` runs)
    redis://host:6379/0, rediss://..., unix:///path.sock: a Redis of the deployment's own,
              never the one the dashboard shows
    locmem:   this process's memory: only for one worker process
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

SQLITE_OPTIONS = {
    # Writers queue for the lock up front instead of failing when a read turns into a write;
    # racing requests (a sign-in link, a confirmation) then wait their turn.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
POSTGRES_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout",
                    "application_name")
CACHE_TABLE = "dashboard_cache"


def sqlite(path) -> dict:
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": path, "OPTIONS": dict(SQLITE_OPTIONS)}


def database_from_url(url: str, name: str = "DASHBOARD_DATABASE_URL") -> dict:
    """A DATABASES entry for `url`; ImproperlyConfigured (naming `name`, never the password)
    for anything not understood."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        path = unquote(parts.path)[1:]  # sqlite:/// then the path, which must be absolute
        if parts.netloc or parts.query or not path.startswith("/") or path == "/":
            raise ImproperlyConfigured(
                f"{name}: a SQLite URL is sqlite:////absolute/path/file.sqlite3")
        return sqlite(Path(path))
    if scheme not in ("postgres", "postgresql"):
        raise ImproperlyConfigured(
            f"{name}: the scheme {scheme + '://' if scheme else '(none)'} is not understood: "
            "use postgresql://user:password@host:port/name or sqlite:////path/file.sqlite3")
    database = unquote(parts.path.lstrip("/"))
    if not database or "/" in database:
        raise ImproperlyConfigured(f"{name}: name the database after the host "
                                   "(postgresql://user@host/name)")
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{name}: the port is not a number") from None
    config = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": database,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": unquote(parts.hostname or ""),
        "PORT": str(port or ""),
        "OPTIONS": {},
        # Under ASGI each request's database work runs in a thread of its own: persistent
        # connections would pile up (Django's advice), so connect per request.
        "CONN_MAX_AGE": 0,
    }
    seen = set()
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in seen:
            raise ImproperlyConfigured(f"{name}: {key} is given twice")
        seen.add(key)
        if key == "host":
            config["HOST"] = value
        elif key == "port":
            if not value.isdigit():
                raise ImproperlyConfigured(f"{name}: port={value!r} is not a number")
            config["PORT"] = value
        elif key in POSTGRES_OPTIONS:
            config["OPTIONS"][key] = value
        else:
            raise ImproperlyConfigured(
                f"{name}: the parameter {key!r} is not understood (known: host, port, "
                f"{', '.join(POSTGRES_OPTIONS)})")
    return config


def cache_from_url(url: str, name: str = "DASHBOARD_CACHE_URL") -> dict:
    """A CACHES entry for `url` (see the module's text); ImproperlyConfigured otherwise."""
    text = url.strip()
    if text in ("", "database"):
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                "LOCATION": CACHE_TABLE}
    if text == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    scheme = urlsplit(text).scheme.lower()
    if scheme in ("redis", "rediss", "unix") and urlsplit(text).netloc + urlsplit(text).path:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": text,
                "KEY_PREFIX": "redis-dashboard"}
    raise ImproperlyConfigured(
        f"{name} is not understood: use database (the default), redis://host:port/db "
        "(a Redis of your own), or locmem (one worker process only)")
