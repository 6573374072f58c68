"""Hash-field TTLs in a real Chromium against Valkey 9 (which has them): a field's TTL
counts down in its row and runs out without calling the key expired; a field's TTL is set
from its row's actions."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.rows import open_row, value_row
from tests.support.servers import kind_named
from tests.support.urls import key_url

VALKEY = kind_named("valkey-9")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("redis_server", [VALKEY], ids=[VALKEY.name], indirect=True),
]


def test_a_field_ttl_counts_down_and_runs_out_alone(page: Page, url, r):
    r.hset("h", mapping={"soon": "1", "stays": "2"})
    r.execute_command("HPEXPIRE", "h", 6_000, "FIELDS", 1, "soon")  # outlasts a slow load
    page.goto(url(key_url("h")))
    ttl = value_row(page, "soon").locator("td.ttl")
    expect(ttl).to_have_text(re.compile(r"^[1-6] s$"))
    expect(ttl).to_have_text("expired", timeout=10_000)
    # One field ran out, not the key: the page does not say the key expired.
    expect(page.locator(".expired-notice")).to_be_hidden()
    expect(value_row(page, "stays").locator("td.ttl")).to_have_text("")
    assert r.hgetall("h") == {b"stays": b"2"}


def test_setting_a_field_ttl_from_its_row(page: Page, url, r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    page.goto(url(key_url("h")))
    row = open_row(page, "b")
    row.get_by_role("link", name="Set TTL", exact=True).click()
    form = row.locator("form")
    form.get_by_label("TTL").fill("3600")
    form.get_by_role("button", name="Set TTL").click()
    expect(value_row(page, "b").locator("td.ttl")).to_have_text(re.compile(r"^(1 h|59 m \d+ s)$"))
    assert 3_590_000 < r.execute_command("HPTTL", "h", "FIELDS", 1, "b")[0] <= 3_600_000
