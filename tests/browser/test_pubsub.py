"""Live pub/sub in a real Chromium, against a real Redis, served by uvicorn.

Streams only flow under ASGI (live_server buffers an endless response whole), so this
module runs its own uvicorn process with sign-in on and its own sqlite database, and each
test signs in the way a person does: a one-time link printed by `manage.py adduser`, then
the "Sign in" button. Messages are published from a separate redis-py client (`r`) or from
the page's own form; an observer in the page stamps the moment each message row is added, so
delivery latency is measured, not just waited for.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from playwright.sync_api import Locator, Page, expect

from tests.browser.a11y import assert_accessible
from tests.services.pubsub.support import Dashboard, dashboard_clients, numsub, wait_until

pytestmark = pytest.mark.browser

ROWS = "#messages > li.msg"
# Stamps each message row with the wall-clock time (ms) the page added it.
STAMP_ROWS = """
new MutationObserver(function (records) {
  const now = Date.now();
  records.forEach(function (record) {
    record.addedNodes.forEach(function (node) {
      if (node.nodeType === 1 && node.matches("li.msg") && !node.dataset.arrivedAt) {
        node.dataset.arrivedAt = String(now);
      }
    });
  });
}).observe(document, {childList: true, subtree: true});
"""


@pytest.fixture
def signed_in():
    """Replaces the package's live_server sign-in: these tests sign in to their own uvicorn."""


# --------------------------------------------------------------------------- the server


@pytest.fixture(scope="module")
def server(redis_server, tmp_path_factory):
    """One uvicorn for the module, with sign-in on and a migrated sqlite file of its own."""
    var_dir = tmp_path_factory.mktemp("pubsub-browser")
    dashboard = Dashboard(redis_server.url, var_dir, DASHBOARD_AUTH="on",
                          DASHBOARD_DB_PATH=str(var_dir / "dashboard.sqlite3"))
    dashboard.manage("migrate", "--noinput")
    yield dashboard.start()
    dashboard.stop()


def _no_dashboard_subscribers(r: redis.Redis) -> bool:
    return not [c for c in dashboard_clients(r) if int(c.get("sub", 0)) or int(c.get("psub", 0))]


class Live:
    """The pub/sub page of the test's uvicorn, driven like a person would."""

    def __init__(self, page: Page, server: Dashboard) -> None:
        self.page = page
        self.server = server
        self.rows = page.locator(ROWS)
        self.status = page.locator("#stream-status")
        self.chips = page.locator("ul.subscriptions li.chip")

    def sign_in(self, account: dict) -> None:
        """Open a one-time link and press "Sign in", as a person given the link would."""
        link = account["links"].pop() if account["links"] else _sign_in_link(
            self.server.manage("signin_link", account["name"], "--base-url", self.server.base))
        self.page.goto(link)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.locator("form.user")).to_contain_text(account["name"])

    def open(self, query: str = "") -> None:
        self.page.goto(f"{self.server.base}/c/default/db/0/pubsub/{'?' + query if query else ''}")
        expect(self.page.get_by_role("heading", name="Publish")).to_be_visible()

    def subscribe(self, *, channel: str = "", pattern: str = "") -> None:
        form = self.page.locator("form.subscribe-form")
        form.get_by_label("Channel").fill(channel)
        form.get_by_label("or pattern").fill(pattern)
        form.get_by_role("button", name="Subscribe").click()

    def chip(self, kind: str, name: str) -> Locator:
        return self.page.locator(f"ul.subscriptions li.chip-{kind}").filter(
            has=self.page.locator("code", has_text=re.compile(f"^{re.escape(name)}$")))

    def expect_subscribed(self) -> None:
        expect(self.status).to_have_text("subscribed")

    def row(self, body: str) -> Locator:
        return self.rows.filter(
            has=self.page.locator("pre.msg-body", has_text=re.compile(f"^{re.escape(body)}$")))

    def bodies(self) -> list[str]:
        return self.page.locator(f"{ROWS} pre.msg-body").all_inner_texts()

    def visible_bodies(self) -> list[str]:
        return self.page.locator(f"{ROWS}:not([hidden]) pre.msg-body").all_inner_texts()

    def latency(self, body: str, published_at: float) -> float:
        """Seconds from just before the publish to the row's arrival in the page."""
        stamp = self.row(body).get_attribute("data-arrived-at")
        assert stamp, f"row {body!r} was not stamped"
        latency = int(stamp) / 1000 - published_at
        assert latency > -0.05, f"clock mismatch: {body!r} arrived {latency:.3f} s early"
        return latency

    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.page.url).query)


def _sign_in_link(output: str) -> str:
    link = re.search(r"(http://\S+/sign-in/once/\S+/)", output)
    assert link, f"manage.py printed no sign-in link: {output!r}"
    return link.group(1)


