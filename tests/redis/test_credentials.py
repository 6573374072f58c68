"""Passwords that expire, against a real Redis whose ACL password is rotated: the dashboard's
connections are killed (CLIENT KILL USER), and the next request succeeds with the new password
from the command or provider, fetched once more; the old password is never rendered or
logged."""

from __future__ import annotations

import asyncio
import logging
import sys

import pytest
import redis
from redis.credentials import CredentialProvider

from dashboard.local_redis import LocalRedis
from keyspace.redis.connection import get_async_client, get_client, reset_pools

USER = "rotating"
OLD, NEW = "old-secret-3f9a", "new-secret-71c2"

# What the provider hooks below hand out, set by the tests; and how often they were asked.
CURRENT = {"password": OLD, "asked": 0}


def password() -> str:
    """A callable hook: returns the password (the user is the URL's)."""
    CURRENT["asked"] += 1
    return CURRENT["password"]


class Provider(CredentialProvider):
    """A CredentialProvider hook: made once, asked on every new connection."""

    def get_credentials(self):
        CURRENT["asked"] += 1
        return USER, CURRENT["password"]


@pytest.fixture
def rotating_redis(tmp_path):
    server = LocalRedis(tmp_path / "rotating").start()
    admin = redis.Redis(port=server.port)
    admin.acl_setuser(USER, enabled=True, passwords=[f"+{OLD}"], keys=["*"], channels=["*"],
                      commands=["+@all"])
    yield server, admin
    admin.close()
    server.stop()


@pytest.fixture
def password_file(tmp_path):
    """The command's source: a script that prints the file's password and counts its runs."""
    secret = tmp_path / "secret"
    secret.write_text(OLD + "\nsecond line ignored\n")
    runs = tmp_path / "runs"
    script = tmp_path / "token.py"
    script.write_text(f"import pathlib\nwith open({str(runs)!r}, 'a') as f: f.write('x')\n"
                      f"print(pathlib.Path({str(secret)!r}).read_text(), end='')\n")
    return secret, runs, f"{sys.executable} {script}"


def _rotate(admin: redis.Redis) -> None:
    """What a managed service does when a token expires or a password is rotated."""
    admin.execute_command("ACL", "SETUSER", USER, "resetpass", f">{NEW}")
    killed = admin.execute_command("CLIENT", "KILL", "USER", USER)
    assert killed >= 1  # the dashboard had a connection open


def _point(settings, server, **hooks) -> None:
    settings.REDIS_URL = f"redis://{USER}@127.0.0.1:{server.port}/0"
    for name, value in hooks.items():
        setattr(settings, f"DASHBOARD_REDIS_{name.upper()}", value)
    reset_pools()


def _no_secret(caplog, *pages) -> None:
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (OLD, NEW):
        assert secret not in logged
        for page in pages:
            assert secret.encode() not in page.content


def test_a_password_command_is_run_again_once_when_redis_refuses_it(
        client, settings, rotating_redis, password_file, caplog):
    server, admin = rotating_redis
    secret, runs, command = password_file
    admin.set("k", "v")
    _point(settings, server, password_command=command)
    caplog.set_level(logging.DEBUG)
    first = client.get("/c/default/db/0/")
    assert first.status_code == 200
    assert client.get("/c/default/db/0/").status_code == 200
    assert runs.read_text() == "x"  # kept, not run per request
    secret.write_text(NEW + "\n")
    _rotate(admin)
    after = client.get("/c/default/db/0/")
    assert after.status_code == 200
    assert b"k" in after.content
    assert runs.read_text() == "xx"  # once more, on the refusal
    assert [c["user"] for c in admin.client_list() if c["user"] == USER]
    _no_secret(caplog, first, after)


@pytest.mark.parametrize("hook", ["tests.redis.test_credentials.password",
                                  "tests.redis.test_credentials.Provider"])
