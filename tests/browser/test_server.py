"""The Server pages in a real Chromium: the overview refreshing in place, its sparklines
growing from readings, polling paused while the tab is hidden, sorting by keyboard, and
axe-core on each page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.a11y import assert_accessible

pytestmark = pytest.mark.browser

LIVE = "#server-live"
# Playwright cannot hide a tab: the page is told it is hidden through document.hidden,
# which the pause reads, and visibilitychange fired as a browser would.
HIDE = """(hidden) => {
  Object.defineProperty(document, "hidden", {configurable: true, get: () => hidden});
  document.dispatchEvent(new Event("visibilitychange"));
}"""


@pytest.fixture
def fast(settings):
    settings.DASHBOARD_SERVER_REFRESH_SECONDS = 1
    settings.DASHBOARD_SERVER_HISTORY_MINUTES = 1


def overview_requests(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url)
            if request.url.endswith("/c/default/db/0/server/") and request.headers.get("hx-request")
            else None)
    return seen


def test_the_overview_refreshes_in_place(page: Page, url, r, fast):
    page.goto(url("/c/default/db/0/server/"))
    page.evaluate("window.stillThisPage = true")
    first = page.locator("[data-taken-at]").get_attribute("datetime")
    r.set("appeared", "1")
    keyspace = page.locator("#server-keyspace")
    expect(keyspace).to_contain_text("db0", timeout=8_000)
    expect(page.locator("[data-taken-at]")).not_to_have_attribute("datetime", first,
                                                                   timeout=8_000)
    assert page.evaluate("window.stillThisPage") is True  # swapped, not reloaded
    assert page.locator(LIVE).count() == 1


def test_focus_survives_a_refresh(page: Page, url, r, fast):
    r.set("k", "v")
    page.goto(url("/c/default/db/0/server/"))
    link = page.locator("#server-db-0")
    link.focus()
    taken = page.locator("[data-taken-at]").get_attribute("datetime")
    expect(page.locator("[data-taken-at]")).not_to_have_attribute("datetime", taken,
                                                                   timeout=8_000)
    expect(page.locator("#server-db-0")).to_be_focused()


def test_sparklines_draw_readings_with_a_text_equivalent(page: Page, url, r, fast):
    page.goto(url("/c/default/db/0/server/"))
    clients = page.locator("figure[data-chart='Connected clients']")
    expect(clients.locator("svg polyline")).to_have_count(1, timeout=10_000)
    label = clients.locator("svg").get_attribute("aria-label")
    assert re.match(r"Connected clients over the last \d+ s: now \d+, lowest", label), label
    assert "readings)" in label
    expect(clients.locator("svg title")).to_have_text(label)
    points = clients.locator("svg polyline").get_attribute("points").split()
    assert len(points) >= 2
    ops = page.locator("figure[data-chart='Commands per second'] svg")
    expect(ops.locator("polyline, circle").first).to_be_attached(timeout=10_000)


def test_polling_pauses_while_the_tab_is_hidden(page: Page, url, fast):
    seen = overview_requests(page)
    page.goto(url("/c/default/db/0/server/"))
    page.wait_for_timeout(2_500)
    assert len(seen) >= 1, "the overview does not poll"
    page.evaluate(HIDE, True)
    page.wait_for_timeout(300)  # a request already on its way may land
    hidden_from = len(seen)
    page.wait_for_timeout(3_000)
    assert len(seen) == hidden_from, "polled while hidden"
    with page.expect_request(lambda request: request.url.endswith("/c/default/db/0/server/")):
        page.evaluate(HIDE, False)  # shown again: brought up to date at once


def test_tables_sort_by_keyboard_without_script(page: Page, url):
    page.goto(url("/c/default/db/0/server/clients/"))
    header = page.get_by_role("link", name="Name", exact=True)
    header.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(url("/c/default/db/0/server/clients/?sort=name"))
    expect(page.locator("#clients-table th[aria-sort='ascending']")).to_contain_text("Name")
    page.locator("#clients-table th[aria-sort='ascending'] a").press("Enter")
    expect(page).to_have_url(url("/c/default/db/0/server/clients/?sort=-name"))
    expect(page.locator("#clients-table tr.own").first).to_contain_text("this dashboard")


@pytest.mark.parametrize("path", ["/c/default/db/0/server/", "/c/default/db/0/server/slowlog/",
                                  "/c/default/db/0/server/clients/",
                                  "/c/default/db/0/server/latency/",
                                  "/c/default/db/0/server/commands/"])
def test_server_pages_are_accessible(page: Page, url, path):
    page.goto(url(path))
    assert_accessible(page, path)


def test_redis_going_away_and_back_shows_then_clears_the_banner(page: Page, url, fast,
                                                                  settings):
    page.goto(url("/c/default/db/0/server/"))
    working = settings.REDIS_URL
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    banner = page.locator("#error-banner")
    expect(banner).to_contain_text("Cannot reach Redis", timeout=8_000)
    expect(page.locator("#server-keyspace")).to_be_visible()  # the last reading stays
    settings.REDIS_URL = working
    expect(banner).to_be_empty(timeout=8_000)
