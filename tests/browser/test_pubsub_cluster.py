"""Sharded pub/sub in a real Chromium, against the session's real Redis Cluster, served by
uvicorn: subscribe to a shard channel with the page's form, publish to it with SPUBLISH from
the page's own form, and see the message arrive; the channel list shows it as sharded."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_pubsub import Live, _sign_in_link
from tests.services.pubsub.support import Dashboard

pytestmark = [pytest.mark.browser, pytest.mark.cluster]


@pytest.fixture
def signed_in():
    """Replaces the package's live_server sign-in: these tests sign in to their own uvicorn."""


@pytest.fixture(scope="module")
def cluster_server(cluster_holder, tmp_path_factory):
    cluster = cluster_holder.get()
    var_dir = tmp_path_factory.mktemp("pubsub-cluster-browser")
    dashboard = Dashboard(cluster.url, var_dir, DASHBOARD_AUTH="on",
                          DASHBOARD_DB_PATH=str(var_dir / "dashboard.sqlite3"))
    dashboard.manage("migrate", "--noinput")
    yield dashboard.start()
    dashboard.stop()


def test_subscribe_to_a_shard_channel_and_spublish_from_the_page(page, cluster_server,
                                                                  cluster_holder):
    out = cluster_server.manage("adduser", "sharder", "--role", "editor", "--base-url",
                                cluster_server.base)
    live = Live(page, cluster_server)
    live.sign_in({"name": "sharder", "links": [_sign_in_link(out)]})
    live.open()
    form = page.locator("form.subscribe-form")
    form.get_by_label("or sharded channel").fill("orders{eu}")
    form.get_by_role("button", name="Subscribe").click()
    expect(live.chip("shard", "orders{eu}")).to_be_visible()
    live.expect_subscribed()
    assert live.query()["shard"] == ["orders{eu}"], page.url

    side = page.locator("#publish")
    side.get_by_label("Channel").fill("orders{eu}")
    side.get_by_label("Message").fill("<b>sharded</b> hello")
    side.get_by_label("Sharded (SPUBLISH)").check()
    side.get_by_role("button", name="Publish").click()
    expect(side.locator(".flash")).to_have_text(
        "Published to orders{eu}: 1 subscriber received it.")
    expect(live.row("<b>sharded</b> hello")).to_be_visible()
    expect(live.row("<b>sharded</b> hello").locator(".msg-channel")).to_have_text("orders{eu}")

    # A classic PUBLISH to the same name does not reach a shard subscriber.
    side.get_by_label("Channel").fill("orders{eu}")
    side.get_by_label("Message").fill("classic")
    side.get_by_label("Sharded (SPUBLISH)").uncheck()
    side.get_by_role("button", name="Publish").click()
    expect(side.locator(".flash")).to_have_text(
        "Published to orders{eu}: 0 subscribers received it.")

    shard_table = page.locator("#channels table.shard-channels")
    expect(shard_table.locator("td.key-name")).to_have_text(["orders{eu}"], timeout=8_000)
    expect(shard_table.locator("td.num")).to_have_text(["1"])
    assert live.bodies() == ["<b>sharded</b> hello"]
