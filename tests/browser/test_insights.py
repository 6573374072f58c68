"""Outlier hunting and recognised patterns in a real Chromium: sorting the loaded key list
(with and without JavaScript), and a rate limiter's view on its key page."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import redis
from playwright.sync_api import Browser, Page, expect

from keyspace.redis.keynames import encode_key

pytestmark = pytest.mark.browser

KEY_LINKS = "#key-rows td.key-name a"


def seed_sizes(r: redis.Redis, count: int = 30) -> dict[str, int]:
    with r.pipeline(transaction=False) as pipe:
        for i in range(count):
            pipe.set(f"blob:{i:02}", "x" * (100 + (i * 37 % count) * 200))
        pipe.execute()
    return {f"blob:{i:02}": r.memory_usage(f"blob:{i:02}") for i in range(count)}


def test_sorting_every_loaded_row_by_memory_with_the_keyboard(page: Page, url, r):
    memory = seed_sizes(r)
    page.goto(url("/c/default/db/0/?count=10"))
    page.locator("#load-more a").click()
    expect(page.locator(KEY_LINKS)).to_have_count(20)
    header = page.get_by_role("link", name="Memory")
    header.focus()
    page.keyboard.press("Enter")
    shown = page.locator(KEY_LINKS).all_text_contents()
    assert len(shown) == 20  # the loaded rows, both pages, no request made
    sizes = [memory[name] for name in shown]
    assert sizes == sorted(sizes, reverse=True)
    expect(page.locator("th[data-sort-column=memory]")).to_have_attribute("aria-sort", "descending")
    expect(page.locator("#sort-note")).to_contain_text("memory, highest first")
    assert "sort=-memory" in page.url
    # Rows loaded after the sort join its order as they arrive: never shown out of order, even
    # while htmx is still settling (a long settle makes a late re-sort visible to the check).
    page.evaluate("htmx.config.defaultSettleDelay = 2000")
    page.locator("#load-more a").click()
    expect(page.locator(KEY_LINKS)).to_have_count(30)
    sizes = [memory[name] for name in page.locator(KEY_LINKS).all_text_contents()]
    assert sizes == sorted(sizes, reverse=True)
    # A second press reverses it.
    header.focus()
    page.keyboard.press("Enter")
    sizes = [memory[name] for name in page.locator(KEY_LINKS).all_text_contents()]
    assert sizes == sorted(sizes)


def test_sorting_without_javascript_follows_the_link(browser: Browser, url, r, live_server):
    from django.conf import settings

    from tests.support.users import client_for, make_user

    memory = seed_sizes(r, 12)
    context = browser.new_context(java_script_enabled=False)
    cookie = client_for(make_user("nojs", "viewer")).cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value,
                          "url": live_server.url}])
    page = context.new_page()
    try:
        page.goto(url("/c/default/db/0/"))
        page.get_by_role("link", name="Length").click()
        page.wait_for_url("**sort=-length**")
        page.get_by_role("link", name="Memory").click()
        page.wait_for_url("**sort=-memory**")
        sizes = [memory[n] for n in page.locator(KEY_LINKS).all_text_contents()]
        assert len(sizes) == 12 and sizes == sorted(sizes, reverse=True)
        # Hiding a column: the form's choice, kept for the next visit.
        page.get_by_label("Memory", exact=True).uncheck()
        page.get_by_role("button", name="Filter").click()
        page.wait_for_url("**columns=1**")
        page.goto(url("/c/default/db/0/"))
        expect(page.locator("thead th")).to_have_text(["Key", "Type", "TTL", "Length"])
    finally:
        context.close()


def test_a_rate_limiter_shows_its_window_on_the_key_page(page: Page, url, r):
    now_ms = time.time() * 1000
    r.zadd("ratelimit:api:ada", {f"req-{i}": now_ms - i * 4_000 for i in range(25)})
    r.expire("ratelimit:api:ada", 60)
    page.goto(url(f"/c/default/db/0/key/{encode_key(b'ratelimit:api:ada')}/"))
    panel = page.locator("#pattern-sliding-window")
    expect(panel.get_by_role("heading")).to_have_text("Looks like: Rate limiter (sliding window)")
    expect(panel.locator("figcaption")).to_have_text("15 requests in the last 1 m.")
    expect(panel.locator("line.tick")).to_have_count(15)
    expect(panel.get_by_role("img")).to_have_accessible_name("15 requests in the last 1 m.")
    expect(panel).to_contain_text("10 entries are older than the window")


def test_pattern_views_sorted_list_and_recommendations_are_accessible(page: Page, url, r):
    from tests.browser.a11y import assert_accessible

    r.set("sess:abc", json.dumps({"cookie": {"originalMaxAge": 1000, "expires": None},
                                  "passport": {"user": "ada"}}), ex=600)
    r.set("lock:job", uuid.uuid4().hex)
    r.hset("bucket:ada", mapping={"tokens": 3, "last_refill": int(time.time())})
    r.zadd("events", {"a": 1_700_000_000, "b": 1_700_000_100})
    now_ms = time.time() * 1000
    r.zadd("rl:ada", {f"r{i}": now_ms - i * 1000 for i in range(5)})
    r.expire("rl:ada", 60)
    for name, pattern in ((b"sess:abc", "session"), (b"lock:job", "lock"),
                          (b"bucket:ada", "token-bucket"), (b"events", "score-dates"),
                          (b"rl:ada", "sliding-window")):
        page.goto(url(f"/c/default/db/0/key/{encode_key(name)}/"))
        expect(page.locator(f"#pattern-{pattern}")).to_be_visible()
        assert_accessible(page, f"pattern {pattern}")
    page.goto(url("/c/default/db/0/?sort=-memory"))
    expect(page.locator("#sort-note")).to_be_visible()
    assert_accessible(page, "sorted key list")
    page.goto(url("/c/default/db/0/recommendations/"))
    expect(page.locator("h1")).to_have_text("Recommendations for db0")
    assert_accessible(page, "recommendations")