def test_a_provider_hook_gives_the_new_password_after_rotation(
        client, settings, rotating_redis, hook, caplog):
    server, admin = rotating_redis
    CURRENT.update(password=OLD, asked=0)
    _point(settings, server, credential_provider=hook)
    caplog.set_level(logging.DEBUG)
    first = client.get("/c/default/db/0/")
    assert first.status_code == 200
    CURRENT["password"] = NEW
    _rotate(admin)
    after = client.get("/c/default/db/0/")
    assert after.status_code == 200
    _no_secret(caplog, first, after)


def test_asynchronous_connections_refresh_too(settings, rotating_redis, password_file):
    server, admin = rotating_redis
    secret, runs, command = password_file
    _point(settings, server, password_command=command)
    assert get_client().ping()
    secret.write_text(NEW + "\n")
    _rotate(admin)

    async def ping() -> bool:
        client = get_async_client()
        try:
            return await client.ping()
        finally:
            await client.aclose()

    assert asyncio.run(ping())
    assert runs.read_text() == "xx"


def test_a_password_that_stays_wrong_is_a_clear_page(client, settings, rotating_redis,
                                                     password_file, caplog):
    server, admin = rotating_redis
    secret, runs, command = password_file
    secret.write_text("wrong-guess-0000\n")
    _point(settings, server, password_command=command)
    page = client.get("/c/default/db/0/")
    assert page.status_code == 503
    assert b"authentication failed" in page.content
    assert b"wrong-guess-0000" not in page.content
    assert "wrong-guess-0000" not in caplog.text


def test_a_failing_password_command_is_a_clear_page(client, settings, rotating_redis, tmp_path,
                                                    caplog):
    server, _ = rotating_redis
    script = tmp_path / "fails.py"
    script.write_text("import sys\nprint('token-leak-xyz')\nsys.exit(3)\n")
    _point(settings, server, password_command=f"{sys.executable} {script}")
    page = client.get("/c/default/db/0/")
    assert page.status_code == 503
    assert b"exited with status 3" in page.content
    assert b"token-leak-xyz" not in page.content
    assert "token-leak-xyz" not in caplog.text


@pytest.mark.parametrize("script", [
    # A broken token tool that floods its output, before or after a first line: its output is
    # read up to a bound, never kept whole in the dashboard's memory.
    "import sys\nwhile True: sys.stdout.write('x' * 65536)\n",
    "import sys\nprint('pw')\nwhile True: sys.stdout.write('y' * 65536)\n",
    "import sys\nwhile True: sys.stderr.write('e' * 65536)\n",
])
def test_a_password_command_that_prints_without_end_is_refused(client, settings, rotating_redis,
                                                               tmp_path, script):
    server, _ = rotating_redis
    path = tmp_path / "floods.py"
    path.write_text(script)
    _point(settings, server, password_command=f"{sys.executable} {path}")
    page = client.get("/c/default/db/0/")
    assert page.status_code == 503
    assert b"more than 64 KiB and was stopped" in page.content


def test_a_password_keeps_its_own_spaces(settings, rotating_redis, tmp_path):
    """Only the line's end is taken off what the command prints: a password may begin or end
    with a space."""
    from keyspace.redis.credentials import _run_command

    path = tmp_path / "spaced.py"
    path.write_text("print(' pass word ')\n")
    assert _run_command([sys.executable, str(path)]) == " pass word "
    path.write_text("import sys\nsys.stdout.write('crlf\\r\\n')\n")
    assert _run_command([sys.executable, str(path)]) == "crlf"


def test_a_password_command_whose_child_keeps_its_output_open_is_read_when_it_exits(tmp_path):
    """The command prints the password and exits, leaving something it started running with
    its output still open: the password is taken once the command has exited (not when that
    child lets go, nor at the time limit), and the child is stopped with it."""
    from keyspace.redis.credentials import _run_command

    marker = tmp_path / "child-still-ran"
    path = tmp_path / "leaves-a-child.sh"
    path.write_text(f"echo pw\n(sleep 3; touch {marker}) &\n")
    assert _run_command(["sh", str(path)]) == "pw"
    import time

    time.sleep(3.5)
    assert not marker.exists()  # the child went with the command's session
