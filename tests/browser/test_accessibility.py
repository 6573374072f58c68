"""Every page through axe-core, in the light and the dark colour scheme.

axe-core runs inside the real Chromium on each page as a person sees it: seeded keys of
every type, forms open, an edit's flash and undo button, an error. No violation of impact
serious or critical may remain, and the faults axe rates lower but that make a page hard to
use (no level-one heading, an empty table header) are held to zero as well (see a11y.py).
One browser context serves the whole module; each page is checked in the light scheme, then
switched to the dark one in place. The live pub/sub page, which needs ASGI, is checked in
test_pubsub.py.
"""

from __future__ import annotations

import gzip
import json
import pickle
from collections.abc import Callable

import pytest
import redis
from playwright.sync_api import Browser, BrowserContext, Page, expect

from keyspace.redis.keynames import encode_key
from tests.browser.a11y import assert_accessible
from tests.browser.rows import open_row

pytestmark = pytest.mark.browser


def key_path(name: str, rest: str = "") -> str:
    return f"/c/default/db/0/key/{encode_key(name.encode())}/{rest}"


def seed(r: redis.Redis) -> None:
    """One small key of each type, plus the shapes that get their own colours."""
    with r.pipeline(transaction=False) as pipe:
        pipe.set("greeting", "hello, world")
        pipe.set("config:json", '{"name": "Ada", "tags": ["a", "b"], "age": 36}')
        pipe.set("blob", b"\x00\xffbinary\x01")
        pipe.set("pickled", pickle.dumps({"user": "ada", "roles": ["admin", "dev"], "n": 3}))
        pipe.set("gzipped", gzip.compress(b'{"compressed": true, "items": [1, 2, 3]}'))
        pipe.hset("jobs", "payload", json.dumps({"task": "send", "args": [1, 2]}))
        pipe.set("long", "\n".join(f"line {n}: " + "text " * 40 for n in range(400)))
        pipe.set("session:ttl", "s", ex=3600)
        pipe.hset("user:1", mapping={"name": "Ada", "email": "ada@example.com", b"\xff": b"\x00"})
        odd = {b"": b"empty name", b"  ": b"spaces", b"\xfe": b"x" * 3000}
        pipe.hset("odd:fields", mapping=odd)
        pipe.rpush("queue:jobs", "first", "second", "third")
        pipe.sadd("tags", "red", "green", "blue")
        pipe.zadd("scores", {"ada": 120, "grace": 95, "linus": -3})
        pipe.xadd("events", {"kind": "signup", "user": "ada"})
        pipe.execute()


# --------------------------------------------------------------------------- the pages


def settle(page: Page) -> None:
    """Wait for what every page loads after painting (the server pills in the header)."""
    if page.locator("#server-info").count():
        expect(page.locator("#server-info .pill").first).to_be_visible()


def visit(path: str, ready: str | None = None) -> Callable[[Page, str], None]:
    def go(page: Page, base: str) -> None:
        page.goto(base + path)
        if ready:
            expect(page.locator(ready).first).to_be_visible()

    return go


def open_db_picker(page: Page, base: str) -> None:
    page.goto(base + "/c/default/db/0/")
    settle(page)
    page.locator(".db-picker summary").click()
    expect(page.locator(".db-picker ul")).to_be_visible()


def name_row(page: Page):
    return open_row(page, "name")


def row_editor(page: Page, base: str) -> None:
    page.goto(base + key_path("user:1"))
    name_row(page).get_by_role("link", name="Edit", exact=True).click()
    expect(page.locator("tr.editing form")).to_be_visible()


def opened_row(name: str, ident: bytes | str | int) -> Callable[[Page, str], None]:
    """A value page with one row's actions shown (cloned from the table's template)."""

    def go(page: Page, base: str) -> None:
        page.goto(base + key_path(name))
        open_row(page, ident)

    return go


def after_an_edit(page: Page, base: str) -> None:
    page.goto(base + key_path("user:1"))
    name_row(page).get_by_role("link", name="Edit", exact=True).click()
    page.locator("tr.editing").get_by_label("Value").fill("Grace")
    page.locator("tr.editing").get_by_role("button", name="Save").click()
    expect(page.locator("#undo-offer button")).to_be_visible()


def refused_form(page: Page, base: str) -> None:
    page.goto(base + key_path("greeting", "edit/ttl/"))
    page.locator("#editor form").get_by_label("TTL").fill("-5")
    page.locator("#editor form").get_by_role("button").first.click()
    expect(page.locator(".errorlist, .problem").first).to_be_visible()


def audit_with_entries(page: Page, base: str) -> None:
    after_an_edit(page, base)
    page.goto(base + "/audit/")
    expect(page.locator("#entries tbody tr form.undo").first).to_be_visible()


