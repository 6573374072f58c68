import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

def test_probe(page, url, r):
    r.set("hello", "world")
    page.goto(url("/"))
    expect(page.get_by_role("link", name="hello")).to_be_visible()
    print(page.content()[:3000])
