"""Signing out leaves no page snapshot (with values) in sessionStorage for the next person at
the browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SNAPSHOTS = "() => sessionStorage.getItem('htmx-history-cache')"


def test_sign_out_clears_htmx_history_snapshots(page: Page, url, r):
    r.set("secret:key", "snapshot-canary-value")
    page.goto(url("/c/default/db/0/"))
    page.get_by_role("link", name="secret:key").first.click()  # boosted: htmx keeps a snapshot
    expect(page.get_by_text("snapshot-canary-value")).to_be_visible()
    page.get_by_role("link", name="Namespaces").first.click()
    # The page has counted (no request of it is still on its way when the user signs out).
    expect(page.get_by_text("Counted all")).to_be_visible()
    page.wait_for_function(SNAPSHOTS)  # htmx saved the pages seen so far
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(url("/sign-in/"))
    assert page.evaluate(SNAPSHOTS) is None


def test_sign_out_clears_them_whatever_sign_in_page_comes_next(page: Page, url, r, settings):
    """Mounted in a project, signing out lands on the project's own sign-in page, which knows
    nothing of htmx: the app's Sign out button clears the snapshots itself."""
    settings.LOGIN_URL = "/not-the-apps-sign-in/"
    r.set("secret:key", "snapshot-canary-value")
    page.goto(url("/c/default/db/0/"))
    page.get_by_role("link", name="secret:key").first.click()
    expect(page.get_by_text("snapshot-canary-value")).to_be_visible()
    page.get_by_role("link", name="Namespaces").first.click()
    # The page has counted (no request of it is still on its way when the user signs out).
    expect(page.get_by_text("Counted all")).to_be_visible()
    page.wait_for_function(SNAPSHOTS)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(url("/not-the-apps-sign-in/"))
    assert page.evaluate(SNAPSHOTS) is None