def console_with_replies(page: Page, base: str) -> None:
    page.goto(base + "/c/default/db/0/console/")
    field = page.get_by_label("Command", exact=True)
    for count, line in enumerate(("HGETALL user:1", "FLUSHALL"), 1):
        field.fill(line)
        field.press("Enter")
        # One at a time: the field is cleared when a reply arrives.
        expect(page.locator("[data-console-entry]")).to_have_count(count)
    expect(page.locator(".console-refusal")).to_be_visible()


def sign_in_failed(page: Page, base: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/sign-in/")
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()


def spent_sign_in_link(page: Page, base: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/sign-in/once/not-a-token/")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".problem")).to_be_visible()


PAGES: dict[str, Callable[[Page, str], None]] = {
    "browse": visit("/c/default/db/0/", "#scan-done"),
    "browse-paged": visit("/c/default/db/0/?count=3", "#load-more"),
    "browse-lookup-missing": visit("/c/default/db/0/?key=nothing", "#results"),
    "db-picker": open_db_picker,
    "new-key": visit("/c/default/db/0/new/", "#editor form"),
    "string-json": visit(key_path("config:json"), ".value-body"),
    "string-binary": visit(key_path("blob"), ".value-body"),
    "string-long": visit(key_path("long"), ".value-body"),
    "string-pickle": visit(key_path("pickled"), ".decoded-tree"),
    "string-gzip-json": visit(key_path("gzipped"), ".decoded .decoded"),
    "hash-field-decoded": visit(
        key_path("jobs", "tool/view-field/?run=1&field=payload&order=auto"), ".tool-result"
    ),
    "string-edit": visit(key_path("greeting", "edit/string-edit/"), "#editor form"),
    "hash": visit(key_path("user:1"), "table.values"),
    "hash-row-editor": row_editor,
    "hash-row-open": opened_row("user:1", "name"),
    "hash-odd-fields-open": opened_row("odd:fields", b""),
    "hash-row-panel": visit(key_path("user:1", f"?row={encode_key(b'name')}"), ".row-panel"),
    "list-row-open": opened_row("queue:jobs", 1),
    "zset-row-open": opened_row("scores", "grace"),
    "after-an-edit": after_an_edit,
    "list": visit(key_path("queue:jobs"), "table.values"),
    "set": visit(key_path("tags"), "table.values"),
    "set-tool": visit(
        key_path("tags", "tool/set-contains/?run=1&members=red%0Apink"), ".tool-result"
    ),
    "zset": visit(key_path("scores"), "table.values"),
    "zset-lookup": visit(key_path("scores", "tool/zset-lookup/?run=1&member=ada"), ".tool-result"),
    "leaderboard": visit(key_path("scores", "leaderboard/?member=grace"), "tr.current"),
    "stream": visit(key_path("events"), "table.values"),
    "ttl-form-refused": refused_form,
    "delete-confirmation": visit(key_path("greeting", "edit/delete/"), "#editor form"),
    "namespaces": visit("/c/default/db/0/namespaces/", "#namespace-counts table"),
    "pubsub": visit("/c/default/db/0/pubsub/", "#channels table"),
    "audit": audit_with_entries,
    "console": console_with_replies,
    "bulk": visit("/c/default/db/0/bulk/", ".bulk-form"),
    "connections": visit("/connections/", "table.keys"),
    "sign-in-failed": sign_in_failed,
    "sign-in-link-spent": spent_sign_in_link,
    "error-key-not-found": visit(key_path("no such key"), ".error-box"),
    "error-no-such-operation": visit(key_path("greeting", "edit/no-such/"), "h1"),
}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def context(browser: Browser) -> BrowserContext:
    shared = browser.new_context(color_scheme="light")
    shared.set_default_timeout(5_000)
    yield shared
    shared.close()


@pytest.fixture(scope="module")
def page(context: BrowserContext) -> Page:
    """One tab for the whole module: every visit starts by loading its page."""
    tab = context.new_page()
    yield tab
    tab.close()


@pytest.fixture(autouse=True)
def signed_in(context: BrowserContext, live_server, transactional_db):
    """Replaces the package's sign-in, which would open a context per test; the user and
    the session are made again for each test, as the database is emptied after each."""
    from django.conf import settings
    from django.test import Client

    from tests.conftest import make_user

    session = Client()
    session.force_login(make_user("browser", "editor"))
    cookie = session.cookies[settings.SESSION_COOKIE_NAME]
    context.clear_cookies()
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


# --------------------------------------------------------------------------- the check


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_accessibility_violation(name, page: Page, live_server, r):
    seed(r)
    PAGES[name](page, live_server.url)
    settle(page)
    assert_accessible(page, name)
