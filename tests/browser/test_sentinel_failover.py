"""A failover seen in a real Chromium: the primary behind Sentinel is killed while a page is
open; the next pages say "Failing over" and come back by themselves once the replica is
promoted, with no click and no restart (tests/support/sentinel.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from keyspace.redis.connection import reset_pools
from tests.browser.rows import open_row
from tests.support.sentinel import start_replica_set
from tests.support.urls import key_url

pytestmark = [pytest.mark.browser, pytest.mark.sentinel]


@pytest.fixture
def doomed(tmp_path, settings):
    found = start_replica_set(tmp_path / "doomed")
    settings.REDIS_URL = found.url
    reset_pools()
    yield found
    found.stop()
    reset_pools()


def test_pages_during_a_failover_recover_by_themselves(page: Page, url, doomed):
    with doomed.data_client(doomed.primary.port) as primary:
        primary.hset(b"user:1", "name", "ada")
        primary.wait(1, 2000)
    page.goto(url(key_url(b"user:1")))
    expect(page.locator("[data-sentinel]")).to_contain_text(f"127.0.0.1:{doomed.primary.port}")

    doomed.kill_primary()
    page.locator("nav.tabs a", has_text="Keys").click()  # boosted: only the body is swapped
    expect(page.locator(".error-page h1")).to_have_text("Failing over")
    expect(page.locator("[data-sentinel]")).to_contain_text("no primary (failing over)")

    # Nothing is clicked from here on: the page polls and reloads itself.
    expect(page.locator(".error-page")).to_have_count(0, timeout=30_000)
    expect(page).to_have_url(url("/c/default/db/0/"))
    expect(page.locator("main")).to_contain_text("user:1")
    expect(page.locator("[data-sentinel]")).to_contain_text(f"127.0.0.1:{doomed.replica.port}")


def test_an_edit_sent_during_a_failover_is_refused_and_the_banner_says_when_it_is_over(
        page: Page, url, doomed):
    with doomed.data_client(doomed.primary.port) as primary:
        primary.hset(b"user:1", "name", "ada")
        primary.wait(1, 2000)
    page.goto(url(key_url(b"user:1")))
    page.evaluate("window.stillThisPage = true")
    name = open_row(page, "name")
    name.get_by_role("link", name="Edit", exact=True).click()
    form = name.locator("form")
    form.get_by_label("Value").fill("grace")

    doomed.kill_primary()
    form.get_by_role("button", name="Save").click()
    banner = page.locator("#error-banner")
    expect(banner).to_contain_text("Failing over")
    expect(banner).to_contain_text("an edit sent now is not done")
    expect(form.get_by_label("Value")).to_have_value("grace")  # the form is kept

    # When a primary takes writes again the banner says so, and the page was not reloaded.
    expect(banner).to_contain_text("Failover finished", timeout=30_000)
    expect(banner).to_contain_text(f"127.0.0.1:{doomed.replica.port}")
    assert page.evaluate("window.stillThisPage") is True
    with doomed.data_client(doomed.replica.port) as new:
        assert new.hget(b"user:1", "name") == b"ada"
