"""The JSON tree in a real browser, on a real valkey-server with RedisJSON: a node opens in
place when clicked (htmx, `toggle once`), its children a page at a time."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.support.module_server import dashboard_redis, module_server, r  # noqa: F401
from tests.support.urls import key_url

pytestmark = pytest.mark.browser


def test_a_node_opens_in_place_once(page: Page, url, r):  # noqa: F811
    r.execute_command("JSON.SET", "doc", "$", json.dumps(
        {"address": {"city": "London", "lines": list(range(150))}, "name": "Ada"}))
    node_requests = []
    page.on("request", lambda request: "/json/node/" in request.url
            and node_requests.append(request.url))
    page.goto(url(key_url("doc")))
    expect(page.locator("#json-root")).to_contain_text("Ada")
    expect(page.get_by_text("London")).to_have_count(0)
    page.locator("#json-root > li > details > summary").first.click()
    expect(page.locator("#json-root")).to_contain_text("London")
    lines = page.locator("#json-root details details").first
    lines.locator("summary").click()
    expect(lines).to_contain_text("[99]")
    expect(lines).not_to_contain_text("[100]")
    lines.get_by_role("link", name="Load more").click()
    expect(lines).to_contain_text("[149]")
    page.locator("#json-root > li > details > summary").first.click()  # close
    page.locator("#json-root > li > details > summary").first.click()  # open again
    assert len(node_requests) == 3  # address, lines, lines' second page: each read once
