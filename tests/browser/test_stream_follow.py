"""Following a stream in a real Chromium, against a real Redis, served by uvicorn (streams
only flow under ASGI): open the stream's page, click *Follow new entries*, add entries from
the test, and see them appear at the top of the table; *Stop following* lets the connection
go."""

from __future__ import annotations

import pytest
import redis
from playwright.sync_api import Page, expect

from keyspace.redis.keynames import encode_key
from tests.browser.a11y import assert_accessible
from tests.services.pubsub.support import Dashboard, dashboard_clients, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture
def signed_in():
    """Replaces the package's live_server sign-in: sign-in is off on this loopback uvicorn."""


@pytest.fixture(scope="module")
def server(redis_server, tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("stream-follow-browser")
    dashboard = Dashboard(redis_server.url, var_dir,
                          DASHBOARD_DB_PATH=str(var_dir / "dashboard.sqlite3"))
    dashboard.manage("migrate", "--noinput")
    yield dashboard.start()
    dashboard.stop()


def blocked_readers(r: redis.Redis) -> list:
    return [c for c in dashboard_clients(r) if c.get("cmd") == "xread"]


def test_follow_shows_new_entries_at_the_top(page: Page, server, r):
    for i in range(1, 4):
        r.xadd("orders", {"order": f"#{i}"}, id=f"{i}-0")
    r.xgroup_create("orders", "billing", id="0")
    page.goto(f"{server.base}/c/default/db/0/key/{encode_key(b'orders')}/")
    rows = page.locator("#stream-rows > tr")
    expect(rows.first).to_have_id("row-3-0")
    assert_accessible(page, "stream page")

    page.get_by_role("button", name="Follow new entries").click()
    expect(page.locator("#stream-follow-status")).to_have_text("following")
    wait_until(lambda: blocked_readers(r), 5, message="the page's follower blocks in XREAD")
    r.xadd("orders", {"order": "#4", "note": "<b>not bold</b>"}, id="4-0")
    expect(rows.first).to_have_id("row-4-0")
    expect(rows.first).to_contain_text("<b>not bold</b>")  # shown as text, not markup
    r.xadd("orders", {"order": "#5"}, id="5-0")
    expect(rows.first).to_have_id("row-5-0")
    expect(rows.nth(1)).to_have_id("row-4-0")
    expect(rows).to_have_count(5)

    page.get_by_role("button", name="Stop following").click()
    expect(page.get_by_role("button", name="Follow new entries")).to_be_visible()
    wait_until(lambda: not blocked_readers(r), 5, message="the follower's connection closed")
    r.xadd("orders", {"order": "#6"}, id="6-0")
    page.wait_for_timeout(300)  # nothing is following: nothing may arrive
    expect(rows.first).to_have_id("row-5-0")

    # Following again starts after the newest row shown: #6, added while stopped, arrives
    # once, and #4 and #5 are not added a second time.
    page.get_by_role("button", name="Follow new entries").click()
    expect(rows.first).to_have_id("row-6-0")
    r.xadd("orders", {"order": "#7"}, id="7-0")
    expect(rows.first).to_have_id("row-7-0")
    expect(rows).to_have_count(7)
    page.get_by_role("button", name="Stop following").click()


def test_consumers_open_under_the_groups_table(page: Page, server, r):
    r.xadd("jobs", {"job": "a"}, id="1-0")
    r.xgroup_create("jobs", "workers", id="0")
    r.xreadgroup("workers", "w1", {"jobs": ">"})
    page.goto(f"{server.base}/c/default/db/0/key/{encode_key(b'jobs')}/")
    groups = page.locator("table.stream-groups")
    expect(groups).to_contain_text("workers")
    groups.get_by_role("link", name="1").first.click()
    consumers = page.locator("#stream-consumers table")
    expect(consumers).to_contain_text("w1")
    assert page.url.endswith(f"/c/default/db/0/key/{encode_key(b'jobs')}/")  # swapped in place


def test_entries_page_from_the_key_page(page: Page, server, r):
    for i in range(1, 31):
        r.xadd("log", {"line": f"#{i}"}, id=f"{1_700_000_000_000 + i}-0")
    page.goto(f"{server.base}/c/default/db/0/key/{encode_key(b'log')}/")
    page.get_by_label("Jump to").fill("2023-11-14 22:13:20.010")
    page.get_by_role("button", name="Show entries").click()
    rows = page.locator("#entries table tbody tr")
    expect(rows.first).to_have_id("row-1700000000010-0")
    expect(rows).to_have_count(10)  # 10 down to 1
    assert_accessible(page, "stream entries page")
    page.locator("#entries nav.pager").first.get_by_role("link", name="Newer").click()
    expect(rows.first).to_have_id("row-1700000000030-0")
    expect(rows.last).to_have_id("row-1700000000011-0")
    assert "before=1700000000010-0" in page.url  # each page has its own URL
    page.go_back()
    expect(rows.first).to_have_id("row-1700000000010-0")
