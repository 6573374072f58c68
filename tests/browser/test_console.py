"""The console in a real Chromium: run commands with the keyboard, recall them, confirm."""

from __future__ import annotations

import pytest
import redis
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def run(page: Page, line: str) -> None:
    field = page.get_by_label("Command", exact=True)
    field.fill(line)
    field.press("Enter")


def test_commands_run_and_replies_stay_in_the_transcript(page: Page, url, r: redis.Redis):
    r.rpush("queue", "a", "<script>alert(1)</script>")
    page.goto(url("/c/default/db/0/console/"))
    run(page, "LRANGE queue 0 -1")
    entries = page.locator("[data-console-entry]")
    expect(entries).to_have_count(1)
    expect(entries.first.locator(".console-reply")).to_contain_text(
        '2) "<script>alert(1)</script>"')
    run(page, 'SET greeting "hello world"')
    expect(entries).to_have_count(2)
    expect(entries.nth(1)).to_contain_text('"OK"')
    assert r.get("greeting") == b"hello world"
    # The field is cleared and keeps the focus; Up recalls the lines run, newest first.
    field = page.get_by_label("Command", exact=True)
    expect(field).to_be_focused()
    expect(field).to_have_value("")
    field.press("ArrowUp")
    expect(field).to_have_value('SET greeting "hello world"')
    field.press("ArrowUp")
    expect(field).to_have_value("LRANGE queue 0 -1")
    field.press("ArrowDown")
    expect(field).to_have_value('SET greeting "hello world"')


def test_a_refused_command_says_why_in_place(page: Page, url, r: redis.Redis):
    r.set("keep", "1")
    page.goto(url("/c/default/db/0/console/"))
    run(page, "FLUSHALL")
    expect(page.locator(".console-refusal")).to_contain_text("DASHBOARD_CONSOLE_ALLOW")
    assert r.get("keep") == b"1"


def test_an_allowed_dangerous_command_runs_once_confirmed(page: Page, url, r: redis.Redis,
                                                          settings):
    settings.DASHBOARD_CONSOLE_ALLOW = "flushdb"
    r.set("keep", "1")
    page.goto(url("/c/default/db/0/console/"))
    run(page, "FLUSHDB")
    confirm = page.get_by_role("button", name="Run FLUSHDB")
    expect(confirm).to_be_visible()
    assert r.get("keep") == b"1"
    confirm.click()
    expect(page.locator("[data-console-entry]").last).to_contain_text('"OK"')
    assert r.get("keep") is None