@pytest.fixture(scope="module")
def account(server) -> dict:
    """An editor made with `manage.py adduser`; later tests get fresh links from
    `manage.py signin_link` (a link signs in once)."""
    out = server.manage("adduser", "watcher", "--role", "editor", "--base-url", server.base)
    return {"name": "watcher", "links": [_sign_in_link(out)]}


@pytest.fixture
def live(page: Page, server, account, r):
    page.add_init_script(STAMP_ROWS)
    session = Live(page, server)
    session.sign_in(account)
    yield session
    # Closing the page must end its streams: nothing of this test still subscribed.
    page.close()
    wait_until(lambda: _no_dashboard_subscribers(r), 5,
               message="the closed page's subscriptions ended")


def publish(r: redis.Redis, channel: str, body: str) -> tuple[float, int]:
    at = time.time()
    return at, r.publish(channel, body)


# --------------------------------------------------------------------------- the tests


def test_subscribe_with_the_form_receive_live_and_reload_the_bookmark(live, r):
    live.open()
    expect(live.page.locator("ul.subscriptions .empty-state")).to_be_visible()

    live.subscribe(channel="orders:t1")
    expect(live.chip("channel", "orders:t1")).to_be_visible()
    live.expect_subscribed()
    live.subscribe(pattern="news.*")
    expect(live.chips).to_have_count(2)
    expect(live.chip("channel", "orders:t1")).to_be_visible()
    expect(live.chip("pattern", "news.*")).to_be_visible()
    live.expect_subscribed()
    # The first stream (channel only) was replaced, not kept alongside the new one.
    wait_until(lambda: numsub(r, "orders:t1") == 1, 5, message="one subscriber to orders:t1")

    query = live.query()
    assert [c for c in query.get("channel", []) if c] == ["orders:t1"], live.page.url
    assert [p for p in query.get("pattern", []) if p] == ["news.*"], live.page.url

    sent_direct, receivers_direct = publish(r, "orders:t1", "order 1 placed")
    sent_pattern, receivers_pattern = publish(r, "news.sport", "match report")
    assert (receivers_direct, receivers_pattern) == (1, 1)
    expect(live.rows).to_have_count(2, timeout=2_000)
    latencies = (live.latency("order 1 placed", sent_direct),
                 live.latency("match report", sent_pattern))
    print(f"\npub/sub delivery to the page: {latencies[0] * 1000:.0f} ms (channel), "
          f"{latencies[1] * 1000:.0f} ms (pattern)")
    assert all(latency < 1.0 for latency in latencies), latencies

    # Newest first, each with its channel; the pattern match says which pattern.
    assert live.bodies() == ["match report", "order 1 placed"]
    newest, oldest = live.rows.nth(0), live.rows.nth(1)
    expect(newest.locator(".msg-channel")).to_have_text("news.sport")
    expect(newest.locator(".msg-pattern")).to_have_text("via news.*")
    expect(oldest.locator(".msg-channel")).to_have_text("orders:t1")
    expect(oldest.locator(".msg-pattern")).to_have_count(0)
    expect(oldest.locator(".msg-time")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d\.\d{3}$"))

    # The address is a bookmark: reloading it brings both subscriptions and the stream back.
    bookmark = live.page.url
    live.page.reload()
    assert live.page.url == bookmark
    expect(live.chips).to_have_count(2)
    expect(live.chip("channel", "orders:t1")).to_be_visible()
    expect(live.chip("pattern", "news.*")).to_be_visible()
    live.expect_subscribed()
    wait_until(lambda: numsub(r, "orders:t1") == 1, 5,
               message="the stream of the page before the reload ended")
    publish(r, "news.weather", "rain later")
    publish(r, "orders:t1", "order 2 placed")
    expect(live.rows).to_have_count(2)
    assert live.bodies() == ["order 2 placed", "rain later"]


def test_publish_from_the_page(live, r):
    live.open("channel=chat:t2")
    live.expect_subscribed()

    side = live.page.locator("#publish")
    side.get_by_label("Channel").fill("chat:t2")
    side.get_by_label("Message").fill("hello from the page")
    side.get_by_role("button", name="Publish").click()

    expect(side.get_by_role("status")).to_have_text(
        "Published to chat:t2: 1 subscriber received it.")
    expect(live.row("hello from the page")).to_be_visible()
    expect(live.row("hello from the page").locator(".msg-channel")).to_have_text("chat:t2")
    # The form is ready for the next message.
    expect(side.get_by_role("button", name="Publish")).to_be_enabled()


def test_pause_hold_resume_clear_and_filter(live, r):
    live.open("channel=ticks:t3")
    live.expect_subscribed()
    publish(r, "ticks:t3", "before pause")
    expect(live.row("before pause")).to_be_visible()

    pause = live.page.locator('[data-pubsub="pause"]')
    show_held = live.page.locator('[data-pubsub="show-held"]')
    # Nothing held yet: no "Show 0 held" button on screen.
    expect(show_held).to_be_hidden()
    pause.click()
    expect(pause).to_have_text("Resume")
    expect(pause).to_have_attribute("aria-pressed", "true")

    publish(r, "ticks:t3", "held 1")
    publish(r, "ticks:t3", "held 2")
    expect(show_held).to_have_text("Show 2 held")
    expect(show_held).to_be_visible()
    assert live.bodies() == ["before pause"]

    pause.click()  # Resume
    expect(pause).to_have_text("Pause")
    expect(show_held).to_be_hidden()
    assert live.bodies() == ["held 2", "held 1", "before pause"]

    # "Show N held" shows what is held without resuming.
    pause.click()
    publish(r, "ticks:t3", "held 3")
    expect(show_held).to_have_text("Show 1 held")
    show_held.click()
    expect(show_held).to_be_hidden()
    expect(pause).to_have_text("Resume")
    assert live.bodies()[0] == "held 3"
    pause.click()
    expect(pause).to_have_text("Pause")

    live.page.locator('[data-pubsub="clear"]').click()
    expect(live.rows).to_have_count(0)
    publish(r, "ticks:t3", "apple pie")
    publish(r, "ticks:t3", "banana split")
    expect(live.rows).to_have_count(2)

    live.page.locator('[data-pubsub="filter"]').fill("APPLE")
    expect(live.row("banana split")).to_be_hidden()
    expect(live.row("apple pie")).to_be_visible()
    # Messages arriving while a filter is typed are filtered too.
    publish(r, "ticks:t3", "cherry")
    publish(r, "ticks:t3", "apple tart")
    expect(live.rows).to_have_count(4)
    assert live.visible_bodies() == ["apple tart", "apple pie"]
    # The channel name counts as text too.
    live.page.locator('[data-pubsub="filter"]').fill("ticks:t3")
    expect(live.page.locator(f"{ROWS}:not([hidden])")).to_have_count(4)
    live.page.locator('[data-pubsub="filter"]').fill("")
    assert live.visible_bodies() == ["apple tart", "cherry", "banana split", "apple pie"]


def test_dropping_one_chip_keeps_the_other_subscription(live, r):
    live.open("channel=alpha:t4&pattern=beta.*")
    expect(live.chips).to_have_count(2)
    live.expect_subscribed()
    publish(r, "alpha:t4", "alpha before")
    publish(r, "beta.one", "beta before")
    expect(live.rows).to_have_count(2)

    live.chip("channel", "alpha:t4").get_by_role("link", name="Unsubscribe").click()
    expect(live.chips).to_have_count(1)
    expect(live.chip("pattern", "beta.*")).to_be_visible()
    assert "alpha:t4" not in live.query().get("channel", []), live.page.url
    live.expect_subscribed()
    wait_until(lambda: numsub(r, "alpha:t4") == 0, 5, message="alpha:t4 unsubscribed")
    wait_until(lambda: r.pubsub_numpat() == 1, 5, message="one pattern subscription left")

    _, to_dropped = publish(r, "alpha:t4", "alpha after")
    _, to_kept = publish(r, "beta.two", "beta after")
    assert (to_dropped, to_kept) == (0, 1)
    expect(live.row("beta after")).to_be_visible()
    expect(live.row("beta after").locator(".msg-pattern")).to_have_text("via beta.*")
    live.page.wait_for_timeout(300)  # three batch intervals: a stray message would be here
    assert live.bodies() == ["beta after", "beta before", "alpha before"]


def test_the_live_page_passes_axe_in_both_colour_schemes(live, r):
    live.open("channel=orders:t5&pattern=news.*")
    live.expect_subscribed()
    publish(r, "orders:t5", "order placed")
    r.publish("news.sport", b"\xff\x00 binary payload")
    r.publish("orders:t5", "x" * 5_000)  # shown cut, with its size
    expect(live.rows).to_have_count(3)
    # Paused with messages held, after publishing from the page: every part of it on screen.
    live.page.locator('[data-pubsub="pause"]').click()
    side = live.page.locator("#publish")
    side.get_by_label("Channel").fill("orders:t5")
    side.get_by_label("Message").fill("from the page")
    side.get_by_role("button", name="Publish").click()
    expect(side.get_by_role("status")).to_be_visible()
    expect(live.page.locator('[data-pubsub="show-held"]')).to_be_visible()
    expect(live.page.locator("#channels table")).to_be_visible()

    assert_accessible(live.page, "pub/sub, live")
