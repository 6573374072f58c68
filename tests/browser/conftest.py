"""Browser-test helpers: a live dashboard URL, short default timeouts, dialog recording."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

# Auto-waiting assertions give up after 5 s: long enough for a loaded 2-core machine, short
# enough that a broken auto-follow fails quickly instead of hanging the suite.
expect.set_options(timeout=5_000)


@pytest.fixture
def url(live_server):
    """`url("/c/default/db/0/")`: an absolute address on the live dashboard."""

    def build(path: str) -> str:
        return live_server.url + path

    return build


@pytest.fixture
def page(page: Page) -> Page:
    page.set_default_timeout(5_000)
    page.set_default_navigation_timeout(5_000)
    return page


@pytest.fixture
def dialogs(page: Page) -> list[str]:
    """Every alert/confirm/prompt the page opens, dismissed and recorded."""
    seen: list[str] = []

    def record(dialog) -> None:
        seen.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", record)
    return seen


@pytest.fixture(autouse=True)
def signed_in(page: Page, live_server, transactional_db):
    """Every browser test runs as a signed-in editor (sign-in is on, as by default)."""
    from django.conf import settings

    from tests.support.users import client_for, make_user

    cookie = client_for(make_user("browser", "editor")).cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )
