"""keyspace in a project of someone else's: installed from its wheel into a fresh environment,
added to INSTALLED_APPS, mounted with one include() under `redis/`, users and permissions from
the host's auth, sign-in on the host's own page. Driven over real HTTP against the real
redis-server of the fixtures."""

from __future__ import annotations

import http.cookiejar
import re
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from keyspace.redis.keynames import encode_key
from tests.hosting.host_project import (
    build_wheel,
    host_env,
    make_environment,
    manage,
    write_project,
)
from tests.services.editing.forms import form_fields

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a host password, long enough"
# One start of the host project does what its developer would do first: check, see that no
# migration is missing, migrate, make users in the host's auth; then says where things are.
SET_UP = f"""
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
call_command("check", fail_level="WARNING")
call_command("makemigrations", check=True, dry_run=True, verbosity=0)
call_command("migrate", verbosity=0)
editor = User.objects.create_user("ada", password={PASSWORD!r})
editor.user_permissions.add(*Permission.objects.filter(
    content_type__app_label="keyspace", codename__in=["view_redis", "edit_redis"]))
User.objects.create_user("nobody", password={PASSWORD!r})

import keyspace, keyspace.migrations
from django.contrib.staticfiles import finders
from django.template.loader import get_template
from django.urls import reverse
print("package", keyspace.__file__)
print("stylesheet", finders.find("keyspace/dashboard.css"))
print("template", get_template("keyspace/base.html").origin.name)
print("migrations", keyspace.migrations.__file__)
from keyspace.redis import command_table
print("commands", command_table.TABLE, len(command_table.fallback_commands()))
print("url", reverse("keyspace:key-detail", kwargs={{"db": 0, "key": b"user:1"}}))
try:
    import dashboard
    print("standalone importable")
except ImportError:
    print("standalone absent")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def host(tmp_path_factory, redis_server):
    """The host project, migrated, with its users, served by runserver for the module."""
    base = tmp_path_factory.mktemp("host")
    python = make_environment(build_wheel(ROOT, base / "wheel"), base / "venv")
    project = write_project(base / "project")
    output = manage(python, project, redis_server.url, "shell", "--verbosity", "0",
                    "--command", SET_UP)
    found = dict(line.split(" ", 1) for line in output.splitlines() if " " in line)
    port = free_port()
    server = subprocess.Popen([str(python), "manage.py", "runserver", "--noreload",
                               f"127.0.0.1:{port}"], cwd=project, env=host_env(redis_server.url),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(port, server)
        yield {"url": f"http://127.0.0.1:{port}", "found": found, "base": base}
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_for(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read().decode()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the host project's server did not start")


class Browser:
    """Cookies, CSRF tokens from forms, and redirects left for the test to see."""

    class _NoRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), self._NoRedirects())

    def request(self, path: str, data: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers={
            "Referer": self.base + "/", **(headers or {})})
        try:
            with self.opener.open(request, timeout=15) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def sign_in(self, username: str) -> tuple[int, dict]:
        status, _, page = self.request("/accounts/login/?next=/redis/")
        assert status == 200 and "Host project sign-in" in page
        fields = form_fields(page) | {"username": username, "password": PASSWORD}
        status, headers, _ = self.request("/accounts/login/", fields)
        return status, headers


def test_the_installed_package_is_the_one_in_use(host):
    found, venv = host["found"], str(host["base"] / "venv")
    for what in ("package", "stylesheet", "template", "migrations", "commands"):
        assert found[what].startswith(venv) and not found[what].startswith(str(ROOT)), what
    assert int(found["commands"].split()[-1]) > 200  # the cluster's command table, as data
    assert found["url"] == f"/redis/c/default/db/0/key/{encode_key(b'user:1')}/"
    assert found["standalone"] == "absent"  # the standalone project is not in the package


def test_signed_out_people_go_to_the_hosts_sign_in_page(host):
    browser = Browser(host["url"])
    status, headers, _ = browser.request("/redis/c/default/db/0/")
    assert status == 302
    assert headers["Location"] == "/accounts/login/?next=%2Fredis%2Fc%2Fdefault%2Fdb%2F0%2F"
    status, headers, _ = browser.request("/redis/c/default/db/0/", headers={"HX-Request": "true"})
    assert status == 401 and headers["HX-Redirect"].startswith("/accounts/login/?next=")


def test_a_user_without_the_permissions_is_refused(host, r):
    r.set("user:1", "ada")
    browser = Browser(host["url"])
    assert browser.sign_in("nobody")[0] == 302
    status, headers, page = browser.request("/redis/c/default/db/0/")
    assert status == 403 and "you may not view this Redis" in page
    assert "user:1" not in page
    assert "Content-Security-Policy" in headers


def test_browse_open_edit_and_miss_a_key(host, r):
    r.set("user:1", "ada")
    r.hset("profile:1", mapping={"name": "Ada", "born": "1815"})
    browser = Browser(host["url"])
    status, headers = browser.sign_in("ada")
    assert status == 302 and headers["Location"] == "/redis/"

    status, headers, _ = browser.request("/redis/")
    assert status == 302 and headers["Location"] == "/redis/c/default/db/0/"
    status, headers, page = browser.request("/redis/c/default/db/0/")
    assert status == 200
    # reversed under redis/
    assert f'href="/redis/c/default/db/0/key/{encode_key(b"user:1")}/"' in page
    assert "profile:1" in page and "ada" in page  # signed in as ada, shown in the header
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "no-store" in headers["Cache-Control"]

    key = f"/redis/c/default/db/0/key/{encode_key(b'user:1')}/"
    status, _, page = browser.request(key)
    assert status == 200 and ">ada<" in page and "Set TTL" in page  # an editor's toolbar
    status, _, fragment = browser.request(key, headers={"HX-Request": "true",
                                                        "HX-Target": "value"})
    assert status == 200 and "<html" not in fragment  # htmx gets a fragment, no middleware

    status, _, form = browser.request(f"{key}edit/string-edit/")
    assert status == 200
    fields = form_fields(form) | {"value": "ada lovelace"}
    status, headers, _ = browser.request(f"{key}edit/string-edit/", fields)
    assert status == 302 and headers["Location"] == key
    assert r.get("user:1") == b"ada lovelace"
    status, _, page = browser.request(key)
    assert "ada lovelace" in page and "Undo" in page  # the message, through the host's messages

    missing = f"/redis/c/default/db/0/key/{encode_key(b'no:such:key')}/"
    status, headers, page = browser.request(missing)
    assert status == 404
    assert "Key not found" in page and "Redis dashboard" in page  # the app's page, not Django's
    assert "Content-Security-Policy" in headers
    status, headers, fragment = browser.request(missing, headers={"HX-Request": "true"})
    assert status == 404 and headers["HX-Retarget"] == "#error-banner"
    assert re.search(r'class="error-box" data-status="404"', fragment)
