"""Live pages in a real Chromium, served by uvicorn (streams only flow under ASGI), with the
key changed from the test by a separate redis-py client: rows redraw in place without a
reload, an open edit form is warned, expiry shows, the timed check works with notifications
off, and the activity view fills in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from keyspace.redis.keynames import encode_key
from keyspace.units import registry
from tests.browser.a11y import assert_accessible
from tests.browser.rows import open_row
from tests.support.uvicorn_dashboard import UvicornDashboard

pytestmark = pytest.mark.browser
KEY = b"live:browser"


@pytest.fixture
def signed_in():
    """Replaces the package's live_server sign-in: this uvicorn runs with sign-in off
    (loopback only), so every visitor may read and edit."""


@pytest.fixture(scope="module")
def server(redis_server, tmp_path_factory):
    dashboard = UvicornDashboard(redis_server.url, tmp_path_factory.mktemp("live-browser"),
                                 ready_path="/c/default/db/0/live/notifications/",
                                 DASHBOARD_LIVE_INTERVAL="0.05", DASHBOARD_LIVE_CHECK_SECONDS="1")
    dashboard.manage("migrate", "--noinput", "-v", "0")  # edits are audited in its database
    yield dashboard.start()
    dashboard.stop()


def row_id(type_name: str, row) -> str:
    """A value row: an open form row by its id, a drawn row by its token (rows have no ids)."""
    token = registry.unit_for(type_name).row_token(row)
    return f'[id="row-{token}"], #value tr[data-row="{token}"]'



def open_live(page: Page, server, key: bytes, status: str = "subscribed") -> None:
    page.goto(f"{server.base}/c/default/db/0/key/{encode_key(key)}/")
    page.get_by_role("link", name="Go live").click()
    expect(page.locator("#live-status")).to_have_text(status)
    # Marks this document: a reload would lose them.
    page.evaluate("window.__sameDocument = true")


def same_document(page: Page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def test_a_changed_field_redraws_its_row_in_place(page: Page, server, flags, r):
    flags("KEA")
    r.hset(KEY, mapping={b"a": b"first", b"b": b"second", b"c": b"third"})
    open_live(page, server, KEY)
    page.locator(row_id("hash", b"a")).evaluate("row => row.dataset.untouched = 'yes'")
    r.hset(KEY, b"b", b"<b>changed</b>")
    expect(page.locator(row_id("hash", b"b"))).to_contain_text("<b>changed</b>")
    # Only that row was redrawn: its neighbour is the same element; no reload happened.
    expect(page.locator(row_id("hash", b"a"))).to_have_attribute("data-untouched", "yes")
    assert same_document(page)
    r.hset(KEY, b"d", b"fourth")
    expect(page.locator(row_id("hash", b"d"))).to_contain_text("fourth")
    expect(page.locator("#key-meta")).to_contain_text("4 fields")
    r.hdel(KEY, b"c")
    expect(page.locator(row_id("hash", b"c"))).to_have_count(0)
    assert_accessible(page, "live key page")


def test_sorted_set_score_and_list_push(page: Page, server, flags, r):
    flags("KEA")
    r.zadd(KEY, {b"m1": 10, b"m2": 20, b"m3": 30})
    open_live(page, server, KEY)
    r.zadd(KEY, {b"m2": 21})
    expect(page.locator(row_id("zset", b"m2"))).to_contain_text("21")
    r.delete(KEY)
    expect(page.locator("#live-gone")).to_have_text("This key was deleted.")
    r.rpush(b"live:list", b"one", b"two")
    open_live(page, server, b"live:list")
    r.rpush(b"live:list", b"pushed")
    expect(page.locator(row_id("list", 2))).to_contain_text("pushed")
    assert same_document(page)


def test_expiry_while_open(page: Page, server, flags, r):
    flags("KEA")
    r.set(KEY, b"soon gone")
    open_live(page, server, KEY)
    r.expire(KEY, 100)
    expect(page.locator("#key-meta")).to_contain_text(re.compile(r"1 m \d+ s"))
    r.pexpire(KEY, 100)
    expect(page.locator("#live-gone")).to_be_visible()
    expect(page.locator("#live-gone")).to_contain_text("expired")


def test_an_open_edit_form_is_warned_before_saving(page: Page, server, flags, r):
    flags("KEA")
    r.hset(KEY, mapping={b"a": b"1", b"b": b"2"})
    open_live(page, server, KEY)
    row = open_row(page, b"b")
    row.get_by_role("link", name="Edit").click()
    form = page.locator("tr.editing form")
    expect(form).to_be_visible()
    form.locator("textarea").fill("my edit")
    r.hset(KEY, b"b", b"changed underneath")
    expect(form.locator(".live-conflict")).to_contain_text("changed since you opened this form")
    expect(form.locator("textarea")).to_have_value("my edit")  # the user's text is kept
    form.get_by_role("button", name="Save").click()
    # The conflict check is still the guarantee: the save is refused.
    expect(page.locator("tr.editing")).to_contain_text(re.compile("changed|conflict", re.I))
    assert r.hget(KEY, b"b") == b"changed underneath"


def test_timed_check_with_notifications_off(page: Page, server, flags, r):
    flags("")
    r.hset(KEY, mapping={b"a": b"1"})
    page.goto(f"{server.base}/c/default/db/0/key/{encode_key(KEY)}/?live=1")
    expect(page.locator("#live")).to_contain_text("Keyspace notifications are off")
    page.evaluate("window.__sameDocument = true")
    r.hset(KEY, b"a", b"checked")
    expect(page.locator(row_id("hash", b"a"))).to_contain_text("checked")
    expect(page.locator("#live-status")).to_contain_text("checked at")
    assert same_document(page)


def test_key_list_rows_update(page: Page, server, flags, r):
    flags("KEA")
    r.set(b"listed", b"1")
    page.goto(f"{server.base}/c/default/db/0/?live=1")
    expect(page.locator("#live-status")).to_have_text("subscribed")
    r.rpush(b"listed:list", b"x")  # not on the page: counted
    r.delete(b"listed")
    r.set(b"listed", b"again", ex=500)  # same name, now with a TTL
    row = page.locator(f"#key-{encode_key(b'listed')}")
    expect(row).to_contain_text(re.compile(r"\d+\s*m"))


def test_activity_view(page: Page, server, flags, r):
    flags("KEA")
    page.goto(f"{server.base}/c/default/db/0/")
    page.get_by_role("link", name="Live activity").click()
    expect(page.locator("#live-status")).to_have_text("subscribed")
    for i in range(30):
        r.hset(b"orders:%d" % (i % 3), b"n", i)
    r.set(b"tmp:gone", b"x", px=50)
    keys = page.locator("#activity .activity-keys")
    expect(keys).to_contain_text("orders:0")
    expect(page.locator("#activity .activity-namespaces")).to_contain_text("orders:")
    expect(page.locator("#activity .activity-commands")).to_contain_text("hset")
    expect(page.locator("#activity")).to_contain_text(re.compile(r"\b1\s+expirations"))
    expect(page.locator("#activity svg polyline.series-expired")).to_have_count(1)
    assert_accessible(page, "live activity")


def test_key_list_checked_on_a_timer_with_notifications_off(page: Page, server, flags, r):
    flags("")
    r.set(b"listed", b"1")
    page.goto(f"{server.base}/c/default/db/0/?live=1")
    expect(page.locator("#live-status")).to_contain_text("notifications are off")
    page.evaluate("window.__sameDocument = true")
    r.expire(b"listed", 500)
    row = page.locator(f"#key-{encode_key(b'listed')}")
    expect(row).to_contain_text(re.compile(r"8 m \d+ s"))
    expect(page.locator("#live-status")).to_contain_text("checked at")
    assert same_document(page)


def test_notification_settings_page(page: Page, server, flags):
    flags("")
    page.goto(f"{server.base}/c/default/db/0/live/")
    page.get_by_role("link", name=re.compile("How to turn them on")).click()
    expect(page.get_by_role("heading", name="Keyspace notifications")).to_be_visible()
    expect(page.locator("#notifications")).to_contain_text("CONFIG SET notify-keyspace-events KEA")
    assert_accessible(page, "notification settings")
