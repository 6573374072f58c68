"""Several connections in a real Chromium: the header's menu opens the same place on another
connection, and a delete on a production connection asks for the key's name typed."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from keyspace.redis.connection import reset_pools
from tests.views.test_several_connections import PASSWORD, key_url

pytestmark = pytest.mark.browser


@pytest.fixture
def declared(settings, second_server, second):
    """Two declared connections to the second server: staging and production."""
    address = f"redis://127.0.0.1:{second_server.port}/0"
    settings.DASHBOARD_CONNECTIONS = {
        "staging": {"url": address, "password": PASSWORD, "environment": "staging",
                    "label": "Staging"},
        "prod": {"url": address, "password": PASSWORD, "environment": "production"},
    }
    reset_pools()
    yield second
    reset_pools()


def test_the_header_menu_switches_connection_keeping_the_place(page: Page, url, declared, r):
    r.set(b"orders:1", b"on default")
    declared.set(b"orders:1", b"on staging")
    page.goto(url(key_url("default", b"orders:1") + "?view=raw"))
    expect(page.locator("[data-connection]")).to_have_attribute("data-connection", "default")
    page.locator("details.connection-switch summary").click()
    page.locator('[data-switch-to="staging"]').click()
    expect(page).to_have_url(url(key_url("staging", b"orders:1") + "?view=raw"))
    expect(page.locator("[data-connection]")).to_have_attribute("data-connection", "staging")
    expect(page.locator("main")).to_contain_text("on staging")
    expect(page.locator("main")).not_to_contain_text("on default")


def test_a_production_delete_needs_the_key_name_typed(page: Page, url, declared):
    declared.set(b"orders:9", b"v")
    page.goto(url(key_url("prod", b"orders:9")))
    expect(page.locator("[data-production]")).to_be_visible()
    page.get_by_role("toolbar", name="Key actions").get_by_role(
        "link", name="Delete", exact=True).click()
    editor = page.locator("#editor")
    typed = editor.locator('input[name="confirm_name"]')
    expect(typed).to_be_visible()
    # A wrong name: refused, and the key is still there.
    typed.fill("orders:")
    editor.get_by_role("button", name="Delete the key").click()
    # (the refusal's words: the field's label says "type the key's name" from the start)
    expect(editor).to_contain_text("this is a production connection")
    assert declared.exists(b"orders:9")
    editor.locator('input[name="confirm_name"]').fill("orders:9")
    editor.get_by_role("button", name="Delete the key").click()
    expect(page).to_have_url(url("/c/prod/db/0/"))
    expect(page.locator("#flash")).to_contain_text("deleted orders:9")
    assert not declared.exists(b"orders:9")
